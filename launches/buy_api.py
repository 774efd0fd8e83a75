"""JSON: a launch's stock (what open launch pages poll), reserving, paying (offline) and letting go of a
hold, and the waitlist. The same services as the pages; outsiders get a 404 for everything."""

from types import SimpleNamespace

from flask_login import current_user
from flask_smorest import Blueprint

from core.auth import login_required
from core.extensions import ErrorOut
from launches import holds, waitlist
from launches.buy_schemas import HoldIn, HoldOut, StockOut, WaitlistOut

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
@blp.response(200, HoldOut)
@blp.alt_response(404, schema=ErrorOut, description=_NOT_FOUND)
@blp.alt_response(409, schema=ErrorOut, description="``hold_expired``, ``hold_closed``.")
def pay(launch_id: int, hold_id: int):
    """Pay offline (cash or transfer at pickup): an order with a pending payment the shopkeeper confirms;
    the units are yours. Paying again answers the same."""
    return holds.pay_offline(current_user, launch_id, hold_id)


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


def _place(entry) -> SimpleNamespace:
    return SimpleNamespace(status=entry.status.value, place=waitlist.place_in_line(entry), hold_id=entry.hold_id)
