"""Settling a confirmed order's balance, as far as the member is concerned.

* An order is PAID once nothing is left to pay on it: its balance succeeded (charged off-session, paid on
  the pay page, or confirmed as cash by the shopkeeper), or the deposit covered the whole order at close.
* A balance that enters dunning (declined, or the card holder must confirm it) is told to its member at
  once — email and in-app, with the pay link and the grace period — and again a day before the grace
  period ends (``remind_due_balances``, run by the dunning sweeper), each once.

Heard through ``payments.transitions``' signals; payments know orders only by reference."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from core import clock, notify
from core.extensions import db
from core.money import Money
from groupbuy.deposits import PREFIX, pledge_id_of
from groupbuy.models import Pledge
from orders.models import Order, OrderStatus
from payments import transitions
from payments.dunning import pay_token
from payments.models import Payment, PaymentPurpose
from payments.transitions import payment_needs_member, payment_succeeded

SOURCE = "groupbuy"  #: ``Order.source`` of an order made from a pledge


def mark_paid(order: Order) -> bool:
    """CONFIRMED → PAID; any later state (ready, picked up, cancelled) is left as it is."""
    if order.status != OrderStatus.CONFIRMED:
        return False
    order.status = OrderStatus.PAID
    return True


#: a reminder goes out this long before the grace period ends
REMIND_BEFORE = timedelta(hours=24)

notify.register("balance_declined", _l("We could not take the balance of %(amount)s for “%(title)s”. Please pay "
                                       "it within %(hours)s hours with the link below, or the order is "
                                       "cancelled."), _l("Balance to pay: %(title)s"))
notify.register("balance_reminder", _l("The balance of %(amount)s for “%(title)s” is still unpaid. Less than a "
                                       "day is left to pay it with the link below, or the order is "
                                       "cancelled."), _l("Last day to pay: %(title)s"))


def _pledge_id(payment: Payment) -> int | None:
    return pledge_id_of(payment.reference) if payment.purpose == PaymentPurpose.BALANCE else None


def _on_payment_succeeded(_sender, payment: Payment, **_extra) -> None:
    pledge_id = _pledge_id(payment)
    if pledge_id is None:
        return
    order = db.session.execute(sa.select(Order).where(
        Order.source == SOURCE, Order.source_id == pledge_id)).scalar_one_or_none()
    if order is not None and mark_paid(order):
        db.session.flush()


def _tell(payment: Payment, kind: str) -> bool:
    pledge = db.session.get(Pledge, _pledge_id(payment) or 0)
    if pledge is None:
        return False
    group_buy = pledge.group_buy
    amount = Money(payment.amount, payment.currency).format(pledge.user.locale or "en")  # the reader's own
    return notify.tell(pledge.user, kind, key=f"{kind}-{payment.id}", link=f"/pay/{pay_token(payment)}",
                       title=group_buy.title, amount=amount, hours=current_app.config["PAYMENT_GRACE_HOURS"])


def _on_payment_needs_member(_sender, payment: Payment, **_extra) -> None:
    _tell(payment, "balance_declined")


def remind_due_balances() -> int:
    """Remind each member whose balance is still in dunning with less than ``REMIND_BEFORE`` left, once;
    returns how many were reminded now."""
    now = clock.now()
    due = db.session.execute(sa.select(Payment).where(
        Payment.purpose == PaymentPurpose.BALANCE, Payment.status.in_(transitions.NEEDS_MEMBER),
        Payment.action_due_at > now, Payment.action_due_at <= now + REMIND_BEFORE,
        Payment.reference.startswith(PREFIX)).order_by(Payment.id)).scalars().all()
    return sum(_tell(payment, "balance_reminder") for payment in due)


payment_succeeded.connect(_on_payment_succeeded)
payment_needs_member.connect(_on_payment_needs_member)
