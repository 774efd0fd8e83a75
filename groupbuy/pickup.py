"""Pickup lists: per pickup point, who collects what — member name, units, amount, balance status, order
number — for the community's shopkeeper only, as a printable page and as CSV. Also the one-line state of
a member's order that the group buy page shows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from accounts.models import User
from core.extensions import db
from core.money import Money
from groupbuy.deposits import reference_for
from groupbuy.fulfilment import balance_of, community_lines, group_buy_orders, purchase_order_of
from groupbuy.models import GroupBuy, Pledge
from groupbuy.outcome import BALANCE_LABELS
from groupbuy.services import managed_group_buy
from orders.models import Order, OrderStatus, PurchaseOrderLine, PurchaseOrderStatus
from orders.services import purchase_order_for_offer
from payments.models import Payment
from payments.services import payments_for_many
from shopkeeper.models import Community, PickupPoint

ORDER_LABELS = {
    OrderStatus.CONFIRMED: _l("Confirmed"),
    OrderStatus.PAID: _l("Paid"),
    OrderStatus.READY: _l("Ready"),
    OrderStatus.PICKED_UP: _l("Picked up"),
    OrderStatus.CANCELLED: _l("Cancelled"),
}


@dataclass(frozen=True)
class PickupRow:
    order: Order
    balance: Payment | None

    @property
    def quantity(self) -> int:
        return self.order.lines[0].delivered_quantity

    @property
    def amount(self) -> int:
        """What the member pays for the units they collect."""
        return sum(line.delivered_quantity * line.unit_price for line in self.order.lines)

    @property
    def balance_label(self):
        return BALANCE_LABELS[self.balance.status] if self.balance else _l("Nothing due")

    @property
    def status_label(self):
        return ORDER_LABELS[self.order.status]


@dataclass(frozen=True)
class PickupList:
    point: PickupPoint | None
    rows: list[PickupRow]

    @property
    def units(self) -> int:
        return sum(row.quantity for row in self.rows)


def pickup_lists(user: User, group_buy_id: int, community: Community | None = None,
                 point_id: int | None = None) -> tuple[GroupBuy, list[PickupList]]:
    """The group buy and, per pickup point (or only ``point_id``), its orders by member name. Raises
    ``not_found`` (outsiders), ``forbidden`` (members: only the shopkeeper sees the lists)."""
    group_buy = managed_group_buy(user, group_buy_id, community)
    orders = [order for order in group_buy_orders(group_buy)
              if point_id is None or order.pickup_point_id == point_id]
    payments = payments_for_many(reference_for(order.source_id) for order in orders)
    by_point: dict[int | None, list[PickupRow]] = {}
    points: dict[int | None, PickupPoint | None] = {}
    for order in sorted(orders, key=lambda order: (order.user.display_name.casefold(), order.id)):
        by_point.setdefault(order.pickup_point_id, []).append(
            PickupRow(order, balance_of(payments[reference_for(order.source_id)])))
        points[order.pickup_point_id] = order.pickup_point
    lists = [PickupList(points[key], rows) for key, rows in by_point.items()]
    return group_buy, sorted(lists, key=lambda item: item.point.name if item.point else "")


def csv_rows(lists: list[PickupList], locale: str) -> Iterator[list[list[str]]]:
    """One batch: the header, then a row per order (pickup point, member, units, amount, balance status,
    order number). Cells are made formula-safe by ``core.csv_export``."""
    header = [_("Pickup point"), _("Member"), _("Quantity"), _("Amount"), _("Balance"), _("Order")]
    rows = [[item.point.name if item.point else "", row.order.user.display_name, str(row.quantity),
             Money(row.amount, row.order.currency).format(locale), str(row.balance_label), str(row.order.id)]
            for item in lists for row in item.rows]
    yield [header, *rows]


def order_progress(order: Order) -> str:
    """Where a member's order stands, in one line for the group buy page."""
    line = order.lines[0]
    if order.status == OrderStatus.PICKED_UP:
        text = _("Picked up.")
    elif order.status == OrderStatus.READY:
        text = _("Ready for pickup at %(point)s.", point=order.pickup_point.name if order.pickup_point else "")
    elif order.status == OrderStatus.CANCELLED:
        text = _("Cancelled.")
    else:
        text = _po_progress(order)
    if line.short_quantity:
        text = " ".join([text, _("%(n)s not delivered: refunded.", n=line.short_quantity)])
    return text


def _po_progress(order: Order) -> str:
    pledge_offer = _offer_id(order)
    purchase_order = purchase_order_for_offer(pledge_offer) if pledge_offer else None
    status = purchase_order.status if purchase_order else PurchaseOrderStatus.ISSUED
    return {
        PurchaseOrderStatus.ISSUED: _("Ordered from the supplier."),
        PurchaseOrderStatus.CONFIRMED: _("Confirmed by the supplier."),
        PurchaseOrderStatus.SHIPPED: _("On its way from the supplier."),
        PurchaseOrderStatus.RECEIVED: _("Arrived; being sorted for pickup."),
    }[status]


def _offer_id(order: Order) -> int | None:
    pledge = db.session.get(Pledge, order.source_id)
    return pledge.offer_id if pledge else None


def receiving_lines(group_buy: GroupBuy) -> list[tuple[PurchaseOrderLine, PickupPoint | None]]:
    """The community's lines of the purchase order with their pickup points, for the receiving form."""
    purchase_order = purchase_order_of(group_buy)
    return [(line, db.session.get(PickupPoint, line.pickup_point_id) if line.pickup_point_id else None)
            for line in community_lines(purchase_order, group_buy)]

