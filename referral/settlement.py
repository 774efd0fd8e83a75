"""Store credit follows its orders: credit spent on an order comes back when the order is cancelled (its
money refunded), heard through ``orders.fulfilment.order_cancelled``, and in part when units are refunded
beyond what its money payments can return (``order_refund_left``). Once the order is collected
(``order_picked_up``), the credit that paid for it is debited from the shopkeeper's earnings: the
shopkeeper granted it, the supplier received that much less."""

from __future__ import annotations

from orders import earnings
from orders.fulfilment import order_cancelled, order_picked_up, order_refund_left
from orders.models import Order
from referral import credit


def _on_order_cancelled(_sender, order: Order, **_extra) -> None:
    credit.reverse_spend(order.id)


def _on_order_refund_left(_sender, order: Order, amount: int, key: str, **_extra) -> None:
    credit.give_back(order.id, amount, f"reversal-{key}")


def _on_order_picked_up(_sender, order: Order, **_extra) -> None:
    earnings.debit_order(order, credit.spent_on(order.id), earnings.STORE_CREDIT)


order_cancelled.connect(_on_order_cancelled)
order_picked_up.connect(_on_order_picked_up)
order_refund_left.connect(_on_order_refund_left)
