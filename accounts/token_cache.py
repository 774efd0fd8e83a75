"""API tokens, checked without the database on the hot path. A drop's opening is thousands of API calls a
second from the same members; reading ``api_tokens``, ``users`` and ``user_roles`` and writing
``last_used_at`` for each would be most of the work of a "sold out" answer.

A token that checked out is remembered per process for ``TOKEN_CACHE_SECONDS`` (60) as a detached
snapshot of its user's columns, which ``Session.merge(load=False)`` attaches to the request's session with
no SQL (roles load lazily if asked). The grant is stamped with the access generation (``core.hot_cache``):
revoking any token, deactivating any account or removing any member bumps it when the unit of work
commits — found by watching every flush, so no code path can forget — and every process drops its grants
at its next request. Grants are kept in Redis too (an hour), so a process's first sight of a token costs a
Redis read, not SQL. ``last_used_at`` is written at most once per ``LAST_USED_EVERY`` (an hour), as GitHub
shows a token's last use."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, make_transient_to_detached

from accounts.models import ApiToken, User
from core import clock, hot_cache
from core.db import UTCDateTime
from core.extensions import db

TOKEN_CACHE_SECONDS = 60.0
LAST_USED_EVERY = timedelta(hours=1)
#: what a snapshot keeps: every column but the password's hash (loaded from the database if ever asked)
_COLUMNS = [column.key for column in User.__mapper__.column_attrs if column.key != "password_hash"]
_TIMES = {key for key in _COLUMNS if isinstance(User.__table__.c[key].type, UTCDateTime)}


def _snapshot(values: dict) -> User:
    """A detached, clean user from its columns (never the request's own object)."""
    copy = User(**values)
    make_transient_to_detached(copy)
    return copy


def _dumps(user: User) -> dict:
    return {key: (value.isoformat() if key in _TIMES and value is not None else value)
            for key in _COLUMNS for value in [getattr(user, key)]}


def _loads(values: dict) -> User:
    return _snapshot({key: (datetime.fromisoformat(value) if key in _TIMES and value is not None else value)
                      for key, value in values.items()})


def _tokens() -> hot_cache.HotCache:
    return hot_cache.cache("api-tokens", maxsize=200_000, ttl=TOKEN_CACHE_SECONDS, guarded=True,
                           shared=hot_cache.Shared(_dumps, _loads, seconds=3600))


def known_user(digest: str) -> User | None:
    """The detached snapshot of a token's user if a grant is cached (this process or Redis), else None —
    never SQL. For answers that need only the user's id and settings."""
    return _tokens().get(digest)


def user_for_digest(digest: str) -> User | None:
    """The active user a token (by its SHA-256) belongs to, attached to this request's session; None for
    an unknown, revoked or deactivated one."""
    tokens = _tokens()
    cached = known_user(digest)
    if cached is not None:
        return db.session.merge(cached, load=False)
    token = db.session.execute(sa.select(ApiToken).where(ApiToken.token_hash == digest,
                                                         ApiToken.revoked_at.is_(None))).scalar_one_or_none()
    if token is None or not token.user.is_active:
        return None
    now = clock.now()
    if token.last_used_at is None or token.last_used_at <= now - LAST_USED_EVERY:
        token.last_used_at = now
    tokens.put(digest, _snapshot({key: getattr(token.user, key) for key in _COLUMNS}))
    return token.user


def _takes_access_away(session: Session) -> bool:
    from shopkeeper.models import Membership

    if any(isinstance(obj, Membership | User | ApiToken) for obj in session.deleted):
        return True
    for obj in session.dirty:
        if isinstance(obj, ApiToken) and sa.inspect(obj).attrs.revoked_at.history.has_changes():
            return True
        if isinstance(obj, User) and sa.inspect(obj).attrs.is_active_account.history.has_changes():
            return True
    return False


def _bump() -> None:
    hot_cache.bump_generation()


@event.listens_for(Session, "before_flush")
def _watch(session: Session, _context, _instances) -> None:
    if _bump not in session.info.get("after_commit", ()) and _takes_access_away(session):
        session.info.setdefault("after_commit", []).append(_bump)
