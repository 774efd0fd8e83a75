"""The shopkeeper's earnings ledger: the margin on each fulfilled order line, which the supplier owes the
community's shopkeeper, less what the shopkeeper funded of it (store credit they granted that paid for it,
``debit_order``). One entry per line and kind (``earnings_entries(order_line_id, kind)`` is unique), so
marking an order picked up twice, or two at once, credits once. Below ``credit_order``, the read side:
pages of entries and totals per community, supplier, currency (and month), for the shopkeeper's and the
supplier's pages, CSV exports and the API."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from accounts.models import User
from core.extensions import db
from core.paging import Page
from orders.models import EarningsEntry, Order, OrderLine
from shopkeeper.models import Community, Membership, MembershipRole
from supplier.models import Product, Supplier, Variant

MARGIN = "margin"
STORE_CREDIT = "store_credit"  #: paid with store credit the shopkeeper granted: debited from their earnings


def credit_order(order: Order) -> list[EarningsEntry]:
    """Credit the margin on each line of a fulfilled order (units delivered only); lines already credited
    are left alone. Returns the entries written now. Flushes; the caller's unit of work commits."""
    entries = (_write(order, line, MARGIN, quantity=line.delivered_quantity, amount=line.margin_amount,
                      wholesale_amount=line.wholesale_unit_price * line.delivered_quantity)
               for line in order.lines if line.delivered_quantity > 0)
    return [entry for entry in entries if entry is not None]


def _write(order: Order, line: OrderLine, kind: str, **amounts) -> EarningsEntry | None:
    """The line's entry of ``kind``, unless it has one already (even one written at the same moment)."""
    if _credited(line.id, kind):
        return None
    supplier_id = db.session.execute(sa.select(Variant.supplier_id).where(Variant.id == line.variant_id)
                                     ).scalar_one()
    entry = EarningsEntry(kind=kind, supplier_id=supplier_id, community_id=order.community_id,
                          order_line_id=line.id, currency=order.currency, **amounts)
    try:
        with db.session.begin_nested():
            db.session.add(entry)
            db.session.flush()
    except IntegrityError:  # written at the same moment by another unit of work
        return None
    return entry


def _credited(order_line_id: int, kind: str = MARGIN) -> bool:
    return db.session.execute(sa.select(EarningsEntry.id).where(
        EarningsEntry.order_line_id == order_line_id, EarningsEntry.kind == kind)).first() is not None


