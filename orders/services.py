"""Orders and purchase orders: writing them at close, and the queries the pages (and later fulfilment)
read. Orders know what they were made from only by ``(source, source_id)``, e.g. ``("groupbuy", 42)``
for pledge 42; a purchase order is a supplier's, and shows communities and regions, never members."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from accounts.models import User
from core.errors import NotFound
from core.extensions import db
from orders.models import Order, OrderLine, PurchaseOrder, PurchaseOrderLine
from shopkeeper.models import Community
from supplier.access import get_or_none, is_staff, staffed_supplier_ids


@dataclass(frozen=True)
class LineSpec:
    variant_id: int
    quantity: int
    unit_price: int  #: what the member pays per unit
    wholesale_unit_price: int


def create_order(**values) -> Order:
    """A CONFIRMED order (``build_order``) added and flushed. A second order for the same source raises the
    database's IntegrityError (``orders(source, source_id)`` is unique) at this flush."""
    order = build_order(**values)
    db.session.add(order)
    db.session.flush()
    return order


def build_order(*, user_id: int, community_id: int, pickup_point_id: int | None, source: str, source_id: int,
                currency: str, lines: Iterable[LineSpec], deposit_amount: int = 0) -> Order:
    """A CONFIRMED order with its lines, its total the sum of the lines and its deposit never above the
    total — not yet added to the session, so that a batch (closing thousands of pledges) inserts them
    all in one flush. The caller has checked the values."""
    order = Order(user_id=user_id, community_id=community_id, pickup_point_id=pickup_point_id, source=source,
                  source_id=source_id, currency=currency,
                  lines=[OrderLine(variant_id=line.variant_id, quantity=line.quantity, unit_price=line.unit_price,
                                   wholesale_unit_price=line.wholesale_unit_price) for line in lines])
    order.total_amount = sum(line.quantity * line.unit_price for line in order.lines)
    order.deposit_amount = min(deposit_amount, order.total_amount)
    return order


def orders_for(source: str, source_ids: Iterable[int]) -> dict[int, Order]:
    """The orders made from these sources, by source id, with lines, member and pickup point loaded."""
    ids = list(source_ids)
    if not ids:
        return {}
    orders = db.session.execute(
        sa.select(Order).where(Order.source == source, Order.source_id.in_(ids))
        .options(selectinload(Order.lines), selectinload(Order.user), selectinload(Order.pickup_point))
    ).scalars()
    return {order.source_id: order for order in orders}


def order_for(source: str, source_id: int) -> Order | None:
    return orders_for(source, [source_id]).get(source_id)


@dataclass(frozen=True)
class SplitLine:
    """One line of a purchase order as its supplier sees it: a community and a region, no member."""

    community_name: str
    region: str
    quantity: int
    id: int = 0
    dropped: int = 0  #: units counted out after close
    shipped: int | None = None
    received: int | None = None

    @property
    def expected(self) -> int:
        """What the supplier is to ship: ordered less dropped."""
        return self.quantity - self.dropped


def purchase_order_for_offer(offer_id: int) -> PurchaseOrder | None:
    return db.session.execute(sa.select(PurchaseOrder).where(PurchaseOrder.offer_id == offer_id)).scalar_one_or_none()


def supplier_purchase_orders(user: User) -> list[PurchaseOrder]:
    """The purchase orders of every supplier the user staffs, newest first, variant and product loaded."""
    supplier_ids = staffed_supplier_ids(user)
    if not supplier_ids:
        return []
    return list(db.session.execute(
        sa.select(PurchaseOrder).where(PurchaseOrder.supplier_id.in_(supplier_ids))
        .options(selectinload(PurchaseOrder.variant), selectinload(PurchaseOrder.supplier))
        .order_by(PurchaseOrder.created_at.desc(), PurchaseOrder.id.desc())).scalars())


def supplier_purchase_order(user: User, purchase_order_id: int) -> tuple[PurchaseOrder, list[SplitLine]]:
    """A purchase order of a supplier the user staffs and its split by community name and region (largest
    first). Raises ``not_found`` for anyone else."""
    purchase_order = get_or_none(PurchaseOrder, purchase_order_id)
    if purchase_order is None or not is_staff(user, purchase_order.supplier_id):
        raise NotFound()
    rows = db.session.execute(
        sa.select(Community.name, PurchaseOrderLine.region, PurchaseOrderLine.quantity, PurchaseOrderLine.id,
                  PurchaseOrderLine.dropped_quantity, PurchaseOrderLine.shipped_quantity,
                  PurchaseOrderLine.received_quantity)
        .join(Community, Community.id == PurchaseOrderLine.community_id)
        .where(PurchaseOrderLine.purchase_order_id == purchase_order.id)
        .order_by(Community.name, PurchaseOrderLine.region, PurchaseOrderLine.id)).all()
    return purchase_order, [SplitLine(*row) for row in rows]
