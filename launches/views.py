"""Pages: a community's launches, one launch with its revealed stages, following, the reveal images (served
only once revealed) and the shopkeeper's forms. What a member sees of a stage comes from
``launches.reveals`` alone."""

from __future__ import annotations

from types import SimpleNamespace

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_from_directory, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import clock
from core.auth import login_required
from core.errors import DomainError
from core.forms import form_error
from launches import reveals, services
from launches.forms import LaunchForm, StageForm
from shopkeeper.access import get_community, is_shopkeeper, require_member, require_shopkeeper
from shopkeeper.forms import attach_error, show_form
from shopkeeper.links import community_home_url
from shopkeeper.validation import ID

bp = Blueprint("launches", __name__)


@bp.context_processor
def _links():
    return {"community_home_url": community_home_url}


@bp.get("/c/<slug>/launches")
@login_required
def index(slug: str):
    community = get_community(slug)
    require_member(current_user, community)
    return render_template("launches/index.html", community=community, now=clock.now(),
                           lists=services.community_launches(current_user, community),
                           is_shopkeeper=is_shopkeeper(current_user, community))


@bp.route("/c/<slug>/launches/new", methods=["GET", "POST"])
@login_required
def new(slug: str):
    community = get_community(slug)
    require_shopkeeper(current_user, community)
    form = LaunchForm(currency=community.currency).offer(services.launchable_variants())
    context = {"community": community, "launch": None}
    if not form.validate_on_submit():
        return show_form("launches/form.html", form, **context)
    try:
        launch = services.create_launch(current_user, community, variant_id=form.variant_id.data,
                                        **form.values(community.timezone))
    except DomainError as error:
        return form_error(form, error, "launches/form.html", **context)
    flash(_("Your launch is saved as a draft. Add its reveal stages, then publish it."), "success")
    return redirect(url_for("launches.edit", slug=slug, launch_id=launch.id))


@bp.get(f"/c/<slug>/launches/<{ID}:launch_id>")
@login_required
def show(slug: str, launch_id: int):
    community = get_community(slug)
    launch, _membership = services.visible_launch(current_user, launch_id, community)
    now = clock.now()
    return render_template("launches/show.html", community=community, launch=launch, now=now,
                           showing=reveals.showing(launch, now), phase=services.phase(launch, now),
                           following=services.is_following(current_user, launch),
                           may_manage=services.may_manage(current_user, launch))


@bp.post(f"/c/<slug>/launches/<{ID}:launch_id>/follow")
@login_required
def follow(slug: str, launch_id: int):
    services.follow(current_user, launch_id, get_community(slug))
    flash(_("You will be told of each reveal and of the opening."), "success")
    return redirect(url_for("launches.show", slug=slug, launch_id=launch_id))


@bp.post(f"/c/<slug>/launches/<{ID}:launch_id>/unfollow")
@login_required
def unfollow(slug: str, launch_id: int):
    services.unfollow(current_user, launch_id, get_community(slug))
    flash(_("You no longer follow this launch."), "info")
    return redirect(url_for("launches.show", slug=slug, launch_id=launch_id))


@bp.get(f"/c/<slug>/launches/<{ID}:launch_id>/images/<{ID}:image_id>")
@login_required
def image(slug: str, launch_id: int, image_id: int):
    """A reveal image, to members only once its stage is revealed (its makers see it before)."""
    launch, _membership = services.visible_launch(current_user, launch_id, get_community(slug))
    found = reveals.revealed_image(launch, image_id, clock.now())
    if found is None and services.may_manage(current_user, launch):
        found = next((i for s in launch.stages for i in s.images if i.id == image_id), None)
    if found is None:
        abort(404)
    return send_from_directory(current_app.config["UPLOAD_FOLDER"], found.filename, max_age=300)


