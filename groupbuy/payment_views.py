"""The shopkeeper's payments page of a group buy (same blueprint as ``groupbuy.views``): every pledge's
payments, why card payments failed, and a button to confirm cash or a transfer."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.auth import login_required
from core.errors import DomainError
from groupbuy import pledge_payments
from groupbuy.views import bp
from payments.models import PaymentPurpose
from shopkeeper.access import get_community


@bp.get("/c/<slug>/group-buys/<int:group_buy_id>/payments")
@login_required
def payments(slug: str, group_buy_id: int):
    community = get_community(slug)
    group_buy, rows = pledge_payments.payment_rows(current_user, group_buy_id, community)
    return render_template("groupbuy/payments.html", community=community, group_buy=group_buy, rows=rows)


@bp.post("/c/<slug>/group-buys/<int:group_buy_id>/payments/<int:payment_id>/confirm")
@login_required
def confirm_payment(slug: str, group_buy_id: int, payment_id: int):
    try:
        payment = pledge_payments.confirm_payment(current_user, group_buy_id, payment_id, get_community(slug))
    except DomainError as error:
        if error.status in (403, 404):
            raise
        flash(str(error.message), "error")
    else:
        flash(_("Marked as handed back.") if payment.purpose == PaymentPurpose.REFUND else _("Marked as paid."),
              "success")
    return redirect(url_for("groupbuy.payments", slug=slug, group_buy_id=group_buy_id), code=303)
