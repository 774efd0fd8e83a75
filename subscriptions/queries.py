"""The read side of subscription boxes, for the API and the pages: a community's plans as the caller may
see them, a plan's next boxes, my subscriptions, one subscription with its coming deliveries (skips and
swaps applied) and its past boxes with their payments, and a page of a plan's subscriptions for its
shopkeepers. Every answer is scoped by community and role, as ``plans`` and ``services`` are."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from accounts.models import User
from core.extensions import db
from core.paging import Page
from payments import dunning
from payments.models import Payment
from payments.services import payments_for_many
from shopkeeper.access import require_member
from shopkeeper.models import Community, Membership, MembershipRole
from subscriptions import cycles, plans
from subscriptions.calendar import Cycle
from subscriptions.models import (
    CycleStatus,
    Plan,
    PlanItem,
    PlanStatus,
    Subscription,
    SubscriptionCycle,
    SubscriptionSkip,
    SubscriptionStatus,
    SubscriptionSwap,
)
from supplier.models import Variant

NEXT_BOXES = 4  #: coming deliveries shown with a plan or a subscription
PAST_BOXES = 12  #: past boxes shown with a subscription, newest first
PER_PAGE, PER_PAGE_MAX = 50, 200


@dataclass
class BoxItem:
    variant_id: int
    sku: str
    product: str
    variant: str
    unit: str
    quantity: int
    lead_time_days: int
    leave_by: date
    swapped_from: int | None = None  #: the menu's variant, when the member swapped it for this one
    alternatives: list[Variant] = field(default_factory=list)  #: what the menu's variant may be swapped for


@dataclass
class Box:
    delivery_date: date
    cutoff_at: datetime
    open_for_changes: bool
    items: list[BoxItem]
    skipped: bool = False  #: the member skipped it
    coming: bool = True  #: the member gets it, as things stand (not skipped, paused or cancelled)


@dataclass
class PastBox:
    delivery_date: date
    status: str  #: ``CycleStatus``: ordered, or left out of a full cycle
    order_id: int | None
    payment: Payment | None  #: the latest payment for the box, if any

    @property
    def failure_reason(self) -> str | None:
        return dunning.failure_reason(self.payment) if self.payment else None

    @property
    def needs_member(self) -> bool:
        return bool(self.payment and dunning.needs_member(self.payment))

    @property
    def pay_url(self) -> str | None:
        return dunning.pay_url(self.payment) if self.needs_member else None


@dataclass
class SubscriptionView:
    """A subscription (its columns read through) with its coming and past boxes."""

    subscription: Subscription
    upcoming: list[Box]
    past: list[PastBox]

    def __getattr__(self, name: str):
        return getattr(self.subscription, name)


@dataclass
class MenuItem:
    variant: Variant
    quantity: int
    lead_time_days: int


@dataclass
class PlanView:
    """A plan (its columns read through) with its default menu, the swaps it allows and its next boxes."""

    plan: Plan
    menu: list[MenuItem]
    swaps: list[tuple[Variant, Variant]]  #: (variant, alternative)
    next_boxes: list[Box]

    def __getattr__(self, name: str):
        return getattr(self.plan, name)


def community_plans(user: User, community: Community) -> list[Plan]:
    """Open plans for members; every plan (drafts and closed ones too) for the shopkeepers."""
    membership = require_member(user, community)
    query = sa.select(Plan).where(Plan.community_id == community.id).order_by(Plan.id)
    if membership.role != MembershipRole.SHOPKEEPER:
        query = query.where(Plan.status == PlanStatus.OPEN)
    return list(db.session.execute(query).scalars())


def _variants(ids: Iterable[int]) -> dict[int, Variant]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {v.id: v for v in db.session.execute(sa.select(Variant).options(joinedload(Variant.product))
                                                .where(Variant.id.in_(wanted))).scalars()}


def _boxes(plan: Plan, coming: list[Cycle], now: datetime, swaps: dict[date, dict[int, int]]) -> list[Box]:
    """The boxes of ``coming`` cycles, each member's ``swaps`` (date → {variant: alternative}) applied."""
    menus = {cycle.delivery_date: plans.menu_for(plan, cycle.delivery_date) for cycle in coming}
    allowed = plans.swaps_of(plan)
    variants = _variants({item.variant_id for menu in menus.values() for item in menu}
                         | {alt for alts in allowed.values() for alt in alts}
                         | {alt for mine in swaps.values() for alt in mine.values()})
    boxes = []
    for cycle in coming:
        mine = swaps.get(cycle.delivery_date, {})
        items = []
        for item in menus[cycle.delivery_date]:
            variant = variants[mine.get(item.variant_id, item.variant_id)]
            items.append(BoxItem(variant.id, variant.sku, variant.product.name, variant.name, variant.unit,
                                 item.quantity, item.lead_time_days, cycle.leave_by(item.lead_time_days),
                                 item.variant_id if variant.id != item.variant_id else None,
                                 [variants[alt] for alt in sorted(allowed.get(item.variant_id, ()))]))
        boxes.append(Box(cycle.delivery_date, cycle.cutoff_at, cycle.open_for_changes(now), items))
    return boxes


