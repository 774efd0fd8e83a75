"""The forecast (issue #5, acceptance 4): boxes and item quantities for the coming cycles, net of skips,
pauses, cancellations and swaps, each item with the date it must leave the supplier — equal to what the
cycle job orders at the cut-off."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from core import clock
from core.db import commit
from core.extensions import db
from orders.models import OrderLine
from subscriptions import forecast, jobs, plans, services
from subscriptions.models import SubscriptionCycle
from tests.subscription_factories import NOW, make_plan, make_subscriber

SAT_28, SAT_5, SAT_12 = date(2026, 11, 28), date(2026, 12, 5), date(2026, 12, 12)


@pytest.fixture(autouse=True)
def _sunday_noon_in_shanghai():
    clock.freeze(datetime.fromisoformat(NOW))


def _ordered_units(delivery_date: date) -> tuple[int, Counter]:
    rows = db.session.execute(sa.select(SubscriptionCycle.order_id).where(
        SubscriptionCycle.delivery_date == delivery_date, SubscriptionCycle.order_id.is_not(None))).scalars().all()
    units = Counter()
    for variant_id, quantity in db.session.execute(sa.select(OrderLine.variant_id, OrderLine.quantity).where(
            OrderLine.order_id.in_(rows))).all():
        units[variant_id] += quantity
    return len(rows), units


def test_the_forecast_equals_what_the_cycle_job_orders():
    plan, variants = make_plan(capacity=3, lead_times=(4, 0))
    subscribers = [make_subscriber(plan) for _ in range(5)]
    services.skip(subscribers[0].user, subscribers[0].id, SAT_28)
    services.pause(subscribers[1].user, subscribers[1].id, until=SAT_12)
    services.swap(subscribers[2].user, subscribers[2].id, SAT_28, variants[0].id, variants[2].id)
    services.swap(subscribers[3].user, subscribers[3].id, SAT_5, variants[0].id, variants[2].id)
    commit()

    coming = forecast.plan_forecast(plan, clock.now(), 8)
    assert [cycle.delivery_date for cycle in coming][:3] == [SAT_28, SAT_5, SAT_12] and len(coming) == 8
    first, second = coming[0], coming[1]
    assert first.boxes == 3  # five subscribers, one skipped, one paused; three fit the capacity
    mangoes, spinach, swapped = variants[0].id, variants[1].id, variants[2].id
    assert first.items == Counter({(mangoes, date(2026, 11, 24)): 2, (swapped, date(2026, 11, 24)): 1,
                                   (spinach, SAT_28): 3})  # mangoes leave 4 days before, spinach on the day
    assert second.boxes == 3 and second.items[(swapped, date(2026, 12, 1))] == 1

    for cycle in coming[:2]:
        clock.freeze(cycle.cutoff_at + timedelta(minutes=1))
        jobs.run_due_cycles()
        boxes, units = _ordered_units(cycle.delivery_date)
        expected = Counter()
        for (variant_id, _leave_by), quantity in cycle.items.items():
            expected[variant_id] += quantity
        assert (boxes, units) == (cycle.boxes, expected)
    # once cut off, the forecast counts what was ordered
    assert forecast.plan_forecast(plan, clock.now(), 1)[0].boxes == second.boxes


def test_a_cycle_menu_and_a_cancellation_show_in_the_forecast():
    plan, variants = make_plan()
    subscribers = [make_subscriber(plan) for _ in range(2)]
    plans.set_menu(plan.community.owner, plan.id, SAT_5, [(variants[1].id, 2, 1)], clock.now())
    services.cancel(subscribers[1].user, subscribers[1].id)
    commit()
    coming = forecast.plan_forecast(plan, clock.now(), 2)
    assert [c.boxes for c in coming] == [1, 1]
    assert coming[1].items == Counter({(variants[1].id, date(2026, 12, 4)): 2})
