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
from core.extensions import db
from core.forms import form_error
from launches import reveals, services
from launches.forms import LaunchForm, StageForm
from shopkeeper.access import get_community, is_shopkeeper, require_member, require_shopkeeper
from shopkeeper.forms import attach_error, show_form
from shopkeeper.links import community_home_url
from shopkeeper.validation import ID
from supplier.access import staffed_supplier_ids
from supplier.models import Supplier
from supplier.queries import active_variants

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
    form = LaunchForm(currency=community.currency).offer(active_variants())
    context = {"community": community, "launch": None, "zone": community.timezone}
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


@bp.post(f"/c/<slug>/launches/<{ID}:launch_id>/<any(follow, unfollow):action>")
@login_required
def follow(slug: str, launch_id: int, action: str):
    """Follow the launch (told of each reveal and the opening) or stop following it."""
    getattr(services, action)(current_user, launch_id, get_community(slug))
    if action == "follow":
        flash(_("You will be told of each reveal and of the opening."), "success")
    else:
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


#: the zone a supplier types times in (a supplier has none of its own; most communities use it)
SUPPLIER_ZONE = "Asia/Shanghai"
#: the management pages, for a community's shopkeepers and (under /catalog) for a supplier's staff
EDIT, CATALOG_EDIT = f"/c/<slug>/launches/<{ID}:launch_id>", f"/catalog/launches/<{ID}:launch_id>"
SUPPLIER = {"slug": None}


def _zone(community) -> str:
    return community.timezone if community is not None else SUPPLIER_ZONE


def _manage_context(slug: str | None, launch_id: int) -> dict:
    """The edit page's context for a launch the caller may change, reached through one of its communities
    (``slug``) or, for a supplier's launch, through the catalog; a 404 otherwise."""
    community = get_community(slug) if slug is not None else None
    launch = services.managed_launch(current_user, launch_id)
    if (community not in launch.communities) if community is not None else launch.supplier_id is None:
        abort(404)
    form = LaunchForm(formdata=None, currency=launch.currency).offer(
        active_variants(launch.supplier_id), _community_choices(launch.supplier_id))
    return {"community": community, "launch": launch, "form": form.fill(launch, _zone(community)),
            "zone": _zone(community), "actions": manage_actions(launch.id, slug),
            "stage_form": StageForm(formdata=None, currency=launch.currency)}


def _community_choices(supplier_id: int | None):
    return services.launch_communities_for(current_user) if supplier_id is not None else None


def manage_actions(launch_id: int, slug: str | None) -> SimpleNamespace:
    """Where the edit page's forms post: the same page serves shopkeepers and suppliers."""
    def to(endpoint: str, **more) -> str:
        return url_for(f"launches.{endpoint}", launch_id=launch_id, **({"slug": slug} if slug else {}), **more)
    return SimpleNamespace(update=to("update"), publish=to("change_status", action="publish"),
                           cancel=to("change_status", action="cancel"), add_stage=to("add_stage"),
                           remove_stage=lambda stage_id: to("remove_stage", stage_id=stage_id))


def _back(slug: str | None, launch_id: int):
    return redirect(url_for("launches.edit", launch_id=launch_id, **({"slug": slug} if slug else {})))


@bp.route("/catalog/launches/new", methods=["GET", "POST"])
@login_required
def supplier_new():
    """A supplier's launch of its own product across communities it chooses."""
    supplier_ids = sorted(staffed_supplier_ids(current_user))
    supplier_id = request.args.get("supplier_id", type=int) or (supplier_ids[0] if supplier_ids else None)
    if supplier_id not in supplier_ids:
        abort(404)
    supplier = db.session.get(Supplier, supplier_id)
    form = LaunchForm(currency=supplier.currency).offer(active_variants(supplier_id),
                                                        services.launch_communities_for(current_user))
    context = {"community": None, "launch": None, "zone": SUPPLIER_ZONE}
    if not form.validate_on_submit():
        return show_form("launches/form.html", form, **context)
    try:
        launch = services.create_supplier_launch(current_user, supplier_id, form.community_ids.data or [],
                                                 variant_id=form.variant_id.data, **form.values(SUPPLIER_ZONE))
    except DomainError as error:
        return form_error(form, error, "launches/form.html", **context)
    flash(_("Your launch is saved as a draft. Add its reveal stages, then publish it."), "success")
    return _back(None, launch.id)


@bp.get(f"{EDIT}/edit")
@bp.get(f"{CATALOG_EDIT}/edit", defaults=SUPPLIER)
@login_required
def edit(slug: str | None, launch_id: int):
    return render_template("launches/edit.html", **_manage_context(slug, launch_id))


@bp.post(f"{EDIT}/edit")
@bp.post(f"{CATALOG_EDIT}/edit", defaults=SUPPLIER)
@login_required
def update(slug: str | None, launch_id: int):
    context = _manage_context(slug, launch_id)
    launch = context["launch"]
    form = LaunchForm(currency=launch.currency).offer(active_variants(launch.supplier_id),
                                                      _community_choices(launch.supplier_id))
    context["form"] = form
    if not form.validate_on_submit():
        return render_template("launches/edit.html", **context), 422
    communities = {"community_ids": form.community_ids.data or []} if launch.supplier_id is not None else {}
    try:
        services.update_launch(current_user, launch_id, **communities, **form.values(context["zone"]))
    except DomainError as error:
        return form_error(form, error, "launches/edit.html", **{k: v for k, v in context.items() if k != "form"})
    flash(_("The launch is saved."), "success")
    return _back(slug, launch_id)


@bp.post(f"{EDIT}/stages")
@bp.post(f"{CATALOG_EDIT}/stages", defaults=SUPPLIER)
@login_required
def add_stage(slug: str | None, launch_id: int):
    context = _manage_context(slug, launch_id)
    form = context["stage_form"] = StageForm(currency=context["launch"].currency)
    if not form.validate_on_submit():
        return render_template("launches/edit.html", **context), 422
    try:
        services.add_stage(current_user, launch_id, **form.values(context["zone"]))
    except DomainError as error:
        attach_error(form, error)
        return render_template("launches/edit.html", **context), max(error.status, 422)
    flash(_("The stage is added."), "success")
    return _back(slug, launch_id)


@bp.post(f"{EDIT}/stages/<{ID}:stage_id>/delete")
@bp.post(f"{CATALOG_EDIT}/stages/<{ID}:stage_id>/delete", defaults=SUPPLIER)
@login_required
def remove_stage(slug: str | None, launch_id: int, stage_id: int):
    _manage_context(slug, launch_id)
    services.remove_stage(current_user, launch_id, stage_id)
    flash(_("The stage is removed."), "info")
    return _back(slug, launch_id)


@bp.post(f"{EDIT}/<any(publish, cancel):action>")
@bp.post(f"{CATALOG_EDIT}/<any(publish, cancel):action>", defaults=SUPPLIER)
@login_required
def change_status(slug: str | None, launch_id: int, action: str):
    _manage_context(slug, launch_id)
    try:
        getattr(services, action)(current_user, launch_id)
    except DomainError as error:
        if error.status == 404:
            raise
        flash(str(error.message), "error")
        return _back(slug, launch_id)
    flash(_("The launch is published.") if action == "publish" else _("The launch is cancelled."), "success")
    return _back(slug, launch_id)
