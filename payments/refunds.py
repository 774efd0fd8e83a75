"""Giving money back: a refund of part or all of a payment that was taken, made once per idempotency key.

``refund_deposit`` (payments.services) returns a whole deposit when a pledge is released; this is the
general case — e.g. units the supplier never delivered, refunded from the balance first, then the deposit
(docs/GROUPBUY.md, "Shortfall")."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from accounts.models import User
from core.errors import Conflict, DomainError
from core.extensions import db
from payments import transitions
from payments.gateway import GatewayResult, gateway_named
from payments.models import Payment, PaymentPurpose, PaymentStatus
from payments.services import create_payment, get_payment


def refunded_from(original: Payment) -> int:
    """What has been refunded of ``original`` so far (refunds that did not fail or get cancelled)."""
    return db.session.execute(sa.select(sa.func.coalesce(sa.func.sum(Payment.amount), 0)).where(
        Payment.purpose == PaymentPurpose.REFUND, Payment.reference == original.reference,
        sa.or_(Payment.idempotency_key.endswith(f":{original.idempotency_key}", autoescape=True),
              # services.refund_deposit's, whole or part
              Payment.idempotency_key.in_([f"refund-{original.idempotency_key}",
                                           f"refund-{original.idempotency_key}-part"])),
        Payment.status.not_in([PaymentStatus.FAILED, PaymentStatus.CANCELLED]))).scalar_one()


def refundable(original: Payment) -> int:
    """What may still be refunded of a payment: all of it once taken, less the refunds made from it."""
    if original.status != PaymentStatus.SUCCEEDED or original.purpose == PaymentPurpose.REFUND:
        return 0
    return max(0, original.amount - refunded_from(original))


def refund_payment(original_payment_id: int, amount: int, idempotency_key: str) -> Payment:
    """Return ``amount`` of a SUCCEEDED payment: a REFUND payment for the same reference on the same
    gateway, made at the gateway at once (offline: PENDING until the shopkeeper confirms handing the
    money back). The same key returns the same refund and calls the gateway no more. The refund's key is
    ``<idempotency_key>:<original's key>``, which is how ``refunded_from`` finds it. Raises
    ``not_found``, ``not_refundable`` (409: not taken, or itself a refund), ``invalid_amount`` (zero,
    negative, or more than is left to refund)."""
    original = get_payment(original_payment_id)
    key = f"{idempotency_key}:{original.idempotency_key}"[:120]
    existing = db.session.execute(sa.select(Payment).where(Payment.idempotency_key == key)).scalar_one_or_none()
    if existing is None:
        if original.status != PaymentStatus.SUCCEEDED or original.purpose == PaymentPurpose.REFUND:
            raise Conflict("not_refundable", _l("Only money that was taken can be refunded."))
        if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount <= refundable(original):
            raise DomainError("invalid_amount", _l("The refund must be more than zero and no more than was paid."),
                              field="amount")
    user = db.session.get(User, original.user_id) if original.user_id else None
    refund = create_payment(PaymentPurpose.REFUND, original.reference, user, amount, original.currency,
                            idempotency_key=key, gateway=original.gateway)
    if refund.status == PaymentStatus.PENDING and not refund.gateway_id:
        transitions.record(refund, gateway_named(original.gateway).refund(refund, original))
    return refund


def lower_unpaid(payment_id: int, by: int) -> Payment:
    """Ask less of a payment not yet taken: its amount falls by ``by`` (never below zero; at zero it is
    cancelled). Only a PENDING payment that no gateway has seen may change; any other is left as it is
    and returned unchanged, for the caller to settle by other means (e.g. a refund once it is paid)."""
    payment = get_payment(payment_id)
    if payment.status != PaymentStatus.PENDING or payment.gateway_id or by <= 0:
        return payment
    payment.amount = max(0, payment.amount - by)
    if payment.amount == 0:
        transitions.record(payment, GatewayResult(PaymentStatus.CANCELLED))
    db.session.flush()
    return payment
