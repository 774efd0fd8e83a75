"""In-app notifications: what the bell in the header lists. A notification keeps a ``kind`` and its
parameters, not text, so each reader sees it in their own language; ``key`` makes telling someone the
same thing twice (a job that runs again) a no-op.

Packages register the kinds they send (``register("po_shipped", _l("…%(title)s…"))``) when their module
is imported; ``tell`` sends the email and the in-app notification in one call, once per (user, key)."""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from flask import has_request_context, request
from flask_babel import force_locale
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from core import clock
from core.db import IdMixin, TimestampMixin, UTCDateTime
from core.extensions import db
from core.mail import send_email

log = logging.getLogger(__name__)
RECENT = 50  #: how many notifications the page lists


class Notification(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "key"),
        sa.Index("ix_notifications_user_created", "user_id", "created_at"),
    )

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(40))  #: e.g. "po_shipped": picks the message template
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)  #: the message's named values
    link: Mapped[str] = mapped_column(sa.String(300), default="")  #: a path inside Tuan
    #: what makes it once-only per user, e.g. "po-shipped-7"
    key: Mapped[str] = mapped_column(sa.String(120))
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def message(self) -> str:
        """The text in the current locale."""
        return render(self.kind, self.params)

    def __repr__(self) -> str:
        return f"<Notification {self.id} user={self.user_id} {self.kind} key={self.key!r}>"


#: kind → (message, email subject): lazy strings with %(name)s placeholders, rendered when read
_KINDS: dict[str, tuple] = {}


def register(kind: str, message, subject=None) -> None:
    """Declare a kind of notification. ``message`` (and ``subject``, for its email) are lazy_gettext
    strings whose placeholders are the params given to ``notify``."""
    _KINDS[kind] = (message, subject or message)


def render(kind: str, params: dict, part: int = 0) -> str:
    """A registered kind's message (part 0) or subject (part 1) in the current locale; a kind nobody
    registered, or params that no longer fit, show the bare kind rather than fail the page."""
    template = _KINDS.get(kind)
    if template is None:
        return kind
    try:
        return str(template[part]) % params
    except (KeyError, TypeError, ValueError):
        log.warning("notification %s does not fit its params %r", kind, params)
        return kind


def notify(user_id: int, kind: str, *, key: str, link: str = "", **params) -> Notification | None:
    """Tell ``user_id`` something in the app, once per ``key``: the new notification, or None when it was
    already there (a rerun, or a concurrent unit of work that got there first). Flushes."""
    if kind not in _KINDS:
        raise LookupError(f"notification kind {kind!r} is not registered")
    if _exists(user_id, key):
        return None
    notification = Notification(user_id=user_id, kind=kind, key=key[:120], link=link[:300], params=params)
    try:
        with db.session.begin_nested():
            db.session.add(notification)
            db.session.flush()
    except IntegrityError:
        return None
    return notification


def _exists(user_id: int, key: str) -> bool:
    return db.session.execute(sa.select(Notification.id).where(
        Notification.user_id == user_id, Notification.key == key[:120])).first() is not None


def tell(user, kind: str, *, key: str, link: str = "", **params) -> bool:
    """Notify ``user`` (anything with ``id``, ``email`` and ``locale``) in the app and by email, in their
    own language — both once per ``key``: a second call sends nothing. Returns whether it was new."""
    if notify(user.id, kind, key=key, link=link, **params) is None:
        return False
    with force_locale(user.locale or "en"):
        body = render(kind, params)
        if link:
            body = f"{body}\n\n{_absolute(link)}"
        send_email(user.email, render(kind, params, part=1), body)
    return True


def _absolute(link: str) -> str:
    return request.host_url.rstrip("/") + link if has_request_context() else link


def unread_count(user_id: int) -> int:
    """One COUNT on the (user_id, created_at) index: cheap enough for every page's header."""
    return db.session.execute(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))).scalar_one()


def recent(user_id: int, limit: int = RECENT) -> list[Notification]:
    """The user's latest notifications, newest first."""
    return list(db.session.execute(
        sa.select(Notification).where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)).scalars())


def mark_all_read(user_id: int) -> int:
    """Stamp every unread notification of the user read; returns how many there were."""
    result = db.session.execute(sa.update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)).values(read_at=clock.now()))
    return result.rowcount or 0



def notify_many(user_ids: list[int], kind: str, *, key: str, link: str = "", **params) -> list[int]:
    """Tell many users the same thing in the app in one INSERT … ON CONFLICT (user_id, key) DO NOTHING:
    a rerun, or a user already told, adds nothing. Returns the ids of the users told now."""
    if kind not in _KINDS:
        raise LookupError(f"notification kind {kind!r} is not registered")
    if not user_ids:
        return []
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    now = clock.now()
    rows = [{"user_id": user_id, "kind": kind, "key": key[:120], "link": link[:300], "params": params,
             "created_at": now, "updated_at": now} for user_id in user_ids]
    statement = (insert(Notification).values(rows).on_conflict_do_nothing(index_elements=["user_id", "key"])
                 .returning(Notification.user_id))
    return list(db.session.execute(statement).scalars())
