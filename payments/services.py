"""Payment use cases: create a payment for something (by reference, e.g. "pledge:42"), take a deposit,
charge a balance, refund a deposit, confirm an offline payment, and act on a gateway's event.

Payments sit below the packages that use them: they know what is paid for only by ``reference``.
Services flush, never commit; the request or job around them commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from accounts.models import User
from core import clock
from core.errors import Conflict, DomainError, Forbidden, NotFound
from core.extensions import db
from payments import transitions
from payments.gateway import Gateway, GatewayEvent, GatewayResult, current_gateway_name, gateway_named
from payments.models import GatewayCustomer, Payment, PaymentPurpose, PaymentStatus, WebhookEvent


@dataclass(frozen=True)
class Outcome:
    payment: Payment
    client_secret: str | None = None  #: for the member's browser, when the gateway wants them to act


@dataclass(frozen=True)
class Call:
    """A gateway call prepared from committed rows, to be made with no transaction open."""

    payment_id: int
    run: Callable[[], GatewayResult]


def get_payment(payment_id: int) -> Payment:
    """Raises ``not_found``."""
    payment = db.session.get(Payment, payment_id)
    if payment is None:
        raise NotFound()
    return payment


def payments_for(reference: str) -> list[Payment]:
    """Every payment made for ``reference``, oldest first."""
    return list(db.session.execute(
        sa.select(Payment).where(Payment.reference == reference).order_by(Payment.id)).scalars())


def payments_for_many(references: Iterable[str], chunk: int = 500) -> dict[str, list[Payment]]:
    """Every payment made for each of ``references``, oldest first — one query per ``chunk`` references,
    for batch work (closing an offer with thousands of pledges) that must not query once per row."""
    found: dict[str, list[Payment]] = {ref: [] for ref in references}
    wanted = list(found)
    for start in range(0, len(wanted), chunk):
        rows = db.session.execute(
            sa.select(Payment).where(Payment.reference.in_(wanted[start:start + chunk])).order_by(Payment.id))
        for payment in rows.scalars():
            found[payment.reference].append(payment)
    return found


def default_key(purpose: PaymentPurpose, reference: str) -> str:
    """``balance-pledge-42``: one payment per purpose per thing paid for, unless the caller says otherwise."""
    return f"{purpose.value}-{reference.replace(':', '-')}"


def create_payment(purpose: PaymentPurpose, reference: str, user: User | None, amount: int, currency: str,
                   idempotency_key: str | None = None, gateway: str | None = None, order_id: int | None = None
                   ) -> Payment:
    """A PENDING payment on the configured gateway (for ``order_id``, when it pays an order), or the one
    already made with the same idempotency key (two callers at once get the same row). Raises
    ``invalid_amount``, ``invalid_currency`` and, when the key was used for a different payment,
    ``idempotency_mismatch`` (409)."""
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
        raise DomainError("invalid_amount", _l("The amount must be zero or more."), field="amount")
    if len(currency) != 3 or not currency.isascii() or not currency.isalpha():
        raise DomainError("invalid_currency", _l("Choose one of the supported currencies."), field="currency")
    key = idempotency_key or default_key(purpose, reference)
    wanted = {"purpose": purpose, "reference": reference, "amount": amount, "currency": currency.upper(),
              "user_id": user.id if user else None}
    existing = _by_key(key)
    if existing is None:
        try:
            with db.session.begin_nested():
                existing = Payment(gateway=gateway or current_gateway_name(), idempotency_key=key,
                                   status=PaymentStatus.PENDING, order_id=order_id, **wanted)
                db.session.add(existing)
                db.session.flush()
                return existing
        except IntegrityError:
            existing = _by_key(key)
    _require_same(existing, wanted)
    return existing


@dataclass(frozen=True)
class PaymentSpec:
    """One payment to create in a batch (``create_payments``)."""

    purpose: PaymentPurpose
    reference: str
    user_id: int | None
    amount: int
    currency: str
    idempotency_key: str
    gateway: str | None = None  #: None: the configured gateway (``current_gateway_name``)
    order_id: int | None = None  #: the order it pays for


def create_payments(specs: list[PaymentSpec], chunk: int = 500) -> list[Payment]:
    """``create_payment`` for many at once, for batch work (closing an offer with thousands of pledges):
    the keys already used are read in one query per ``chunk`` and the new rows inserted in one flush.
    A key already used for the same payment gives that payment back; for a different one it raises
    ``idempotency_mismatch`` (409). Amounts and currencies are the caller's, already checked. A key
    taken by another unit of work at the same moment raises the database's IntegrityError at the flush."""
    existing: dict[str, Payment] = {}
    keys = [spec.idempotency_key for spec in specs]
    for start in range(0, len(keys), chunk):
        rows = db.session.execute(sa.select(Payment).where(Payment.idempotency_key.in_(keys[start:start + chunk])))
        existing.update((payment.idempotency_key, payment) for payment in rows.scalars())
    configured = current_gateway_name()
    made: list[Payment] = []
    for spec in specs:
        payment = existing.get(spec.idempotency_key)
        wanted = {"purpose": spec.purpose, "reference": spec.reference, "amount": spec.amount,
                  "currency": spec.currency.upper(), "user_id": spec.user_id}
        if payment is None:
            payment = Payment(gateway=spec.gateway or configured, idempotency_key=spec.idempotency_key,
                              status=PaymentStatus.PENDING, order_id=spec.order_id, **wanted)
            db.session.add(payment)
        else:
            _require_same(payment, wanted)
        made.append(payment)
    db.session.flush()
    return made


