"""JSON: communities, pickup points, invites and joining, members, their tags and recommendations.
The same services as the pages; anything in a community the caller may not see is a 404."""

from flask_login import current_user
from flask_smorest import Blueprint

from core.auth import login_required
from core.errors import NotFound
from shopkeeper import invites, members, services
from shopkeeper.access import get_community, require_member, require_shopkeeper
from shopkeeper.models import MembershipRole
from shopkeeper.recommendations import recommend_for_member
from shopkeeper.schemas import (
    CommunityIn,
    CommunityOut,
    CommunityPatchIn,
    InviteIn,
    InviteOut,
    JoinIn,
    MemberPageOut,
    MemberQueryIn,
    MembershipOut,
    MemberTagOut,
    MyCommunityOut,
    MyMembershipIn,
    PickupPointIn,
    PickupPointOut,
    PickupPointPatchIn,
    RecommendationOut,
    TagsIn,
)
from shopkeeper.validation import ID

blp = Blueprint("shopkeeper_api", __name__, url_prefix="/api/v1", description="Communities")


@blp.get("/communities")
@login_required
@blp.response(200, MyCommunityOut(many=True))
def list_communities():
    """The communities I run, then those I belong to, with member counts."""
    return services.my_communities(current_user)


@blp.post("/communities")
@login_required
@blp.arguments(CommunityIn)
@blp.response(201, CommunityOut)
def create_community(data):
    """Create a community (shopkeepers only); I become its shopkeeper member."""
    return services.create_community(current_user, **data)


@blp.get("/communities/<slug>")
@login_required
@blp.response(200, CommunityOut)
def show_community(slug: str):
    community = get_community(slug)
    require_member(current_user, community)
    return community


@blp.patch("/communities/<slug>")
@login_required
@blp.arguments(CommunityPatchIn)
@blp.response(200, CommunityOut)
def update_community(changes, slug: str):
    return services.update_community(current_user, get_community(slug), **changes)


@blp.get("/communities/<slug>/pickup-points")
@login_required
@blp.response(200, PickupPointOut(many=True))
def list_pickup_points(slug: str):
    """Members see the points on offer; the shopkeeper sees the withdrawn ones too."""
    community = get_community(slug)
    membership = require_member(current_user, community)
    return services.pickup_points(community, include_inactive=membership.role == MembershipRole.SHOPKEEPER)


@blp.post("/communities/<slug>/pickup-points")
@login_required
@blp.arguments(PickupPointIn)
@blp.response(201, PickupPointOut)
def add_pickup_point(data, slug: str):
    return services.add_pickup_point(current_user, get_community(slug), **data)


@blp.patch(f"/communities/<slug>/pickup-points/<{ID}:point_id>")
@login_required
@blp.arguments(PickupPointPatchIn)
@blp.response(200, PickupPointOut)
def update_pickup_point(changes, slug: str, point_id: int):
    return services.update_pickup_point(current_user, get_community(slug), point_id, **changes)


@blp.get("/communities/<slug>/invites")
@login_required
@blp.response(200, InviteOut(many=True))
def list_invites(slug: str):
    return invites.list_invites(current_user, get_community(slug))


@blp.post("/communities/<slug>/invites")
@login_required
@blp.arguments(InviteIn)
@blp.response(201, InviteOut)
def create_invite(data, slug: str):
    return invites.create_invite(current_user, get_community(slug), **data)


@blp.post(f"/invites/<{ID}:invite_id>/revoke")
@login_required
@blp.response(200, InviteOut)
def revoke_invite(invite_id: int):
    return invites.revoke_invite(current_user, invite_id)


@blp.post("/join/<token>")
@login_required
@blp.arguments(JoinIn)
@blp.response(201, MembershipOut)
@blp.alt_response(200, schema=MembershipOut, description="Already a member: nothing changed.")
def join(data, token: str):
    """Join through an invite: 201 when I joined now, 200 when I was a member already. A revoked,
    expired or used-up invite answers 410 with ``invite_revoked``, ``invite_expired`` or ``invite_used_up``."""
    joined = invites.join(current_user, token, pickup_point_id=data["pickup_point_id"])
    return joined.membership, 201 if joined.is_new else 200


@blp.patch("/communities/<slug>/me")
@login_required
@blp.arguments(MyMembershipIn)
@blp.response(200, MembershipOut)
def update_my_membership(data, slug: str):
    """Choose my pickup point (null: not decided yet)."""
    return members.choose_pickup_point(current_user, get_community(slug), data["pickup_point_id"])


@blp.post("/communities/<slug>/leave")
@login_required
@blp.response(204)
def leave(slug: str):
    invites.leave(current_user, get_community(slug))


@blp.get("/communities/<slug>/members")
@login_required
@blp.arguments(MemberQueryIn, location="query")
@blp.response(200, MemberPageOut)
def list_members(query, slug: str):
    """Newest first; ``q`` searches names, each ``tag`` narrows to members carrying it (all of them)."""
    community = get_community(slug)
    require_shopkeeper(current_user, community)
    filters = {"q": query["q"], "tag_ids": query["tag"], "pickup_point_id": query["pickup_point_id"]}
    page = members.member_page(community.id, **filters, page=query["page"], per_page=query["per_page"])
    total, capped = members.count_members(community.id, **filters)
    return {"items": page.items, "page": page.page, "per_page": page.per_page, "has_next": page.has_next,
            "total": total, "total_is_lower_bound": capped}


def _member_or_me(slug: str, user_id: int):
    """The shopkeeper may look at any member; a member only at themself."""
    community = get_community(slug)
    membership = require_member(current_user, community)
    if membership.role == MembershipRole.SHOPKEEPER:
        return community, members.get_member(current_user, community, user_id)
    if user_id != current_user.id:
        raise NotFound()
    return community, membership


@blp.get(f"/communities/<slug>/members/<{ID}:user_id>/tags")
@login_required
@blp.response(200, MemberTagOut(many=True))
def member_tags(slug: str, user_id: int):
    return _member_or_me(slug, user_id)[1].tags


@blp.put(f"/communities/<slug>/members/<{ID}:user_id>/tags")
@login_required
@blp.arguments(TagsIn)
@blp.response(200, MemberTagOut(many=True))
def set_member_tags(data, slug: str, user_id: int):
    """The shopkeeper tags a member; a member may describe themself (their own user id)."""
    community, membership = _member_or_me(slug, user_id)
    if membership.user_id == current_user.id and membership.role != MembershipRole.SHOPKEEPER:
        return members.describe_myself(current_user, community, data["tag_ids"]).tags
    return members.tag_member(current_user, community, user_id, data["tag_ids"]).tags


@blp.get(f"/communities/<slug>/members/<{ID}:user_id>/recommendations")
@login_required
@blp.response(200, RecommendationOut(many=True))
def member_recommendations(slug: str, user_id: int):
    return recommend_for_member(_member_or_me(slug, user_id)[1])
