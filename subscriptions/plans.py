"""A shopkeeper's subscription plans: made as drafts in their community on a supplier's variants, opened
for members, closed; each with a default menu and, for any coming delivery, a menu of its own (curated
ahead, until that cycle's cut-off). Members see open plans and what their next boxes hold."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from accounts.models import User
from core.errors import Conflict, DomainError, NotFound
from core.extensions import db
from shopkeeper.access import is_shopkeeper, membership_of, require_shopkeeper
from shopkeeper.models import Community, PickupPoint
from shopkeeper.validation import MAX_ID, refuse, text_field, whole_number
from subscriptions.calendar import Cadence, Cycle, Schedule, cycle_on, cycles, is_delivery_date
from subscriptions.models import Fulfilment, Plan, PlanItem, PlanStatus, PlanSwap
from supplier.models import Variant

MAX_ITEMS = 20
MAX_LEAD_DAYS = 60
MAX_CUTOFF_HOURS = 24 * 14


def schedule_of(plan: Plan) -> Schedule:
    return Schedule(plan.cadence, plan.weekday, plan.starts_on, plan.community.timezone, plan.delivery_hour,
                    plan.cutoff_hours)


def upcoming(plan: Plan, now: datetime, count: int = 8) -> list[Cycle]:
    return cycles(schedule_of(plan), after=now, count=count)


def cycle_of(plan: Plan, delivery_date: date) -> Cycle:
    """The cycle of one of the plan's delivery dates; ``bad_date`` (422) for any other date."""
    if not isinstance(delivery_date, date) or not is_delivery_date(schedule_of(plan), delivery_date):
        refuse("bad_date", _l("There is no delivery on that date."), "delivery_date")
    return cycle_on(schedule_of(plan), delivery_date)


def require_open(cycle: Cycle, now: datetime) -> None:
    """Changes to a cycle are refused from its cut-off (409 ``past_cutoff``)."""
    if not cycle.open_for_changes(now):
        raise Conflict("past_cutoff", _l("The box of %(date)s can no longer change: its cut-off has passed.",
                                         date=cycle.delivery_date.isoformat()), field="delivery_date")


def _variant(variant_id) -> Variant:
    variant = db.session.get(Variant, variant_id) if isinstance(variant_id, int) and 0 < variant_id <= MAX_ID \
        else None
    if variant is None or not variant.product.active:
        raise DomainError("bad_variant", _l("Choose an active product."), field="items", status=422)
    return variant


def _items(items: Iterable[tuple[int, int, int]], delivery_date: date | None) -> list[PlanItem]:
    checked = []
    for position, (variant_id, quantity, lead_time_days) in enumerate(items):
        checked.append(PlanItem(variant_id=_variant(variant_id).id, delivery_date=delivery_date, position=position,
                                quantity=whole_number(quantity, "items", 1, 999),
                                lead_time_days=whole_number(lead_time_days, "items", 0, MAX_LEAD_DAYS)))
    if not checked or len(checked) > MAX_ITEMS:
        refuse("bad_items", _l("A box holds 1 to %(n)s items.", n=MAX_ITEMS), "items")
    return checked


def _checked(community: Community, *, name: str, cadence: str, weekday: int, starts_on: date, price: int,
             description: str, cutoff_hours: int, delivery_hour: int, capacity: int | None, fulfilment: str,
             pickup_point_ids: Sequence[int]) -> dict:
    """A plan's columns and pickup points, each checked (422 with its field)."""
    if cadence not in set(Cadence):
        refuse("bad_cadence", _l("Choose weekly, every two weeks or monthly."), "cadence")
    if fulfilment not in set(Fulfilment):
        refuse("bad_fulfilment", _l("Choose pickup or delivery."), "fulfilment")
    if not isinstance(starts_on, date):
        refuse("required", _l("This field is required."), "starts_on")
    points = [point for point in community.pickup_points if point.id in set(pickup_point_ids)]
    if fulfilment == Fulfilment.PICKUP and (not points or len(points) != len(set(pickup_point_ids))):
        refuse("bad_pickup_points", _l("Choose at least one of this community's pickup points."), "pickup_point_ids")
    return {"name": text_field(name, "name", 120, required=True),
            "description": text_field(description, "description", 4000, required=False),
            "cadence": Cadence(cadence), "weekday": whole_number(weekday, "weekday", 0, 6), "starts_on": starts_on,
            "delivery_hour": whole_number(delivery_hour, "delivery_hour", 0, 23),
            "cutoff_hours": whole_number(cutoff_hours, "cutoff_hours", 0, MAX_CUTOFF_HOURS),
            "price": whole_number(price, "price", 0), "fulfilment": Fulfilment(fulfilment),
            "capacity": None if capacity is None else whole_number(capacity, "capacity", 1), "pickup_points": points}