def _require_same(payment: Payment, wanted: dict) -> None:
    """The payment asked for again must be the one made: the same details, and the same first ask (part of
    it may have been covered since, ``payments.cover``)."""
    first_ask = {"amount": payment.amount + payment.covered_amount}
    if any(first_ask.get(name, getattr(payment, name)) != value for name, value in wanted.items()):
        raise Conflict("idempotency_mismatch", _l("This payment was already made with different details."))


def _by_key(key: str) -> Payment | None:
    return db.session.execute(sa.select(Payment).where(Payment.idempotency_key == key)).scalar_one_or_none()


def _customer(gateway: Gateway, user_id: int | None, *, create: bool) -> GatewayCustomer | None:
    if user_id is None or gateway.name == "offline":
        return None
    customer = db.session.execute(sa.select(GatewayCustomer).filter_by(
        user_id=user_id, gateway=gateway.name)).scalar_one_or_none()
    if customer is not None or not create:
        return customer
    user = db.session.get(User, user_id)
    customer_id = gateway.create_customer(user.id, user.email, user.display_name)
    if customer_id is None:
        raise DomainError("gateway_unavailable",
                          _l("Card payments are unavailable just now. Please try again in a minute."), status=503)
    customer = GatewayCustomer(user_id=user_id, gateway=gateway.name, customer_id=customer_id)
    db.session.add(customer)
    db.session.flush()
    return customer


def _require(payment: Payment, purpose: PaymentPurpose) -> Payment:
    if payment.purpose != purpose:
        raise Conflict("wrong_purpose", _l("This payment is not for that."))
    return payment


def take_deposit(payment_id: int, *, payment_method: str | None = None, save_card: bool = True) -> Outcome:
    """Start taking a PENDING deposit: on Stripe a PaymentIntent that saves the card for the balance
    (a SetupIntent when the deposit is 0), confirmed at once when ``payment_method`` is given, otherwise
    left for the member's browser (``client_secret``); offline, it waits for the shopkeeper. Calling it
    again starts nothing new. Raises ``not_found``, ``wrong_purpose``, ``gateway_unavailable`` (503)."""
    payment = _require(get_payment(payment_id), PaymentPurpose.DEPOSIT)
    gateway = gateway_named(payment.gateway)
    if payment.status != PaymentStatus.PENDING or payment.gateway_id:
        result = gateway.retrieve(payment)
    else:
        customer = _customer(gateway, payment.user_id, create=True)
        result = gateway.start_deposit(payment, customer, save_card, payment_method)
    transitions.record(payment, result)
    return Outcome(payment, result.client_secret)


def detached(obj):
    """A copy of a loaded row that belongs to no session: a gateway may read it with no transaction open."""
    if obj is None:
        return None
    mapper = sa.inspect(type(obj))
    return type(obj)(**{column.key: getattr(obj, column.key) for column in mapper.column_attrs})


def balance_call(payment_id: int) -> Call | None:
    """The call that charges a PENDING balance off-session on the member's saved card (or asks the gateway
    where an earlier attempt stands); None when there is nothing to charge. Raises ``not_found``,
    ``wrong_purpose``."""
    payment = _require(get_payment(payment_id), PaymentPurpose.BALANCE)
    if payment.status != PaymentStatus.PENDING:
        return None
    gateway = gateway_named(payment.gateway)
    snapshot = detached(payment)
    if payment.gateway_id:
        return Call(payment_id, lambda: gateway.retrieve(snapshot))
    customer = detached(_customer(gateway, payment.user_id, create=False))
    return Call(payment_id, lambda: gateway.charge_off_session(snapshot, customer))


def record_result(payment_id: int, result: GatewayResult) -> Payment:
    """Apply a gateway's answer to the payment, forward only (see ``transitions``)."""
    payment = get_payment(payment_id)
    transitions.record(payment, result)
    return payment


