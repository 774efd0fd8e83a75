"""Members at scale: the shopkeeper's member list (search, tag and pickup filters, pages), member
tags, the private note, and the member's own choices. Queries stay index-friendly at 100,000 members."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload

from accounts.models import User
from core.db import is_postgres
from core.errors import DomainError, NotFound
from core.extensions import db
from core.paging import Page
from shopkeeper.access import require_member, require_shopkeeper
from shopkeeper.models import Community, Membership, MemberTag
from shopkeeper.services import active_pickup_point
from shopkeeper.validation import clean_text
from supplier.models import Tag

PER_PAGE_MAX = 200
#: deeper than this, OFFSET stops being cheap; nobody pages a list this far by hand
PAGE_MAX = 100_000
#: the member list counts matches up to this many and then shows "10,000+"
COUNT_CAP = 10_000
NOTE_MAX = 5000
NEWEST_FIRST = (Membership.joined_at.desc(), Membership.id.desc())


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def matching(query: sa.Select, community_id: int, *, q: str | None = None, tag_ids: Iterable[int] = (),
             pickup_point_id: int | None = None, users_joined: bool = False) -> sa.Select:
    """Narrow ``query`` (over Membership) to one community's members matching the filters: name
    contains ``q`` (the trigram index serves it on PostgreSQL), carries ALL of ``tag_ids`` (one index
    probe per tag), picks up at ``pickup_point_id``."""
    query = query.where(Membership.community_id == community_id)
    q = clean_text(q)
    if q:
        if not users_joined:
            query = query.join(User, User.id == Membership.user_id)
        query = query.where(User.display_name.ilike(_like_pattern(q), escape="\\"))
        if len(q) >= 2 and is_postgres():
            # Narrow by the index of two-character chunks first (migration 5b2f0c1d9e7a): the trigram
            # index cannot serve a two-character search such as a Chinese given name.
            query = query.where(sa.func.name_bigrams(User.display_name).op("@>")(sa.func.name_bigrams(q)))
    for tag_id in dict.fromkeys(tag_ids):
        query = query.where(sa.exists().where(MemberTag.membership_id == Membership.id, MemberTag.tag_id == tag_id))
    if pickup_point_id is not None:
        query = query.where(Membership.pickup_point_id == pickup_point_id)
    return query


def member_page(community_id: int, *, q: str | None = None, tag_ids: Iterable[int] = (),
                pickup_point_id: int | None = None, page: int = 1, per_page: int = 50) -> Page[Membership]:
    """One page of a community's members, newest first, with whether a next page exists.

    Two cheap steps: the page's ids walk the (community_id, joined_at, id) index backwards with
    LIMIT/OFFSET (one row more than a page tells whether there is a next one), then those rows load
    with their user (joined) and tags (one selectin query): no N+1, nothing but the page in memory."""
    page = min(max(1, int(page)), PAGE_MAX)
    per_page = min(max(1, int(per_page)), PER_PAGE_MAX)
    ids = list(db.session.execute(
        matching(sa.select(Membership.id), community_id, q=q, tag_ids=tag_ids, pickup_point_id=pickup_point_id)
        .order_by(*NEWEST_FIRST).limit(per_page + 1).offset((page - 1) * per_page)
    ).scalars())
    has_next = len(ids) > per_page
    ids = ids[:per_page]
    items = list(db.session.execute(
        sa.select(Membership).where(Membership.id.in_(ids)).order_by(*NEWEST_FIRST)
        .options(joinedload(Membership.user), selectinload(Membership.tags))
    ).unique().scalars()) if ids else []
    return Page(items, page, per_page, has_next)


def count_members(community_id: int, *, q: str | None = None, tag_ids: Iterable[int] = (),
                  pickup_point_id: int | None = None, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """How many members match, counting no further than ``cap``: (count, True) means "cap or more"."""
    limited = matching(sa.select(Membership.id), community_id, q=q, tag_ids=tag_ids,
                       pickup_point_id=pickup_point_id).limit(cap + 1).subquery()
    found = db.session.execute(sa.select(sa.func.count()).select_from(limited)).scalar_one()
    return min(found, cap), found > cap


def taxonomy() -> list[Tag]:
    """The active tags members can carry, grouped by namespace."""
    return list(db.session.execute(
        sa.select(Tag).where(Tag.active.is_(True)).order_by(Tag.namespace, Tag.value)
    ).scalars())


def get_member(user: User, community: Community, member_user_id: int) -> Membership:
    """A member of ``community``, for its shopkeeper. Raises ``not_found`` (404: outsider, or no such
    member here) or ``forbidden`` (403: a member who is not the shopkeeper)."""
    require_shopkeeper(user, community)
    membership = db.session.execute(
        sa.select(Membership).where(Membership.community_id == community.id, Membership.user_id == member_user_id)
        .options(joinedload(Membership.user), selectinload(Membership.tags))
    ).scalar_one_or_none()
    if membership is None:
        raise NotFound()
    return membership


def _active_tag_ids(tag_ids: Iterable[int]) -> set[int]:
    wanted = {int(tag_id) for tag_id in tag_ids}
    if not wanted:
        return wanted
    known = set(db.session.execute(
        sa.select(Tag.id).where(Tag.id.in_(wanted), Tag.active.is_(True))
    ).scalars())
    if known != wanted:
        raise DomainError("unknown_tag", _l("Choose tags from the list."), field="tag_ids", status=422)
    return wanted


def _replace_tags(membership: Membership, tag_ids: Iterable[int], *, by_shopkeeper: bool) -> Membership:
    """Make the member's active tags exactly ``tag_ids``. Tags kept keep who set them; new ones are
    marked by who is editing; retired tags (no longer in the taxonomy, not editable) stay as they are."""
    wanted = _active_tag_ids(tag_ids)
    kept = [mt for mt in membership.tags if mt.tag_id in wanted or not mt.tag.active]
    present = {mt.tag_id for mt in kept}
    added = [MemberTag(tag_id=tag_id, set_by_shopkeeper=by_shopkeeper) for tag_id in sorted(wanted - present)]
    membership.tags = kept + added
    db.session.flush()
    return membership


def tag_member(user: User, community: Community, member_user_id: int, tag_ids: Iterable[int]) -> Membership:
    """The shopkeeper sets a member's tags (``set_by_shopkeeper=True`` on the new ones).
    Raises ``not_found``, ``forbidden``, ``unknown_tag`` (422)."""
    membership = get_member(user, community, member_user_id)
    return _replace_tags(membership, tag_ids, by_shopkeeper=True)


def describe_myself(user: User, community: Community, tag_ids: Iterable[int]) -> Membership:
    """A member sets their own tags (``set_by_shopkeeper=False`` on the new ones).
    Raises ``not_found`` (not a member), ``unknown_tag`` (422)."""
    return _replace_tags(require_member(user, community), tag_ids, by_shopkeeper=False)


def set_note(user: User, community: Community, member_user_id: int, note: str) -> Membership:
    """The shopkeeper's private note on a member (never shown to the member). Raises ``not_found``,
    ``forbidden``, ``too_long``."""
    membership = get_member(user, community, member_user_id)
    note = clean_text(note) or ""
    if len(note) > NOTE_MAX:
        raise DomainError("too_long", _l("Keep the note under %(n)s characters.", n=NOTE_MAX), field="note")
    membership.note = note
    db.session.flush()
    return membership


def choose_pickup_point(user: User, community: Community, pickup_point_id: int | None) -> Membership:
    """A member picks where they collect their orders (None: not decided yet).
    Raises ``not_found`` (not a member), ``bad_pickup_point``."""
    membership = require_member(user, community)
    point = active_pickup_point(community, pickup_point_id)
    membership.pickup_point_id = point.id if point else None
    db.session.flush()
    return membership
