"""Who may see and do what inside a community. Outsiders get a 404 for everything in it: the answer
never reveals that another community's members, posts or messages exist."""

from __future__ import annotations

import sqlalchemy as sa

from accounts.models import User
from core.errors import Forbidden, NotFound
from core.extensions import db
from shopkeeper.models import Community, Membership, MembershipRole
from shopkeeper.validation import is_slug


def get_community(slug: str) -> Community:
    if not is_slug(slug):  # no such community, and no odd bytes (NUL) sent to the database
        raise NotFound()
    community = db.session.execute(sa.select(Community).where(Community.slug == slug)).scalar_one_or_none()
    if community is None:
        raise NotFound()
    return community


def membership_of(user: User | None, community: Community) -> Membership | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.execute(
        sa.select(Membership).where(Membership.community_id == community.id, Membership.user_id == user.id)
    ).scalar_one_or_none()


def is_shopkeeper(user: User | None, community: Community) -> bool:
    membership = membership_of(user, community)
    return membership is not None and membership.role == MembershipRole.SHOPKEEPER


def require_member(user: User | None, community: Community) -> Membership:
    """The caller's membership (shopkeepers are members too); a 404 for anyone outside."""
    membership = membership_of(user, community)
    if membership is None:
        raise NotFound()
    return membership


def require_shopkeeper(user: User | None, community: Community) -> Membership:
    """404 for outsiders, 403 for members who are not this community's shopkeeper."""
    membership = require_member(user, community)
    if membership.role != MembershipRole.SHOPKEEPER:
        raise Forbidden()
    return membership