def charge_balance(payment_id: int) -> Payment:
    """Charge one PENDING balance off-session, within the caller's unit of work. A decline or a card that
    needs its member puts the balance in dunning (REQUIRES_ACTION/FAILED with a grace deadline); a
    gateway outage leaves it PENDING to be tried again with the same idempotency key. For many balances
    use ``payments.jobs.charge_balances``. Raises ``not_found``, ``wrong_purpose``."""
    call = balance_call(payment_id)
    if call is not None:
        return record_result(payment_id, call.run())
    return get_payment(payment_id)


def refund_deposit(deposit_id: int, amount: int | None = None) -> Payment | None:
    """Give a deposit back: a REFUND payment for its amount, or for ``amount`` of it (the same one if
    called again), made at the gateway at once (offline: PENDING until the shopkeeper confirms handing it
    back). A deposit never paid is cancelled instead and None returned; so is a paid deposit of 0.
    Raises ``not_found``, ``wrong_purpose``."""
    deposit = _require(get_payment(deposit_id), PaymentPurpose.DEPOSIT)
    gateway = gateway_named(deposit.gateway)
    if deposit.status != PaymentStatus.SUCCEEDED:
        if deposit.status != PaymentStatus.CANCELLED:
            transitions.record(deposit, gateway.cancel(deposit))
        return None
    if deposit.amount == 0:
        return None
    user = db.session.get(User, deposit.user_id) if deposit.user_id else None
    amount = deposit.amount if amount is None else min(amount, deposit.amount)
    part = "" if amount == deposit.amount else "-part"  # a part's key never passes for the whole refund
    refund = create_payment(PaymentPurpose.REFUND, deposit.reference, user, amount, deposit.currency,
                            idempotency_key=f"refund-{deposit.idempotency_key}{part}", gateway=deposit.gateway)
    if refund.status == PaymentStatus.PENDING and not refund.gateway_id:
        transitions.record(refund, gateway.refund(refund, deposit))
    return refund


def mark_paid_offline(actor_can_confirm: bool, payment_id: int) -> Payment:
    """The shopkeeper confirms an offline payment (cash or transfer received; for a refund, handed back):
    SUCCEEDED with ``paid_at``. Confirming twice changes nothing. The caller decides whether the actor
    may confirm (the shopkeeper check lives above payments). Raises ``forbidden``, ``not_found``,
    ``not_offline`` (409), ``payment_closed`` (409, e.g. cancelled)."""
    if not actor_can_confirm:
        raise Forbidden(_l("Only the shopkeeper can confirm a payment."))
    payment = get_payment(payment_id)
    if payment.gateway != "offline":
        raise Conflict("not_offline", _l("Card payments are confirmed by the card network, not by hand."))
    if payment.status == PaymentStatus.SUCCEEDED:
        return payment
    if payment.status != PaymentStatus.PENDING:
        raise Conflict("payment_closed", _l("This payment can no longer be confirmed."))
    transitions.record(payment, GatewayResult(PaymentStatus.SUCCEEDED))
    return payment


def apply_gateway_event(gateway: str, event: GatewayEvent) -> bool:
    """Act once on a verified gateway event. The event id is recorded first: a duplicate (even one
    arriving at the same moment) finds it and does nothing. Then the payment it names moves forward
    only. Returns whether the event was new."""
    try:
        with db.session.begin_nested():
            db.session.add(WebhookEvent(gateway=gateway, event_id=event.event_id[:120], type=event.type[:80],
                                        received_at=clock.now()))
            db.session.flush()
    except IntegrityError:
        return False
    if event.gateway_id and event.result is not None:
        payment = _by_gateway_id(gateway, event.gateway_id)
        if payment is not None:
            transitions.record(payment, event.result, from_event=True)
    if event.refunded_intent:
        _refunds_settled(gateway, event.refunded_intent)
    return True


def _by_gateway_id(gateway: str, gateway_id: str) -> Payment | None:
    return db.session.execute(sa.select(Payment).where(
        Payment.gateway == gateway, Payment.gateway_id == gateway_id)).scalars().first()


def _refunds_settled(gateway: str, intent_id: str) -> None:
    """The charge behind ``intent_id`` was refunded: its deposit's refunds are done."""
    deposit = _by_gateway_id(gateway, intent_id)
    if deposit is None:
        return
    refunds = db.session.execute(sa.select(Payment).where(
        Payment.purpose == PaymentPurpose.REFUND, Payment.reference == deposit.reference,
        Payment.gateway == gateway, Payment.gateway_id.is_not(None))).scalars()
    for refund in refunds:
        transitions.record(refund, GatewayResult(PaymentStatus.SUCCEEDED), from_event=True)
