"""Deposits on pledges: taken when a member pledges, topped up when they pledge more, given back when they
cancel or the offer fails, settled at close. The rules, with an example, are in docs/GROUPBUY.md
("Deposits").

A pledge's payments are linked to it by reference (``pledge:42``). The deposit due is
``deposit_percent`` of quantity × price cap, rounded half up to a minor unit. A deposit *held* is one
neither cancelled nor refunded in full; what is held is compared with what is due after every change,
and only a shortfall is asked for (``deposit-pledge-42``, then ``deposit-pledge-42-2``, …). Nothing is
refunded on a decrease before close: at close the paid deposits count toward the order, and what they
pay beyond the order's total is refunded then.

On Stripe every deposit saves the card for the balance (a SetupIntent when nothing is due); a member
with a card already saved pays with it at once, being present; otherwise their browser finishes the
payment (``client_secret``, or the pay page). A card deposit never paid does not undo the pledge: at
close it is cancelled and the balance asks for the whole amount. Offline, a deposit waits for the
shopkeeper to mark it paid (cash or transfer) and is cancelled at close if they never did."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from core.extensions import db
from groupbuy.models import GroupBuy, Pledge, PledgeStatus
from payments.dunning import failure_reason
from payments.gateway import current_gateway_name
from payments.models import GatewayCustomer, Payment, PaymentPurpose, PaymentStatus
from payments.services import (
    Outcome,
    create_payment,
    default_key,
    payments_for,
    payments_for_many,
    refund_deposit,
    take_deposit,
)

#: a card deposit in one of these waits for its member's browser (or the pay page)
_WAITING = frozenset({PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION, PaymentStatus.FAILED})


PREFIX = "pledge:"  #: payments for a pledge are made for ``pledge:<id>``


def reference(pledge: Pledge) -> str:
    """What payments for a pledge are made for: ``pledge:42``."""
    return reference_for(pledge.id)


def reference_for(pledge_id: int) -> str:
    return f"{PREFIX}{pledge_id}"


def pledge_id_of(reference: str) -> int | None:
    """The pledge a payment reference names (``pledge:42`` → 42); None for anything else."""
    if not reference.startswith(PREFIX):
        return None
    pledge_id = reference[len(PREFIX):]
    return int(pledge_id) if pledge_id.isdigit() else None


def due(group_buy: GroupBuy, quantity: int, price_cap: int) -> int:
    """``deposit_percent`` of quantity × price cap in minor units, rounded half up."""
    return (quantity * price_cap * group_buy.deposit_percent + 50) // 100


def held(payments: Iterable[Payment]) -> list[Payment]:
    """The deposits among ``payments`` that still stand: not cancelled, not refunded in full."""
    payments = list(payments)
    refunded = {payment.idempotency_key for payment in payments if payment.purpose == PaymentPurpose.REFUND}
    return [payment for payment in payments
            if payment.purpose == PaymentPurpose.DEPOSIT and payment.status != PaymentStatus.CANCELLED
            and f"refund-{payment.idempotency_key}" not in refunded]


def paid(payments: Iterable[Payment]) -> int:
    """What the held deposits have paid."""
    return sum(payment.amount for payment in held(payments) if payment.status == PaymentStatus.SUCCEEDED)


@dataclass(frozen=True)
class Deposit:
    """A pledge's deposit as its member sees it."""

    due: int
    paid: int
    currency: str
    waiting: Payment | None = None  #: the latest deposit still to be paid (offline: to the shopkeeper)
    client_secret: str | None = None  #: the browser must finish the card payment with this

    @property
    def reason(self) -> str | None:
        """Why the card payment waiting did not go through, in the reader's language."""
        return failure_reason(self.waiting) if self.waiting is not None else None

    @property
    def needs_member(self) -> bool:
        """The member must act: a card payment to finish, authenticate or try again."""
        return self.waiting is not None and self.waiting.gateway != "offline"


def describe(pledge: Pledge, payments: list[Payment] | None = None, client_secret: str | None = None) -> Deposit:
    payments = payments_for(reference(pledge)) if payments is None else payments
    standing = held(payments)
    waiting = next((payment for payment in reversed(standing) if payment.status in _WAITING), None)
    return Deposit(due(pledge.group_buy, pledge.quantity, pledge.price_cap), paid(payments), pledge.currency,
                   waiting, client_secret if waiting is not None else None)


