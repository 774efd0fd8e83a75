"""One-to-one messages between a community's shopkeeper and each of its members, inside Tuan.

A thread belongs to one member of one community; its other side is the shop (whoever runs the
community). A member only ever sees their own thread; a shopkeeper sees the threads of the communities
they run. Everything else is a 404."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, selectinload

from accounts.models import User
from core import clock
from core.errors import Conflict, NotFound
from core.extensions import db
from core.mail import send_email
from shopkeeper.access import require_member
from shopkeeper.models import Community, Membership, MembershipRole, Message, Thread
from shopkeeper.social import check_body, paginate
from shopkeeper.validation import MAX_ID

MESSAGE_PAGE_SIZE = 50
INBOX_PAGE_SIZE = 30
MAX_MESSAGE_LENGTH = 2000
#: at most one email per side and thread in this time, while the earlier one is still unread
NOTIFY_EVERY = timedelta(hours=1)


@dataclass
class Conversation:
    """A thread as one side sees it. ``thread`` is None until the first message is sent."""

    community: Community
    member: Membership  #: the member side of the thread
    as_shopkeeper: bool  #: True when the reader is the shop side
    thread: Thread | None
    page: Pagination | None
    messages: list[Message]  #: one page, oldest first


@dataclass
class InboxEntry:
    thread: Thread
    as_shopkeeper: bool
    unread: int
    last_message: Message | None

    @property
    def counterpart(self) -> User:
        return self.thread.member if self.as_shopkeeper else self.thread.community.owner


def member_conversation(user: User, community: Community, page: int = 1,
                        per_page: int = MESSAGE_PAGE_SIZE) -> Conversation:
    """The member's thread with the shop; opening it marks the shop's messages read. Raises ``not_found``
    for outsiders and ``runs_community`` for the community's shopkeepers (their threads are per member)."""
    membership = _member_side(user, community)
    return _open(community, membership, as_shopkeeper=False, page=page, per_page=per_page)


def shopkeeper_conversation(user: User, community: Community, member_id: int, page: int = 1,
                            per_page: int = MESSAGE_PAGE_SIZE) -> Conversation:
    """The shop's thread with one member; opening it marks the member's messages read. Raises
    ``not_found`` unless the caller runs the community and ``member_id`` is one of its members."""
    return _open(community, _shop_side(user, community, member_id), as_shopkeeper=True, page=page,
                 per_page=per_page)


def send_to_shop(user: User, community: Community, body: str) -> Message:
    """A member writes to the shop (the thread is created with the first message). Raises ``not_found``,
    ``runs_community`` and the body's ``required``/``too_long``/``bad_text``."""
    return _send(user, community, _member_side(user, community), body, to_member=False)


def send_to_member(user: User, community: Community, member_id: int, body: str) -> Message:
    """The shop writes to one of its members. Raises ``not_found`` and the body's errors."""
    return _send(user, community, _shop_side(user, community, member_id), body, to_member=True)


def inbox(user: User, page: int = 1, per_page: int = INBOX_PAGE_SIZE) -> tuple[Pagination, list[InboxEntry]]:
    """All the caller's threads — as a member and as a shopkeeper — newest activity first, each with its
    unread count and last message, in a fixed number of queries."""
    runs = _communities_run_by(user)
    query = (sa.select(Thread)
             .where(Thread.last_message_at.is_not(None),
                    sa.or_(Thread.member_id == user.id,
                           sa.and_(Thread.community_id.in_(runs), Thread.member_id != user.id)))
             .order_by(Thread.last_message_at.desc(), Thread.id.desc())
             .options(selectinload(Thread.member),
                      selectinload(Thread.community).selectinload(Community.owner)))
    result = paginate(query, page, per_page)
    ids = [thread.id for thread in result.items]
    if not ids:
        return result, []
    unread = dict(db.session.execute(
        sa.select(Message.thread_id, sa.func.count()).join(Thread, Thread.id == Message.thread_id)
        .where(Message.thread_id.in_(ids), _unread_by(user, runs_it=Thread.community_id.in_(runs)))
        .group_by(Message.thread_id)).all())
    latest = sa.select(sa.func.max(Message.id)).where(Message.thread_id.in_(ids)).group_by(Message.thread_id)
    last = {message.thread_id: message
            for message in db.session.execute(sa.select(Message).where(Message.id.in_(latest))).scalars()}
    entries = [InboxEntry(thread, thread.member_id != user.id, unread.get(thread.id, 0), last.get(thread.id))
               for thread in result.items]
    return result, entries


def unread_count(user: User) -> int:
    """How many messages wait for the caller, across all their threads: one COUNT that starts from the
    partial index of unread messages, so it costs what is unread, not what was ever written."""
    shop = aliased(Membership)
    return db.session.execute(
        sa.select(sa.func.count()).select_from(Message).join(Thread, Thread.id == Message.thread_id)
        .outerjoin(shop, sa.and_(shop.community_id == Thread.community_id, shop.user_id == user.id,
                                 shop.role == MembershipRole.SHOPKEEPER))
        .where(_unread_by(user, runs_it=shop.id.is_not(None)))).scalar_one()


