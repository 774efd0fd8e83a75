"""The one way a payment's status changes: forward only.

Statuses are ranked PENDING < REQUIRES_ACTION < FAILED < SUCCEEDED = CANCELLED (the last two final).
A payment moves only to a higher rank, so news that arrives late — a webhook about a failed attempt
after the payment succeeded — never moves it back, and a set of events ends in the same state
whatever order it arrives in.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from blinker import Namespace
from flask import current_app

from core import clock, jobs
from core.extensions import db
from payments.gateway import GatewayResult
from payments.models import GatewayCustomer, Payment, PaymentPurpose, PaymentStatus

RANK = {
    PaymentStatus.PENDING: 0,
    PaymentStatus.REQUIRES_ACTION: 1,
    PaymentStatus.FAILED: 2,
    PaymentStatus.SUCCEEDED: 3,
    PaymentStatus.CANCELLED: 3,
}
FINAL = frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.CANCELLED})
#: the member must pay on-session: a balance in one of these is in dunning
NEEDS_MEMBER = frozenset({PaymentStatus.REQUIRES_ACTION, PaymentStatus.FAILED})

_signals = Namespace()
#: sent (with ``payment=``) in the unit of work where a payment becomes SUCCEEDED, whoever said so (our
#: call, a webhook, the shopkeeper confirming cash): the packages above settle what it paid for
payment_succeeded = _signals.signal("payment-succeeded")
#: sent (with ``payment=``) when a balance starts dunning: declined, or its card holder must confirm it
#: (``action_due_at`` is set): the packages above tell the member, with the pay link
payment_needs_member = _signals.signal("payment-needs-member")


def record(payment: Payment, result: GatewayResult, *, from_event: bool = False) -> bool:
    """Apply what the gateway said to ``payment``; returns whether its status moved.

    A higher-ranked status is taken with its failure details (cleared on success; ``paid_at`` set).
    An equal rank changes nothing but, for our own calls (not events, whose order is unknown), the
    latest failure reason. A balance that comes to need its member gets a grace deadline; a deposit that
    succeeds saves its card for the balance."""
    if result.gateway_id and not payment.gateway_id:
        payment.gateway_id = result.gateway_id
    if payment.status in FINAL:
        return False
    moved = RANK[result.status] > RANK[payment.status]
    if moved:
        payment.status = result.status
        payment.failure_code, payment.failure_message = _failure(result)
    elif RANK[result.status] == RANK[payment.status] and not from_event and result.failed:
        payment.failure_code, payment.failure_message = _failure(result)
    if moved and payment.status == PaymentStatus.SUCCEEDED:
        payment.paid_at = clock.now()
        payment.failure_code = payment.failure_message = None
        if payment.purpose == PaymentPurpose.DEPOSIT and result.payment_method_id:
            _save_card(payment, result.payment_method_id, result.card_fingerprint)
        payment_succeeded.send(payment, payment=payment)
    if (moved and payment.status in NEEDS_MEMBER and payment.purpose == PaymentPurpose.BALANCE
            and payment.action_due_at is None):
        payment.action_due_at = clock.now() + timedelta(hours=current_app.config["PAYMENT_GRACE_HOURS"])
        db.session.flush()
        payment_needs_member.send(payment, payment=payment)
    db.session.flush()
    return moved


def _failure(result: GatewayResult) -> tuple[str | None, str | None]:
    if not result.failed:
        return None, None
    return (result.failure_code or "")[:64], (result.failure_message or "")[:500] or None


def _save_card(payment: Payment, payment_method_id: str, fingerprint: str | None) -> None:
    """Save the card for later with its fingerprint. An unknown fingerprint (a webhook names the card only
    by id) keeps the one saved before if it is the same card, and clears it for any other card; a job then
    asks the gateway for it (``payments.jobs.learn_card_fingerprint``)."""
    if payment.user_id is None:
        return
    saved_fingerprint = fingerprint if fingerprint is not None else sa.case(
        (GatewayCustomer.payment_method_id == payment_method_id, GatewayCustomer.card_fingerprint), else_=None)
    db.session.execute(
        sa.update(GatewayCustomer)
        .where(GatewayCustomer.user_id == payment.user_id, GatewayCustomer.gateway == payment.gateway)
        .values(payment_method_id=payment_method_id, card_fingerprint=saved_fingerprint, updated_at=clock.now())
    )
    if fingerprint is None:  # asked of the gateway once committed, with no transaction open
        jobs.enqueue("payments.jobs:learn_card_fingerprint", payment.user_id, payment.gateway, payment_method_id,
                     job_id=f"card-fingerprint-{payment.user_id}-{payment_method_id}"[:120])