def _set_box(plan: Plan, items: Sequence[tuple[int, int, int]] | None,
             swaps: Sequence[tuple[int, int]] | None) -> None:
    """Replace the plan's default box and its allowed swaps (None: keep them)."""
    if items is not None:
        checked = _items(items, None)
        db.session.execute(sa.delete(PlanItem).where(PlanItem.plan_id == plan.id, PlanItem.delivery_date.is_(None)))
        for item in checked:
            item.plan_id = plan.id
            db.session.add(item)
    if swaps is not None:
        pairs = list(dict.fromkeys(swaps))  # the same exchange named twice is one
        for variant_id, alternative_id in pairs:
            if _variant(variant_id).id == _variant(alternative_id).id:
                refuse("bad_swap", _l("A swap exchanges one product for another."), "swaps")
        db.session.execute(sa.delete(PlanSwap).where(PlanSwap.plan_id == plan.id))
        for variant_id, alternative_id in pairs:
            db.session.add(PlanSwap(plan_id=plan.id, variant_id=variant_id, alternative_id=alternative_id))
    db.session.flush()


def create_plan(user: User, community: Community, *, name: str, cadence: str, weekday: int, starts_on: date,
                price: int, items: Sequence[tuple[int, int, int]], description: str = "", cutoff_hours: int = 48,
                delivery_hour: int = 9, capacity: int | None = None, fulfilment: str = "pickup",
                pickup_point_ids: Sequence[int] = (), swaps: Sequence[tuple[int, int]] = ()) -> Plan:
    """A draft plan in the shopkeeper's community, priced in its currency. ``items``: (variant id,
    quantity, lead time in days) of the default box; ``swaps``: (variant id, alternative id) allowed."""
    require_shopkeeper(user, community)
    checked = _checked(community, name=name, cadence=cadence, weekday=weekday, starts_on=starts_on, price=price,
                       description=description, cutoff_hours=cutoff_hours, delivery_hour=delivery_hour,
                       capacity=capacity, fulfilment=fulfilment, pickup_point_ids=pickup_point_ids)
    plan = Plan(community_id=community.id, created_by_id=user.id, currency=community.currency,
                status=PlanStatus.DRAFT, **checked)
    plan.community = community
    db.session.add(plan)
    db.session.flush()
    _set_box(plan, items, swaps)
    return plan


#: what fixes a plan's dates: members' skips and swaps name them, so these change only on a draft
SCHEDULE_FIELDS = ("cadence", "weekday", "starts_on", "delivery_hour", "cutoff_hours", "fulfilment")


def update_plan(user: User, plan_id: int, *, items: Sequence[tuple[int, int, int]] | None = None,
                swaps: Sequence[tuple[int, int]] | None = None, **changes) -> Plan:
    """Change a plan (the fields of ``create_plan``; those not given stay). Its name, description, price,
    capacity, pickup points, default box and swaps change at any time and reach the cycles not yet cut off;
    its rhythm, cut-off and fulfilment only while it is a draft (409 ``schedule_fixed``)."""
    plan = managed_plan(user, plan_id)
    if plan.status != PlanStatus.DRAFT and any(key in changes and changes[key] != getattr(plan, key)
                                               for key in SCHEDULE_FIELDS):
        raise Conflict("schedule_fixed", _l("The rhythm, cut-off and fulfilment of a plan change only while it is "
                                            "a draft: members' skips and swaps name its dates."))
    current = {"name": plan.name, "cadence": plan.cadence, "weekday": plan.weekday, "starts_on": plan.starts_on,
               "price": plan.price, "description": plan.description, "cutoff_hours": plan.cutoff_hours,
               "delivery_hour": plan.delivery_hour, "capacity": plan.capacity, "fulfilment": plan.fulfilment,
               "pickup_point_ids": [point.id for point in plan.pickup_points]}
    for key, value in _checked(plan.community, **{**current, **changes}).items():
        setattr(plan, key, value)
    _set_box(plan, items, swaps)
    return plan