def _communities_run_by(user: User):
    return sa.select(Membership.community_id).where(
        Membership.user_id == user.id, Membership.role == MembershipRole.SHOPKEEPER).scalar_subquery()


def _unread_by(user: User, runs_it):
    """Unread messages addressed to ``user``: the shop's in their own thread, and the members' in the
    threads of communities they run (``runs_it``: SQL that is true for those threads)."""
    return sa.and_(Message.read_at.is_(None), sa.or_(
        sa.and_(Thread.member_id == user.id, Message.sender_id != user.id),
        sa.and_(runs_it, Thread.member_id != user.id, Message.sender_id == Thread.member_id),
    ))


def _member_side(user: User, community: Community) -> Membership:
    membership = require_member(user, community)
    if membership.role == MembershipRole.SHOPKEEPER:
        raise Conflict("runs_community", _l("You run this community: your conversations with its members are in "
                                            "your inbox."))
    return membership


def _shop_side(user: User, community: Community, member_id: int) -> Membership:
    """The member's membership, when the caller runs the community. A member asking is told nothing
    (404): they never see another member's thread."""
    if require_member(user, community).role != MembershipRole.SHOPKEEPER or not 0 < member_id <= MAX_ID:
        raise NotFound()
    member = db.session.execute(sa.select(Membership).where(
        Membership.community_id == community.id, Membership.user_id == member_id,
        Membership.role == MembershipRole.MEMBER)).scalar_one_or_none()
    if member is None:
        raise NotFound()
    return member


def _thread_of(community: Community, membership: Membership) -> Thread | None:
    return db.session.execute(sa.select(Thread).where(
        Thread.community_id == community.id, Thread.member_id == membership.user_id)).scalar_one_or_none()


def _open(community: Community, membership: Membership, *, as_shopkeeper: bool, page: int,
          per_page: int) -> Conversation:
    thread = _thread_of(community, membership)
    if thread is None:
        return Conversation(community, membership, as_shopkeeper, None, None, [])
    _mark_read(thread, by_shop=as_shopkeeper)
    result = paginate(sa.select(Message).where(Message.thread_id == thread.id)
                      .order_by(Message.created_at.desc(), Message.id.desc())
                      .options(selectinload(Message.sender)), page, per_page)
    return Conversation(community, membership, as_shopkeeper, thread, result, list(reversed(result.items)))


def _mark_read(thread: Thread, *, by_shop: bool) -> None:
    """One UPDATE: the other side's unread messages are read now; the reader may be emailed again."""
    from_other_side = (Message.sender_id == thread.member_id) if by_shop else (Message.sender_id != thread.member_id)
    db.session.execute(sa.update(Message).where(Message.thread_id == thread.id, Message.read_at.is_(None),
                                                from_other_side).values(read_at=clock.now()))
    if by_shop:
        thread.shopkeeper_notified_at = None
    else:
        thread.member_notified_at = None


def _get_or_create_thread(community: Community, membership: Membership) -> Thread:
    thread = _thread_of(community, membership)
    if thread is not None:
        return thread
    try:
        with db.session.begin_nested():
            thread = Thread(community_id=community.id, member_id=membership.user_id)
            db.session.add(thread)
    except IntegrityError:  # the other side opened it at the same moment
        thread = _thread_of(community, membership)
    return thread


def _send(sender: User, community: Community, membership: Membership, body: str, *, to_member: bool) -> Message:
    body = check_body(body, max_length=MAX_MESSAGE_LENGTH, required=_l("Write a message first."))
    thread = _get_or_create_thread(community, membership)
    message = Message(thread_id=thread.id, sender_id=sender.id, body=body)
    db.session.add(message)
    thread.last_message_at = clock.now()
    db.session.flush()
    _notify(thread, sender, membership, to_member=to_member)
    return message


def _notify(thread: Thread, sender: User, membership: Membership, *, to_member: bool) -> None:
    """Email the other side, unless they were emailed about this thread within the hour and have not
    read it since. The claim is one conditional UPDATE, so two messages at once send one email."""
    column = Thread.member_notified_at if to_member else Thread.shopkeeper_notified_at
    now = clock.now()
    claimed = db.session.execute(
        sa.update(Thread).where(Thread.id == thread.id, sa.or_(column.is_(None), column <= now - NOTIFY_EVERY))
        .values({column: now})).rowcount
    if not claimed:
        return
    community = thread.community
    if to_member:
        recipients = [membership.user]
        link = url_for("messages.member_thread", slug=community.slug, _external=True)
    else:
        recipients = db.session.execute(sa.select(User).join(Membership, Membership.user_id == User.id).where(
            Membership.community_id == community.id, Membership.role == MembershipRole.SHOPKEEPER)).scalars().all()
        link = url_for("messages.thread", slug=community.slug, user_id=membership.user_id, _external=True)
    for recipient in recipients:
        with force_locale(recipient.locale or "en"):
            send_email(recipient.email,
                       _("New message from %(name)s in %(community)s", name=sender.display_name,
                         community=community.name),
                       _("%(name)s wrote to you in %(community)s. Read and reply on Tuan: %(link)s",
                         name=sender.display_name, community=community.name, link=link))