def next_boxes(plan: Plan, now: datetime, count: int = NEXT_BOXES) -> list[Box]:
    """The plan's coming deliveries and what each box holds (its own menu, or the default)."""
    return _boxes(plan, plans.upcoming(plan, now, count), now, {})


def describe_plan(plan: Plan, now: datetime, count: int = NEXT_BOXES) -> PlanView:
    default = list(db.session.execute(sa.select(PlanItem).where(
        PlanItem.plan_id == plan.id, PlanItem.delivery_date.is_(None)).order_by(PlanItem.position, PlanItem.id))
        .scalars())
    allowed = plans.swaps_of(plan)
    variants = _variants({item.variant_id for item in default} | set(allowed)
                         | {alt for alts in allowed.values() for alt in alts})
    return PlanView(plan, [MenuItem(variants[item.variant_id], item.quantity, item.lead_time_days) for item in default],
                    [(variants[variant_id], variants[alt]) for variant_id, alts in sorted(allowed.items())
                     for alt in sorted(alts)], next_boxes(plan, now, count))


def my_subscriptions(user: User) -> list[Subscription]:
    """The caller's subscriptions (cancelled ones too) in communities they still belong to."""
    return list(db.session.execute(
        sa.select(Subscription).join(Plan, Subscription.plan_id == Plan.id)
        .join(Membership, sa.and_(Membership.community_id == Plan.community_id, Membership.user_id == user.id))
        .where(Subscription.user_id == user.id).order_by(Subscription.id)).scalars())


def _past(subscription: Subscription) -> list[PastBox]:
    rows = list(db.session.execute(sa.select(SubscriptionCycle).where(
        SubscriptionCycle.subscription_id == subscription.id)
        .order_by(SubscriptionCycle.delivery_date.desc()).limit(PAST_BOXES)).scalars())
    payments = payments_for_many([cycles.reference_for(row.id) for row in rows])
    return [PastBox(row.delivery_date, row.status.value, row.order_id,
                    (payments[cycles.reference_for(row.id)] or [None])[-1]) for row in rows]


def describe(subscription: Subscription, now: datetime, count: int = NEXT_BOXES) -> SubscriptionView:
    """The subscription's coming deliveries — its swaps applied, its skips and pauses shown, each open for
    changes until its cut-off — and its past boxes with their payments."""
    plan = subscription.plan
    coming = plans.upcoming(plan, now, count)
    dates = [cycle.delivery_date for cycle in coming]
    swaps: dict[date, dict[int, int]] = {}
    for swap in db.session.execute(sa.select(SubscriptionSwap).where(
            SubscriptionSwap.subscription_id == subscription.id, SubscriptionSwap.delivery_date.in_(dates))).scalars():
        swaps.setdefault(swap.delivery_date, {})[swap.variant_id] = swap.alternative_id
    skipped = set(db.session.execute(sa.select(SubscriptionSkip.delivery_date).where(
        SubscriptionSkip.subscription_id == subscription.id, SubscriptionSkip.delivery_date.in_(dates))).scalars())
    decided = dict(db.session.execute(sa.select(SubscriptionCycle.delivery_date, SubscriptionCycle.status).where(
        SubscriptionCycle.subscription_id == subscription.id, SubscriptionCycle.delivery_date.in_(dates))).all())
    boxes = _boxes(plan, coming, now, swaps)
    for box in boxes:
        box.skipped = box.delivery_date in skipped
        if box.delivery_date in decided:  # the cycle job has decided it at the cut-off
            box.coming = decided[box.delivery_date] == CycleStatus.ORDERED
        else:
            box.coming = (not box.skipped and subscription.status != SubscriptionStatus.CANCELLED
                          and subscription.due_for(box.delivery_date, box.cutoff_at))
    return SubscriptionView(subscription, boxes, _past(subscription))


def plan_subscriptions(user: User, plan_id: int, page: int = 1, per_page: int = PER_PAGE) -> Page[Subscription]:
    """A page of the plan's subscriptions, oldest first, for its community's shopkeepers (403 for its
    members, 404 for anyone else)."""
    plan = plans.managed_plan(user, plan_id)
    per_page = min(max(1, int(per_page)), PER_PAGE_MAX)
    rows = list(db.session.execute(
        sa.select(Subscription).options(joinedload(Subscription.user)).where(Subscription.plan_id == plan.id)
        .order_by(Subscription.id).limit(per_page + 1).offset((max(1, page) - 1) * per_page)).scalars())
    return Page(rows[:per_page], page, per_page, len(rows) > per_page)