def managed_plan(user: User, plan_id: int) -> Plan:
    """A plan its community's shopkeepers manage; others get a 404 (or 403 for its members)."""
    plan = db.session.get(Plan, plan_id) if isinstance(plan_id, int) and 0 < plan_id <= MAX_ID else None
    if plan is None:
        raise NotFound()
    require_shopkeeper(user, plan.community)
    return plan


def visible_plan(user: User, plan_id: int) -> Plan:
    """An open (or closed) plan for its community's members; drafts only for its shopkeepers."""
    plan = db.session.get(Plan, plan_id) if isinstance(plan_id, int) and 0 < plan_id <= MAX_ID else None
    if plan is None or membership_of(user, plan.community) is None \
            or (plan.status == PlanStatus.DRAFT and not is_shopkeeper(user, plan.community)):
        raise NotFound()
    return plan


def open_plan(user: User, plan_id: int) -> Plan:
    plan = managed_plan(user, plan_id)
    if plan.status != PlanStatus.DRAFT:
        raise Conflict("wrong_state", _l("Only a draft can be opened."))
    plan.status = PlanStatus.OPEN
    db.session.flush()
    return plan


def close_plan(user: User, plan_id: int) -> Plan:
    """No new subscribers and no more cycles; boxes already ordered are delivered."""
    plan = managed_plan(user, plan_id)
    plan.status = PlanStatus.CLOSED
    db.session.flush()
    return plan


def set_menu(user: User, plan_id: int, delivery_date: date, items: Sequence[tuple[int, int, int]],
             now: datetime) -> list[PlanItem]:
    """The box of one coming delivery, instead of the default (until that cycle's cut-off)."""
    plan = managed_plan(user, plan_id)
    require_open(cycle_of(plan, delivery_date), now)
    checked = _items(items, delivery_date)
    db.session.execute(sa.delete(PlanItem).where(PlanItem.plan_id == plan.id, PlanItem.delivery_date == delivery_date))
    for item in checked:
        item.plan_id = plan.id
        db.session.add(item)
    db.session.flush()
    return checked


def menu_for(plan: Plan, delivery_date: date) -> list[PlanItem]:
    """What the box of ``delivery_date`` holds: its own menu if it has one, else the default."""
    rows = list(db.session.execute(sa.select(PlanItem).where(
        PlanItem.plan_id == plan.id,
        sa.or_(PlanItem.delivery_date == delivery_date, PlanItem.delivery_date.is_(None)))
        .order_by(PlanItem.position, PlanItem.id)).scalars())
    own = [item for item in rows if item.delivery_date == delivery_date]
    return own or [item for item in rows if item.delivery_date is None]


def swaps_of(plan: Plan) -> dict[int, set[int]]:
    """variant id → the alternatives the plan allows for it."""
    allowed: dict[int, set[int]] = {}
    for swap in db.session.execute(sa.select(PlanSwap).where(PlanSwap.plan_id == plan.id)).scalars():
        allowed.setdefault(swap.variant_id, set()).add(swap.alternative_id)
    return allowed


def pickup_point_of(plan: Plan, pickup_point_id: int | None) -> PickupPoint | None:
    """One of the plan's pickup points (required for a pickup plan); ``bad_pickup_point`` otherwise."""
    if plan.fulfilment != Fulfilment.PICKUP:
        return None
    point = next((p for p in plan.pickup_points if p.id == pickup_point_id), None)
    if point is None:
        refuse("bad_pickup_point", _l("Choose one of this plan's pickup points."), "pickup_point_id")
    return point
