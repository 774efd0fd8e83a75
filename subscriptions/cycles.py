"""The cycle job: at each cycle's cut-off, exactly one decision per subscription — a box ordered, or left
out because the cycle is full — recorded as a ``SubscriptionCycle`` row (unique per subscription and
date) with one Order (``source`` "subscription", ``source_id`` the row's id). Running it again, late, or
twice at once makes nothing twice: runs of one plan queue on the plan's row, and each row is unique.

Who gets a box is decided as things stood at the cut-off (``Subscription.due_for``: subscribed before it,
not cancelled or paused by then) and not skipped; the capacity goes in subscription order, and those left
out are told. The box is the cycle's menu (``plans.menu_for``) with the member's swaps; its price is the
plan's, spread over its lines by their retail prices. Paying at pickup makes a pending offline payment
for the shopkeeper to confirm. Charging saved cards is not built yet (docs/SUBSCRIPTIONS.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from core import clock, notify
from core.extensions import db
from orders.services import LineSpec, create_order
from payments.models import PaymentPurpose
from payments.services import create_payment
from subscriptions import plans
from subscriptions.models import (
    CycleStatus,
    PaymentChoice,
    Plan,
    PlanStatus,
    Subscription,
    SubscriptionCycle,
    SubscriptionSkip,
    SubscriptionSwap,
)
from supplier.models import Variant

SOURCE = "subscription"  #: ``Order.source`` of a box (``source_id``: the SubscriptionCycle's id)
LOOK_BACK = timedelta(days=14)  #: a sweeper that was down catches up on cycles cut off this recently

notify.register("subscription_left_out",
                _l("The box of %(date)s from “%(plan)s” was full before your turn: no box this time, nothing "
                   "to pay. You stay subscribed for the next ones."), _l("No box this time: %(plan)s"))


def reference_for(cycle_row_id: int) -> str:
    return f"subscription-cycle:{cycle_row_id}"


def split_price(price: int, weights: list[int]) -> list[int]:
    """``price`` in whole minor units over lines in proportion to ``weights`` (largest remainders first;
    equal shares when every weight is 0): the parts always add up to ``price``."""
    total = sum(weights)
    if total <= 0:
        weights, total = [1] * len(weights), len(weights)
    shares = [price * weight // total for weight in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(price * weights[i] % total), i))
    for i in order[:price - sum(shares)]:
        shares[i] += 1
    return shares


@dataclass(frozen=True)
class _Box:
    """What every box of one cycle is made of, read once per cycle (not once per subscription)."""

    menu: list[tuple[int, int]]  #: (variant id, quantity)
    swaps: dict[int, dict[int, int]]  #: subscription id → {variant id: alternative id}
    variants: dict[int, Variant]


def _box(plan: Plan, delivery_date: date) -> _Box:
    menu = [(item.variant_id, item.quantity) for item in plans.menu_for(plan, delivery_date)]
    swaps: dict[int, dict[int, int]] = {}
    for swap in db.session.execute(sa.select(SubscriptionSwap).join(Subscription).where(
            Subscription.plan_id == plan.id, SubscriptionSwap.delivery_date == delivery_date)).scalars():
        swaps.setdefault(swap.subscription_id, {})[swap.variant_id] = swap.alternative_id
    wanted = {variant_id for variant_id, _ in menu} | {alt for mine in swaps.values() for alt in mine.values()}
    variants = {v.id: v for v in db.session.execute(sa.select(Variant).where(Variant.id.in_(wanted))).scalars()}
    return _Box(menu, swaps, variants)


def _lines(plan: Plan, box: _Box, subscription: Subscription) -> list[LineSpec]:
    mine = box.swaps.get(subscription.id, {})
    items = [(mine.get(variant_id, variant_id), quantity) for variant_id, quantity in box.menu]
    variants = box.variants
    amounts = split_price(plan.price, [variants[v].retail_price * quantity for v, quantity in items])
    # a line's unit price is its share over its quantity; a remainder goes on the line as one more unit price
    lines = []
    for (variant_id, quantity), amount in zip(items, amounts, strict=True):
        variant = variants[variant_id]
        unit, extra = divmod(amount, quantity)
        if extra:
            lines.append(LineSpec(variant_id, quantity - 1, unit, variant.wholesale_price))
            lines.append(LineSpec(variant_id, 1, unit + extra, variant.wholesale_price))
        else:
            lines.append(LineSpec(variant_id, quantity, unit, variant.wholesale_price))
    return [line for line in lines if line.quantity > 0]


def owed(plan: Plan, delivery_date: date, cutoff_at: datetime) -> list[Subscription]:
    """The plan's subscriptions owed the box of ``delivery_date``, in subscription order, before capacity:
    subscribed before the cut-off, not cancelled or paused by then, not skipped."""
    skipped = set(db.session.execute(sa.select(SubscriptionSkip.subscription_id).join(Subscription).where(
        Subscription.plan_id == plan.id, SubscriptionSkip.delivery_date == delivery_date)).scalars())
    candidates = db.session.execute(sa.select(Subscription).where(
        Subscription.plan_id == plan.id, Subscription.subscribed_at < cutoff_at).order_by(Subscription.id)).scalars()
    return [s for s in candidates if s.id not in skipped and s.due_for(delivery_date, cutoff_at)]


def run_cycle(plan_id: int, delivery_date: date) -> dict[str, int]:
    """Decide the cycle of ``delivery_date`` for every subscription of the plan (after its cut-off);
    returns how many were ordered and left out now ("skipped" key: not yet cut off, or no such plan)."""
    plan = db.session.execute(sa.select(Plan).where(Plan.id == plan_id).with_for_update()
                              .execution_options(populate_existing=True)).scalar_one_or_none()
    if plan is None:
        return {"skipped": 1}
    cycle = plans.cycle_of(plan, delivery_date)
    if clock.now() < cycle.cutoff_at:
        return {"skipped": 1}
    decided = set(db.session.execute(sa.select(SubscriptionCycle.subscription_id).where(
        SubscriptionCycle.plan_id == plan.id, SubscriptionCycle.delivery_date == delivery_date)).scalars())
    ordered = db.session.execute(sa.select(sa.func.count()).select_from(SubscriptionCycle).where(
        SubscriptionCycle.plan_id == plan.id, SubscriptionCycle.delivery_date == delivery_date,
        SubscriptionCycle.status == CycleStatus.ORDERED)).scalar_one()
    counts = {"ordered": 0, "left_out": 0}
    box = None
    for subscription in owed(plan, delivery_date, cycle.cutoff_at):
        if subscription.id in decided:
            continue
        full = plan.capacity is not None and ordered >= plan.capacity
        row = SubscriptionCycle(plan_id=plan.id, subscription_id=subscription.id, delivery_date=delivery_date,
                                status=CycleStatus.LEFT_OUT if full else CycleStatus.ORDERED)
        try:
            with db.session.begin_nested():
                db.session.add(row)
                db.session.flush()
        except IntegrityError:  # decided by a run that got there first
            continue
        if full:
            notify.tell(subscription.user, "subscription_left_out", key=f"subscription-left-out-{row.id}",
                        plan=plan.name, date=delivery_date.isoformat())
        else:
            box = box or _box(plan, delivery_date)
            _order(plan, box, subscription, row)
            ordered += 1
        counts[row.status.value] += 1
    return counts


def _order(plan: Plan, box: _Box, subscription: Subscription, row: SubscriptionCycle) -> None:
    order = create_order(user_id=subscription.user_id, community_id=plan.community_id,
                         pickup_point_id=subscription.pickup_point_id, source=SOURCE, source_id=row.id,
                         currency=plan.currency, lines=_lines(plan, box, subscription))
    row.order_id = order.id
    if subscription.payment_choice == PaymentChoice.AT_PICKUP and order.total_amount > 0:
        create_payment(PaymentPurpose.BALANCE, reference_for(row.id), subscription.user, order.total_amount,
                       plan.currency, gateway="offline")
    db.session.flush()


def due_cycles() -> list[tuple[int, date]]:
    """(plan id, delivery date) of every open plan's cycles cut off within ``LOOK_BACK`` and not yet
    delivered — what the sweeper runs (each run decides only the subscriptions not decided yet)."""
    now = clock.now()
    found = []
    for plan in db.session.execute(sa.select(Plan).where(Plan.status == PlanStatus.OPEN).order_by(Plan.id)).scalars():
        for cycle in plans.upcoming(plan, now - LOOK_BACK, 4):
            if cycle.cutoff_at <= now < cycle.delivers_at:
                found.append((plan.id, cycle.delivery_date))
    return found