def _manage_context(community, launch_id: int, stage_form: StageForm | None = None) -> dict:
    launch = services.managed_launch(current_user, launch_id)
    if community not in launch.communities:
        abort(404)
    form = LaunchForm(formdata=None, currency=launch.currency).offer(
        services.launchable_variants(launch.supplier_id)).fill(launch, community.timezone)
    return {"community": community, "launch": launch, "form": form, "actions": manage_actions(
                "launches", launch.id, slug=community.slug),
            "stage_form": stage_form or StageForm(formdata=None, currency=launch.currency)}


def manage_actions(blueprint: str, launch_id: int, **args) -> SimpleNamespace:
    """Where the edit page's forms post: the same page serves shopkeepers and suppliers."""
    def to(endpoint: str, **more) -> str:
        return url_for(f"{blueprint}.{endpoint}", launch_id=launch_id, **args, **more)
    return SimpleNamespace(update=to("update"), publish=to("change_status", action="publish"),
                           cancel=to("change_status", action="cancel"), add_stage=to("add_stage"),
                           remove_stage=lambda stage_id: to("remove_stage", stage_id=stage_id))


@bp.get(f"/c/<slug>/launches/<{ID}:launch_id>/edit")
@login_required
def edit(slug: str, launch_id: int):
    return render_template("launches/edit.html", **_manage_context(get_community(slug), launch_id))


@bp.post(f"/c/<slug>/launches/<{ID}:launch_id>/edit")
@login_required
def update(slug: str, launch_id: int):
    community = get_community(slug)
    context = _manage_context(community, launch_id)
    form = LaunchForm(currency=context["launch"].currency).offer(services.launchable_variants(
        context["launch"].supplier_id))
    context["form"] = form
    if not form.validate_on_submit():
        return render_template("launches/edit.html", **context), 422
    try:
        services.update_launch(current_user, launch_id, **form.values(community.timezone))
    except DomainError as error:
        return form_error(form, error, "launches/edit.html", **{k: v for k, v in context.items() if k != "form"})
    flash(_("The launch is saved."), "success")
    return redirect(url_for("launches.edit", slug=slug, launch_id=launch_id))


@bp.post(f"/c/<slug>/launches/<{ID}:launch_id>/stages")
@login_required
def add_stage(slug: str, launch_id: int):
    community = get_community(slug)
    context = _manage_context(community, launch_id)
    form = StageForm(currency=context["launch"].currency)
    context["stage_form"] = form
    if not form.validate_on_submit():
        return render_template("launches/edit.html", **context), 422
    try:
        services.add_stage(current_user, launch_id, **form.values(community.timezone))
    except DomainError as error:
        attach_error(form, error)
        return render_template("launches/edit.html", **context), max(error.status, 422)
    flash(_("The stage is added."), "success")
    return redirect(url_for("launches.edit", slug=slug, launch_id=launch_id))


@bp.post(f"/c/<slug>/launches/<{ID}:launch_id>/stages/<{ID}:stage_id>/delete")
@login_required
def remove_stage(slug: str, launch_id: int, stage_id: int):
    _manage_context(get_community(slug), launch_id)
    services.remove_stage(current_user, launch_id, stage_id)
    flash(_("The stage is removed."), "info")
    return redirect(url_for("launches.edit", slug=slug, launch_id=launch_id))


@bp.post(f"/c/<slug>/launches/<{ID}:launch_id>/<any(publish, cancel):action>")
@login_required
def change_status(slug: str, launch_id: int, action: str):
    _manage_context(get_community(slug), launch_id)
    try:
        getattr(services, action)(current_user, launch_id)
    except DomainError as error:
        if error.status == 404:
            raise
        flash(str(error.message), "error")
        return redirect(url_for("launches.edit", slug=slug, launch_id=launch_id))
    flash(_("The launch is published.") if action == "publish" else _("The launch is cancelled."), "success")
    return redirect(url_for("launches.show" if request.form.get("to") == "page" else "launches.edit",
                            slug=slug, launch_id=launch_id))
