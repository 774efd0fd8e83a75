"""Paying for a launch hold by card (issue #4), beside paying offline (``holds.pay_offline``).

What a member gets (docs/LAUNCHES.md, "Paying by card"): choosing to pay by card turns their live hold
into the Order at once (the hold ORDERED, ``order_id`` set) with a card payment for the whole amount
(purpose ``balance``, reference ``hold:<id>``, the same idempotency key an offline payment of the hold
would have, so a hold never has two). The PaymentIntent waits for the member on the pay page
(``/pay/<token>``, ``payments.dunning``) until ``deadline`` — the hold's own window plus
``LAUNCH_CARD_GRACE_MINUTES`` (5) — as the payment's ``action_due_at``, so the pay page shows it and
refuses to take money after it. A declined card is told there and may be tried again until then.

The units stay *held* for the member (not sold) until the card payment succeeds: then
``card_succeeded`` (from ``launches.settlement``) sells them and the order is PAID. A card payment still
unpaid at the deadline is cancelled at the gateway by the sweeper (``launches.hold_payment_jobs``), its
order cancelled and the units given back through ``launches.stock`` (``holds._let_go``), to the
waitlist first. A success that arrives after that is refunded (``refund_late_payment``).

Lock order as everywhere in launches: the hold first (FOR UPDATE), then the allowance, then the launch."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from accounts.models import User
from core import clock, jobs, notify
from core.errors import Conflict
from core.extensions import db
from launches import holds, stock, waitlist
from launches.models import Hold, HoldStatus, WaitlistEntry, WaitlistStatus
from orders.models import Order, OrderStatus
from payments import dunning, refunds
from payments.cover import announce_due
from payments.gateway import current_gateway_name, gateway_named
from payments.models import Payment, PaymentPurpose, PaymentStatus
from payments.services import Call, create_payment, detached, get_payment, record_result
from shopkeeper.models import Community

PREFIX = "hold:"  #: a hold's payments are made for ``hold:<id>``
LATE_REFUND_KEY = "late-refund"  #: a late success's refund: ``late-refund:<payment's key>``
_UNPAID = (PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION, PaymentStatus.FAILED)

notify.register("launch_card_lapsed",
                _l("Your card payment for “%(title)s” was not completed in time: the order is cancelled "
                   "and the units went back on sale."), _l("Not paid in time: %(title)s"))


def reference_for(hold_id: int) -> str:
    return f"{PREFIX}{hold_id}"


def hold_id_of(reference: str) -> int | None:
    """The hold a payment reference names (``hold:7`` → 7); None for anything else."""
    if not reference.startswith(PREFIX) or not reference[len(PREFIX):].isdigit():
        return None
    return int(reference[len(PREFIX):])


def card_available() -> bool:
    """Whether members may pay by card: the app's gateway takes cards (Stripe), not only cash."""
    return current_gateway_name() != "offline"


def grace() -> timedelta:
    return timedelta(minutes=int(current_app.config.get("LAUNCH_CARD_GRACE_MINUTES", 5)))


def deadline(hold: Hold) -> datetime:
    """Until when a card payment started on ``hold`` may be paid: the hold's window and a grace."""
    return hold.expires_at + grace()


def balance_of(hold_id: int) -> Payment | None:
    """The hold's payment (offline or card; refunds excluded)."""
    return db.session.execute(sa.select(Payment).where(
        Payment.reference == reference_for(hold_id), Payment.purpose == PaymentPurpose.BALANCE)
        .order_by(Payment.id.desc())).scalars().first()


def is_card(payment: Payment | None) -> bool:
    return payment is not None and payment.gateway != "offline"


def failure_reason(payment: Payment | None) -> str | None:
    """Why a card payment did not go through, in the reader's language."""
    return dunning.failure_reason(payment) if payment is not None else None


def pay_url(payment: Payment) -> str:
    """The pay page of a card payment (its card form, its deadline, its decline reason)."""
    return dunning.pay_url(payment)


@dataclass(frozen=True)
class CardCheckout:
    """A hold paid by card, as the member's browser or an API client needs it."""

    hold: Hold
    payment: Payment
    client_secret: str | None = None  #: for Stripe.js, while the payment waits for its member

    @property
    def pay_url(self) -> str:
        return pay_url(self.payment)


