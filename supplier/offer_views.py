"""Pages for supplier staff: their offers, a new offer from a variant, editing, publishing and
cancelling. Routed on the ``supplier`` blueprint by ``register`` (endpoints ``supplier.offer_*``)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import clock
from core.auth import roles_required
from core.errors import Conflict, DomainError
from core.forms import form_error
from supplier import access, offers
from supplier.forms import show_form
from supplier.offer_forms import OfferForm, default_timezone

FORM = "supplier/offers/form.html"


@roles_required("supplier")
def offer_list():
    return render_template("supplier/offers/list.html", offers=offers.staff_offers(current_user),
                           labels=offers.STATUS_LABELS, now=clock.now())


@roles_required("supplier")
def new_offer(variant_id: int):
    variant = access.managed_variant(current_user, variant_id)
    if request.method == "POST":
        form = OfferForm(currency=variant.currency)
    else:
        zone = default_timezone(current_user)
        form = OfferForm(formdata=None, currency=variant.currency, case_pack=variant.case_pack,
                         lead_time_days=variant.lead_time_days, timezone=zone)
        form.suggest_window(clock.now(), zone)
    context = {"variant": variant, "offer": None}
    if not form.validate_on_submit():
        return show_form(form, FORM, **context)
    try:
        offer = offers.create_offer(current_user, variant.id, **form.values())
    except DomainError as error:
        return form_error(form, error, FORM, **context)
    flash(_("The offer is saved as a draft. Publish it when it is ready."), "success")
    return redirect(url_for("supplier.offer_edit", offer_id=offer.id))


def _edit_context(offer) -> dict:
    return {"variant": offer.variant, "offer": offer, "labels": offers.STATUS_LABELS,
            "editable": offer.status in offers.EDITABLE, "now": clock.now()}


def _stored_form(offer) -> OfferForm:
    form = OfferForm(formdata=None, obj=offer, currency=offer.currency)
    form.fill(offer, default_timezone(current_user))
    return form


@roles_required("supplier")
def edit_offer(offer_id: int):
    offer = offers.managed_offer(current_user, offer_id)
    form = OfferForm(currency=offer.currency) if request.method == "POST" else _stored_form(offer)
    if not form.validate_on_submit():
        return show_form(form, FORM, **_edit_context(offer))
    try:
        offers.update_offer(current_user, offer.id, **form.values(offer))
    except DomainError as error:
        return form_error(form, error, FORM, **_edit_context(offer))
    flash(_("The offer is saved."), "success")
    return redirect(url_for("supplier.offer_edit", offer_id=offer.id))


def _refused(offer_id: int, error: Conflict):
    """A refused publish or cancel: the offer's page again, with the reason, and nothing saved."""
    offer = offers.managed_offer(current_user, offer_id)
    return form_error(_stored_form(offer), error, FORM, **_edit_context(offer))


@roles_required("supplier")
def publish_offer(offer_id: int):
    try:
        offers.publish_offer(current_user, offer_id)
    except Conflict as error:
        return _refused(offer_id, error)
    flash(_("The offer is published: shopkeepers can run group buys on it once it opens."), "success")
    return redirect(url_for("supplier.offer_edit", offer_id=offer_id))


@roles_required("supplier")
def cancel_offer(offer_id: int):
    try:
        offers.cancel_offer(current_user, offer_id)
    except Conflict as error:
        return _refused(offer_id, error)
    flash(_("The offer is cancelled."), "info")
    return redirect(url_for("supplier.offer_edit", offer_id=offer_id))


def register(bp: Blueprint) -> None:
    """Route the offer pages on the package's blueprint."""
    get_post = ["GET", "POST"]
    routes = [
        ("/catalog/offers", "offer_list", offer_list, ["GET"]),
        ("/catalog/variants/<int:variant_id>/offers/new", "offer_new", new_offer, get_post),
        ("/catalog/offers/<int:offer_id>", "offer_edit", edit_offer, get_post),
        ("/catalog/offers/<int:offer_id>/publish", "offer_publish", publish_offer, ["POST"]),
        ("/catalog/offers/<int:offer_id>/cancel", "offer_cancel", cancel_offer, ["POST"]),
    ]
    for rule, endpoint, view, methods in routes:
        bp.add_url_rule(rule, endpoint, view, methods=methods)
