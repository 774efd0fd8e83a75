"""The supplier's committed-demand dashboard: what members have pledged on its open offers (pending)
and what closed, succeeded offers turned into orders (committed), by product, variant, week, community
and pickup region, plus where each open offer stands against its next price tier and its MOQ.

The numbers come from the rollup (``DemandCell``, kept by ``groupbuy.demand``): one statement sums the
supplier's cells — thousands at most, never the pledges — each priced at its offer's current tier, by
offer, by community and by pickup region; the offer-level dimensions (product, variant, week) are then
folded here from the per-offer sums. Values stay per currency: every total row is a (dimension key,
currency) pair. No member data is read.

Communities and pickup points belong to a package above this one: they are read by table name."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

import sqlalchemy as sa

from accounts.models import User
from core.errors import NotFound
from core.extensions import db
from supplier import access
from supplier.models import DemandCell, Offer, OfferStatus, PriceTier, Product, Supplier, SupplierStaff, Variant

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


class Sums(NamedTuple):
    """One row's sums, as the database adds them up (a tuple: thousands are made per answer)."""

    pending_quantity: int = 0
    pending_pledges: int = 0
    pending_value: int = 0  #: pending units at each offer's current wholesale tier price
    committed_quantity: int = 0
    committed_value: int = 0  #: confirmed units at the purchase order's wholesale price


NOTHING = Sums()


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

    def add(self, sums: Sums) -> None:
        self.pending_quantity += sums.pending_quantity
        self.pending_pledges += sums.pending_pledges
        self.pending_value += sums.pending_value
        self.committed_quantity += sums.committed_quantity
        self.committed_value += sums.committed_value


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


def offer_conditions(filters: Filters) -> list:
    """The filters that keep or drop whole offers (in a query on ``Offer``; no join needed)."""
    conditions = [Offer.supplier_id == filters.supplier_id]
    if filters.product_id:
        conditions.append(Offer.variant_id.in_(sa.select(Variant.id).where(Variant.product_id == filters.product_id)))
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


def current_price():
    """The wholesale unit price at an offer's pooled total now, as SQL correlated to ``Offer``: the highest
    tier reached, else the first (as ``Offer.price_for``); 0 for an offer without tiers."""
    reached = (sa.select(PriceTier.unit_price)
               .where(PriceTier.offer_id == Offer.id, PriceTier.min_quantity <= Offer.pledged_quantity)
               .order_by(PriceTier.min_quantity.desc()).limit(1).scalar_subquery())
    first = (sa.select(PriceTier.unit_price).where(PriceTier.offer_id == Offer.id)
             .order_by(PriceTier.min_quantity).limit(1).scalar_subquery())
    return sa.func.coalesce(reached, first, 0)


def rollup_source(filters: Filters) -> sa.Select:
    """The supplier's demand cells with their pickup region — the rows the dashboard adds up."""
    region = sa.func.coalesce(pickup_points.c.region, "")
    return (sa.select(DemandCell.offer_id, DemandCell.community_id, region.label("region"),
                      *(getattr(DemandCell, name) for name in COUNTERS))
            .outerjoin(pickup_points, pickup_points.c.id == DemandCell.pickup_point_id)
            .where(DemandCell.supplier_id == filters.supplier_id,
                   *place_conditions(filters, DemandCell.community_id, region)))


COUNTERS = ("pending_quantity", "pending_pledges", "committed_quantity", "committed_value")
SUMS = ("pending_quantity", "pending_pledges", "pending_value", "committed_quantity", "committed_value")


def place_conditions(filters: Filters, community_column, region_column) -> list:
    """The filters on where the demand is (community, pickup region), for any source of rows."""
    conditions = []
    if filters.community_id:
        conditions.append(community_column == filters.community_id)
    if filters.region is not None and filters.region != "":
        conditions.append(region_column == ("" if filters.region == NO_REGION else filters.region))
    return conditions


#: the region key (and filter value) of demand whose pickup point has no region, or that has no pickup
#: point; not "-" or "", which a spreadsheet would take for a formula or the API for "every region"
NO_REGION = "(none)"


def _sums(filters: Filters, source: Callable[[Filters], sa.Select]) -> list:
    """One statement: the source's rows priced at their offer's current tier, summed by offer, by
    community and by region, each per currency — (dimension, key, label, currency, sums) rows."""
    statement = _sums_statement(filters, source, db.session.get_bind().dialect.name)
    return [(dimension, key, label, currency, Sums(*sums))
            for dimension, key, label, currency, *sums in db.session.execute(statement)]


