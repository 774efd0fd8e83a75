"""Dunning: a balance that could not be charged off-session (declined, or the bank wants its card holder)
waits for the member. They get a pay link (``/pay/<token>``) and ``PAYMENT_GRACE_HOURS`` (72 by default)
to pay on-session, as often as they like; after that the sweeper cancels it and reports which references
expired, for the package above to release what was paid for.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer

from core import clock
from core.errors import Conflict, DomainError, NotFound
from core.extensions import db
from payments import transitions
from payments.gateway import gateway_named
from payments.models import Payment, PaymentPurpose, PaymentStatus
from payments.services import Call, Outcome, detached, get_payment, record_result

_SALT = "tuan-pay-link"

#: why a payment did not go through, in words for the member and the shopkeeper
REASONS = {
    "authentication_required": _l("The bank asks the card holder to confirm this payment."),
    "insufficient_funds": _l("The card has insufficient funds."),
    "expired_card": _l("The card has expired."),
    "incorrect_cvc": _l("The card's security code is wrong."),
    "no_saved_card": _l("No card is saved for this payment."),
    "gateway_unavailable": _l("The card network could not be reached. Please try again."),
}
_DECLINED = _l("The card was declined.")


def failure_reason(payment: Payment) -> str | None:
    """The decline reason in the reader's language (None when nothing failed)."""
    if not payment.failure_code:
        return None
    return str(REASONS.get(payment.failure_code, _DECLINED))


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def pay_token(payment: Payment) -> str:
    """The token of the payment's pay link: signed, so it cannot be guessed, and the same every time."""
    return _serializer().dumps(payment.id)


def pay_url(payment: Payment) -> str:
    return url_for("payments.pay", token=pay_token(payment), _external=True)


def payment_for_token(token: str) -> Payment:
    """Raises ``not_found`` for a token we did not sign."""
    try:
        payment_id = _serializer().loads(token)
    except BadSignature:
        raise NotFound() from None
    if not isinstance(payment_id, int):
        raise NotFound()
    return get_payment(payment_id)


def is_overdue(payment: Payment) -> bool:
    return (payment.status in transitions.NEEDS_MEMBER and payment.action_due_at is not None
            and payment.action_due_at <= clock.now())


def needs_member(payment: Payment) -> bool:
    """The member can pay it on the pay page: a balance in dunning, or a card deposit waiting for them
    (declined, to authenticate, or never finished in the browser)."""
    if payment.status in transitions.NEEDS_MEMBER:
        return True
    return (payment.purpose == PaymentPurpose.DEPOSIT and payment.status == PaymentStatus.PENDING
            and payment.gateway != "offline" and payment.gateway_id is not None)


def client_secret(payment: Payment) -> str | None:
    """What the gateway's script in the member's browser needs to pay (and authenticate) on-session;
    None when nothing is due or the gateway cannot say just now."""
    if not needs_member(payment) or not payment.gateway_id or is_overdue(payment):
        return None
    return gateway_named(payment.gateway).retrieve(payment).client_secret


def pay_on_session(token: str, attempt: str, payment_method: str | None = None) -> Outcome:
    """The member, on the pay page, pays a payment that needs them. ``attempt`` names this try (the same
    form sent twice is one try at the gateway); ``payment_method`` is a card the browser collected, or
    the saved one. A decline is recorded and can be tried again until the deadline. Raises ``not_found``,
    ``already_paid`` (409), ``grace_expired`` (410), ``not_due`` (409)."""
    payment = payment_for_token(token)
    if payment.status == PaymentStatus.SUCCEEDED:
        raise Conflict("already_paid", _l("This payment is already paid."))
    if is_overdue(payment) or payment.status == PaymentStatus.CANCELLED:
        raise DomainError("grace_expired", _l("The time to pay this has run out."), status=410)
    if not needs_member(payment):
        raise Conflict("not_due", _l("Nothing is due on this payment now."))
    result = gateway_named(payment.gateway).confirm_on_session(payment, attempt[:40], payment_method)
    return Outcome(record_result(payment.id, result), result.client_secret)


def overdue_ids() -> list[int]:
    """Balances in dunning whose grace deadline has passed, by ``core.clock``."""
    return list(db.session.execute(
        sa.select(Payment.id).where(Payment.purpose == PaymentPurpose.BALANCE,
                                    Payment.status.in_(transitions.NEEDS_MEMBER),
                                    Payment.action_due_at <= clock.now())
        .order_by(Payment.id)).scalars())


def expiry_call(payment_id: int) -> Call | None:
    """The call that closes an overdue balance at the gateway so that it can no longer be paid (the
    gateway may answer that it was paid at the last minute: then it counts as paid). None when the
    payment is no longer overdue."""
    payment = get_payment(payment_id)
    if not is_overdue(payment):
        return None
    snapshot = detached(payment)
    gateway = gateway_named(payment.gateway)
    return Call(payment_id, lambda: gateway.cancel(snapshot))
