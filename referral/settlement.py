"""Store credit follows its orders: credit spent on an order comes back when the order is cancelled (its
money refunded), heard through ``orders.fulfilment.order_cancelled``."""

from __future__ import annotations

from orders.fulfilment import order_cancelled
from orders.models import Order
from referral import credit


def _on_order_cancelled(_sender, order: Order, **_extra) -> None:
    credit.reverse_spend(order.id)


order_cancelled.connect(_on_order_cancelled)
