"""An order is PAID once nothing is left to pay on it: its balance succeeded (charged off-session, paid
on the pay page, or confirmed as cash by the shopkeeper), or the deposit covered the whole order at close.
Heard through ``payments.transitions.payment_succeeded``; payments know orders only by reference."""

from __future__ import annotations

import sqlalchemy as sa

from core.extensions import db
from orders.models import Order, OrderStatus
from payments.models import Payment, PaymentPurpose
from payments.transitions import payment_succeeded

SOURCE = "groupbuy"  #: ``Order.source`` of an order made from a pledge


def mark_paid(order: Order) -> bool:
    """CONFIRMED → PAID; any later state (ready, picked up, cancelled) is left as it is."""
    if order.status != OrderStatus.CONFIRMED:
        return False
    order.status = OrderStatus.PAID
    return True


def _on_payment_succeeded(_sender, payment: Payment, **_extra) -> None:
    if payment.purpose != PaymentPurpose.BALANCE or not payment.reference.startswith("pledge:"):
        return
    pledge_id = payment.reference.removeprefix("pledge:")
    if not pledge_id.isdigit():
        return
    order = db.session.execute(sa.select(Order).where(
        Order.source == SOURCE, Order.source_id == int(pledge_id))).scalar_one_or_none()
    if order is not None and mark_paid(order):
        db.session.flush()


payment_succeeded.connect(_on_payment_succeeded)
