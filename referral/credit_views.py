"""The member's hand on their store credit (issue #6): pay toward an order still waiting with it, and
choose whether it pays toward new orders by itself. Routes on ``referral.views.bp``; the credit page
itself is ``referral.views.credit``."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.auth import login_required
from core.errors import DomainError
from core.money import Money
from referral import checkout
from referral.views import bp
from shopkeeper.access import get_community, require_member


@bp.app_template_global()
def credit_checkout(community) -> dict:
    """For the credit page (``templates/referral/credit.html``): the member's orders credit may still pay
    toward, and whether it pays new ones by itself."""
    return {"waiting": checkout.waiting_orders(current_user, community),
            "auto_apply": checkout.auto_applies(current_user, community)}


def _back(slug: str):
    return redirect(url_for("referral.credit", slug=slug))


@bp.post("/c/<slug>/credit/orders/<int:order_id>/apply")
@login_required
def apply_credit(slug: str, order_id: int):
    community = get_community(slug)
    require_member(current_user, community)
    try:
        spent = checkout.apply_credit(current_user, community, order_id)
    except DomainError as error:
        if error.status == 404:
            raise
        flash(str(error.message), "error")
        return _back(slug)
    if spent:
        flash(_("%(amount)s of store credit now pays toward this order.",
                amount=Money(spent, community.currency).format(current_user.locale or "en")), "success")
    else:
        flash(_("You have no store credit to use here yet."), "info")
    return _back(slug)


@bp.post("/c/<slug>/credit/auto")
@login_required
def auto_apply(slug: str):
    community = get_community(slug)
    require_member(current_user, community)
    on = checkout.set_auto_apply(current_user, community, request.form.get("auto_apply") == "on")
    flash(_("Your store credit will pay toward your new orders here.") if on
          else _("Your store credit will wait until you use it on an order."), "success")
    return _back(slug)
