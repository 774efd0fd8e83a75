"""Community use cases: self-serve shop opening, creating and configuring a community, pickup points."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from accounts import services as accounts
from accounts.models import Role, User
from core.errors import Conflict, DomainError, Forbidden, NotFound
from core.extensions import db
from core.money import SUPPORTED_CURRENCIES
from shopkeeper.access import require_shopkeeper
from shopkeeper.models import Community, Membership, MembershipRole, PickupPoint
from shopkeeper.validation import clean_text, is_slug, is_timezone, slug_from

COMMUNITY_FIELDS = ("name", "description", "currency", "timezone")
PICKUP_POINT_FIELDS = ("name", "address", "region", "opening_hours", "active")
#: the columns' lengths, so that a long value is a clear refusal and never a database error
PICKUP_POINT_LIMITS = {"name": 120, "region": 64, "address": 2000, "opening_hours": 2000}


@dataclass(frozen=True)
class MyCommunity:
    """One line of "my communities": the community, my role in it and how many members it has."""

    community: Community
    role: MembershipRole
    member_count: int

    @property
    def runs_it(self) -> bool:
        return self.role == MembershipRole.SHOPKEEPER


def open_shop(user: User) -> None:
    """Self-serve onboarding: the user becomes a shopkeeper and may create communities. Idempotent."""
    accounts.grant_role(user, Role.SHOPKEEPER)


def my_communities(user: User) -> list[MyCommunity]:
    """The communities ``user`` runs first, then those they belong to, each with its member count
    (one grouped COUNT over the membership index, however many communities)."""
    mine = sa.select(Membership.community_id).where(Membership.user_id == user.id)
    counts = dict(db.session.execute(
        sa.select(Membership.community_id, sa.func.count())
        .where(Membership.community_id.in_(mine)).group_by(Membership.community_id)
    ).all())
    rows = db.session.execute(
        sa.select(Community, Membership.role).join(Membership, Membership.community_id == Community.id)
        .where(Membership.user_id == user.id).order_by(Community.name, Community.id)
    ).all()
    result = [MyCommunity(community, role, counts.get(community.id, 0)) for community, role in rows]
    return sorted(result, key=lambda line: not line.runs_it)


def _check_name(name: str | None) -> str:
    name = clean_text(name) or ""
    if not name:
        raise DomainError("required", _l("Give the community a name."), field="name")
    if len(name) > 120:
        raise DomainError("too_long", _l("Keep the name under 120 characters."), field="name")
    return name


def _check_currency(currency: str) -> str:
    if currency not in SUPPORTED_CURRENCIES:
        raise DomainError("bad_currency", _l("Choose one of the supported currencies."), field="currency")
    return currency


def _check_timezone(timezone: str) -> str:
    if not is_timezone(timezone or ""):
        raise DomainError("bad_timezone", _l("Choose a time zone from the list, such as Asia/Shanghai."),
                          field="timezone")
    return timezone


def _slug_taken(slug: str) -> bool:
    return db.session.execute(sa.select(Community.id).where(Community.slug == slug)).first() is not None


def suggest_slug(name: str) -> str:
    """A free slug made from ``name`` ("Green Garden" → "green-garden", then "green-garden-2"…); a
    random one when the name has no Latin letters or digits to build on."""
    base = slug_from(name)
    if len(base) < 2:
        return f"community-{secrets.token_hex(3)}"
    candidate, n = base, 1
    while _slug_taken(candidate):
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def create_community(owner: User, *, name: str, slug: str | None = None, description: str = "",
                     currency: str = "CNY", timezone: str = "Asia/Shanghai") -> Community:
    """A new community run by ``owner``, who becomes its SHOPKEEPER member. An empty ``slug`` is
    suggested from the name. Raises ``forbidden`` (403, not a shopkeeper), ``required``, ``too_long``,
    ``bad_slug``, ``slug_taken`` (409), ``bad_currency``, ``bad_timezone``."""
    if not owner.has_role(Role.SHOPKEEPER):
        raise Forbidden(_l("Open your shop first: only shopkeepers create communities."))
    name = _check_name(name)
    slug = clean_text(slug) or suggest_slug(name)
    if not is_slug(slug):
        raise DomainError("bad_slug", _l("Use 2 to 64 lowercase letters, digits and dashes, like green-garden."),
                          field="slug")
    if _slug_taken(slug):
        raise Conflict("slug_taken", _l("The address %(slug)s is taken. Try another one.", slug=slug),
                       field="slug")
    community = Community(owner_id=owner.id, name=name, slug=slug, description=clean_text(description) or "",
                          currency=_check_currency(currency), timezone=_check_timezone(timezone))
    db.session.add(community)
    db.session.flush()
    db.session.add(Membership(community_id=community.id, user_id=owner.id, role=MembershipRole.SHOPKEEPER))
    db.session.flush()
    return community


def update_community(user: User, community: Community, **changes) -> Community:
    """Change a community's name, description, currency or time zone (the slug stays: links and
    invites use it). Only its shopkeeper may. Raises what ``create_community`` raises for bad values."""
    require_shopkeeper(user, community)
    unknown = set(changes) - set(COMMUNITY_FIELDS)
    if unknown:
        raise DomainError("unknown_field", _l("These settings cannot be changed here."), field=sorted(unknown)[0])
    if "name" in changes:
        community.name = _check_name(changes["name"])
    if "description" in changes:
        community.description = clean_text(changes["description"]) or ""
    if "currency" in changes:
        community.currency = _check_currency(changes["currency"])
    if "timezone" in changes:
        community.timezone = _check_timezone(changes["timezone"])
    db.session.flush()
    return community


def pickup_points(community: Community, *, include_inactive: bool = False) -> list[PickupPoint]:
    query = sa.select(PickupPoint).where(PickupPoint.community_id == community.id)
    if not include_inactive:
        query = query.where(PickupPoint.active.is_(True))
    return list(db.session.execute(query.order_by(PickupPoint.name, PickupPoint.id)).scalars())


def active_pickup_point(community: Community, pickup_point_id: int | None,
                        field: str = "pickup_point_id") -> PickupPoint | None:
    """The community's active pickup point with this id (None for None). Raises ``bad_pickup_point``."""
    if pickup_point_id is None:
        return None
    point = db.session.get(PickupPoint, pickup_point_id)
    if point is None or point.community_id != community.id or not point.active:
        raise DomainError("bad_pickup_point", _l("Choose one of this community's pickup points."), field=field)
    return point


