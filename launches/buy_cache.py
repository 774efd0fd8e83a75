"""What the reserve path needs to know before it touches any unit — is the launch there, open, first-come,
and is the caller a member of one of its communities — answered from per-process memory (see
``core.hot_cache``), so that a refusal costs no database round trip.

- A launch's facts (status, mode, times, limit, window, communities) are kept for ``FACTS_SECONDS`` (2),
  in the process and in Redis (so one process, not each, reads them at a time): a cancellation or a
  changed time reaches the fast refusals within 2 s, and the units themselves are always decided by the
  database (``launches.stock``), which checks status and times again.
- A member's communities are kept for a minute in the process and an hour in Redis, stamped with the
  access generation, so a removal ends them at once; a community they are not known to be in is looked
  up again (they may have just joined).
Outsiders and drafts get the same ``not_found`` as ``holds.peek``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from core import hot_cache
from core.errors import NotFound
from core.extensions import db
from core.validation import MAX_ID
from launches import gate
from launches.models import Launch, LaunchMode, LaunchStatus, launch_communities
from shopkeeper.models import Membership

FACTS_SECONDS = 2.0
MEMBER_SECONDS = 60.0


@dataclass(frozen=True)
class Facts:
    """A launch as the reserve path sees it (no unit counts), and the caller's community among its own."""

    id: int
    status: LaunchStatus
    mode: LaunchMode
    opens_at: datetime
    closes_at: datetime | None
    per_member_limit: int
    checkout_minutes: int
    communities: tuple[int, ...]
    community_id: int | None = None

    def is_open(self, now: datetime) -> bool:
        return (self.status == LaunchStatus.PUBLISHED and self.opens_at <= now
                and (self.closes_at is None or now < self.closes_at))


def _dump_facts(facts: Facts) -> list:
    return [facts.id, facts.status.value, facts.mode.value, facts.opens_at.isoformat(),
            facts.closes_at.isoformat() if facts.closes_at else None, facts.per_member_limit,
            facts.checkout_minutes, list(facts.communities)]


def _load_facts(kept: list) -> Facts:
    launch_id, status, mode, opens_at, closes_at, limit, minutes, communities = kept
    return Facts(launch_id, LaunchStatus(status), LaunchMode(mode), datetime.fromisoformat(opens_at),
                 datetime.fromisoformat(closes_at) if closes_at else None, limit, minutes, tuple(communities))


def _facts_cache() -> hot_cache.HotCache:
    return hot_cache.cache("launch-facts", maxsize=10_000, ttl=FACTS_SECONDS,
                           shared=hot_cache.Shared(_dump_facts, _load_facts, seconds=int(FACTS_SECONDS)))


def _communities_cache() -> hot_cache.HotCache:
    return hot_cache.cache("member-communities", maxsize=200_000, ttl=MEMBER_SECONDS, guarded=True,
                           shared=hot_cache.Shared(sorted, frozenset, seconds=3600))


def _launch_facts(launch_id: int) -> Facts | None:
    def load() -> Facts | None:
        """One read: the launch, its units (to start the gate's count) and its communities."""
        rows = _read(sa.select(
            Launch.id, Launch.status, Launch.mode, Launch.opens_at, Launch.closes_at, Launch.per_member_limit,
            Launch.checkout_minutes, Launch.stock, Launch.sold, Launch.held, launch_communities.c.community_id)
            .outerjoin(launch_communities, launch_communities.c.launch_id == Launch.id)
            .where(Launch.id == launch_id))
        if not rows:
            return None
        first = rows[0]
        gate.seed(launch_id, first.stock - first.sold - first.held)
        return Facts(*first[:7], communities=tuple(sorted(row.community_id for row in rows if row.community_id)))

    found = _facts_cache().get_or_load(launch_id, load)
    if found is not None and found.status == LaunchStatus.DRAFT:  # publishing must show at once
        _facts_cache().drop(launch_id)
    return found


def _read(query) -> list:
    """On PostgreSQL, on a connection of its own in autocommit: the request's session opens no
    transaction (which it would have to end with one more round trip) — unless it has one already."""
    if db.engine.dialect.name != "postgresql" or hot_cache.session_in_database_transaction():
        return db.session.execute(query).all()
    with hot_cache.autocommit_engine().connect() as connection:
        return connection.execute(query).all()


def _communities_of(user_id: int, *, fresh: bool = False) -> frozenset[int]:
    cache = _communities_cache()
    found = None if fresh else cache.get(user_id)
    if found is None:
        found = frozenset(db.session.execute(sa.select(Membership.community_id).where(
            Membership.user_id == user_id)).scalars())
        cache.put(user_id, found)
    return found


def known_facts_for(user_id: int, launch_id: int) -> Facts | None:
    """``facts_for`` from memory alone, or None when anything is not known there (never SQL)."""
    facts = _facts_cache().get(launch_id)
    if facts is None:
        return None
    shared = set(facts.communities) & (_communities_cache().get(user_id) or frozenset())
    return Facts(**{**facts.__dict__, "community_id": min(shared)}) if shared else None


def facts_for(user, launch_id: int, community=None) -> Facts:
    """The launch's facts with ``community_id``: the caller's lowest-id community among the launch's (or
    ``community``, when given and theirs). Raises ``not_found`` for drafts, unknown ids and outsiders."""
    if not isinstance(launch_id, int) or not 0 < launch_id <= MAX_ID or user is None \
            or not getattr(user, "is_authenticated", False):
        raise NotFound()
    facts = _launch_facts(launch_id)
    if facts is None or facts.status == LaunchStatus.DRAFT:
        raise NotFound()
    wanted = set(facts.communities) if community is None else set(facts.communities) & {community.id}
    shared = wanted & _communities_of(user.id)
    if not shared and wanted:
        shared = wanted & _communities_of(user.id, fresh=True)
    if not shared:
        raise NotFound()
    return Facts(**{**facts.__dict__, "community_id": min(shared)})


def forget(launch_id: int) -> None:
    """Drop the facts of a launch here and in Redis (its edits commit); other processes' lapse within 2 s."""
    _facts_cache().drop(launch_id)


@event.listens_for(Session, "before_flush")
def _watch_edits(session: Session, _context, _instances) -> None:
    edited = [obj.id for obj in session.dirty if isinstance(obj, Launch) and obj.id is not None]
    for launch_id in edited:
        session.info.setdefault("after_commit", []).append(partial(forget, launch_id))
