"""Billing boxes. Paying at pickup makes a pending offline payment that the shopkeeper confirms. A card
box is charged off-session on the member's saved card once its batch is committed, with the payment's
idempotency key (``payments.jobs.charge_balances``). When that charge fails (declined, or the bank wants
the card holder):

* the member is told at once, with the reason and a pay link to pay on-session at any time;
* the card is tried again off-session ``RETRY_AFTER`` the first decline (1, 3 and 5 days), each retry
  one call at the gateway however often the sweeper runs (its own idempotency key, and a row that only
  one run may move on);
* after the last retry fails, the subscription is paused (not cancelled) from the next open delivery,
  and the member is told; the pay link stays good until ``PAYMENT_GRACE_HOURS`` after the last retry.

The shopkeeper sees each box's payment and its decline reason. One card, one outage or one bug never
stops the others: every payment is its own unit of work."""

from __future__ import annotations

import logging
from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from accounts.models import User
from core import clock, notify
from core.db import commit
from core.extensions import db
from core.money import Money
from groupbuy.settlement import mark_paid
from orders.models import Order
from payments import jobs as payment_jobs
from payments import transitions
from payments.dunning import failure_reason, pay_token
from payments.gateway import current_gateway_name, gateway_named
from payments.models import GatewayCustomer, Payment, PaymentPurpose, PaymentStatus, untried
from payments.services import Call, create_payment, detached, record_result, take_deposit
from payments.transitions import payment_needs_member, payment_succeeded
from subscriptions.models import SubscriptionCycle, SubscriptionStatus

log = logging.getLogger(__name__)

PREFIX = "subscription-cycle:"  #: a box's payment reference (``cycles.reference_for``)
#: off-session retries after a failed charge, counted from the first decline
RETRY_AFTER = (timedelta(days=1), timedelta(days=3), timedelta(days=5))
#: a card payment still untried this long after its box was made was missed (a worker died): try it
UNTRIED_AFTER = timedelta(minutes=2)

notify.register("subscription_charge_failed",
                _l("We could not charge %(amount)s for your “%(plan)s” box of %(date)s: %(reason)s Pay it with "
                   "the link below, or we try your card again on %(retry)s."),
                _l("Box payment failed: %(plan)s"))
notify.register("subscription_paused_unpaid",
                _l("Your card was declined again for the “%(plan)s” box of %(date)s, so we paused your "
                   "subscription: no more boxes until you resume it. You are not cancelled. Pay the box "
                   "with the link below, then resume whenever you like."),
                _l("Subscription paused: %(plan)s"))


def card_on_file(user: User) -> bool:
    """Whether boxes can be charged to the member's card: the gateway takes cards and one is saved."""
    gateway = current_gateway_name()
    if gateway == "offline":
        return False
    return db.session.execute(sa.select(GatewayCustomer.id).where(
        GatewayCustomer.user_id == user.id, GatewayCustomer.gateway == gateway,
        GatewayCustomer.payment_method_id.is_not(None))).first() is not None


def save_card(user: User, payment_method: str) -> bool:
    """Save a card the member's browser or app collected (``pm_…``) for off-session charges, through a
    SetupIntent confirmed at once; returns whether it is saved (a refused card is not)."""
    if current_gateway_name() == "offline":
        return False
    reference = f"card:{user.id}"
    setup = create_payment(PaymentPurpose.DEPOSIT, reference, user, 0, "USD",
                           idempotency_key=f"card-setup-{user.id}-{payment_method[:60]}")
    take_deposit(setup.id, payment_method=payment_method)
    return setup.status == PaymentStatus.SUCCEEDED and card_on_file(user)


def row_of(payment: Payment) -> SubscriptionCycle | None:
    """The box a payment pays for (None for any other payment)."""
    if payment.purpose != PaymentPurpose.BALANCE or not payment.reference.startswith(PREFIX):
        return None
    row_id = payment.reference.removeprefix(PREFIX)
    return db.session.get(SubscriptionCycle, int(row_id)) if row_id.isdigit() else None


def _tell(row: SubscriptionCycle, payment: Payment, kind: str, **params) -> None:
    user = row.subscription.user
    amount = Money(payment.amount, payment.currency).format(user.locale or "en")
    notify.tell(user, kind, key=f"{kind}-{row.id}", link=f"/pay/{pay_token(payment)}", plan=row.plan.name,
                date=row.delivery_date.isoformat(), amount=amount, **params)


