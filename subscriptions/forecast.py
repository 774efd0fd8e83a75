"""The forecast of a plan's coming cycles: committed boxes and item quantities, net of skips, pauses,
cancellations and swaps, with each item's leave-by date (its lead time before delivery) — what the cycle
job will order if nothing changes before the cut-offs. A cycle already cut off counts the boxes it
ordered. The same rules as ``subscriptions.cycles`` decide who is owed a box, so the two agree
(``tests/test_subscription_forecast.py``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa

from core.extensions import db
from subscriptions import cycles, plans
from subscriptions.models import (
    CycleStatus,
    Plan,
    SubscriptionCycle,
    SubscriptionSwap,
)


@dataclass
class CycleForecast:
    delivery_date: date
    cutoff_at: datetime
    boxes: int = 0
    #: (variant id, the date it must leave the supplier) → units
    items: Counter = field(default_factory=Counter)


def _decided(plan: Plan, delivery_date: date) -> list[int]:
    return list(db.session.execute(sa.select(SubscriptionCycle.subscription_id).where(
        SubscriptionCycle.plan_id == plan.id, SubscriptionCycle.delivery_date == delivery_date,
        SubscriptionCycle.status == CycleStatus.ORDERED)).scalars())


def plan_forecast(plan: Plan, now: datetime, count: int = 8) -> list[CycleForecast]:
    """The next ``count`` cycles of the plan (those not yet delivered)."""
    result = []
    for cycle in plans.upcoming(plan, now, count):
        forecast = CycleForecast(cycle.delivery_date, cycle.cutoff_at)
        ids = _decided(plan, cycle.delivery_date) if cycle.cutoff_at <= now else \
            [s.id for s in cycles.owed(plan, cycle.delivery_date, cycle.cutoff_at)][:plan.capacity]
        menu = plans.menu_for(plan, cycle.delivery_date)
        swaps: dict[int, dict[int, int]] = {}
        for swap in db.session.execute(sa.select(SubscriptionSwap).where(
                SubscriptionSwap.delivery_date == cycle.delivery_date,
                SubscriptionSwap.subscription_id.in_(ids))).scalars():
            swaps.setdefault(swap.subscription_id, {})[swap.variant_id] = swap.alternative_id
        for subscription_id in ids:
            forecast.boxes += 1
            mine = swaps.get(subscription_id, {})
            for item in menu:
                variant_id = mine.get(item.variant_id, item.variant_id)
                forecast.items[(variant_id, cycle.leave_by(item.lead_time_days))] += item.quantity
        result.append(forecast)
    return result
