"""Pages: the buy box of a first-come launch (``launches/_buy.html``, on the launch page) and its forms —
reserve, pay offline or by card (then on the pay page), let a hold go, join or leave the waitlist — on the
``launches`` blueprint. A refusal (sold out, limit reached…) is told on the launch page; nothing was
written for it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.auth import login_required
from core.errors import DomainError
from launches import hold_payments, holds, waitlist
from launches.models import Hold, HoldStatus, Launch, LaunchMode, LaunchStatus, WaitlistEntry
from launches.views import bp
from payments.models import Payment, PaymentStatus
from shopkeeper.access import get_community
from shopkeeper.validation import ID


@dataclass(frozen=True)
class CardPending:
    """An ordered hold whose card payment the member has yet to finish (on the pay page)."""

    hold: Hold
    payment: Payment

    @property
    def pay_url(self) -> str:
        return hold_payments.pay_url(self.payment)

    @property
    def reason(self) -> str | None:
        return hold_payments.failure_reason(self.payment)


@dataclass(frozen=True)
class BuyBox:
    """What the buy box shows: ``state`` is upcoming, open, sold_out, closed or hidden; the caller's
    live hold, what they bought and their place on the waitlist come alongside."""

    state: str
    available: int
    live: Hold | None
    bought: int  #: units in the caller's ordered holds paid (or to pay) at pickup
    entry: WaitlistEntry | None
    place: int
    paid: int = 0  #: units in the caller's ordered holds paid by card
    paying: tuple[CardPending, ...] = ()  #: ordered holds whose card payment is still to finish
    card: bool = False  #: "Pay by card" is offered beside "Pay at pickup"


def _ordered(mine: list[Hold]) -> tuple[int, int, tuple[CardPending, ...]]:
    """Units bought to pay at pickup, units paid by card, card payments to finish."""
    ordered = [hold for hold in mine if hold.status == HoldStatus.ORDERED]
    payments = {hold.id: hold_payments.balance_of(hold.id) for hold in ordered}
    by_card = [hold for hold in ordered if hold_payments.is_card(payments[hold.id])]
    paid = [hold for hold in by_card if payments[hold.id].status == PaymentStatus.SUCCEEDED]
    return (sum(hold.quantity for hold in ordered if hold not in by_card), sum(hold.quantity for hold in paid),
            tuple(CardPending(hold, payments[hold.id]) for hold in by_card if hold not in paid))


def buy_box(launch: Launch, now: datetime) -> BuyBox:
    mine = holds.my_holds(current_user, launch.id) if current_user.is_authenticated else []
    live = next((hold for hold in mine if hold.status == HoldStatus.HELD and hold.expires_at > now), None)
    bought, paid, paying = _ordered(mine)
    entry = waitlist.my_entry(current_user, launch.id) if current_user.is_authenticated else None
    if launch.mode != LaunchMode.FIRST_COME or launch.status != LaunchStatus.PUBLISHED:
        state = "hidden"
    elif now < launch.opens_at:
        state = "upcoming"
    elif launch.closes_at is not None and now >= launch.closes_at:
        state = "closed"
    else:
        state = "open" if launch.available > 0 else "sold_out"
    return BuyBox(state, launch.available, live, bought, entry, waitlist.place_in_line(entry) if entry else 0,
                  paid, paying, live is not None and holds.unit_price(live) > 0 and hold_payments.card_available())


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
    return _attempt(slug, launch_id, lambda: hold_payments.pay_offline(current_user, launch_id, hold_id),
                    _("It's yours: pay the shopkeeper at pickup (cash or transfer)."))


@bp.post(f"/c/<slug>/launches/<{ID}:launch_id>/holds/<{ID}:hold_id>/pay-card")
@login_required
def pay_card(slug: str, launch_id: int, hold_id: int):
    """Start (or go back to) paying the hold by card: the pay page takes the card."""
    get_community(slug)
    try:
        checkout = hold_payments.pay_by_card(current_user, launch_id, hold_id)
    except DomainError as error:
        if error.status == 404:
            raise
        flash(str(error.message), "warning")
        return _back(slug, launch_id)
    if checkout.payment.status == PaymentStatus.SUCCEEDED:
        flash(_("Paid. Thank you!"), "success")
        return _back(slug, launch_id)
    return redirect(checkout.pay_url, code=303)


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