@lru_cache(maxsize=256)
def _sums_statement(filters: Filters, source: Callable[[Filters], sa.Select], dialect: str) -> sa.CompoundSelect:
    """The statement for ``_sums``, built once per set of filters: it holds no state, and building it
    costs more than SQLAlchemy's compiled cache saves."""
    rows = source(filters).cte("demand_rows")
    priced = (sa.select(Offer.id.label("offer_id"), Offer.currency.label("currency"), current_price().label("price"))
              .where(*offer_conditions(filters)).cte("priced"))
    if dialect == "postgresql":
        priced = priced.prefix_with("MATERIALIZED")  # price each offer once, not once per row
    joined = (sa.select(rows, priced.c.currency, (rows.c.pending_quantity * priced.c.price).label("pending_value"))
              .join(priced, priced.c.offer_id == rows.c.offer_id).cte("priced_rows"))

    def by(dimension: str, key, label=None) -> sa.Select:
        named = () if label is None else (label,)
        return (sa.select(sa.literal_column(f"'{dimension}'"), sa.cast(key, sa.String),
                          sa.literal_column("''") if label is None else label, joined.c.currency,
                          *(sa.func.coalesce(sa.func.sum(joined.c[name]), 0) for name in SUMS))
                .group_by(key, *named, joined.c.currency))

    named = by("community", joined.c.community_id, sa.func.coalesce(communities.c.name, "")).outerjoin(
        communities, communities.c.id == joined.c.community_id)
    return sa.union_all(by("offer", joined.c.offer_id), named, by("region", joined.c.region))


@dataclass(frozen=True)
class OfferFacts:
    """What the dashboard shows of one offer."""

    id: int
    currency: str
    status: OfferStatus
    closes_at: datetime
    pledged_quantity: int
    moq: int
    variant_id: int
    variant: str
    product_id: int
    product: str
    tiers: tuple[tuple[int, int], ...]  #: (threshold, wholesale unit price), lowest threshold first

    @property
    def price(self) -> int:
        """The wholesale unit price at the pooled total now (as ``Offer.price_for``; 0 with no tiers)."""
        reached = [price for threshold, price in self.tiers if threshold <= self.pledged_quantity]
        return reached[-1] if reached else (self.tiers[0][1] if self.tiers else 0)


def _offer_facts(filters: Filters, offer_ids: set[int]) -> dict[int, OfferFacts]:
    """Each offer with demand and every open offer the filters keep, with its tiers — one statement (the
    supplier's offers are read whole and sorted here: an IN list of ids costs more than the rows)."""
    query = (sa.select(Offer.id, Offer.currency, Offer.status, Offer.closes_at, Offer.pledged_quantity, Offer.moq,
                       Variant.id, Variant.name, Product.id, Product.name, PriceTier.min_quantity,
                       PriceTier.unit_price)
             .join(Variant, Variant.id == Offer.variant_id).join(Product, Product.id == Variant.product_id)
             .outerjoin(PriceTier, PriceTier.offer_id == Offer.id)
             .where(*offer_conditions(filters)).order_by(Offer.id, PriceTier.min_quantity))
    rows: dict[int, list] = {}
    tiers: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for *offer, threshold, price in db.session.execute(query):
        rows.setdefault(offer[0], offer)
        if threshold is not None:
            tiers[offer[0]].append((threshold, price))
    return {offer_id: OfferFacts(*offer, tiers=tuple(tiers[offer_id])) for offer_id, offer in rows.items()
            if offer_id in offer_ids or offer[2] == OfferStatus.OPEN}


def _offer_keys(offer: OfferFacts) -> dict[str, tuple[str, str]]:
    """The (key, label) of an offer's demand in the dimensions that belong to the offer."""
    week = week_of(offer.closes_at)
    return {"product": (str(offer.product_id), offer.product),
            "variant": (str(offer.variant_id), f"{offer.product} · {offer.variant}"), "week": (week, week)}


