"""JSON: launches as members see them — revealed content only — and their timing (times only), which waiting
pages poll. Anything in a community the caller is not a member of is a 404, also by id."""

from __future__ import annotations

from flask_login import current_user
from flask_smorest import Blueprint

from core import clock
from core.auth import login_required
from core.extensions import ErrorOut, db
from launches import services
from launches.schemas import LaunchOut, TimingOut, launch_view, timing_view
from shopkeeper.access import get_community, require_member
from shopkeeper.models import Community

blp = Blueprint("launches_api", __name__, url_prefix="/api/v1", description="Launches and their reveals")


@blp.get("/communities/<slug>/launches")
@login_required
@blp.response(200, LaunchOut(many=True))
@blp.alt_response(404, schema=ErrorOut, description="Not a community you are a member of.")
def list_launches(slug: str):
    """The community's launches, soonest opening first: drafts only for their makers."""
    community = get_community(slug)
    require_member(current_user, community)
    now = clock.now()
    lists = services.community_launches(current_user, community, now)
    return [launch_view(launch, community, now) for launch in (*lists.upcoming, *lists.open, *lists.closed)]


@blp.get("/launches/<int:launch_id>")
@login_required
@blp.response(200, LaunchOut)
@blp.alt_response(404, schema=ErrorOut, description="Not a launch in a community you are a member of.")
def get_launch(launch_id: int):
    """One launch with its revealed stages; a stage whose time has not come is absent."""
    launch, membership = services.visible_launch(current_user, launch_id)
    return launch_view(launch, db.session.get(Community, membership.community_id), clock.now())


@blp.get("/launches/<int:launch_id>/timing")
@login_required
@blp.response(200, TimingOut)
@blp.alt_response(404, schema=ErrorOut, description="Not a launch in a community you are a member of.")
def get_timing(launch_id: int):
    """The server's time, the phase and the next reveal's time (never its content): what a waiting launch
    page polls, every few seconds while a reveal or the opening is still to come, to know when to reload.
    Cheaper than the launch itself: no stage content, no images."""
    launch, _membership = services.visible_launch(current_user, launch_id)
    return timing_view(launch, clock.now())
