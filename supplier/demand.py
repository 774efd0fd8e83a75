"""The supplier's committed-demand dashboard: what members have pledged on its open offers (pending)
and what closed, succeeded offers turned into orders (committed), by product, variant, week, community
and pickup region, plus where each open offer stands against its next price tier and its MOQ.

The numbers come from the rollup (``DemandCell``, kept by ``groupbuy.demand``): one GROUP BY over the
supplier's cells joined to its offers — thousands of rows at most, never the pledges — then the
offer-level dimensions (product, variant, week) are folded here from per-offer sums. Values stay per
currency: every total row is a (dimension key, currency) pair. No member data is read.

Communities and pickup points belong to a package above this one: they are read by table name."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from accounts.models import User
from core.errors import NotFound
from core.extensions import db
from supplier import access
from supplier.models import DemandCell, Offer, OfferStatus, Product, Supplier, SupplierStaff, Variant

communities = sa.table("communities", sa.column("id"), sa.column("name"))
pickup_points = sa.table("pickup_points", sa.column("id"), sa.column("region"))

DIMENSIONS = ("product", "variant", "week", "community", "region")
WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True)
class Filters:
    """What the dashboard is narrowed to; None (or "") means everything. Weeks are ISO weeks
    ("2026-W47") of the offers' close, both ends included."""

    supplier_id: int
    product_id: int | None = None
    variant_id: int | None = None
    community_id: int | None = None
    region: str | None = None
    week_from: str | None = None
    week_to: str | None = None
    currency: str | None = None


@dataclass(frozen=True)
class Group:
    """One row of the GROUP BY: an offer's demand in one community and pickup region."""

    offer_id: int
    community_id: int
    region: str
    pending_quantity: int
    pending_pledges: int
    committed_quantity: int
    committed_value: int


@dataclass
class Total:
    """One row of a dimension's table: its key, what to call it, and the sums in one currency."""

    key: str
    label: str
    currency: str
    pending_quantity: int = 0
    pending_pledges: int = 0
    pending_value: int = 0  #: pending units at each offer's current wholesale tier price
    committed_quantity: int = 0
    committed_value: int = 0  #: confirmed units at the purchase order's wholesale price

    def add(self, group: Group, unit_price: int) -> None:
        self.pending_quantity += group.pending_quantity
        self.pending_pledges += group.pending_pledges
        self.pending_value += group.pending_quantity * unit_price
        self.committed_quantity += group.committed_quantity
        self.committed_value += group.committed_value


@dataclass
class OpenOffer:
    """Where one open offer stands: the pooled total in every community (what the tier is judged on),
    the current tier, the next one and the MOQ."""

    offer_id: int
    product: str
    variant: str
    currency: str
    pooled_quantity: int
    pending_quantity: int  #: of which pledged in the communities and regions the filters keep
    current_price: int
    next_tier_quantity: int | None
    next_tier_price: int | None
    to_next_tier: int | None
    next_tier_percent: int
    moq: int
    to_moq: int
    closes_at: datetime


@dataclass
class Dashboard:
    filters: Filters
    totals: dict[str, list[Total]] = field(default_factory=dict)  #: dimension → rows, biggest first
    open_offers: list[OpenOffer] = field(default_factory=list)


def week_of(moment: datetime) -> str:
    """The ISO week a moment falls in, in UTC: "2026-W47"."""
    year, week, _day = moment.astimezone(UTC).isocalendar()
    return f"{year}-W{week:02d}"


def week_start(week: str) -> datetime | None:
    """Monday 00:00 UTC of an ISO week ("2026-W47"); None for anything else."""
    match = WEEK.match(week or "")
    if not match:
        return None
    try:
        return datetime.fromisocalendar(int(match[1]), int(match[2]), 1).replace(tzinfo=UTC)
    except ValueError:
        return None


def staffed_suppliers(user: User) -> list[Supplier]:
    """The suppliers ``user`` works for, by name."""
    return list(db.session.execute(
        sa.select(Supplier).join(SupplierStaff).where(SupplierStaff.user_id == user.id)
        .order_by(Supplier.name, Supplier.id)).scalars())


def chosen_supplier(user: User, supplier_id: int | None) -> Supplier:
    """Whose demand to show: the supplier asked for (its staff and operators, as for the rest of a
    supplier's catalog), else the first the user works for. NotFound for anyone else."""
    if supplier_id:
        return access.readable_supplier(user, supplier_id)
    suppliers = staffed_suppliers(user)
    if not suppliers:
        raise NotFound()
    return suppliers[0]


