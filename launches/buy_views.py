"""Pages: the buy box of a first-come launch (``launches/_buy.html``, on the launch page) and its forms —
reserve, pay offline, let a hold go, join or leave the waitlist — on the ``launches`` blueprint. A refusal
(sold out, limit reached…) is told on the launch page; nothing was written for it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.auth import login_required
from core.errors import DomainError
from launches import holds, waitlist
from launches.models import Hold, HoldStatus, Launch, LaunchMode, LaunchStatus, WaitlistEntry
from launches.views import bp
from shopkeeper.access import get_community
from shopkeeper.validation import ID


@dataclass(frozen=True)
class BuyBox:
    """What the buy box shows: ``state`` is upcoming, open, sold_out, closed or hidden; the caller's
    live hold, what they bought and their place on the waitlist come alongside."""

    state: str
    available: int
    live: Hold | None
    bought: int  #: units in the caller's ordered holds
    entry: WaitlistEntry | None
    place: int


def buy_box(launch: Launch, now: datetime) -> BuyBox:
    mine = holds.my_holds(current_user, launch.id) if current_user.is_authenticated else []
    live = next((hold for hold in mine if hold.status == HoldStatus.HELD and hold.expires_at > now), None)
    bought = sum(hold.quantity for hold in mine if hold.status == HoldStatus.ORDERED)
    entry = waitlist.my_entry(current_user, launch.id) if current_user.is_authenticated else None
    if launch.mode != LaunchMode.FIRST_COME or launch.status != LaunchStatus.PUBLISHED:
        state = "hidden"
    elif now < launch.opens_at:
        state = "upcoming"
    elif launch.closes_at is not None and now >= launch.closes_at:
        state = "closed"
    else:
        state = "open" if launch.available > 0 else "sold_out"
    return BuyBox(state, launch.available, live, bought, entry, waitlist.place_in_line(entry) if entry else 0)


@bp.app_context_processor
def _buy_helpers():
    return {"buy_box": buy_box}


def _back(slug: str, launch_id: int):
    return redirect(url_for("launches.show", slug=slug, launch_id=launch_id))


def _attempt(slug: str, launch_id: int, act, done: str):
    """Run ``act`` (a service call); tell the member how it went on the launch page."""
    try:
        act()
        flash(done, "success")
    except DomainError as error:
        if error.status == 404:
            raise
        flash(str(error.message), "warning")
    return _back(slug, launch_id)


def _quantity() -> int | None:
    value = request.form.get("quantity", "1").strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


@bp.post(f"/c/<slug>/launches/<{ID}:launch_id>/holds")
@login_required
def reserve(slug: str, launch_id: int):
    community = get_community(slug)
    return _attempt(slug, launch_id, lambda: holds.reserve(current_user, launch_id, _quantity(), community),
                    _("Reserved! Pay before the countdown ends, or the units go back on sale."))


@bp.post(f"/c/<slug>/launches/<{ID}:launch_id>/holds/<{ID}:hold_id>/pay")
@login_required
def pay(slug: str, launch_id: int, hold_id: int):
    get_community(slug)
    return _attempt(slug, launch_id, lambda: holds.pay_offline(current_user, launch_id, hold_id),
                    _("It's yours: pay the shopkeeper at pickup (cash or transfer)."))


@bp.post(f"/c/<slug>/launches/<{ID}:launch_id>/holds/<{ID}:hold_id>/cancel")
@login_required
def cancel_hold(slug: str, launch_id: int, hold_id: int):
    get_community(slug)
    return _attempt(slug, launch_id,
                    lambda: waitlist.after_release(holds.cancel(current_user, launch_id, hold_id)),
                    _("Reservation let go: the units went back on sale."))


@bp.post(f"/c/<slug>/launches/<{ID}:launch_id>/waitlist")
@login_required
def join_waitlist(slug: str, launch_id: int):
    community = get_community(slug)
    return _attempt(slug, launch_id, lambda: waitlist.join(current_user, launch_id, community),
                    _("You are on the waitlist: we will tell you when a unit is yours to claim."))


@bp.post(f"/c/<slug>/launches/<{ID}:launch_id>/waitlist/leave")
@login_required
def leave_waitlist(slug: str, launch_id: int):
    get_community(slug)
    return _attempt(slug, launch_id, lambda: waitlist.leave(current_user, launch_id),
                    _("You left the waitlist."))
