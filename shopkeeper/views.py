"""Pages for communities: the shopkeeper's and the member's. This module holds the communities and
their pickup points, and the blueprint's route table for invites (``invite_views``) and members
(``member_views``)."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.auth import login_required
from core.errors import DomainError
from core.forms import form_error
from shopkeeper import invite_views, member_views, services
from shopkeeper.access import get_community, require_shopkeeper
from shopkeeper.forms import CommunityForm, CommunitySettingsForm, PickupPointForm, show_form
from shopkeeper.links import community_home_url
from shopkeeper.validation import ID

bp = Blueprint("shopkeeper", __name__)


@bp.context_processor
def _links():
    return {"community_home_url": community_home_url}


def home():
    return render_template("home.html")


@bp.route("/communities")
@login_required
def my_communities():
    return render_template("shopkeeper/communities.html", lines=services.my_communities(current_user))


@bp.post("/communities/open-shop")
@login_required
def open_shop():
    services.open_shop(current_user)
    flash(_("Your shop is open. Create your first community."), "success")
    return redirect(url_for("shopkeeper.new_community"))


@bp.route("/communities/new", methods=["GET", "POST"])
@login_required
def new_community():
    form = CommunityForm()
    if not form.validate_on_submit():
        return show_form("shopkeeper/community_form.html", form)
    try:
        community = services.create_community(
            current_user, name=form.name.data, slug=form.slug.data, description=form.description.data,
            currency=form.currency.data, timezone=form.timezone.data)
    except DomainError as error:
        return form_error(form, error, "shopkeeper/community_form.html")
    flash(_("%(name)s is ready. Add a pickup point, then invite your first members.", name=community.name),
          "success")
    return redirect(url_for("shopkeeper.pickup_points", slug=community.slug))


@bp.route("/c/<slug>/settings", methods=["GET", "POST"])
@login_required
def settings(slug: str):
    community = get_community(slug)
    require_shopkeeper(current_user, community)
    form = CommunitySettingsForm(obj=community)
    context = {"community": community}
    if not form.validate_on_submit():
        return show_form("shopkeeper/settings.html", form, **context)
    try:
        services.update_community(current_user, community, name=form.name.data, description=form.description.data,
                                  currency=form.currency.data, timezone=form.timezone.data)
    except DomainError as error:
        return form_error(form, error, "shopkeeper/settings.html", **context)
    flash(_("The settings are saved."), "success")
    return redirect(url_for("shopkeeper.settings", slug=slug))


@bp.route("/c/<slug>/pickup-points", methods=["GET", "POST"])
@login_required
def pickup_points(slug: str):
    community = get_community(slug)
    require_shopkeeper(current_user, community)
    form = PickupPointForm()
    context = {"community": community, "points": services.pickup_points(community, include_inactive=True)}
    if not form.validate_on_submit():
        return show_form("shopkeeper/pickup_points.html", form, **context)
    try:
        point = services.add_pickup_point(current_user, community, **form.values())
    except DomainError as error:
        return form_error(form, error, "shopkeeper/pickup_points.html", **context)
    flash(_("%(name)s is added.", name=point.name), "success")
    return redirect(url_for("shopkeeper.pickup_points", slug=slug))


@bp.route(f"/c/<slug>/pickup-points/<{ID}:point_id>", methods=["GET", "POST"])
@login_required
def edit_pickup_point(slug: str, point_id: int):
    community = get_community(slug)
    require_shopkeeper(current_user, community)
    point = services.get_pickup_point(community, point_id)
    form = PickupPointForm(obj=point)
    context = {"community": community, "point": point}
    if not form.validate_on_submit():
        return show_form("shopkeeper/pickup_point_form.html", form, **context)
    try:
        services.update_pickup_point(current_user, community, point_id, **form.values())
    except DomainError as error:
        return form_error(form, error, "shopkeeper/pickup_point_form.html", **context)
    flash(_("The pickup point is saved."), "success")
    return redirect(url_for("shopkeeper.pickup_points", slug=slug))


@bp.post(f"/c/<slug>/pickup-points/<{ID}:point_id>/<any(deactivate, reactivate):action>")
@login_required
def set_pickup_point_active(slug: str, point_id: int, action: str):
    community = get_community(slug)
    point = services.update_pickup_point(current_user, community, point_id, active=action == "reactivate")
    if point.active:
        flash(_("%(name)s is offered to members again.", name=point.name), "success")
    else:
        flash(_("%(name)s is no longer offered to members.", name=point.name), "info")
    return redirect(url_for("shopkeeper.pickup_points", slug=slug))


_ROUTES = (
    ("/c/<slug>/invites", invite_views.invites, ("GET", "POST")),
    (f"/c/<slug>/invites/<{ID}:invite_id>/revoke", invite_views.revoke_invite, ("POST",)),
    ("/join/<token>", invite_views.join, ("GET", "POST")),
    ("/c/<slug>/leave", invite_views.leave, ("POST",)),
    ("/c/<slug>/members", member_views.members, ("GET",)),
    ("/c/<slug>/members.csv", member_views.members_csv, ("GET",)),
    (f"/c/<slug>/members/<{ID}:user_id>", member_views.member, ("GET",)),
    (f"/c/<slug>/members/<{ID}:user_id>/tags", member_views.member_tags, ("POST",)),
    (f"/c/<slug>/members/<{ID}:user_id>/note", member_views.member_note, ("POST",)),
    ("/c/<slug>/me", member_views.me, ("GET",)),
    ("/c/<slug>/me/tags", member_views.my_tags, ("POST",)),
    ("/c/<slug>/me/pickup-point", member_views.my_pickup_point, ("POST",)),
)


def _register_routes() -> None:
    for rule, view, methods in _ROUTES:
        bp.add_url_rule(rule, view_func=view, methods=list(methods))


_register_routes()