def _apply_pickup_point(point: PickupPoint, changes: dict) -> None:
    unknown = set(changes) - set(PICKUP_POINT_FIELDS)
    if unknown:
        raise DomainError("unknown_field", _l("These fields cannot be changed here."), field=sorted(unknown)[0])
    for key, value in changes.items():
        if key == "active":
            point.active = bool(value)
            continue
        value = clean_text(value) or ""
        if len(value) > PICKUP_POINT_LIMITS[key]:
            raise DomainError("too_long", _l("Keep this under %(n)s characters.", n=PICKUP_POINT_LIMITS[key]),
                              field=key)
        setattr(point, key, value)
    if not point.name:
        raise DomainError("required", _l("Give the pickup point a name."), field="name")
    if not point.address:
        raise DomainError("required", _l("Give the pickup point an address."), field="address")


def add_pickup_point(user: User, community: Community, **fields) -> PickupPoint:
    """A new active pickup point (name, address, region, opening_hours). Only the shopkeeper may.
    Raises ``required`` (name, address) or ``unknown_field``."""
    require_shopkeeper(user, community)
    point = PickupPoint(community_id=community.id, name="", address="", region="", opening_hours="")
    _apply_pickup_point(point, fields)
    db.session.add(point)
    db.session.flush()
    return point


def get_pickup_point(community: Community, pickup_point_id: int) -> PickupPoint:
    point = db.session.get(PickupPoint, pickup_point_id)
    if point is None or point.community_id != community.id:
        raise NotFound()
    return point


def update_pickup_point(user: User, community: Community, pickup_point_id: int, **changes) -> PickupPoint:
    """Edit a pickup point, or (``active=False``) deactivate it: it is then offered to nobody, while
    members who chose it keep it until they choose another. Raises ``not_found``, ``required``."""
    require_shopkeeper(user, community)
    point = get_pickup_point(community, pickup_point_id)
    _apply_pickup_point(point, changes)
    db.session.flush()
    return point