def pay_by_card(user: User, launch_id: int, hold_id: int, payment_method: str | None = None) -> CardCheckout:
    """Turn the caller's live hold into an order paid by card: an Order (source "launch") and a card
    payment ("hold:<id>") whose PaymentIntent is confirmed at once with ``payment_method`` when given,
    otherwise left for the member's browser (``client_secret``) or the pay page (``pay_url``) until
    ``deadline``. Calling it again (a double click, a second tab) makes no second order, payment or
    intent: it answers the same checkout, and with a new ``payment_method`` tries that card (after a
    decline). Raises ``not_found``, ``hold_expired`` (409: the hold's window, or the card's deadline,
    passed), ``hold_closed`` (409), ``paying_offline`` (409: the member chose to pay at pickup),
    ``card_unavailable`` (409: the app takes no cards), ``nothing_to_pay`` (409: a free item) and
    ``grace_expired`` (410)."""
    hold = holds._my_hold(user, launch_id, hold_id)
    if hold.status == HoldStatus.ORDERED:
        return _continue(hold, balance_of(hold.id), payment_method)
    if hold.status == HoldStatus.EXPIRED:
        raise _expired()
    holds._require_live(hold)
    if not card_available():
        raise Conflict("card_unavailable", _l("Card payments are not taken here: pay at pickup."))
    if holds.unit_price(hold) * hold.quantity == 0:
        raise Conflict("nothing_to_pay", _l("This costs nothing: choose to pay at pickup."))
    try:
        with db.session.begin_nested():
            order = holds.order_for(user, hold)
    except IntegrityError:  # another tab got there first (SQLite takes no row lock): answer what it made
        db.session.refresh(hold)
        return _continue(hold, balance_of(hold.id), payment_method)
    payment = create_payment(PaymentPurpose.BALANCE, reference_for(hold.id), user, order.total_amount,
                             order.currency, gateway=current_gateway_name(), order_id=order.id)
    payment.action_due_at = deadline(hold)  # set first: transitions then sets no 72-hour dunning deadline
    hold.status, hold.order_id = HoldStatus.ORDERED, order.id
    db.session.flush()
    announce_due([payment])  # store credit covers what it can before the card is asked
    if payment.status == PaymentStatus.SUCCEEDED:  # covered whole: no card is asked at all
        return CardCheckout(hold, payment)
    return _start(hold, payment, payment_method)


def _start(hold: Hold, payment: Payment, payment_method: str | None) -> CardCheckout:
    """Create the PaymentIntent (on-session: no saved card, nothing kept for later), with the payment's
    own idempotency key. An intent waiting for its card waits for the member: REQUIRES_ACTION, as a
    balance on the pay page is."""
    result = gateway_named(payment.gateway).start_deposit(detached(payment), None, False, payment_method)
    if result.status == PaymentStatus.PENDING and result.gateway_id and not result.failed:
        result = replace(result, status=PaymentStatus.REQUIRES_ACTION)
    return CardCheckout(hold, record_result(payment.id, result), result.client_secret)


def _continue(hold: Hold, payment: Payment | None, payment_method: str | None) -> CardCheckout:
    if not is_card(payment):
        raise Conflict("paying_offline", _l("You chose to pay for this at pickup."))
    if payment.status == PaymentStatus.SUCCEEDED:
        return CardCheckout(hold, payment)
    if payment.status == PaymentStatus.CANCELLED or _past(payment):
        raise _expired()
    if not payment.gateway_id:  # the gateway could not be reached the first time: the same key again
        return _start(hold, payment, payment_method)
    if payment_method:
        outcome = dunning.pay_on_session(dunning.pay_token(payment), secrets.token_urlsafe(12), payment_method)
        return CardCheckout(hold, outcome.payment, outcome.client_secret)
    return CardCheckout(hold, payment, dunning.client_secret(payment))


def _expired() -> Conflict:
    return Conflict("hold_expired", _l("Your reservation ran out; its units went back on sale."))


def _past(payment: Payment) -> bool:
    return payment.action_due_at is not None and payment.action_due_at <= clock.now()


def pay_offline(user: User, launch_id: int, hold_id: int) -> Hold:
    """``holds.pay_offline``, refusing a hold whose card payment is under way (``paying_by_card``, 409):
    one hold, one way to pay."""
    hold = holds.pay_offline(user, launch_id, hold_id)
    payment = balance_of(hold.id)
    if is_card(payment) and payment.status != PaymentStatus.SUCCEEDED:
        raise Conflict("paying_by_card", _l("You chose to pay for this by card: finish paying on the pay page."))
    return hold


def _settle_order(order_id: int, status: OrderStatus, **values) -> bool:
    """CONFIRMED → ``status`` by one conditional UPDATE: of a card payment succeeding and the sweeper
    cancelling at the same moment, exactly one moves the order (the order's row is where they meet — the
    webhook has locked the payment, the sweeper the hold, so neither waits for the other's first lock)."""
    moved = db.session.execute(sa.update(Order).where(Order.id == order_id, Order.status == OrderStatus.CONFIRMED)
                               .values(status=status, **values).execution_options(synchronize_session=False))
    loaded = db.session.identity_map.get(db.session.identity_key(Order, order_id))
    if loaded is not None:
        db.session.expire(loaded)
    return moved.rowcount == 1


def card_succeeded(hold_id: int, payment: Payment) -> None:
    """The card payment of a hold succeeded (``launches.settlement``): the order is PAID and its units,
    held until now, are sold — unless the sweeper cancelled the order first: then the money is refunded,
    after the commit (``refund_late``)."""
    hold = db.session.get(Hold, hold_id)
    if hold is None or hold.order_id is None:
        return
    if _settle_order(hold.order_id, OrderStatus.PAID):
        if stock.sell_units(hold.launch_id, hold.quantity) is None:
            raise RuntimeError(f"launch {hold.launch_id} holds fewer units than hold {hold.id}")
        db.session.execute(sa.update(WaitlistEntry).where(WaitlistEntry.hold_id == hold.id)
                           .values(status=WaitlistStatus.CLAIMED).execution_options(synchronize_session=False))
        db.session.flush()
    elif db.session.get(Order, hold.order_id).status == OrderStatus.CANCELLED:
        jobs.enqueue("launches.hold_payment_jobs:refund_late_payment", payment.id,
                     job_id=f"launch-late-refund-{payment.id}")