def _offer_conditions(filters: Filters) -> list:
    """The filters that keep or drop whole offers."""
    conditions = [Offer.supplier_id == filters.supplier_id]
    if filters.product_id:
        conditions.append(Variant.product_id == filters.product_id)
    if filters.variant_id:
        conditions.append(Offer.variant_id == filters.variant_id)
    if filters.currency:
        conditions.append(Offer.currency == filters.currency)
    start, end = week_start(filters.week_from or ""), week_start(filters.week_to or "")
    if start is not None:
        conditions.append(Offer.closes_at >= start)
    if end is not None:
        conditions.append(Offer.closes_at < end + timedelta(days=7))
    return conditions


def cell_groups(filters: Filters) -> list[Group]:
    """The supplier's demand cells summed by offer, community and region (the dashboard's one
    aggregate query)."""
    region = sa.func.coalesce(pickup_points.c.region, "")
    query = (
        sa.select(DemandCell.offer_id, DemandCell.community_id, region,
                  *(sa.func.sum(getattr(DemandCell, name)) for name in _COUNTERS))
        .join(Offer, Offer.id == DemandCell.offer_id)
        .join(Variant, Variant.id == Offer.variant_id)
        .outerjoin(pickup_points, pickup_points.c.id == DemandCell.pickup_point_id)
        .where(DemandCell.supplier_id == filters.supplier_id, *_offer_conditions(filters),
               *place_conditions(filters, DemandCell.community_id, region))
        .group_by(DemandCell.offer_id, DemandCell.community_id, region))
    return groups_from(db.session.execute(query))


_COUNTERS = ("pending_quantity", "pending_pledges", "committed_quantity", "committed_value")


def place_conditions(filters: Filters, community_column, region_column) -> list:
    """The filters on where the demand is (community, pickup region), for any source of groups."""
    conditions = []
    if filters.community_id:
        conditions.append(community_column == filters.community_id)
    if filters.region is not None and filters.region != "":
        conditions.append(region_column == ("" if filters.region == NO_REGION else filters.region))
    return conditions


#: the region filter's value for demand whose pickup point has no region (or no pickup point)
NO_REGION = "-"


def groups_from(rows: Iterable) -> list[Group]:
    """Result rows (offer, community, region, four sums) as groups, empty ones left out."""
    groups = [Group(offer_id, community_id, region or "", *(int(value or 0) for value in sums))
              for offer_id, community_id, region, *sums in rows]
    return [group for group in groups if any(getattr(group, name) for name in _COUNTERS)]


def _offers(filters: Filters, offer_ids: set[int]) -> dict[int, Offer]:
    """The offers the groups name plus the open offers the filters keep, with tiers and names."""
    query = (
        sa.select(Offer).join(Variant, Variant.id == Offer.variant_id)
        .where(*_offer_conditions(filters),
               sa.or_(Offer.id.in_(offer_ids), Offer.status == OfferStatus.OPEN) if offer_ids
               else Offer.status == OfferStatus.OPEN)
        .options(selectinload(Offer.tiers), selectinload(Offer.variant).selectinload(Variant.product)))
    return {offer.id: offer for offer in db.session.execute(query).scalars()}


def current_price(offer: Offer) -> int:
    """The wholesale unit price at the offer's pooled total now (0 for an offer without tiers)."""
    return offer.price_for(offer.pledged_quantity) if offer.tiers else 0


def _community_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(
        sa.select(communities.c.id, communities.c.name).where(communities.c.id.in_(ids))).all())


def _keys(offer: Offer, group: Group, names: dict[int, str]) -> dict[str, tuple[str, str]]:
    """The (key, label) of a group in every dimension."""
    variant = offer.variant
    week = week_of(offer.closes_at)
    return {
        "product": (str(variant.product_id), variant.product.name),
        "variant": (str(variant.id), f"{variant.product.name} · {variant.name}"),
        "week": (week, week),
        "community": (str(group.community_id), names.get(group.community_id, "")),
        "region": (group.region or NO_REGION, group.region),
    }


def fold(groups: list[Group], offers: dict[int, Offer]) -> dict[str, list[Total]]:
    """Sum the groups into each dimension's rows (per currency), biggest pending value first."""
    names = _community_names({group.community_id for group in groups})
    prices = {offer_id: current_price(offer) for offer_id, offer in offers.items()}
    rows: dict[str, dict[tuple[str, str], Total]] = {dimension: {} for dimension in DIMENSIONS}
    for group in groups:
        offer = offers[group.offer_id]
        for dimension, (key, label) in _keys(offer, group, names).items():
            total = rows[dimension].setdefault((key, offer.currency), Total(key, label, offer.currency))
            total.add(group, prices[offer.id])
    return {dimension: sorted(found.values(), key=_by_week if dimension == "week" else _biggest_first)
            for dimension, found in rows.items()}


