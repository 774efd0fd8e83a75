"""The cycle job: at each cycle's cut-off, exactly one decision per subscription — a box ordered, or left
out because the cycle is full — recorded as a ``SubscriptionCycle`` row (unique per subscription and
date) with one Order (``source`` "subscription", ``source_id`` the row's id). Running it again, late, or
twice at once makes nothing twice: runs of one plan queue on the plan's row, and each row is unique.

Who gets a box is decided as things stood at the cut-off (``Subscription.due_for``: subscribed before it,
not cancelled or paused by then) and not skipped; the capacity goes in subscription order, and those left
out are told. The box is the cycle's menu (``plans.menu_for``) with the member's swaps; its price is the
plan's, spread over its lines by their retail prices. Paying at pickup makes a pending offline payment
for the shopkeeper to confirm; a card payment is charged off-session once its batch is committed
(``subscriptions.billing``).

The work comes in two steps, so that the workers share a cycle of 50,000 boxes: ``decide`` (one unit of
work per plan and cycle, under the plan's lock) writes every row, and ``make_boxes`` makes the Orders and
payments of a range of rows (one unit of work per batch; any worker, in any order, any number of times).
``run_cycle`` does both in the caller's unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from accounts.models import User
from core import clock, notify
from core.extensions import db
from orders.services import LineSpec, build_order
from payments.cover import announce_due
from payments.gateway import current_gateway_name
from payments.models import Payment, PaymentPurpose, PaymentStatus, untried
from payments.services import PaymentSpec, create_payments, default_key
from shopkeeper.models import Membership
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
BOX_BATCH = 500  #: rows per ``make_boxes`` unit of work

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
    """The plan's subscriptions owed the box of ``delivery_date`` and not decided yet, in subscription
    order, before capacity: subscribed before the cut-off, not cancelled or paused by then, not skipped, by
    a member still in the community with an account still open (nobody who left, or was removed, is ever
    billed). A sweep after the cycle was decided reads only the few left undecided."""
    skipped = set(db.session.execute(sa.select(SubscriptionSkip.subscription_id).join(Subscription).where(
        Subscription.plan_id == plan.id, SubscriptionSkip.delivery_date == delivery_date)).scalars())
    candidates = db.session.execute(
        sa.select(Subscription)
        .join(Membership, sa.and_(Membership.user_id == Subscription.user_id,
                                  Membership.community_id == plan.community_id))
        .join(User, User.id == Subscription.user_id)
        .where(Subscription.plan_id == plan.id, Subscription.subscribed_at < cutoff_at,
               User.is_active_account.is_(True),
               ~sa.exists().where(SubscriptionCycle.subscription_id == Subscription.id,
                                  SubscriptionCycle.delivery_date == delivery_date))
        .order_by(Subscription.id)).scalars()
    return [s for s in candidates if s.id not in skipped and s.due_for(delivery_date, cutoff_at)]


def _locked_plan(plan_id: int) -> Plan | None:
    return db.session.execute(sa.select(Plan).where(Plan.id == plan_id).with_for_update()
                              .execution_options(populate_existing=True)).scalar_one_or_none()


def _of_cycle(plan_id: int, delivery_date: date):
    return sa.and_(SubscriptionCycle.plan_id == plan_id, SubscriptionCycle.delivery_date == delivery_date)


def decide(plan_id: int, delivery_date: date) -> dict[str, int]:
    """Write the row of every subscription owed the box of ``delivery_date`` and not decided yet (after
    the cut-off): ORDERED while the capacity lasts, in subscription order, LEFT_OUT (and told) after.
    Runs of one plan queue on its row. Returns how many were ordered and left out now ("skipped": not
    cut off yet, or no such plan). The boxes are made by ``make_boxes``."""
    plan = _locked_plan(plan_id)
    if plan is None:
        return {"skipped": 1}
    cycle = plans.cycle_of(plan, delivery_date)
    if clock.now() < cycle.cutoff_at:
        return {"skipped": 1}
    ordered = db.session.execute(sa.select(sa.func.count()).select_from(SubscriptionCycle).where(
        _of_cycle(plan.id, delivery_date), SubscriptionCycle.status == CycleStatus.ORDERED)).scalar_one()
    rows, left_out = [], []
    for subscription in owed(plan, delivery_date, cycle.cutoff_at):
        full = plan.capacity is not None and ordered >= plan.capacity
        ordered += not full
        rows.append({"plan_id": plan.id, "subscription_id": subscription.id, "delivery_date": delivery_date,
                     "status": CycleStatus.LEFT_OUT if full else CycleStatus.ORDERED})
        if full:
            left_out.append(subscription)
    for start in range(0, len(rows), 1000):
        db.session.execute(sa.insert(SubscriptionCycle), rows[start:start + 1000])
    if left_out:
        row_ids = dict(db.session.execute(sa.select(SubscriptionCycle.subscription_id, SubscriptionCycle.id).where(
            _of_cycle(plan.id, delivery_date), SubscriptionCycle.status == CycleStatus.LEFT_OUT)).all())
        users = {u.id: u for u in db.session.execute(sa.select(User).where(
            User.id.in_([s.user_id for s in left_out]))).scalars()}
        for subscription in left_out:
            notify.tell(users[subscription.user_id], "subscription_left_out",
                        key=f"subscription-left-out-{row_ids[subscription.id]}",
                        plan=plan.name, date=delivery_date.isoformat())
    return {"ordered": len(rows) - len(left_out), "left_out": len(left_out)}


def box_ranges(plan_id: int, delivery_date: date, batch: int = BOX_BATCH) -> list[tuple[int, int]]:
    """(first, last) row ids of the cycle's batches of ``batch`` ORDERED rows that still have a box to
    make. The batches are cut over all the cycle's ORDERED rows, so a batch keeps its bounds (and its job
    id) however many boxes are made meanwhile."""
    rows = db.session.execute(sa.select(SubscriptionCycle.id, SubscriptionCycle.order_id).where(
        _of_cycle(plan_id, delivery_date), SubscriptionCycle.status == CycleStatus.ORDERED)
        .order_by(SubscriptionCycle.id)).all()
    return [(chunk[0].id, chunk[-1].id) for chunk in (rows[start:start + batch]
                                                       for start in range(0, len(rows), batch))
            if any(row.order_id is None for row in chunk)]


def make_boxes(plan_id: int, delivery_date: date, first_id: int, last_id: int) -> tuple[int, list[int]]:
    """Make the Order and payment of each ORDERED row from ``first_id`` to ``last_id`` whose box is not
    made yet, skipping rows another unit of work is making at this moment. Returns how many were made
    and the ids of the card payments to charge once this unit of work is committed."""
    plan = db.session.get(Plan, plan_id)
    query = (sa.select(SubscriptionCycle).where(
        _of_cycle(plan_id, delivery_date), SubscriptionCycle.status == CycleStatus.ORDERED,
        SubscriptionCycle.order_id.is_(None), SubscriptionCycle.id.between(first_id, last_id))
        .order_by(SubscriptionCycle.id).with_for_update(skip_locked=True))
    rows = db.session.execute(query).scalars().all()
    if plan is None or not rows:
        return 0, []
    box = _box(plan, delivery_date)
    subscriptions = {s.id: s for s in db.session.execute(sa.select(Subscription).where(
        Subscription.id.in_([row.subscription_id for row in rows]))).scalars()}
    orders = []
    for row in rows:
        subscription = subscriptions[row.subscription_id]
        orders.append(build_order(user_id=subscription.user_id, community_id=plan.community_id,
                                  pickup_point_id=subscription.pickup_point_id, source=SOURCE, source_id=row.id,
                                  currency=plan.currency, lines=_lines(plan, box, subscription)))
    db.session.add_all(orders)
    db.session.flush()
    card_gateway = current_gateway_name()
    specs, payers = [], []
    for row, order in zip(rows, orders, strict=True):
        row.order_id = order.id
        if order.total_amount > 0:
            choice = subscriptions[row.subscription_id].payment_choice
            gateway = card_gateway if choice == PaymentChoice.CARD else "offline"
            reference = reference_for(row.id)
            specs.append(PaymentSpec(PaymentPurpose.BALANCE, reference, order.user_id, order.total_amount,
                                     plan.currency, default_key(PaymentPurpose.BALANCE, reference), gateway,
                                     order_id=order.id))
            payers.append(row)
    payments = create_payments(specs)
    for row, payment in zip(payers, payments, strict=True):
        row.payment_id = payment.id
    db.session.flush()
    announce_due(payments)  # store credit covers what it can before any card is charged
    return len(rows), [payment.id for payment in payments
                       if payment.gateway != "offline" and payment.status == PaymentStatus.PENDING]


def run_cycle(plan_id: int, delivery_date: date) -> dict[str, int]:
    """``decide`` and ``make_boxes`` for the whole cycle, in the caller's unit of work (the card payments
    are left PENDING for ``subscriptions.billing`` to charge after the commit)."""
    counts = decide(plan_id, delivery_date)
    for first_id, last_id in box_ranges(plan_id, delivery_date):
        make_boxes(plan_id, delivery_date, first_id, last_id)
    return counts


def cycle_progress(plan_id: int, delivery_date: date) -> dict[str, int]:
    """Where a cycle stands: rows decided, ordered and left out, boxes made, and card payments not yet
    tried (complete when ``boxes == ordered`` and ``charging == 0``)."""
    of_cycle = _of_cycle(plan_id, delivery_date)
    counts = dict(db.session.execute(sa.select(SubscriptionCycle.status, sa.func.count()).where(of_cycle)
                                     .group_by(SubscriptionCycle.status)).all())
    boxes = db.session.execute(sa.select(sa.func.count()).select_from(SubscriptionCycle).where(
        of_cycle, SubscriptionCycle.order_id.is_not(None))).scalar_one()
    charging = db.session.execute(sa.select(sa.func.count()).select_from(Payment).join(
        SubscriptionCycle, SubscriptionCycle.payment_id == Payment.id).where(of_cycle, untried())
    ).scalar_one()
    ordered, left_out = counts.get(CycleStatus.ORDERED, 0), counts.get(CycleStatus.LEFT_OUT, 0)
    return {"decided": ordered + left_out, "ordered": ordered, "left_out": left_out, "boxes": boxes,
            "charging": charging}


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
