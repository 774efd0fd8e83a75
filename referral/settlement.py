"""Store credit follows its orders: credit spent on an order comes back when the order is cancelled (its
money refunded), heard through ``orders.fulfilment.order_cancelled``, and in part when units are refunded
beyond what its money payments can return (``order_refund_left``)."""

from __future__ import annotations

from orders.fulfilment import order_cancelled, order_refund_left
from orders.models import Order
from referral import credit


def _on_order_cancelled(_sender, order: Order, **_extra) -> None:
    credit.reverse_spend(order.id)


def _on_order_refund_left(_sender, order: Order, amount: int, key: str, **_extra) -> None:
    credit.give_back(order.id, amount, f"reversal-{key}")


order_cancelled.connect(_on_order_cancelled)
order_refund_left.connect(_on_order_refund_left)