def _by_week(total: Total) -> tuple:
    return total.key, total.currency


def _biggest_first(total: Total) -> tuple:
    return -total.pending_value - total.committed_value, total.currency, total.label, total.key


def _open_offer(offer: Offer, pending_here: int) -> OpenOffer:
    pooled = offer.pledged_quantity
    upcoming = offer.next_tier(pooled) if offer.tiers else None
    to_next = upcoming.min_quantity - pooled if upcoming else None
    percent = min(100, pooled * 100 // upcoming.min_quantity) if upcoming else 100
    return OpenOffer(offer_id=offer.id, product=offer.variant.product.name, variant=offer.variant.name,
                     currency=offer.currency, pooled_quantity=pooled, pending_quantity=pending_here,
                     current_price=current_price(offer),
                     next_tier_quantity=upcoming.min_quantity if upcoming else None,
                     next_tier_price=upcoming.unit_price if upcoming else None, to_next_tier=to_next,
                     next_tier_percent=percent, moq=offer.moq, to_moq=max(0, offer.moq - pooled),
                     closes_at=offer.closes_at)


def open_offers(groups: list[Group], offers: dict[int, Offer]) -> list[OpenOffer]:
    """Every open offer the filters keep, closing soonest first."""
    pending: dict[int, int] = defaultdict(int)
    for group in groups:
        pending[group.offer_id] += group.pending_quantity
    return [_open_offer(offer, pending[offer.id])
            for offer in sorted(offers.values(), key=lambda o: (o.closes_at, o.id)) if offer.status == OfferStatus.OPEN]


def dashboard(filters: Filters, source: Callable[[Filters], list[Group]] = cell_groups) -> Dashboard:
    """The whole answer for one supplier. ``source`` gives the groups: the rollup (the page, the API);
    the benchmark passes a GROUP BY over the pledges to check that both agree."""
    groups = source(filters)
    offers = _offers(filters, {group.offer_id for group in groups})
    return Dashboard(filters=filters, totals=fold(groups, offers), open_offers=open_offers(groups, offers))


def options(supplier_id: int) -> dict[str, list[tuple[str, str]]]:
    """What the filter form offers: the supplier's products, variants, currencies, and the communities
    and regions its demand comes from — (value, label) pairs."""
    products = db.session.execute(sa.select(Product.id, Product.name).where(Product.supplier_id == supplier_id)
                                  .order_by(Product.name, Product.id)).all()
    variants = db.session.execute(
        sa.select(Variant.id, Product.name, Variant.name).join(Product, Product.id == Variant.product_id)
        .where(Variant.supplier_id == supplier_id).order_by(Product.name, Variant.name, Variant.id)).all()
    currencies = db.session.execute(sa.select(Offer.currency).distinct().where(Offer.supplier_id == supplier_id)
                                    .order_by(Offer.currency)).scalars()
    places = db.session.execute(
        sa.select(DemandCell.community_id).distinct().where(DemandCell.supplier_id == supplier_id)).scalars()
    names = _community_names(set(places))
    regions = db.session.execute(
        sa.select(sa.func.coalesce(pickup_points.c.region, "")).distinct()
        .select_from(DemandCell).outerjoin(pickup_points, pickup_points.c.id == DemandCell.pickup_point_id)
        .where(DemandCell.supplier_id == supplier_id)).scalars()
    return {
        "product": [(str(pid), name) for pid, name in products],
        "variant": [(str(vid), f"{product} · {name}") for vid, product, name in variants],
        "currency": [(code, code) for code in currencies],
        "community": sorted(((str(cid), name) for cid, name in names.items()), key=lambda pair: pair[1]),
        "region": sorted((region or NO_REGION, region) for region in regions),
    }


def as_dict(answer: Dashboard) -> dict:
    """The answer as plain data (the API's and the CSV's source, and what tests compare)."""
    def plain(item) -> dict:
        return {f.name: getattr(item, f.name) for f in fields(item)}
    return {"filters": plain(answer.filters),
            "totals": {dimension: [plain(row) for row in rows] for dimension, rows in answer.totals.items()},
            "open_offers": [plain(offer) for offer in answer.open_offers]}

