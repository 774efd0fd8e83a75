"""Part of a payment paid by other means before any gateway sees it — store credit, which lives above
payments (``referral``) — and the moment when that can happen.

* ``announce_due`` is how a package that just made balances for orders (a group buy closing, a drop
  bought, a box made) lets the packages above act on them before any gateway is called:
  ``balances_due`` is sent, in the same unit of work, with the payments that name their order.
* ``cover`` lowers a payment not yet taken by what was paid elsewhere, keeping the first ask
  (``amount + covered_amount``). Covered whole, the payment has SUCCEEDED, and its order is settled as for
  any payment (``transitions.payment_succeeded``).

A card charge below ``MIN_CARD_CHARGE`` is refused by card networks (Stripe: 0.50 in USD, and similar
amounts in the others), so ``coverable_amount`` never leaves such a remainder on a card payment."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from blinker import Namespace

from core.extensions import db
from payments import transitions
from payments.gateway import GatewayResult
from payments.models import Payment, PaymentPurpose, PaymentStatus

MIN_CARD_CHARGE = 50  #: minor units: the smallest card charge left after a cover

_signals = Namespace()
#: sent (``payments=[…]``) with balances just made for orders, before any gateway call: credit may cover them
balances_due = _signals.signal("balances-due")


def announce_due(payments: Sequence[Payment]) -> None:
    """Tell the packages above about balances just made (those for an order, still waiting)."""
    due = [payment for payment in payments if payment.order_id is not None and coverable(payment)]
    if due:
        balances_due.send(None, payments=due)


def coverable(payment: Payment) -> bool:
    """A balance not yet taken that no gateway has seen: its amount may still change."""
    return (payment.purpose == PaymentPurpose.BALANCE and payment.status == PaymentStatus.PENDING
            and payment.gateway_id is None and payment.amount > 0)


def coverable_amount(payment: Payment, available: int) -> int:
    """How much of ``available`` may cover ``payment``: all of it when that pays the payment, otherwise no
    more than leaves a card charge of ``MIN_CARD_CHARGE``."""
    if not coverable(payment) or available <= 0:
        return 0
    if available >= payment.amount:
        return payment.amount
    if payment.gateway != "offline" and payment.amount - available < MIN_CARD_CHARGE:
        return max(0, payment.amount - MIN_CARD_CHARGE)
    return available


def locked(payment_id: int) -> Payment | None:
    """The payment, read FOR UPDATE: two covers of one payment at once are taken one after the other."""
    return db.session.execute(sa.select(Payment).where(Payment.id == payment_id).with_for_update()
                              .execution_options(populate_existing=True)).scalar_one_or_none()


def cover(payment: Payment, amount: int) -> Payment:
    """``amount`` of a coverable payment was paid by other means: its amount falls by it and
    ``covered_amount`` grows; at zero the payment has SUCCEEDED. The caller holds the row lock
    (``locked``) and has checked ``coverable_amount``."""
    if not 0 < amount <= payment.amount or not coverable(payment):
        raise ValueError(f"cannot cover {amount} of {payment!r}")
    payment.amount -= amount
    payment.covered_amount += amount
    db.session.flush()
    if payment.amount == 0:
        transitions.record(payment, GatewayResult(PaymentStatus.SUCCEEDED))
    return payment
