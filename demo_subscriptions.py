"""The demo's subscription boxes (``demo.seed_demo`` calls ``seed_subscriptions``), made through the services
the pages use, in Lin's Fruit Club:

- an open weekly fruit box on Saturdays: mangoes (ripening 4 days on the way) and blueberries by default,
  apples instead of mangoes in the box after next (a menu of its own), and mangoes swappable for apples;
- an open fortnightly vegetable box on Wednesdays: spinach;
- about eight subscribers to the fruit box — the demo member Mei among them, so that her subscription
  has something to show — one skipping next week's box, one swapping its mangoes, one paused for a few
  weeks; and a few to the vegetable box.

Everyone subscribes now, so no cycle already cut off owes anyone a box: the first boxes are the next ones."""

from __future__ import annotations

import random

import sqlalchemy as sa

from accounts.models import User
from core import clock
from core.extensions import db
from shopkeeper.models import Community, Membership
from supplier.models import Variant

SATURDAY, WEDNESDAY = 5, 2


def _variant(sku: str) -> int:
    return db.session.execute(sa.select(Variant.id).where(Variant.sku == sku)).scalar_one()


def seed_subscriptions(lin: User, fruit: Community, members: list[Membership], member: User,
                       rng: random.Random) -> None:
    from subscriptions import plans, services

    now = clock.now()
    today = now.date()
    mangoes, blueberries, apples, spinach = (_variant(sku) for sku in ("SV-001", "SV-002", "SV-003", "SV-004"))
    points = [point.id for point in fruit.pickup_points]
    box = plans.create_plan(
        lin, fruit, name="应季水果箱 Seasonal fruit box", cadence="weekly", weekday=SATURDAY, starts_on=today,
        price=9900, cutoff_hours=48, pickup_point_ids=points,
        items=[(mangoes, 1, 4), (blueberries, 1, 2)], swaps=[(mangoes, apples)],
        description="Whatever is ripest this week, picked for you every Saturday. Skip, swap or pause any week "
                    "until Thursday morning.")
    plans.open_plan(lin, box.id)
    upcoming = [cycle for cycle in plans.upcoming(box, now, 6) if cycle.open_for_changes(now)]
    next_box, after_next = upcoming[0].delivery_date, upcoming[1].delivery_date
    plans.set_menu(lin, box.id, after_next, [(apples, 1, 6), (blueberries, 1, 2)], now)

    greens = plans.create_plan(
        lin, fruit, name="双周蔬菜箱 Fortnightly vegetable box", cadence="fortnightly", weekday=WEDNESDAY,
        starts_on=today, price=3900, cutoff_hours=24, pickup_point_ids=points[:1], items=[(spinach, 3, 1)],
        description="Three bags of washed baby spinach every other Wednesday.")
    plans.open_plan(lin, greens.id)

    others = [m for m in members if m.user_id != member.id]
    chosen = [member] + [m.user for m in rng.sample(others, min(7, len(others)))]
    subscriptions = []
    for user in chosen:
        point = next((m.pickup_point_id for m in members if m.user_id == user.id and m.pickup_point_id), points[0])
        subscriptions.append(services.subscribe(user, box.id, pickup_point_id=point))
    if len(subscriptions) > 1:
        services.skip(chosen[1], subscriptions[1].id, next_box)
    if len(subscriptions) > 2:
        services.swap(chosen[2], subscriptions[2].id, next_box, mangoes, apples)
    if len(subscriptions) > 3:
        services.pause(chosen[3], subscriptions[3].id, until=upcoming[3].delivery_date)
    for user in chosen[::3]:
        services.subscribe(user, greens.id, pickup_point_id=points[0])
    db.session.flush()