def _saved_card(pledge: Pledge, gateway: str) -> str | None:
    return db.session.execute(sa.select(GatewayCustomer.payment_method_id).filter_by(
        user_id=pledge.user_id, gateway=gateway)).scalar_one_or_none()


def take(pledge: Pledge, payment_method: str | None = None) -> Deposit:
    """Ask for what the pledge's deposit is short of, right after ``pledges.pledge`` and in its unit of
    work: a new deposit for the whole shortfall (a top-up after an increase), started at the gateway
    with ``payment_method`` or the member's saved card. On Stripe a pledge with nothing due still saves a
    card (a deposit of 0: a SetupIntent) unless one is saved or asked for already. When nothing new is
    due, a card deposit still waiting is looked up again, for its ``client_secret``. Raises what
    ``payments.services.take_deposit`` raises (``gateway_unavailable``, 503)."""
    payments = payments_for(reference(pledge))
    standing = held(payments)
    gateway = current_gateway_name()
    shortfall = due(pledge.group_buy, pledge.quantity, pledge.price_cap) - sum(p.amount for p in standing)
    saved = _saved_card(pledge, gateway) if gateway != "offline" else None
    save_card = gateway != "offline" and not standing and (payment_method is not None or saved is None)
    if shortfall > 0 or save_card:
        count = sum(1 for payment in payments if payment.purpose == PaymentPurpose.DEPOSIT)
        key = default_key(PaymentPurpose.DEPOSIT, reference(pledge)) + (f"-{count + 1}" if count else "")
        deposit = create_payment(PaymentPurpose.DEPOSIT, reference(pledge), pledge.user, max(shortfall, 0),
                                 pledge.currency, idempotency_key=key, gateway=gateway)
        return _started(pledge, take_deposit(deposit.id, payment_method=payment_method or saved))
    waiting = describe(pledge, payments).waiting
    if waiting is not None and waiting.gateway != "offline" and waiting.status == PaymentStatus.PENDING:
        return _started(pledge, take_deposit(waiting.id, payment_method=payment_method))
    return describe(pledge, payments)


def _started(pledge: Pledge, outcome: Outcome) -> Deposit:
    return describe(pledge, client_secret=outcome.client_secret)


def give_back(payments: Iterable[Payment]) -> list[Payment]:
    """Refund every held deposit that was paid and cancel every one that was not; returns the refunds
    (offline: PENDING until the shopkeeper hands the money back). Safe to call again."""
    refunds = [refund_deposit(deposit.id) for deposit in held(payments)]
    return [refund for refund in refunds if refund is not None]


def release(pledge: Pledge) -> list[Payment]:
    """The member cancelled their pledge: their deposits are given back (``give_back``)."""
    return give_back(payments_for(reference(pledge)))


def release_group_buy(group_buy: GroupBuy) -> int:
    """The shopkeeper cancelled the group buy: the deposits of its released pledges are given back.
    Returns the number of refunds. Safe to call again."""
    pledges = db.session.execute(sa.select(Pledge).where(
        Pledge.group_buy_id == group_buy.id, Pledge.status == PledgeStatus.RELEASED)).scalars().all()
    loaded = payments_for_many(reference(pledge) for pledge in pledges)
    return sum(len(give_back(payments)) for payments in loaded.values())


def settle_at_close(payments: list[Payment]) -> int:
    """At close, for a pledge that becomes an order: deposits still unpaid are cancelled (an offline one
    the shopkeeper never received, a card payment never finished), so that the balance asks for the whole
    rest and nothing is paid twice. Returns what the held deposits paid."""
    for deposit in held(payments):
        if deposit.status != PaymentStatus.SUCCEEDED:
            refund_deposit(deposit.id)
    return paid(payments)


def refund_excess(payments: list[Payment], total: int) -> list[Payment]:
    """The paid deposits exceed the order's total (the member pledged less after paying): refund the
    difference, newest deposit first. Safe to call again (each part keeps its idempotency key)."""
    excess = paid(payments) - total
    refunds = []
    for deposit in reversed(held(payments)):
        if excess <= 0:
            break
        if deposit.status == PaymentStatus.SUCCEEDED and deposit.amount > 0:
            part = min(excess, deposit.amount)
            refund = refund_deposit(deposit.id, amount=part)
            if refund is not None:
                refunds.append(refund)
            excess -= part
    return refunds
