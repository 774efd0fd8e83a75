"""The cycle job (issue #5, acceptance 1 and 2): through six weekly cycles with a skip, a pause, a resume,
a swap and a cancel, exactly one order per cycle the member was owed and nothing otherwise; a closed plan
makes none; run twice, or two at once, nothing twice; a full cycle leaves the last subscribers out and
tells them. The clock is moved, never slept."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from core import clock
from core.db import commit
from core.extensions import db
from core.notify import Notification
from orders.models import Order, OrderLine
from payments.models import Payment
from subscriptions import cycles, jobs, plans, services
from subscriptions.models import CycleStatus, SubscriptionCycle
from tests.concurrency import all_at_once
from tests.subscription_factories import NOW, make_plan, make_subscriber

SATURDAYS = [date(2026, 11, 28) + timedelta(weeks=n) for n in range(6)]


@pytest.fixture(autouse=True)
def _sunday_noon_in_shanghai():
    clock.freeze(datetime.fromisoformat(NOW))


def _orders_of(subscription) -> dict[date, Order]:
    rows = db.session.execute(sa.select(SubscriptionCycle.delivery_date, Order).join(
        Order, Order.id == SubscriptionCycle.order_id).where(SubscriptionCycle.subscription_id == subscription.id)
    ).all()
    return dict(rows)


def _through_cut_off_of(plan, day: date) -> None:
    """Move the clock just past the cut-off of ``day``'s box and let the sweeper run, as cron would."""
    clock.freeze(plans.cycle_of(plan, day).cutoff_at + timedelta(minutes=1))
    jobs.run_due_cycles()


def test_six_cycles_with_a_skip_pause_resume_swap_and_cancel_make_one_order_per_owed_box():
    plan, variants = make_plan(price=12800)
    subscription = make_subscriber(plan)
    member = subscription.user
    services.skip(member, subscription.id, SATURDAYS[1])
    services.swap(member, subscription.id, SATURDAYS[0], variants[0].id, variants[2].id)
    commit()

    _through_cut_off_of(plan, SATURDAYS[0])  # ordered, with the swap
    _through_cut_off_of(plan, SATURDAYS[1])  # skipped
    services.pause(member, subscription.id, until=SATURDAYS[4])  # the 3rd and 4th paused
    commit()
    _through_cut_off_of(plan, SATURDAYS[2])
    _through_cut_off_of(plan, SATURDAYS[3])
    _through_cut_off_of(plan, SATURDAYS[4])  # back
    services.cancel(member, subscription.id)
    services.skip(plan.community.owner, make_subscriber(plan).id, SATURDAYS[5])  # someone else, irrelevant
    commit()
    _through_cut_off_of(plan, SATURDAYS[5])  # cancelled: nothing
    orders = _orders_of(subscription)
    assert sorted(orders) == [SATURDAYS[0], SATURDAYS[4]]
    first = orders[SATURDAYS[0]]
    assert first.total_amount == 12800 and first.source == cycles.SOURCE
    lines = db.session.execute(sa.select(OrderLine.variant_id, sa.func.sum(OrderLine.quantity)).where(
        OrderLine.order_id == first.id).group_by(OrderLine.variant_id)).all()
    assert dict(lines) == {variants[2].id: 1, variants[1].id: 1}  # the swap, and the item kept
    assert {line.variant_id for line in orders[SATURDAYS[4]].lines} == {variants[0].id, variants[1].id}
    payments = db.session.execute(sa.select(Payment.reference, Payment.amount, Payment.gateway)).all()
    assert sorted(p for p in payments if p.reference.startswith("subscription-cycle:")) == sorted(
        (cycles.reference_for(row_id), 12800, "offline") for row_id in db.session.execute(
            sa.select(SubscriptionCycle.id).where(SubscriptionCycle.subscription_id == subscription.id)).scalars())


