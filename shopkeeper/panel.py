"""What the community's home page shows beside the feed. Owned by the communities work (issue #2)."""

from __future__ import annotations

from accounts.models import User
from shopkeeper.models import Community, Membership, MembershipRole
from shopkeeper.recommendations import recommend_for_member
from shopkeeper.services import pickup_points


def community_panel(user: User, community: Community, membership: Membership) -> dict:
    """Context for ``templates/shopkeeper/_community_panel.html``: pickup points, recommendations for
    this member, and the shopkeeper's shortcuts (members, invites)."""
    return {
        "community": community,
        "membership": membership,
        "pickup_points": pickup_points(community),
        "my_pickup_point_id": membership.pickup_point_id if membership else None,
        "recommendations": recommend_for_member(membership) if membership else [],
        "is_shopkeeper": membership is not None and membership.role == MembershipRole.SHOPKEEPER,
    }
