"""Fulfilment of a purchase order on the supplier's side — confirm it, ship it (a shipped quantity per
line; less than expected is a shortfall) — and the status moves of purchase orders and orders.

Both status columns move forward only, through ``advance_purchase_order`` and ``advance_order``. Repeating
a step that is already done changes nothing; a step out of turn is a 409. The package above (groupbuy)
hears of each step through the blinker signals below, to tell shopkeepers and members: orders knows
nothing of pledges. Services flush; the request or job around them commits."""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa
from blinker import Namespace
from flask_babel import lazy_gettext as _l

from accounts.models import User
from core import clock
from core.errors import Conflict, DomainError, NotFound
from core.extensions import db
from orders.models import Order, OrderStatus, PurchaseOrder, PurchaseOrderLine, PurchaseOrderStatus
from supplier.access import get_or_none, is_staff

signals = Namespace()
#: sent with the purchase order when a step is taken for the first time (never on a repeat)
purchase_order_confirmed = signals.signal("purchase-order-confirmed")
purchase_order_shipped = signals.signal("purchase-order-shipped")
#: sent with the order (``order=``) in the unit of work that cancels it, whatever the reason: what was
#: paid toward it comes back (e.g. store credit, ``referral.settlement``)
order_cancelled = signals.signal("order-cancelled")
#: sent with the order (``order=``) in the unit of work where the member collects it (e.g. a referral's
#: first order, ``referral.invites``)
order_picked_up = signals.signal("order-picked-up")
#: sent (``order=``, ``amount=``, ``key=``) when part of a refund is owed beyond what the order's money
#: payments can return — it was paid by other means (store credit, ``referral.settlement``); once per key
order_refund_left = signals.signal("order-refund-left")

PO_STEPS = [PurchaseOrderStatus.ISSUED, PurchaseOrderStatus.CONFIRMED, PurchaseOrderStatus.SHIPPED,
            PurchaseOrderStatus.RECEIVED]
_PO_STAMPS = {PurchaseOrderStatus.CONFIRMED: "confirmed_at", PurchaseOrderStatus.SHIPPED: "shipped_at",
              PurchaseOrderStatus.RECEIVED: "received_at"}

#: order status → the statuses it may move to
ORDER_TRANSITIONS = {
    OrderStatus.CONFIRMED: {OrderStatus.PAID, OrderStatus.READY, OrderStatus.CANCELLED},
    OrderStatus.PAID: {OrderStatus.READY, OrderStatus.CANCELLED},
    OrderStatus.READY: {OrderStatus.PICKED_UP, OrderStatus.CANCELLED},
    OrderStatus.PICKED_UP: set(),
    OrderStatus.CANCELLED: set(),
}
_ORDER_STAMPS = {OrderStatus.READY: "ready_at", OrderStatus.PICKED_UP: "picked_up_at",
                 OrderStatus.CANCELLED: "cancelled_at"}


def advance_purchase_order(purchase_order: PurchaseOrder, status: PurchaseOrderStatus) -> bool:
    """Move to the next step and stamp it; returns False when the purchase order is already there or
    past it. Raises ``wrong_state`` (409) when a step would be skipped."""
    current, wanted = PO_STEPS.index(purchase_order.status), PO_STEPS.index(status)
    if wanted <= current:
        return False
    if wanted != current + 1:
        raise Conflict("wrong_state", _WRONG_STATE[status])
    purchase_order.status = status
    setattr(purchase_order, _PO_STAMPS[status], clock.now())
    db.session.flush()
    return True


_WRONG_STATE = {
    PurchaseOrderStatus.CONFIRMED: _l("This purchase order cannot be confirmed now."),
    PurchaseOrderStatus.SHIPPED: _l("Confirm the purchase order before shipping it."),
    PurchaseOrderStatus.RECEIVED: _l("The purchase order has not been shipped yet."),
}


def advance_order(order: Order, status: OrderStatus) -> bool:
    """Move an order and stamp the move; returns False when it already has that status. Raises
    ``wrong_state`` (409) for a move the order cannot make (e.g. a cancelled order made ready)."""
    if order.status == status:
        return False
    if status not in ORDER_TRANSITIONS[order.status]:
        raise Conflict("wrong_state", _l("This order cannot take that step now."))
    order.status = status
    if status in _ORDER_STAMPS:
        setattr(order, _ORDER_STAMPS[status], clock.now())
    db.session.flush()
    if status == OrderStatus.CANCELLED:
        order_cancelled.send(order, order=order)
    elif status == OrderStatus.PICKED_UP:
        order_picked_up.send(order, order=order)
    return True