def debit_order(order: Order, amount: int, kind: str = STORE_CREDIT) -> list[EarningsEntry]:
    """Debit the shopkeeper ``amount`` of a fulfilled order that they funded, split over its delivered lines
    by what each cost the member (largest remainder: the parts add up to ``amount``), each line's part owed
    back to that line's supplier; once per line and kind. Returns the entries written now."""
    lines = [line for line in order.lines if line.delivered_quantity > 0]
    values = [line.unit_price * line.delivered_quantity for line in lines]
    if amount <= 0 or sum(values) <= 0:
        return []
    parts = [amount * value // sum(values) for value in values]
    by_remainder = sorted(range(len(lines)), key=lambda i: (-(amount * values[i] % sum(values)), i))
    for i in by_remainder[:amount - sum(parts)]:
        parts[i] += 1
    entries = (_write(order, line, kind, quantity=0, amount=-part, wholesale_amount=0)
               for line, part in zip(lines, parts, strict=True) if part > 0)
    return [entry for entry in entries if entry is not None]


# --- Reading the ledger ------------------------------------------------------------------------------
# Every query below aggregates in SQL; pages of entries read one page (plus one row) at a time. Nothing
# here reads a member: an entry knows its community, supplier and order line, and the rows built from
# it carry product names, quantities, amounts and dates only.

PER_PAGE = 50
PER_PAGE_MAX = 200
PAGE_MAX = 100_000
EXPORT_BATCH = 1000


@dataclass(frozen=True)
class EntryRow:
    """One ledger entry as either side reads it."""

    id: int
    created_at: datetime
    kind: str
    community_id: int
    community_name: str
    supplier_id: int
    supplier_name: str
    product_name: str  #: "" once the order line is gone
    variant_name: str
    quantity: int
    amount: int  #: minor units: the shopkeeper's margin (what the supplier owes)
    wholesale_amount: int
    currency: str


@dataclass(frozen=True)
class Total:
    """Σ of entries for one (community, supplier, currency), optionally one month ("2026-03", UTC)."""

    community_id: int
    community_name: str
    supplier_id: int
    supplier_name: str
    currency: str
    entries: int
    quantity: int
    amount: int
    wholesale_amount: int
    month: str | None = None


def _entry_select() -> sa.Select:
    return (sa.select(EarningsEntry.id, EarningsEntry.created_at, EarningsEntry.kind, EarningsEntry.community_id,
                      Community.name.label("community_name"), EarningsEntry.supplier_id,
                      Supplier.name.label("supplier_name"),
                      sa.func.coalesce(Product.name, "").label("product_name"),
                      sa.func.coalesce(Variant.name, "").label("variant_name"), EarningsEntry.quantity,
                      EarningsEntry.amount, EarningsEntry.wholesale_amount, EarningsEntry.currency)
            .join(Community, Community.id == EarningsEntry.community_id)
            .join(Supplier, Supplier.id == EarningsEntry.supplier_id)
            .outerjoin(OrderLine, OrderLine.id == EarningsEntry.order_line_id)
            .outerjoin(Variant, Variant.id == OrderLine.variant_id)
            .outerjoin(Product, Product.id == Variant.product_id))


NEWEST_FIRST = (EarningsEntry.created_at.desc(), EarningsEntry.id.desc())


def _scope(query: sa.Select, *, community_ids: Iterable[int] = (), supplier_ids: Iterable[int] = ()) -> sa.Select:
    community_ids, supplier_ids = list(community_ids), list(supplier_ids)
    if not community_ids and not supplier_ids:
        return query.where(sa.false())
    if community_ids:
        query = query.where(EarningsEntry.community_id.in_(community_ids))
    if supplier_ids:
        query = query.where(EarningsEntry.supplier_id.in_(supplier_ids))
    return query


def entry_page(*, community_ids: Iterable[int] = (), supplier_ids: Iterable[int] = (), page: int = 1,
               per_page: int = PER_PAGE) -> Page[EntryRow]:
    """One page of the entries of these communities (or suppliers), newest first; the community index
    ``(community_id, created_at)`` (or the supplier's) serves it."""
    page = min(max(1, int(page)), PAGE_MAX)
    per_page = min(max(1, int(per_page)), PER_PAGE_MAX)
    rows = db.session.execute(_scope(_entry_select(), community_ids=community_ids, supplier_ids=supplier_ids)
                              .order_by(*NEWEST_FIRST).limit(per_page + 1).offset((page - 1) * per_page)).all()
    return Page([EntryRow(**row._mapping) for row in rows[:per_page]], page, per_page, len(rows) > per_page)


def _month(column):
    """``YYYY-MM`` of a UTC timestamp column, in SQL (PostgreSQL or SQLite)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM")
    return sa.func.strftime("%Y-%m", column)


def totals(*, community_ids: Iterable[int] = (), supplier_ids: Iterable[int] = (), by_month: bool = False
           ) -> list[Total]:
    """Σ entries, quantity and amounts per (community, supplier, currency) — and per month with
    ``by_month`` (newest month first) — in one GROUP BY."""
    month = _month(EarningsEntry.created_at).label("month") if by_month else sa.null().label("month")
    keys = [EarningsEntry.community_id, Community.name, EarningsEntry.supplier_id, Supplier.name,
            EarningsEntry.currency]
    query = (sa.select(EarningsEntry.community_id, Community.name.label("community_name"),
                       EarningsEntry.supplier_id, Supplier.name.label("supplier_name"), EarningsEntry.currency,
                       sa.func.count(EarningsEntry.id).label("entries"),
                       sa.func.sum(EarningsEntry.quantity).label("quantity"),
                       sa.func.sum(EarningsEntry.amount).label("amount"),
                       sa.func.sum(EarningsEntry.wholesale_amount).label("wholesale_amount"), month)
             .join(Community, Community.id == EarningsEntry.community_id)
             .join(Supplier, Supplier.id == EarningsEntry.supplier_id))
    query = _scope(query, community_ids=community_ids, supplier_ids=supplier_ids)
    if by_month:
        query = query.group_by(*keys, month).order_by(month.desc(), Community.name, Supplier.name,
                                                      EarningsEntry.currency)
    else:
        query = query.group_by(*keys).order_by(Community.name, Supplier.name, EarningsEntry.currency)
    return [Total(**row._mapping) for row in db.session.execute(query)]


def grand_totals(rows: Iterable[Total]) -> dict[str, int]:
    """Σ amount per currency of some totals (a few rows: summed here)."""
    sums: dict[str, int] = {}
    for row in rows:
        sums[row.currency] = sums.get(row.currency, 0) + row.amount
    return dict(sorted(sums.items()))


def shopkept_community_ids(user: User) -> list[int]:
    """The communities the user runs (as a SHOPKEEPER member)."""
    return list(db.session.execute(sa.select(Membership.community_id).where(
        Membership.user_id == user.id, Membership.role == MembershipRole.SHOPKEEPER)
        .order_by(Membership.community_id)).scalars())


def export_rows(header: list, cells: Callable[[EntryRow], list], *, community_ids: Iterable[int] = (),
                supplier_ids: Iterable[int] = ()) -> Iterator[list[list]]:
    """Batches of CSV rows, the header first, for every entry in scope, newest first: one streamed query
    (``yield_per``), nothing but a batch in memory. ``cells`` turns an entry into its row."""
    query = (_scope(_entry_select(), community_ids=community_ids, supplier_ids=supplier_ids)
             .order_by(*NEWEST_FIRST).execution_options(yield_per=EXPORT_BATCH))

    def batches() -> Iterator[list[list]]:
        yield [header]
        for batch in db.session.execute(query).partitions():
            yield [cells(EntryRow(**row._mapping)) for row in batch]

    return batches()
