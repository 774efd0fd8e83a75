"""A launch order is PAID once its payment ("hold:<id>") succeeds — the shopkeeper confirming cash or
a transfer, or a card. Heard through ``payments.transitions.payment_succeeded``; payments know holds only
by reference. Offline, the units were sold when the member chose to pay at pickup; by card they were held
for the member until now (``launches.hold_payments.card_succeeded``: sold now, or refunded when the order
was cancelled first)."""

from __future__ import annotations

import sqlalchemy as sa

from core.extensions import db
from groupbuy.settlement import mark_paid
from launches import hold_payments
from launches.holds import SOURCE
from orders.models import Order
from payments.models import Payment, PaymentPurpose
from payments.transitions import payment_succeeded


def _on_payment_succeeded(_sender, payment: Payment, **_extra) -> None:
    hold_id = hold_payments.hold_id_of(payment.reference)
    if hold_id is None or payment.purpose != PaymentPurpose.BALANCE:  # a refund succeeding pays for nothing
        return
    if hold_payments.is_card(payment):
        hold_payments.card_succeeded(hold_id, payment)
        return
    order = db.session.execute(sa.select(Order).where(Order.source == SOURCE, Order.source_id == hold_id)
                               ).scalar_one_or_none()
    if order is not None and mark_paid(order):
        db.session.flush()


payment_succeeded.connect(_on_payment_succeeded)