def fold(sums: list, offers: dict[int, OfferFacts]) -> dict[str, list[Total]]:
    """Each dimension's rows: product, variant and week folded from the per-offer sums, community and
    region as summed; biggest first (weeks in order)."""
    found: dict[str, dict[tuple[str, str], Total]] = {dimension: {} for dimension in DIMENSIONS}
    for dimension, key, label, currency, amounts in sums:
        if amounts == NOTHING:
            continue
        if dimension == "offer":
            keys = _offer_keys(offers[int(key)]).items()
        else:
            keys = [(dimension, (key or NO_REGION, key) if dimension == "region" else (key, label))]
        for name, (row_key, row_label) in keys:
            total = found[name].get((row_key, currency))
            if total is None:
                total = found[name][(row_key, currency)] = Total(row_key, row_label, currency)
            total.add(amounts)
    return {dimension: sorted(rows.values(), key=_by_week if dimension == "week" else _biggest_first)
            for dimension, rows in found.items()}


def _by_week(total: Total) -> tuple:
    return total.key, total.currency


def _biggest_first(total: Total) -> tuple:
    return -total.pending_value - total.committed_value, total.currency, total.label, total.key


def _open_offer(offer: OfferFacts, pending_here: int) -> OpenOffer:
    tiers = offer.tiers
    pooled = offer.pledged_quantity
    # the tier after the one reached (at 0 units the first applies, so the next is the second): Offer.next_tier
    reached = max(pooled, tiers[0][0]) if tiers else pooled
    upcoming = next(((threshold, price) for threshold, price in tiers if threshold > reached), None)
    return OpenOffer(offer_id=offer.id, product=offer.product, variant=offer.variant, currency=offer.currency,
                     pooled_quantity=pooled, pending_quantity=pending_here, current_price=offer.price,
                     next_tier_quantity=upcoming[0] if upcoming else None,
                     next_tier_price=upcoming[1] if upcoming else None,
                     to_next_tier=upcoming[0] - pooled if upcoming else None,
                     next_tier_percent=min(100, pooled * 100 // upcoming[0]) if upcoming else 100,
                     moq=offer.moq, to_moq=max(0, offer.moq - pooled), closes_at=offer.closes_at)


def open_offers(sums: list, offers: dict[int, OfferFacts]) -> list[OpenOffer]:
    """Every open offer the filters keep, closing soonest first."""
    pending = {int(key): amounts.pending_quantity for dimension, key, _label, _currency, amounts in sums
               if dimension == "offer"}
    shown = sorted((offer for offer in offers.values() if offer.status == OfferStatus.OPEN),
                   key=lambda offer: (offer.closes_at, offer.id))
    return [_open_offer(offer, pending.get(offer.id, 0)) for offer in shown]


def dashboard(filters: Filters, source: Callable[[Filters], sa.Select] = rollup_source) -> Dashboard:
    """The whole answer for one supplier. ``source`` gives the rows to add up: the rollup's cells (the
    page, the API); the benchmark passes the pledges themselves to check that both agree."""
    sums = _sums(filters, source)
    offers = _offer_facts(filters, {int(key) for dimension, key, *_rest in sums if dimension == "offer"})
    return Dashboard(filters=filters, totals=fold(sums, offers),
                     open_offers=open_offers(sums, offers))


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
        sa.select(communities.c.id, communities.c.name).where(communities.c.id.in_(
            sa.select(DemandCell.community_id).where(DemandCell.supplier_id == supplier_id)))).all()
    regions = db.session.execute(
        sa.select(sa.func.coalesce(pickup_points.c.region, "")).distinct()
        .select_from(DemandCell).outerjoin(pickup_points, pickup_points.c.id == DemandCell.pickup_point_id)
        .where(DemandCell.supplier_id == supplier_id)).scalars()
    return {
        "product": [(str(pid), name) for pid, name in products],
        "variant": [(str(vid), f"{product} · {name}") for vid, product, name in variants],
        "currency": [(code, code) for code in currencies],
        "community": sorted(((str(cid), name) for cid, name in places), key=lambda pair: pair[1]),
        "region": sorted((region or NO_REGION, region) for region in regions),
    }


def as_dict(answer: Dashboard) -> dict:
    """The answer as plain data (the API's and the CSV's source, and what tests compare)."""
    def plain(item) -> dict:
        return {f.name: getattr(item, f.name) for f in fields(item)}
    return {"filters": plain(answer.filters),
            "totals": {dimension: [plain(row) for row in rows] for dimension, rows in answer.totals.items()},
            "open_offers": [plain(offer) for offer in answer.open_offers]}

