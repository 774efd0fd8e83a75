"""JSON: a launch's stock (what open launch pages poll), reserving, paying (offline or by card) and letting go of a
hold, and the waitlist. The same services as the pages; outsiders get a 404 for everything."""

from types import SimpleNamespace

from flask_login import current_user
from flask_smorest import Blueprint

from core.auth import login_required
from core.extensions import ErrorOut
from launches import hold_payments, holds, waitlist
from launches.buy_schemas import HoldIn, HoldOut, HoldPaidOut, HoldPayIn, StockOut, WaitlistOut

blp = Blueprint("launch_buy_api", __name__, url_prefix="/api/v1", description="First-come drops and waitlists")

_NOT_FOUND = "No such launch (or hold) for you: not a member of its communities, or a draft."


@blp.get("/launches/<int:launch_id>/stock")
@login_required
@blp.response(200, StockOut)
@blp.alt_response(404, schema=ErrorOut, description=_NOT_FOUND)
def get_stock(launch_id: int):
    """Units left, in one read by primary key with no lock: cheap enough to poll every second. When it is
    sold out with units in holds past their window, those come back at once (at most once a second)."""
    found = waitlist.return_due_units(holds.peek(current_user, launch_id))
    return {"available": found.available, "sold_out": found.available == 0, "stock": found.stock}


@blp.post("/launches/<int:launch_id>/holds")
@login_required
@blp.arguments(HoldIn)
@blp.response(201, HoldOut)
@blp.alt_response(404, schema=ErrorOut, description=_NOT_FOUND)
@blp.alt_response(409, schema=ErrorOut, description="``sold_out``, ``limit_reached`` (your holds and purchases "
                                                    "would pass the per-member limit), ``not_open``, ``closed``, "
                                                    "``not_first_come`` (a raffle).")
@blp.alt_response(422, schema=ErrorOut, description="``bad_quantity``: 1 to the per-member limit.")
def reserve(data, launch_id: int):
    """Hold units for the launch's checkout window; pay before ``expires_at`` or they go back on sale."""
    return holds.reserve(current_user, launch_id, data["quantity"])


@blp.post("/launches/<int:launch_id>/holds/<int:hold_id>/pay")
@login_required
@blp.arguments(HoldPayIn)
@blp.response(200, HoldPaidOut)
@blp.alt_response(404, schema=ErrorOut, description=_NOT_FOUND)
@blp.alt_response(409, schema=ErrorOut, description="``hold_expired`` (the hold's window, or a card payment's "
                                                    "``pay_by``, passed), ``hold_closed``, ``paying_offline`` / "
                                                    "``paying_by_card`` (the hold is already being paid the other "
                                                    "way), ``card_unavailable`` (the app takes no cards), "
                                                    "``nothing_to_pay`` (card for a free item).")
@blp.alt_response(410, schema=ErrorOut, description="``grace_expired``: a card retried after ``pay_by``.")
@blp.alt_response(422, schema=ErrorOut, description="``method`` is not offline or card; ``payment_method`` "
                                                    "without ``method: card``.")
def pay(data, launch_id: int, hold_id: int):
    """Pay for a live hold; the body is optional: ``{"method": "offline" | "card", "payment_method": "pm_…"}``.

    - **offline** (the default, as before): an order with a pending payment the shopkeeper confirms at
      pickup; the units are yours at once.
    - **card**: an order (``order_id``) and a card payment (``payment``: ``id``, ``status``, ``amount``,
      ``client_secret`` for Stripe.js, ``pay_url`` for the pay page, ``pay_by``). The units stay held for
      you until the card payment succeeds — then the order is paid — or until ``pay_by`` (the hold's
      window plus a few minutes): then the order is cancelled, the units go back on sale, and a payment
      that still succeeds later is refunded. With ``payment_method`` the card is charged at once; a decline
      answers 200 with ``payment.status`` ``failed`` and ``payment.reason``: send another
      ``payment_method`` (or use the pay page) before ``pay_by``.

    Paying again (a double click, a second tab) makes no second order, payment or PaymentIntent: it
    answers the same. A hold is paid one way: the other one is a 409."""
    if data["method"] == "card":
        checkout = hold_payments.pay_by_card(current_user, launch_id, hold_id, data["payment_method"])
        return _paid(checkout.hold, checkout.payment, checkout.client_secret)
    hold = hold_payments.pay_offline(current_user, launch_id, hold_id)
    return _paid(hold, hold_payments.balance_of(hold.id))


@blp.delete("/launches/<int:launch_id>/holds/<int:hold_id>")
@login_required
@blp.response(204)
@blp.alt_response(404, schema=ErrorOut, description=_NOT_FOUND)
@blp.alt_response(409, schema=ErrorOut, description="``hold_closed``: paid, expired or let go already.")
def cancel(launch_id: int, hold_id: int):
    """Let a held hold go: its units go back on sale (to the waitlist first, when members wait)."""
    waitlist.after_release(holds.cancel(current_user, launch_id, hold_id))


@blp.post("/launches/<int:launch_id>/waitlist")
@login_required
@blp.response(201, WaitlistOut)
@blp.alt_response(404, schema=ErrorOut, description=_NOT_FOUND)
@blp.alt_response(409, schema=ErrorOut, description="``not_sold_out``, ``limit_reached``, ``waitlist_passed``, "
                                                    "``not_first_come``.")
def join_waitlist(launch_id: int):
    """Line up for units that come back (a restock, an expired hold); joining again keeps your place."""
    return _place(waitlist.join(current_user, launch_id))


@blp.delete("/launches/<int:launch_id>/waitlist")
@login_required
@blp.response(204)
@blp.alt_response(404, schema=ErrorOut, description=_NOT_FOUND)
def leave_waitlist(launch_id: int):
    """Leave the line (while waiting)."""
    waitlist.leave(current_user, launch_id)


def _paid(hold, payment, client_secret: str | None = None) -> SimpleNamespace:
    card = hold_payments.is_card(payment)
    waiting = card and payment.status.value in ("requires_action", "failed")
    view = None if payment is None else SimpleNamespace(
        id=payment.id, method="card" if card else "offline", status=payment.status.value, amount=payment.amount,
        currency=payment.currency, pay_by=payment.action_due_at if card else None,
        reason=hold_payments.failure_reason(payment), client_secret=client_secret if waiting else None,
        pay_url=hold_payments.pay_url(payment) if waiting else None)
    return SimpleNamespace(id=hold.id, launch_id=hold.launch_id, quantity=hold.quantity, source=hold.source,
                           status=hold.status, expires_at=hold.expires_at, order_id=hold.order_id, payment=view)


def _place(entry) -> SimpleNamespace:
    return SimpleNamespace(status=entry.status.value, place=waitlist.place_in_line(entry), hold_id=entry.hold_id)
