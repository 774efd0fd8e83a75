"""Factories for subscription boxes: a plan made through ``subscriptions.plans`` (committed, as a request
would), its variants, and subscribers."""

from __future__ import annotations

from datetime import date

from core.extensions import db
from tests.factories import add_member, make_community, make_pickup_point, make_product, make_supplier

#: Sunday 22 November 2026, 12:00 in Shanghai; a Saturday plan's next boxes: 28 Nov, 5 Dec, 12 Dec …
NOW = "2026-11-22T04:00:00+00:00"


def make_plan(community=None, *, cadence: str = "weekly", weekday: int = 5, starts_on: date = date(2026, 11, 1),
              price: int = 12800, cutoff_hours: int = 48, capacity: int | None = None, status: str = "open",
              lead_times: tuple[int, ...] = (4, 0), swaps: bool = True):
    """An open weekly Saturday plan with two items (mangoes ripening 4 days, then spinach) and an allowed
    swap of the first for a third variant. Returns (plan, variants)."""
    from subscriptions import plans

    community = community or make_community()
    if not community.pickup_points:
        make_pickup_point(community)
    supplier = make_supplier()
    variants = [make_product(supplier).variants[0] for _ in range(len(lead_times) + 1)]
    plan = plans.create_plan(
        community.owner, community, name="Seasonal fruit box", cadence=cadence, weekday=weekday, starts_on=starts_on,
        price=price, cutoff_hours=cutoff_hours, capacity=capacity,
        items=[(variant.id, 1, lead) for variant, lead in zip(variants, lead_times, strict=False)],
        pickup_point_ids=[community.pickup_points[0].id],
        swaps=[(variants[0].id, variants[-1].id)] if swaps else [])
    if status == "open":
        plans.open_plan(community.owner, plan.id)
    db.session.commit()
    return plan, variants


def make_subscriber(plan, user=None, **options):
    from subscriptions import services

    user = add_member(plan.community, user)
    subscription = services.subscribe(user, plan.id, pickup_point_id=plan.pickup_points[0].id, **options)
    db.session.commit()
    return subscription