def supplier_purchase_order_for_update(user: User, purchase_order_id: int) -> PurchaseOrder:
    """A purchase order of a supplier the user staffs, its row locked (FOR UPDATE) so that two steps at
    once queue; ``not_found`` for anyone else."""
    purchase_order = get_or_none(PurchaseOrder, purchase_order_id)
    if purchase_order is None or not is_staff(user, purchase_order.supplier_id):
        raise NotFound()
    return db.session.execute(sa.select(PurchaseOrder).where(PurchaseOrder.id == purchase_order.id)
                              .with_for_update().execution_options(populate_existing=True)).scalar_one()


def confirm_purchase_order(user: User, purchase_order_id: int) -> PurchaseOrder:
    """The supplier accepts the purchase order: ISSUED → CONFIRMED with ``confirmed_at``. Confirming
    again, or after shipping, changes nothing. Raises ``not_found``."""
    purchase_order = supplier_purchase_order_for_update(user, purchase_order_id)
    if advance_purchase_order(purchase_order, PurchaseOrderStatus.CONFIRMED):
        purchase_order_confirmed.send(purchase_order)
    return purchase_order


def expected_quantity(line: PurchaseOrderLine) -> int:
    """What the supplier is to ship for a line: ordered less the units dropped after close."""
    return line.quantity - line.dropped_quantity


def ship_purchase_order(user: User, purchase_order_id: int, shipped: Mapping[int, int] | None = None
                        ) -> PurchaseOrder:
    """The supplier ships: CONFIRMED → SHIPPED with ``shipped_at`` and a shipped quantity on every line —
    ``shipped[line id]`` or, when not given, the line's expected quantity. Less than expected is a
    shortfall, settled when the shopkeeper receives the line. Shipping again changes nothing.
    Raises ``not_found``, ``wrong_state`` (409: not confirmed yet), ``unknown_line`` and
    ``invalid_quantity`` (422: below zero or above what was ordered) — before anything is written."""
    purchase_order = supplier_purchase_order_for_update(user, purchase_order_id)
    if purchase_order.status in (PurchaseOrderStatus.SHIPPED, PurchaseOrderStatus.RECEIVED):
        return purchase_order
    if purchase_order.status != PurchaseOrderStatus.CONFIRMED:
        raise Conflict("wrong_state", _WRONG_STATE[PurchaseOrderStatus.SHIPPED])
    quantities = checked_quantities(purchase_order.lines, shipped or {}, expected_quantity, "shipped")
    for line in purchase_order.lines:
        line.shipped_quantity = quantities[line.id]
    advance_purchase_order(purchase_order, PurchaseOrderStatus.SHIPPED)
    purchase_order_shipped.send(purchase_order)
    return purchase_order


def checked_quantities(lines, given: Mapping[int, int], default, field: str, most=None) -> dict[int, int]:
    """A quantity for each line: the given one (0 to ``most(line)``, by default the line's default) or
    the default. Raises ``unknown_line`` for an id not among ``lines``, ``invalid_quantity`` otherwise."""
    by_id = {line.id: line for line in lines}
    unknown = set(given) - set(by_id)
    if unknown:
        raise DomainError("unknown_line", _l("That line is not part of this purchase order."), field=field,
                          status=422)
    quantities = {}
    for line_id, line in by_id.items():
        highest = (most or default)(line)
        value = given.get(line_id, default(line))
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= highest:
            raise DomainError("invalid_quantity", _l("Enter a quantity between 0 and %(n)s.", n=highest),
                              field=field, status=422)
        quantities[line_id] = value
    return quantities


def delivered_quantity(purchase_order: PurchaseOrder) -> int:
    """Units the supplier is paid for: what was received once counted in, else what is expected."""
    return sum(line.received_quantity if line.received_quantity is not None else expected_quantity(line)
               for line in purchase_order.lines)


def amount_owed(purchase_order: PurchaseOrder) -> int:
    """What the supplier is owed (minor units): the wholesale price of the units delivered, never of the
    units that went missing or were dropped."""
    return purchase_order.unit_price * delivered_quantity(purchase_order)
