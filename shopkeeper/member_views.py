"""Pages: the shopkeeper's member list, CSV export and member detail (tags, private note,
recommendations); the member's own page (tags, pickup point). Routed by ``shopkeeper.views``."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from core.auth import login_required
from core.errors import DomainError
from shopkeeper import member_export, services
from shopkeeper import members as member_service
from shopkeeper.access import get_community, require_member, require_shopkeeper
from shopkeeper.forms import MemberFilters, NoteForm, PickupChoiceForm, TagsForm, attach_error
from shopkeeper.links import message_url
from shopkeeper.models import MembershipRole
from shopkeeper.recommendations import recommend_for_member


def _locale() -> str:
    return str(get_locale() or "en")


def _tags_form(membership, formdata=None) -> TagsForm:
    form = TagsForm(formdata=formdata, tag_ids=[member_tag.tag_id for member_tag in membership.tags])
    return form.offer(member_service.taxonomy(), _locale())


@login_required
def members(slug: str):
    community = get_community(slug)
    require_shopkeeper(current_user, community)
    filters = MemberFilters.from_args(request.args)
    page = member_service.member_page(community.id, **filters.query(), page=filters.page)
    total, capped = member_service.count_members(community.id, **filters.query())
    points = services.pickup_points(community, include_inactive=True)
    return render_template("shopkeeper/members.html", community=community, page=page, filters=filters,
                           total=total, capped=capped, tags=member_service.taxonomy(), locale=_locale(),
                           points=points, point_names={point.id: point.name for point in points})


@login_required
def members_csv(slug: str):
    community = get_community(slug)
    require_shopkeeper(current_user, community)
    filters = MemberFilters.from_args(request.args)
    rows = member_export.member_rows(community, **filters.query(), locale=_locale())
    return Response(stream_with_context(member_export.csv_chunks(rows)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{community.slug}-members.csv"',
                             "Cache-Control": "no-store"})


def _member_page(community, membership, *, tags_form=None, note_form=None, status=200):
    # a thread is between a community's shopkeepers and one member: there is none with a shopkeeper
    thread_url = None if membership.role == MembershipRole.SHOPKEEPER else message_url(community, membership.user_id)
    return render_template(
        "shopkeeper/member.html", community=community, membership=membership,
        tags_form=tags_form or _tags_form(membership), note_form=note_form or NoteForm(note=membership.note),
        recommendations=recommend_for_member(membership), message_url=thread_url,
        point_names={point.id: point.name for point in community.pickup_points}, locale=_locale(),
    ), status


@login_required
def member(slug: str, user_id: int):
    community = get_community(slug)
    return _member_page(community, member_service.get_member(current_user, community, user_id))


@login_required
def member_tags(slug: str, user_id: int):
    community = get_community(slug)
    membership = member_service.get_member(current_user, community, user_id)
    form = _tags_form(membership, formdata=request.form)
    if not form.validate_on_submit():
        return _member_page(community, membership, tags_form=form, status=422)
    try:
        member_service.tag_member(current_user, community, user_id, form.tag_ids.data)
    except DomainError as error:
        attach_error(form, error)
        return _member_page(community, membership, tags_form=form, status=error.status)
    flash(_("The tags are saved."), "success")
    return redirect(url_for("shopkeeper.member", slug=slug, user_id=user_id))


@login_required
def member_note(slug: str, user_id: int):
    community = get_community(slug)
    membership = member_service.get_member(current_user, community, user_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return _member_page(community, membership, note_form=form, status=422)
    try:
        member_service.set_note(current_user, community, user_id, form.note.data)
    except DomainError as error:
        attach_error(form, error)
        return _member_page(community, membership, note_form=form, status=error.status)
    flash(_("The note is saved."), "success")
    return redirect(url_for("shopkeeper.member", slug=slug, user_id=user_id))


def _me_page(community, membership, *, tags_form=None, pickup_form=None, status=200):
    if pickup_form is None:
        pickup_form = PickupChoiceForm(pickup_point_id=membership.pickup_point_id or "")
    return render_template(
        "shopkeeper/me.html", community=community, membership=membership,
        tags_form=tags_form or _tags_form(membership),
        pickup_form=pickup_form.offer(services.pickup_points(community)),
        can_leave=community.owner_id != membership.user_id,
    ), status


@login_required
def me(slug: str):
    community = get_community(slug)
    return _me_page(community, require_member(current_user, community))


@login_required
def my_tags(slug: str):
    community = get_community(slug)
    membership = require_member(current_user, community)
    form = _tags_form(membership, formdata=request.form)
    if not form.validate_on_submit():
        return _me_page(community, membership, tags_form=form, status=422)
    try:
        member_service.describe_myself(current_user, community, form.tag_ids.data)
    except DomainError as error:
        attach_error(form, error)
        return _me_page(community, membership, tags_form=form, status=error.status)
    flash(_("Your tags are saved."), "success")
    return redirect(url_for("shopkeeper.me", slug=slug))


@login_required
def my_pickup_point(slug: str):
    community = get_community(slug)
    membership = require_member(current_user, community)
    form = PickupChoiceForm().offer(services.pickup_points(community))
    if not form.validate_on_submit():
        return _me_page(community, membership, pickup_form=form, status=422)
    try:
        member_service.choose_pickup_point(current_user, community, form.pickup_point_id.data)
    except DomainError as error:
        attach_error(form, error)
        return _me_page(community, membership, pickup_form=form, status=error.status)
    flash(_("Your pickup point is saved."), "success")
    return redirect(url_for("shopkeeper.me", slug=slug))
