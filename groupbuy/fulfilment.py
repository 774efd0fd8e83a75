"""Fulfilment in a community: the shopkeeper receives the community's lines of the purchase order (a
shortfall is taken from that pickup point's orders and refunded), marks the group buy ready, and marks
each member's pickup (which credits the shopkeeper's margin). Members and shopkeepers are told of every
step — the supplier's too, heard through ``orders.fulfilment``'s signals — by email and in the app,
once each. The rules are in docs/GROUPBUY.md ("Fulfilment", "Shortfall")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from accounts.models import User
from core import clock, notify
from core.errors import Conflict, NotFound
from core.extensions import db
from core.money import Money
from groupbuy.allocation import take_back
from groupbuy.closing import SOURCE, reference
from groupbuy.models import GroupBuy, GroupBuyStatus, Pledge
from groupbuy.notices import shopkeepers_of
from groupbuy.services import managed_group_buy
from orders import fulfilment
from orders.earnings import credit_order
from orders.models import Order, OrderStatus, PurchaseOrder, PurchaseOrderLine, PurchaseOrderStatus
from orders.services import purchase_order_for_offer
from payments.models import Payment, PaymentPurpose, PaymentStatus
from payments.refunds import lower_unpaid, refund_payment, refundable
from payments.services import payments_for
from shopkeeper.models import Community
from supplier.validation import MAX_ID

notify.register("po_confirmed", _l("The supplier confirmed the purchase order for “%(title)s”."),
                _l("Confirmed by the supplier: %(title)s"))
notify.register("po_shipped", _l("The supplier shipped “%(title)s”: it is on its way."),
                _l("On its way: %(title)s"))
notify.register("order_short", _l("%(n)s of your units of “%(title)s” were not delivered. %(amount)s comes "
                                  "back to you."), _l("Fewer delivered: %(title)s"))
notify.register("order_ready", _l("“%(title)s” is ready for pickup at %(point)s."),
                _l("Ready for pickup: %(title)s"))
notify.register("order_picked_up", _l("You picked up “%(title)s”. Thank you!"), _l("Picked up: %(title)s"))

#: orders that go to the pickup point (not cancelled), in the order their statuses move
LIVE = (OrderStatus.CONFIRMED, OrderStatus.PAID, OrderStatus.READY, OrderStatus.PICKED_UP)


def page_link(group_buy: GroupBuy) -> str:
    return f"/c/{group_buy.community.slug}/group-buys/{group_buy.id}"


def fulfilment_link(group_buy: GroupBuy) -> str:
    return f"{page_link(group_buy)}/fulfilment"


def group_buy_orders(group_buy: GroupBuy, statuses=LIVE) -> list[Order]:
    """The group buy's orders with the given statuses, in pledge time order, lines, member and pickup
    point loaded."""
    return list(db.session.execute(
        sa.select(Order).join(Pledge, sa.and_(Order.source == SOURCE, Order.source_id == Pledge.id))
        .where(Pledge.group_buy_id == group_buy.id, Order.status.in_(statuses))
        .options(selectinload(Order.lines), selectinload(Order.user), selectinload(Order.pickup_point))
        .order_by(Pledge.created_at, Pledge.id)).scalars())


def _succeeded_group_buys(offer_id: int) -> list[GroupBuy]:
    return list(db.session.execute(sa.select(GroupBuy).where(
        GroupBuy.offer_id == offer_id, GroupBuy.status == GroupBuyStatus.SUCCEEDED).order_by(GroupBuy.id)).scalars())


def _tell_confirmed(purchase_order: PurchaseOrder, **_extra) -> None:
    for group_buy in _succeeded_group_buys(purchase_order.offer_id):
        for user in shopkeepers_of(group_buy):
            notify.tell(user, "po_confirmed", key=f"gb-{group_buy.id}-po-confirmed", link=fulfilment_link(group_buy),
                        title=group_buy.title)


def _tell_shipped(purchase_order: PurchaseOrder, **_extra) -> None:
    for group_buy in _succeeded_group_buys(purchase_order.offer_id):
        for user in shopkeepers_of(group_buy):
            notify.tell(user, "po_shipped", key=f"gb-{group_buy.id}-shipped", link=fulfilment_link(group_buy),
                        title=group_buy.title)
        for order in group_buy_orders(group_buy):
            notify.tell(order.user, "po_shipped", key=f"gb-{group_buy.id}-shipped", link=page_link(group_buy),
                        title=group_buy.title)


fulfilment.purchase_order_confirmed.connect(_tell_confirmed)
fulfilment.purchase_order_shipped.connect(_tell_shipped)


def purchase_order_of(group_buy: GroupBuy, *, lock: bool = False) -> PurchaseOrder:
    """The purchase order of the group buy's offer; ``not_ordered`` (409) before a successful close.
    ``lock`` reads it FOR UPDATE: receipts in two communities at once queue on it."""
    purchase_order = purchase_order_for_offer(group_buy.offer_id)
    if purchase_order is None or group_buy.status != GroupBuyStatus.SUCCEEDED:
        raise Conflict("not_ordered", _l("Nothing was ordered: the group buy did not succeed."))
    if lock:
        purchase_order = db.session.execute(
            sa.select(PurchaseOrder).where(PurchaseOrder.id == purchase_order.id).with_for_update()
            .execution_options(populate_existing=True)).scalar_one()
    return purchase_order


def community_lines(purchase_order: PurchaseOrder, group_buy: GroupBuy) -> list[PurchaseOrderLine]:
    return sorted((line for line in purchase_order.lines if line.community_id == group_buy.community_id),
                  key=lambda line: (line.pickup_point_id or 0, line.id))


@dataclass
class Receipt:
    purchase_order: PurchaseOrder
    received_now: list[PurchaseOrderLine] = field(default_factory=list)
    short: dict[int, int] = field(default_factory=dict)  #: order id → units it went short


def receive(user: User, group_buy_id: int, community: Community | None = None,
            received: Mapping[int, int] | None = None) -> Receipt:
    """The shopkeeper counts in the community's lines of a shipped purchase order: ``received[line id]``
    units each (default: what was shipped; at most ordered − dropped). A line short of what was expected
    is settled by the shortfall rule (``_settle_shortfall``). Lines already received are left alone, so
    receiving twice changes nothing; once every line of the purchase order (all communities) is in, it
    becomes RECEIVED. Raises ``not_found``, ``forbidden``, ``not_ordered`` and ``wrong_state`` (409: not
    shipped yet), ``unknown_line``/``invalid_quantity`` (422) — before anything is written."""
    group_buy = managed_group_buy(user, group_buy_id, community)
    purchase_order = purchase_order_of(group_buy, lock=True)
    if purchase_order.status not in (PurchaseOrderStatus.SHIPPED, PurchaseOrderStatus.RECEIVED):
        raise Conflict("wrong_state", _l("The supplier has not shipped this purchase order yet."))
    lines = community_lines(purchase_order, group_buy)
    pending = [line for line in lines if line.received_quantity is None]
    known = {line.id for line in lines}
    given = {line_id: value for line_id, value in (received or {}).items()
             if line_id not in known or line_id in {line.id for line in pending}}
    quantities = fulfilment.checked_quantities(pending, given, _shipped, "received",
                                               most=fulfilment.expected_quantity)
    receipt = Receipt(purchase_order)
    now = clock.now()
    for line in pending:
        line.received_quantity, line.received_at = quantities[line.id], now
        receipt.received_now.append(line)
        if line.received_quantity < fulfilment.expected_quantity(line):
            receipt.short.update(_settle_shortfall(group_buy, line))
    db.session.flush()
    if all(line.received_quantity is not None for line in purchase_order.lines):
        fulfilment.advance_purchase_order(purchase_order, PurchaseOrderStatus.RECEIVED)
    return receipt


def _shipped(line: PurchaseOrderLine) -> int:
    return line.shipped_quantity if line.shipped_quantity is not None else fulfilment.expected_quantity(line)


def _settle_shortfall(group_buy: GroupBuy, line: PurchaseOrderLine) -> dict[int, int]:
    """The point's live orders hold more units than arrived: the difference comes out of them one at a
    time, round-robin from the latest pledge to the earliest, never below zero (as allocation takes units
    back). Counting against the live orders, not the line, means units of an order cancelled after
    shipping (a lapsed balance) cover a shortfall first. Each short unit is refunded at the price its
    member paid; an order left with nothing is cancelled. Returns order id → units short."""
    orders = [order for order in group_buy_orders(group_buy) if order.pickup_point_id == line.pickup_point_id]
    left = {order.id: order.lines[0].delivered_quantity for order in orders}
    before = dict(left)
    take_back(left, [order.id for order in reversed(orders)], max(0, sum(left.values()) - line.received_quantity))
    short = {}
    for order in orders:
        units = before[order.id] - left[order.id]
        if not units:
            continue
        order_line = order.lines[0]
        order_line.short_quantity += units
        amount = units * order_line.unit_price
        _refund(order, amount)
        if left[order.id] == 0:
            fulfilment.advance_order(order, OrderStatus.CANCELLED)
        user = order.user
        notify.tell(user, "order_short", key=f"order-{order.id}-short", link=page_link(group_buy), n=units,
                    title=group_buy.title, amount=Money(amount, order.currency).format(user.locale or "en"))
        short[order.id] = units
    return short


def _refund(order: Order, amount: int) -> None:
    """Settle ``amount`` the member no longer owes: first a balance still waiting (not yet at a gateway)
    is lowered, then money taken is refunded — from the balance first, then the deposit."""
    payments = payments_for(reference_of(order))
    balances = [p for p in payments if p.purpose == PaymentPurpose.BALANCE]
    deposits = [p for p in payments if p.purpose == PaymentPurpose.DEPOSIT]
    left = amount
    for waiting in balances:
        if left > 0 and waiting.status == PaymentStatus.PENDING and not waiting.gateway_id:
            take = min(left, waiting.amount)
            lower_unpaid(waiting.id, take)
            left -= take
    for payment in [*reversed(balances), *deposits]:
        take = min(left, refundable(payment))
        if take > 0:
            refund_payment(payment.id, take, f"short-order-{order.id}")
            left -= take
    if left > 0:  # the rest was paid with store credit: it goes back there
        fulfilment.order_refund_left.send(order, order=order, amount=left, key=f"short-order-{order.id}")


def reference_of(order: Order) -> str:
    return reference(db.session.get(Pledge, order.source_id))


def mark_ready(user: User, group_buy_id: int, community: Community | None = None) -> GroupBuy:
    """The goods are at the pickup points: the group buy gets ``ready_at`` and its CONFIRMED or PAID
    orders become READY; each member is told where to collect. Marking ready again changes nothing.
    Raises ``not_found``, ``forbidden``, ``not_ordered`` and ``not_received`` (409: a line of the
    community is not counted in yet)."""
    group_buy = managed_group_buy(user, group_buy_id, community)
    purchase_order = purchase_order_of(group_buy)
    group_buy = db.session.execute(sa.select(GroupBuy).where(GroupBuy.id == group_buy.id).with_for_update()
                                   .execution_options(populate_existing=True)).scalar_one()
    if any(line.received_quantity is None for line in community_lines(purchase_order, group_buy)):
        raise Conflict("not_received", _l("Receive the delivery before opening the pickup points."))
    if group_buy.ready_at is None:
        group_buy.ready_at = clock.now()
    for order in group_buy_orders(group_buy, (OrderStatus.CONFIRMED, OrderStatus.PAID)):
        fulfilment.advance_order(order, OrderStatus.READY)
        notify.tell(order.user, "order_ready", key=f"order-{order.id}-ready", link=page_link(group_buy),
                    title=group_buy.title, point=order.pickup_point.name if order.pickup_point else "")
    db.session.flush()
    return group_buy


def mark_picked_up(user: User, group_buy_id: int, order_id: int, community: Community | None = None) -> Order:
    """The member collected their order: READY → PICKED_UP with ``picked_up_at``, the shopkeeper's margin
    credited (once: ``orders.earnings``), the member told. Marking it again changes nothing. Raises
    ``not_found`` (not an order of this group buy), ``forbidden``, ``not_ready`` (409)."""
    group_buy = managed_group_buy(user, group_buy_id, community)
    if not 0 < order_id <= MAX_ID:
        raise NotFound()
    order = db.session.execute(
        sa.select(Order).join(Pledge, sa.and_(Order.source == SOURCE, Order.source_id == Pledge.id))
        .where(Order.id == order_id, Pledge.group_buy_id == group_buy.id)
        .with_for_update(of=Order).execution_options(populate_existing=True)).scalar_one_or_none()
    if order is None:
        raise NotFound()
    if order.status not in (OrderStatus.READY, OrderStatus.PICKED_UP):
        raise Conflict("not_ready", _l("This order is not ready for pickup."))
    fulfilment.advance_order(order, OrderStatus.PICKED_UP)
    credit_order(order)
    notify.tell(order.user, "order_picked_up", key=f"order-{order.id}-picked-up", link=page_link(group_buy),
                title=group_buy.title)
    return order


def balance_of(payments: list[Payment]) -> Payment | None:
    balances = [payment for payment in payments if payment.purpose == PaymentPurpose.BALANCE]
    return balances[-1] if balances else None
