"""Jobs for launch holds paid by card, taking ids: the sweeper (``expire_unpaid_card_orders``, every
minute from ``PERIODIC_JOBS``) that closes card payments still unpaid at their deadline — at the gateway
first, with no transaction open, then the order and the units, each payment in units of work of its own
— and refunds successes that came too late; ``refund_late_payment``, enqueued when one arrives. Running
any of them twice, or two at once, changes nothing more (the hold is locked first; refunds keep one
idempotency key)."""

from __future__ import annotations

from core.db import commit
from groupbuy.jobs import each_committed
from launches import hold_payments
from payments.services import record_result


def _close(payment_id: int) -> str:
    call = hold_payments.cancel_call(payment_id)
    commit()  # nothing stays open while the gateway is called
    if call is not None:
        record_result(payment_id, call.run())
        commit()  # a success at the last minute settles here (launches.settlement)
    return "closed" if hold_payments.close_unpaid(payment_id) else "kept"


def expire_unpaid_card_orders() -> dict[int, str]:
    """Close each card payment of a launch hold unpaid at its deadline, then refund each late success;
    returns each payment's outcome ("closed", "kept" when it was paid after all, "refunded", "error":
    logged, rolled back, left for the next run)."""
    outcomes = each_committed(hold_payments.overdue_ids(), _close, "closing launch card payment")
    outcomes.update(each_committed(hold_payments.late_refund_ids(), _refund, "refunding launch card payment"))
    return outcomes


def _refund(payment_id: int) -> str:
    return "refunded" if hold_payments.refund_late(payment_id) is not None else "kept"


def refund_late_payment(payment_id: int) -> bool:
    """Refund a card payment that succeeded after its order was cancelled; whether a refund exists now."""
    return hold_payments.refund_late(payment_id) is not None