def test_a_change_after_the_cut_off_does_not_reach_back_even_when_the_job_runs_late():
    plan, _variants = make_plan()
    subscription = make_subscriber(plan)
    clock.freeze(plans.cycle_of(plan, SATURDAYS[0]).cutoff_at + timedelta(hours=1))
    services.cancel(subscription.user, subscription.id)  # after the 28th's cut-off, before the job ran
    commit()
    jobs.run_due_cycles()
    assert sorted(_orders_of(subscription)) == [SATURDAYS[0]]


def test_nothing_is_ordered_before_the_cut_off_nor_for_a_closed_plan():
    plan, _variants = make_plan()
    subscription = make_subscriber(plan)
    clock.freeze(plans.cycle_of(plan, SATURDAYS[0]).cutoff_at - timedelta(minutes=1))
    assert cycles.run_cycle(plan.id, SATURDAYS[0]) == {"skipped": 1}
    plans.close_plan(plan.community.owner, plan.id)
    commit()
    _through_cut_off_of(plan, SATURDAYS[0])
    assert _orders_of(subscription) == {}


def test_running_the_cycle_twice_orders_and_charges_once():
    plan, _variants = make_plan()
    subscribers = [make_subscriber(plan) for _ in range(3)]
    _through_cut_off_of(plan, SATURDAYS[0])
    assert jobs.run_due_cycles() == {f"{plan.id}:{SATURDAYS[0].isoformat()}": {"ordered": 0, "left_out": 0}}
    assert [len(_orders_of(s)) for s in subscribers] == [1, 1, 1]
    assert db.session.query(Payment).filter(Payment.reference.like("subscription-cycle:%")).count() == 3


def test_two_cycle_jobs_at_once_order_each_box_once(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises every writer: concurrent jobs need PostgreSQL to mean anything")
    plan, _variants = make_plan(capacity=4)
    subscribers = [make_subscriber(plan) for _ in range(6)]
    clock.freeze(plans.cycle_of(plan, SATURDAYS[0]).cutoff_at + timedelta(minutes=1))
    results = all_at_once(app, [(plan.id, SATURDAYS[0])] * 4, cycles.run_cycle)
    assert sum(r["ordered"] for r in results) == 4 and sum(r["left_out"] for r in results) == 2
    assert [len(_orders_of(s)) for s in subscribers] == [1, 1, 1, 1, 0, 0]
    assert db.session.query(Order).filter_by(source=cycles.SOURCE).count() == 4


def test_a_full_cycle_leaves_the_latest_subscribers_out_and_tells_them():
    plan, _variants = make_plan(capacity=2)
    subscribers = [make_subscriber(plan) for _ in range(3)]
    services.skip(subscribers[0].user, subscribers[0].id, SATURDAYS[0])  # a skip frees a place
    commit()
    _through_cut_off_of(plan, SATURDAYS[0])
    assert [len(_orders_of(s)) for s in subscribers] == [0, 1, 1]
    _through_cut_off_of(plan, SATURDAYS[1])
    assert [len(_orders_of(s)) for s in subscribers] == [1, 2, 1]
    left_out = db.session.execute(sa.select(SubscriptionCycle).where(SubscriptionCycle.status == CycleStatus.LEFT_OUT)
                                  ).scalars().all()
    assert [(row.subscription_id, row.delivery_date) for row in left_out] == [(subscribers[2].id, SATURDAYS[1])]
    told = db.session.execute(sa.select(Notification.user_id).where(Notification.kind == "subscription_left_out")
                              ).scalars().all()
    assert told == [subscribers[2].user_id]


@given(price=st.integers(0, 10**7), weights=st.lists(st.integers(0, 10**5), min_size=1, max_size=12))
def test_a_box_price_is_split_over_its_lines_to_the_minor_unit(price, weights):
    shares = cycles.split_price(price, weights)
    assert sum(shares) == price and len(shares) == len(weights) and all(share >= 0 for share in shares)
    if sum(weights):
        assert all(share == 0 for share, weight in zip(shares, weights, strict=True) if weight == 0)