def overdue_ids(limit: int = 500) -> list[int]:
    """Card payments of ORDERED holds still unpaid at their deadline, oldest first."""
    query = (sa.select(Payment.id).join(Hold, Payment.reference == sa.literal(PREFIX) + sa.cast(Hold.id, sa.String))
             .where(Payment.purpose == PaymentPurpose.BALANCE, Payment.gateway != "offline",
                    Payment.status.in_(_UNPAID + (PaymentStatus.CANCELLED,)),
                    Payment.action_due_at <= clock.now(), Hold.status == HoldStatus.ORDERED)
             .order_by(Payment.action_due_at, Payment.id).limit(limit))
    return list(db.session.execute(query).scalars())


def cancel_call(payment_id: int) -> Call | None:
    """The call that closes an unpaid card payment at the gateway so it can no longer be paid (its answer
    may be that it was paid at the last minute: then it counts as paid)."""
    payment = get_payment(payment_id)
    if payment.status not in _UNPAID or payment.action_due_at > clock.now():
        return None
    snapshot, gateway = detached(payment), gateway_named(payment.gateway)
    return Call(payment_id, lambda: gateway.cancel(snapshot))


def close_unpaid(payment_id: int) -> bool:
    """After the deadline: the hold's order is cancelled and its units go back (the waitlist is offered
    them after the commit), unless the payment succeeded first. True when something was closed now;
    running it again changes nothing. A card payment that succeeds later is refunded (``card_succeeded``)."""
    payment = get_payment(payment_id)
    hold_id = hold_id_of(payment.reference)
    hold = db.session.execute(sa.select(Hold).where(Hold.id == hold_id).with_for_update()
                              .execution_options(populate_existing=True)).scalar_one_or_none()
    db.session.refresh(payment)
    if (hold is None or hold.status != HoldStatus.ORDERED or hold.order_id is None
            or payment.status == PaymentStatus.SUCCEEDED or payment.action_due_at > clock.now()):
        return False
    # The payment keeps what the gateway said: were it marked cancelled here without the gateway agreeing
    # (unreachable just now), a success arriving later could not move it, and would never be refunded.
    if not _settle_order(hold.order_id, OrderStatus.CANCELLED, cancelled_at=clock.now()):
        return False
    holds._let_go(hold, HoldStatus.EXPIRED)
    waitlist.after_release(hold)
    community = db.session.get(Community, hold.community_id)
    notify.tell(hold.user, "launch_card_lapsed", key=f"launch-card-lapsed-{hold.id}",
                link=f"/c/{community.slug}/launches/{hold.launch_id}", title=hold.launch.title)
    return True


def late_refund_ids(limit: int = 500) -> list[int]:
    """Card payments that succeeded after their order was cancelled and have not been refunded yet."""
    refund = sa.orm.aliased(Payment)
    refunded = sa.exists().where(  # made at the gateway (one never made is tried again)
        refund.idempotency_key == sa.literal(f"{LATE_REFUND_KEY}:") + Payment.idempotency_key,
        refund.gateway_id.is_not(None))
    query = (sa.select(Payment.id).join(Hold, Payment.reference == sa.literal(PREFIX) + sa.cast(Hold.id, sa.String))
             .join(Order, Order.id == Hold.order_id)
             .where(Payment.purpose == PaymentPurpose.BALANCE, Payment.gateway != "offline",
                    Payment.status == PaymentStatus.SUCCEEDED, Order.status == OrderStatus.CANCELLED, ~refunded)
             .order_by(Payment.id).limit(limit))
    return list(db.session.execute(query).scalars())


def refund_late(payment_id: int) -> Payment | None:
    """Give back a card payment that succeeded after its order was cancelled (all of what is left of it);
    the same refund however often it runs. None when there is nothing to refund."""
    payment = get_payment(payment_id)
    hold_id = hold_id_of(payment.reference)
    order = db.session.execute(sa.select(Order).where(Order.source == holds.SOURCE, Order.source_id == hold_id)
                               ).scalar_one_or_none() if hold_id else None
    if order is None or order.status != OrderStatus.CANCELLED or payment.purpose != PaymentPurpose.BALANCE:
        return None
    amount = refunds.refundable(payment)
    started = db.session.execute(sa.select(Payment.id).where(
        Payment.idempotency_key == f"{LATE_REFUND_KEY}:{payment.idempotency_key}")).first() is not None
    if amount <= 0 and not started:
        return None
    return refunds.refund_payment(payment.id, amount or payment.amount, LATE_REFUND_KEY)  # started: tried again