def _on_needs_member(_sender, payment: Payment, **_extra) -> None:
    """The first decline: retries are scheduled, the pay link lasts past the last one, the member is told."""
    row = row_of(payment)
    if row is None or row.declined_at is not None:
        return
    now = clock.now()
    row.declined_at, row.next_retry_at = now, now + RETRY_AFTER[0]
    payment.action_due_at = now + RETRY_AFTER[-1] + timedelta(hours=current_app.config["PAYMENT_GRACE_HOURS"])
    retry = row.next_retry_at.astimezone(ZoneInfo(row.plan.community.timezone)).date().isoformat()
    with force_locale(row.subscription.user.locale or "en"):  # kept with the notice, in the reader's words
        reason = str(failure_reason(payment) or "")
    _tell(row, payment, "subscription_charge_failed", reason=reason, retry=retry)


def _on_succeeded(_sender, payment: Payment, **_extra) -> None:
    row = row_of(payment)
    if row is None:
        return
    row.next_retry_at = None
    order = db.session.get(Order, row.order_id) if row.order_id else None
    if order is not None:
        mark_paid(order)
    db.session.flush()


payment_needs_member.connect(_on_needs_member)
payment_succeeded.connect(_on_succeeded)


def charge(payment_ids: list[int]) -> dict[int, Payment | None]:
    """Charge the boxes' card payments off-session, each on its own (after their batch was committed)."""
    return payment_jobs.charge_balances(payment_ids) if payment_ids else {}


def untried_ids() -> list[int]:
    """Card payments of boxes never tried at the gateway (a worker stopped between making and charging),
    made more than ``UNTRIED_AFTER`` ago."""
    return list(db.session.execute(sa.select(Payment.id).join(
        SubscriptionCycle, SubscriptionCycle.payment_id == Payment.id).where(
        untried(), Payment.created_at <= clock.now() - UNTRIED_AFTER).order_by(Payment.id)).scalars())


def due_retry_ids() -> list[int]:
    return list(db.session.execute(sa.select(SubscriptionCycle.id).where(
        SubscriptionCycle.next_retry_at <= clock.now()).order_by(SubscriptionCycle.id)).scalars())


def retry_call(row_id: int) -> tuple[Call, int] | None:
    """The retry due on the box (the call and its attempt number), or None when nothing is due any more
    (paid on the pay page meanwhile, cancelled, or another run took this retry)."""
    row = db.session.get(SubscriptionCycle, row_id)
    if row is None or row.next_retry_at is None or row.next_retry_at > clock.now():
        return None
    payment = db.session.get(Payment, row.payment_id) if row.payment_id else None
    if payment is None or payment.status not in transitions.NEEDS_MEMBER:
        row.next_retry_at = None
        return None
    gateway = gateway_named(payment.gateway)
    customer = detached(db.session.execute(sa.select(GatewayCustomer).filter_by(
        user_id=payment.user_id, gateway=payment.gateway)).scalar_one_or_none())
    snapshot, attempt = detached(payment), row.retries + 1
    return Call(payment.id, lambda: gateway.retry_off_session(snapshot, customer, attempt)), attempt


def after_retry(row_id: int, attempt: int, payment: Payment) -> bool:
    """Count the retry (only one run moves a row past an attempt) and schedule the next; after the last
    one failed, pause the subscription and tell the member. Returns whether this run counted it."""
    row = db.session.get(SubscriptionCycle, row_id)
    last = attempt >= len(RETRY_AFTER)
    paid = payment.status == PaymentStatus.SUCCEEDED
    following = None if last or paid else row.declined_at + RETRY_AFTER[attempt]
    moved = db.session.execute(sa.update(SubscriptionCycle).where(
        SubscriptionCycle.id == row_id, SubscriptionCycle.retries == attempt - 1).values(
        retries=attempt, next_retry_at=following)).rowcount
    if not moved:
        return False
    db.session.refresh(row)
    subscription = row.subscription
    if last and not paid and subscription.status == SubscriptionStatus.ACTIVE:
        subscription.status, subscription.paused_at, subscription.paused_until = \
            SubscriptionStatus.PAUSED, clock.now(), None
        _tell(row, payment, "subscription_paused_unpaid")
    db.session.flush()
    return True


def retry_due_charges() -> dict[int, str]:
    """The retry sweeper: each box whose retry is due is tried again off-session, with no transaction
    open during the call; then any card payment never tried is charged. Each on its own."""
    outcomes: dict[int, str] = {}
    budget = payment_jobs.default_budget()
    for row_id in due_retry_ids():
        try:
            prepared = retry_call(row_id)
            commit()
            if prepared is None:
                outcomes[row_id] = "not due"
                continue
            call, attempt = prepared
            budget.take()
            payment = record_result(call.payment_id, call.run())
            after_retry(row_id, attempt, payment)
            commit()
            outcomes[row_id] = payment.status.value
        except Exception:
            db.session.rollback()
            log.exception("subscription box %s: the retry could not be made or recorded", row_id)
            outcomes[row_id] = "error"
    charge(untried_ids())
    return outcomes
