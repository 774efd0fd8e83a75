"""Pages of the payments package: the member's pay link, and the gateway's webhook (CSRF-exempt: it is
signed by the gateway instead)."""

from __future__ import annotations

import secrets

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from core.errors import DomainError
from core.extensions import csrf
from core.forms import form_error, invalid_form
from payments import dunning, webhooks
from payments.forms import PayForm
from payments.models import PaymentStatus

bp = Blueprint("payments", __name__)


def _page(token: str, form: PayForm | None = None):
    payment = dunning.payment_for_token(token)
    form = form or PayForm(attempt=secrets.token_urlsafe(12))
    return "payments/pay.html", {"form": form, "payment": payment, "token": token,
                                 "overdue": dunning.is_overdue(payment), "payable": dunning.needs_member(payment),
                                 "reason": dunning.failure_reason(payment)}


@bp.get("/pay/<token>")
def pay(token: str):
    template, context = _page(token)
    return render_template(template, client_secret=dunning.client_secret(context["payment"]), **context)


@bp.post("/pay/<token>")
def pay_now(token: str):
    form = PayForm()
    if not form.validate_on_submit():
        template, context = _page(token, form)
        return invalid_form(template, **context)
    try:
        outcome = dunning.pay_on_session(token, form.attempt.data or secrets.token_urlsafe(12),
                                         form.payment_method.data or None)
    except DomainError as error:
        template, context = _page(token, form)
        return form_error(context.pop("form"), error, template, **context)
    if outcome.payment.status == PaymentStatus.SUCCEEDED:
        flash(_("Paid. Thank you!"), "success")
    elif outcome.payment.status == PaymentStatus.REQUIRES_ACTION:
        flash(_("Your bank asks you to confirm this payment."), "warning")
    else:
        flash(dunning.failure_reason(outcome.payment) or _("The payment did not go through."), "error")
    return redirect(url_for("payments.pay", token=token), code=303)


@bp.post("/webhooks/stripe")
@csrf.exempt
def stripe_webhook():
    new = webhooks.receive_stripe(request.get_data(), request.headers.get("Stripe-Signature"))
    return {"received": True, "duplicate": not new}
