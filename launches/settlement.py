"""A launch order is PAID once its payment ("hold:<id>") succeeds — the shopkeeper confirming cash or
a transfer, or a card. Heard through ``payments.transitions.payment_succeeded``; payments know holds only
by reference."""

from __future__ import annotations

import sqlalchemy as sa

from core.extensions import db
from groupbuy.settlement import mark_paid
from launches.holds import SOURCE
from orders.models import Order
from payments.models import Payment
from payments.transitions import payment_succeeded


def _on_payment_succeeded(_sender, payment: Payment, **_extra) -> None:
    hold_id = payment.reference.removeprefix("hold:")
    if not payment.reference.startswith("hold:") or not hold_id.isdigit():
        return
    order = db.session.execute(sa.select(Order).where(Order.source == SOURCE, Order.source_id == int(hold_id))
                               ).scalar_one_or_none()
    if order is not None and mark_paid(order):
        db.session.flush()


payment_succeeded.connect(_on_payment_succeeded)
