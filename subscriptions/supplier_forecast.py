"""The supplier's subscription forecast (issue #5): for every open plan whose boxes use the supplier's
variants — in the default menu, a coming cycle's menu or as a swap's alternative — the units of each of
the supplier's variants that the next cycles will order, grouped by the date they must leave the supplier.

Each plan's numbers are ``forecast.plan_forecast`` (net of skips, pauses, cancellations and swaps, within
capacity), kept to the supplier's variants: a member who swaps to another supplier's variant takes those
units away from this one. Plans that never use the supplier's variants are not loaded. The answer names
plans and communities, never a member."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import groupby

import sqlalchemy as sa

from core.extensions import db
from subscriptions.forecast import plan_forecast
from subscriptions.models import Plan, PlanItem, PlanStatus, PlanSwap
from supplier.models import Product, Variant

CYCLES = 8  #: how many coming cycles of each plan are counted


@dataclass
class ForecastRow:
    """Units of one variant that must leave the supplier on ``leave_by`` for boxes delivered on
    ``delivery_date``, summed over plans."""

    leave_by: date
    delivery_date: date
    variant_id: int
    sku: str
    product: str
    variant: str
    unit: str
    quantity: int = 0
    boxes: int = 0  #: boxes of the cycles these units go into (a member's swap may leave some without them)
    plans: list[str] = field(default_factory=list)
    communities: list[str] = field(default_factory=list)


def plans_using(supplier_id: int, now: datetime) -> list[Plan]:
    """Open plans whose default menu, a menu of a cycle still to come, or an allowed swap's alternative is
    one of the supplier's variants."""
    variants = sa.select(Variant.id).where(Variant.supplier_id == supplier_id)
    recent = (now - timedelta(days=1)).date()  # a day's margin for local dates ahead of UTC
    in_menu = sa.select(PlanItem.plan_id).where(
        PlanItem.variant_id.in_(variants),
        sa.or_(PlanItem.delivery_date.is_(None), PlanItem.delivery_date >= recent))
    in_swaps = sa.select(PlanSwap.plan_id).where(PlanSwap.alternative_id.in_(variants))
    return list(db.session.execute(sa.select(Plan).where(
        Plan.status == PlanStatus.OPEN, sa.or_(Plan.id.in_(in_menu), Plan.id.in_(in_swaps)))
        .order_by(Plan.id)).scalars())


def _variants(supplier_id: int, ids: set[int]) -> dict[int, tuple[Variant, Product]]:
    if not ids:
        return {}
    rows = db.session.execute(sa.select(Variant, Product).join(Product, Variant.product_id == Product.id).where(
        Variant.supplier_id == supplier_id, Variant.id.in_(ids))).all()
    return {variant.id: (variant, product) for variant, product in rows}


def supplier_forecast(supplier_id: int, now: datetime, count: int = CYCLES) -> list[ForecastRow]:
    """One row per (leave-by date, variant, delivery date), earliest leave-by first."""
    contributions = []  # (plan, cycle forecast) of every plan using the supplier's variants
    for plan in plans_using(supplier_id, now):
        contributions.extend((plan, cycle) for cycle in plan_forecast(plan, now, count))
    seen = {variant_id for _plan, cycle in contributions for variant_id, _leave_by in cycle.items}
    mine = _variants(supplier_id, seen)
    rows: dict[tuple[date, int, date], ForecastRow] = {}
    for plan, cycle in contributions:
        for (variant_id, leave_by), quantity in cycle.items.items():
            if variant_id not in mine or quantity <= 0:
                continue
            variant, product = mine[variant_id]
            key = (leave_by, variant_id, cycle.delivery_date)
            row = rows.get(key)
            if row is None:
                row = rows[key] = ForecastRow(leave_by, cycle.delivery_date, variant_id, variant.sku, product.name,
                                              variant.name, variant.unit)
            row.quantity += quantity
            row.boxes += cycle.boxes
            if plan.name not in row.plans:
                row.plans.append(plan.name)
            if plan.community.name not in row.communities:
                row.communities.append(plan.community.name)
    return sorted(rows.values(), key=lambda r: (r.leave_by, r.product, r.variant, r.variant_id, r.delivery_date))


def by_leave_by(rows: list[ForecastRow]) -> list[tuple[date, list[ForecastRow]]]:
    """The rows grouped by the date they must leave the supplier (rows come sorted by it)."""
    return [(day, list(group)) for day, group in groupby(rows, key=lambda row: row.leave_by)]
