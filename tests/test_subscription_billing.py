"""Billing boxes (issue #5, acceptance 2 and 3), against the Stripe stub: a card box is charged off-session
at the cut-off with its idempotency key; a decline tells the member (reason, pay link) and is retried 1,
3 and 5 days later; after the last retry the subscription is paused, not cancelled, and the member told;
one bad card never stops the batch. The clock is moved, never slept."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import NamedTuple

import pytest
import sqlalchemy as sa

from accounts.models import User
from core import clock
from core.db import commit
from core.extensions import db
from core.notify import Notification
from orders.models import Order, OrderStatus
from payments import dunning
from payments.models import GatewayCustomer, Payment, PaymentStatus
from shopkeeper.models import Membership
from subscriptions import billing, jobs, plans, services
from subscriptions.models import PaymentChoice, Subscription, SubscriptionCycle, SubscriptionStatus
from tests.concurrency import all_at_once
from tests.payment_helpers import TEST_CARD, stripe_stub_fixture  # noqa: F401
from tests.subscription_factories import NOW, make_plan

SATURDAYS = [date(2026, 11, 28) + timedelta(weeks=n) for n in range(3)]


@pytest.fixture(autouse=True)
def _sunday_noon_in_shanghai():
    clock.freeze(datetime.fromisoformat(NOW))


class Subscriber(NamedTuple):
    id: int
    user_id: int


def card_subscribers(plan, cards: list[str]) -> list[Subscriber]:
    """One card-paying subscriber per saved card (``pm_…``), written in bulk: a thousand in a second, and
    let go of (a session holding thousands of rows expires them all at every commit of the jobs)."""
    users = [User(email=f"card{i}-{card}@example.com", display_name=f"Card {i}", password_hash="!")
             for i, card in enumerate(cards)]
    db.session.add_all(users)
    db.session.flush()
    db.session.add_all([Membership(community_id=plan.community_id, user_id=user.id) for user in users])
    db.session.add_all([GatewayCustomer(user_id=user.id, gateway="stripe", customer_id=f"cus_{user.id}",
                                        payment_method_id=card) for user, card in zip(users, cards, strict=True)])
    subscriptions = [Subscription(plan_id=plan.id, user_id=user.id, status=SubscriptionStatus.ACTIVE,
                                  subscribed_at=clock.now(), pickup_point_id=plan.pickup_points[0].id,
                                  payment_choice=PaymentChoice.CARD) for user in users]
    db.session.add_all(subscriptions)
    db.session.flush()
    made = [Subscriber(s.id, s.user_id) for s in subscriptions]
    db.session.commit()
    for obj in [*users, *subscriptions]:
        db.session.expunge(obj)
    return made


def through_cut_off_of(plan, day: date) -> None:
    clock.freeze(plans.cycle_of(plan, day).cutoff_at + timedelta(minutes=1))
    jobs.run_due_cycles()


def box_of(subscription, day: date = SATURDAYS[0]) -> tuple[SubscriptionCycle, Order, Payment]:
    db.session.expire_all()
    row = db.session.execute(sa.select(SubscriptionCycle).filter_by(
        subscription_id=subscription.id, delivery_date=day)).scalar_one()
    return row, db.session.get(Order, row.order_id), db.session.get(Payment, row.payment_id)


def retry_days_later(plan, days: int) -> dict[int, str]:
    clock.freeze(plans.cycle_of(plan, SATURDAYS[0]).cutoff_at + timedelta(minutes=1, days=days))
    return jobs.retry_due_charges()


def notices(kind: str) -> list[Notification]:
    return db.session.execute(sa.select(Notification).where(Notification.kind == kind)
                              .order_by(Notification.user_id)).scalars().all()


def test_a_card_box_is_charged_off_session_at_the_cut_off_with_its_idempotency_key(stub):
    plan, _variants = make_plan(price=12800)
    [subscription] = card_subscribers(plan, ["pm_good"])
    through_cut_off_of(plan, SATURDAYS[0])
    row, order, payment = box_of(subscription)
    assert (payment.gateway, payment.status, payment.amount) == ("stripe", PaymentStatus.SUCCEEDED, 12800)
    assert order.status == OrderStatus.PAID and row.next_retry_at is None
    [charge] = stub.posts("/v1/payment_intents")
    assert charge.idempotency_key == payment.idempotency_key == f"balance-subscription-cycle-{row.id}"
    assert charge.params["off_session"] == "true" and charge.params["payment_method"] == "pm_good"
    jobs.run_due_cycles()
    jobs.retry_due_charges()
    assert len(stub.posts("/v1/payment_intents")) == 1  # run again: nothing charged twice


def test_a_decline_is_retried_after_1_3_and_5_days_then_the_subscription_pauses_with_a_notice(stub):
    plan, _variants = make_plan(price=12800)
    [subscription] = card_subscribers(plan, ["pm_broke"])
    stub.decline("pm_broke", "insufficient_funds")
    through_cut_off_of(plan, SATURDAYS[0])
    row, order, payment = box_of(subscription)
    declined_at = row.declined_at
    assert payment.status == PaymentStatus.FAILED and payment.failure_code == "insufficient_funds"
    assert dunning.failure_reason(payment) == "The card has insufficient funds."  # what the shopkeeper sees
    assert order.status == OrderStatus.CONFIRMED and row.next_retry_at == declined_at + timedelta(days=1)
    [told] = notices("subscription_charge_failed")
    assert told.user_id == subscription.user_id and told.link == f"/pay/{dunning.pay_token(payment)}"
    assert "insufficient funds" in told.params["reason"]

    assert retry_days_later(plan, 0) == {}  # not yet
    for days, retries in ((1, 1), (3, 2)):
        assert retry_days_later(plan, days) == {row.id: "failed"}
        row, _order, payment = box_of(subscription)
        assert row.retries == retries and row.next_retry_at == declined_at + timedelta(days=(3, 5)[retries - 1])
        assert db.session.get(Subscription, subscription.id).status == SubscriptionStatus.ACTIVE
    assert retry_days_later(plan, 5) == {row.id: "failed"}
    row, order, payment = box_of(subscription)
    assert (row.retries, row.next_retry_at) == (3, None)
    assert db.session.get(Subscription, subscription.id).status == SubscriptionStatus.PAUSED  # not cancelled
    assert [n.user_id for n in notices("subscription_paused_unpaid")] == [subscription.user_id]
    retries = [post.idempotency_key for post in stub.posts(f"/v1/payment_intents/{payment.gateway_id}/confirm")]
    assert retries == [f"{payment.idempotency_key}-retry-{n}" for n in (1, 2, 3)]
    assert payment.action_due_at > clock.now()  # the pay link still works after the last retry
    assert retry_days_later(plan, 9) == {}

    through_cut_off_of(plan, SATURDAYS[1])  # paused: no box, nothing charged
    assert db.session.execute(sa.select(sa.func.count()).select_from(SubscriptionCycle).where(
        SubscriptionCycle.subscription_id == subscription.id)).scalar_one() == 1


def test_a_retry_that_goes_through_pays_the_box_and_stops_the_retries(stub):
    plan, _variants = make_plan()
    [subscription] = card_subscribers(plan, ["pm_later"])
    stub.decline("pm_later")
    through_cut_off_of(plan, SATURDAYS[0])
    stub.accept("pm_later")
    [outcome] = retry_days_later(plan, 1).values()
    row, order, payment = box_of(subscription)
    assert outcome == "succeeded" and payment.status == PaymentStatus.SUCCEEDED
    assert order.status == OrderStatus.PAID and row.next_retry_at is None
    assert retry_days_later(plan, 6) == {}
    assert db.session.get(Subscription, subscription.id).status == SubscriptionStatus.ACTIVE


def test_paying_on_the_pay_link_between_retries_stops_them(stub):
    plan, _variants = make_plan()
    [subscription] = card_subscribers(plan, ["pm_needs_bank"])
    stub.require_authentication("pm_needs_bank")
    through_cut_off_of(plan, SATURDAYS[0])
    row, _order, payment = box_of(subscription)
    assert payment.failure_code == "authentication_required" and row.next_retry_at is not None
    dunning.pay_on_session(dunning.pay_token(payment), "member-tries", payment_method=TEST_CARD)
    commit()
    row, order, payment = box_of(subscription)
    assert payment.status == PaymentStatus.SUCCEEDED and order.status == OrderStatus.PAID
    assert row.next_retry_at is None and retry_days_later(plan, 1) == {}


def test_the_retry_sweeper_twice_at_once_retries_once(app, stub):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises every writer: concurrent sweepers need PostgreSQL to mean anything")
    plan, _variants = make_plan()
    subscribers = card_subscribers(plan, ["pm_no_1", "pm_no_2"])
    for card in ("pm_no_1", "pm_no_2"):
        stub.decline(card)
    through_cut_off_of(plan, SATURDAYS[0])
    clock.freeze(clock.now() + timedelta(days=1))
    all_at_once(app, [(), (), ()], lambda: jobs.retry_due_charges())
    for subscription in subscribers:
        row, _order, payment = box_of(subscription)
        assert row.retries == 1
        keys = {post.idempotency_key for post in stub.posts(f"/v1/payment_intents/{payment.gateway_id}/confirm")}
        assert keys == {f"{payment.idempotency_key}-retry-1"}  # however often sent, one retry at Stripe


def test_a_thousand_boxes_with_150_declining_cards_bill_850_and_pause_the_150_after_the_last_retry(stub):
    plan, _variants = make_plan(price=9900)
    cards = [f"pm_ok_{i}" for i in range(850)] + [f"pm_auth_{i}" for i in range(50)] + \
            [f"pm_declined_{i}" for i in range(100)]
    for card in cards[850:900]:
        stub.require_authentication(card)
    for card in cards[900:]:
        stub.decline(card, "insufficient_funds" if card.endswith(("0", "2", "4")) else "card_declined")
    subscribers = card_subscribers(plan, cards)
    stub.fail_next(500)  # Stripe falls over once, in the middle of everything: the batch goes on
    through_cut_off_of(plan, SATURDAYS[0])
    clock.freeze(clock.now() + billing.UNTRIED_AFTER)
    jobs.retry_due_charges()  # the sweeper finds the charge that did not get through

    statuses = dict(db.session.execute(sa.select(Payment.status, sa.func.count()).join(
        SubscriptionCycle, SubscriptionCycle.payment_id == Payment.id).group_by(Payment.status)).all())
    # a bank that wants its card holder is waiting for the member; a decline failed: both are retried
    assert statuses == {PaymentStatus.SUCCEEDED: 850, PaymentStatus.REQUIRES_ACTION: 50, PaymentStatus.FAILED: 100}
    assert db.session.query(Order).filter_by(status=OrderStatus.PAID).count() == 850
    in_retries = db.session.execute(sa.select(SubscriptionCycle.subscription_id).where(
        SubscriptionCycle.next_retry_at.is_not(None))).scalars().all()
    declining = {s.id for s in subscribers[850:]}
    assert set(in_retries) == declining
    codes = dict(db.session.execute(sa.select(Payment.failure_code, sa.func.count()).where(
        Payment.status != PaymentStatus.SUCCEEDED).group_by(Payment.failure_code)).all())
    assert codes["authentication_required"] == 50 and sum(codes.values()) == 150
    assert len(notices("subscription_charge_failed")) == 150

    for days in (1, 3, 5):
        outcomes = retry_days_later(plan, days)
        assert len(outcomes) == 150 and set(outcomes.values()) == {"failed", "requires_action"}
    paused = db.session.execute(sa.select(Subscription.id).where(
        Subscription.status == SubscriptionStatus.PAUSED)).scalars().all()
    assert set(paused) == declining
    assert {n.user_id for n in notices("subscription_paused_unpaid")} == {s.user_id for s in subscribers[850:]}
    assert db.session.query(Subscription).filter_by(status=SubscriptionStatus.ACTIVE).count() == 850
    charges = [post.idempotency_key for post in stub.posts("/v1/payment_intents")]
    assert len(set(charges)) == 1000  # one charge per box, the key its own


def test_nobody_is_billed_once_out_of_the_community_or_with_a_closed_account(stub):
    plan, _variants = make_plan()
    gone, closed, stays = card_subscribers(plan, ["pm_a", "pm_b", "pm_c"])
    db.session.execute(sa.delete(Membership).where(Membership.user_id == gone.user_id))
    db.session.get(User, closed.user_id).is_active_account = False
    db.session.commit()
    through_cut_off_of(plan, SATURDAYS[0])
    billed = db.session.execute(sa.select(SubscriptionCycle.subscription_id)).scalars().all()
    assert billed == [stays.id]
    assert len(stub.posts("/v1/payment_intents")) == 1


def test_paying_by_card_needs_a_saved_card_or_one_to_save(stub):
    from core.errors import DomainError
    from tests.factories import add_member

    plan, _variants = make_plan()
    member = add_member(plan.community)
    with pytest.raises(DomainError) as refused:
        services.subscribe(member, plan.id, pickup_point_id=plan.pickup_points[0].id, payment_choice="card")
    assert refused.value.code == "no_card"
    db.session.rollback()
    assert db.session.query(Subscription).count() == 0
    subscription = services.subscribe(member, plan.id, pickup_point_id=plan.pickup_points[0].id,
                                      payment_choice="card", payment_method=TEST_CARD)
    commit()
    assert subscription.payment_choice == PaymentChoice.CARD and billing.card_on_file(member)
    assert len(stub.posts("/v1/setup_intents")) == 1


def test_without_a_card_gateway_boxes_cannot_be_charged_to_a_card():
    from core.errors import DomainError
    from tests.factories import add_member

    plan, _variants = make_plan()
    member = add_member(plan.community)
    with pytest.raises(DomainError) as refused:
        services.subscribe(member, plan.id, pickup_point_id=plan.pickup_points[0].id, payment_choice="card",
                           payment_method=TEST_CARD)
    assert refused.value.code == "no_card"


def test_the_cycle_started_twice_at_once_makes_and_charges_each_card_box_once(app, stub):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises every writer: concurrent jobs need PostgreSQL to mean anything")
    from subscriptions import cycles

    plan, _variants = make_plan()
    card_subscribers(plan, [f"pm_twice_{i}" for i in range(12)])
    clock.freeze(plans.cycle_of(plan, SATURDAYS[0]).cutoff_at + timedelta(minutes=1))
    day = SATURDAYS[0].isoformat()
    # each start makes its boxes in batches of 5 as its jobs would, and charges what it made
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cycles.box_ranges, "__defaults__", (5,))
        all_at_once(app, [(plan.id, day)] * 3, jobs.start_cycle)
    assert cycles.cycle_progress(plan.id, SATURDAYS[0]) == {
        "decided": 12, "ordered": 12, "left_out": 0, "boxes": 12, "charging": 0}
    assert db.session.query(Order).count() == 12
    keys = [post.idempotency_key for post in stub.posts("/v1/payment_intents")]
    assert len(keys) == len(set(keys)) == 12
