"""A member's pledge on a group buy: make it, change it, cancel it — until the deadline.

The pledge's units move the offer's pooled total through ``groupbuy.capacity.shift_pledged`` only (one
conditional UPDATE), so a capacity is never exceeded however many members pledge at once. The price cap
is the member price shown when pledging (the lowest shown, after changes): at close a member pays the
final price or the cap, whichever is lower (``pricing.final_unit_price``). Taking a deposit at pledge
time is the payments work's seam: it will hook in after ``pledge`` returns, in the same unit of work."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from accounts.models import User
from core import clock
from core.errors import Conflict, DomainError, NotFound
from core.extensions import db
from groupbuy import demand, pricing
from groupbuy.capacity import pooled_total, shift_pledged, units_left
from groupbuy.models import GroupBuy, Pledge, PledgeStatus
from groupbuy.services import require_open, visible_group_buy
from shopkeeper.models import Community
from supplier.validation import MAX_ID


@dataclass(frozen=True)
class MyPledge:
    """My pledge as I see it: what I would pay per unit now (never above my cap) and in all."""

    pledge: Pledge
    unit_price: int
    amount: int
    currency: str


def describe(pledge: Pledge) -> MyPledge:
    group_buy = pledge.group_buy
    price = pricing.capped_unit_price(pricing.member_price_at(group_buy, group_buy.offer.pledged_quantity), pledge)
    return MyPledge(pledge, price, price * pledge.quantity, pledge.currency)


def _mine(group_buy: GroupBuy, user: User, lock: bool = False) -> Pledge | None:
    query = sa.select(Pledge).where(Pledge.group_buy_id == group_buy.id, Pledge.user_id == user.id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.session.execute(query).scalar_one_or_none()


def my_pledge(user: User, group_buy_id: int, community: Community | None = None) -> Pledge | None:
    """The caller's active pledge on the group buy, or None. Raises ``not_found`` as the group buy does."""
    group_buy, _membership = visible_group_buy(user, group_buy_id, community)
    pledge = _mine(group_buy, user)
    return pledge if pledge is not None and pledge.status == PledgeStatus.ACTIVE else None


def _check(group_buy: GroupBuy, quantity, tolerance, pickup_point_id) -> None:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= MAX_ID:
        raise DomainError("bad_quantity", _l("Pledge at least one unit."), field="quantity")
    case_pack = group_buy.offer.case_pack
    if not isinstance(tolerance, int) or isinstance(tolerance, bool) or not 0 <= tolerance < case_pack:
        raise DomainError("bad_tolerance", _l("The tolerance is between 0 and %(n)s units (a case holds %(case)s).",
                                              n=case_pack - 1, case=case_pack), field="tolerance")
    limit = group_buy.per_member_max
    if limit is not None and quantity + tolerance > limit:
        raise DomainError("over_member_max", _l("Each member may pledge at most %(n)s units here, tolerance "
                                                "included.", n=limit), field="quantity")
    if not any(point.id == pickup_point_id and point.active for point in group_buy.pickup_points):
        raise DomainError("bad_pickup_point", _l("Choose one of this group buy's pickup points."),
                          field="pickup_point_id")


def _no_room(group_buy: GroupBuy) -> DomainError:
    return Conflict("over_capacity", _l("Only %(n)s left.", n=units_left(group_buy.offer) or 0), field="quantity")


def pledge(user: User, group_buy_id: int, *, quantity: int, pickup_point_id: int, tolerance: int = 0,
           community: Community | None = None) -> Pledge:
    """Pledge ``quantity`` units (and up to ``tolerance`` more to complete a case), collected at one of the
    group buy's pickup points — or change the caller's pledge to these values. The offer's pooled total
    moves by the difference; the price cap is the member price now shown, or the old cap when lower.

    Raises ``not_found`` (outsiders), ``closed`` (409, after the deadline or once closed), ``bad_quantity``,
    ``bad_tolerance`` (0 to case pack − 1), ``over_member_max`` (quantity plus tolerance above the group
    buy's per-member maximum), ``bad_pickup_point``, ``over_capacity`` (409: "Only N left") and
    ``already_pledged`` (409: a double submit raced this one)."""
    group_buy, _membership = visible_group_buy(user, group_buy_id, community, lock=True)
    require_open(group_buy)
    _check(group_buy, quantity, tolerance, pickup_point_id)
    existing = _mine(group_buy, user, lock=True)
    if existing is None:
        return _create(group_buy, user, quantity, tolerance, pickup_point_id)
    active = existing.status == PledgeStatus.ACTIVE
    delta = quantity - existing.quantity if active else quantity
    total = _shift(group_buy, delta)
    if active:
        demand.shift(_cell(group_buy, existing.pickup_point_id), -demand.pending(existing.quantity))
    demand.shift(_cell(group_buy, pickup_point_id), demand.pending(quantity))
    shown = pricing.member_price_at(group_buy, total - delta)
    existing.price_cap = min(existing.price_cap, shown) if active else shown
    if not active:  # a pledge made again after cancelling joins the queue anew
        existing.status, existing.cancelled_at, existing.created_at = PledgeStatus.ACTIVE, None, clock.now()
    existing.quantity, existing.tolerance, existing.pickup_point_id = quantity, tolerance, pickup_point_id
    db.session.flush()
    return existing


def _cell(group_buy: GroupBuy, pickup_point_id: int | None) -> demand.Key:
    return demand.key_for(group_buy.offer, group_buy.community_id, pickup_point_id)


def _shift(group_buy: GroupBuy, delta: int) -> int:
    """Move the pooled total by ``delta`` and return it; raises ``over_capacity`` when the offer refuses."""
    if delta == 0:
        return pooled_total(group_buy.offer_id)
    total = shift_pledged(group_buy.offer_id, delta)
    if total is None:
        raise _no_room(group_buy)
    return total


def _create(group_buy: GroupBuy, user: User, quantity: int, tolerance: int, pickup_point_id: int) -> Pledge:
    try:
        with db.session.begin_nested():
            total = _shift(group_buy, quantity)
            pledge = Pledge(group_buy_id=group_buy.id, offer_id=group_buy.offer_id, user_id=user.id,
                            pickup_point_id=pickup_point_id, quantity=quantity, tolerance=tolerance,
                            price_cap=pricing.member_price_at(group_buy, total - quantity),
                            currency=group_buy.offer.currency, status=PledgeStatus.ACTIVE)
            db.session.add(pledge)
            db.session.flush()
            demand.shift(_cell(group_buy, pickup_point_id), demand.pending(quantity))
    except IntegrityError:
        raise Conflict("already_pledged", _l("You pledged on this group buy a moment ago: change that pledge.")) \
            from None
    return pledge


def cancel_pledge(user: User, group_buy_id: int, community: Community | None = None) -> Pledge:
    """Withdraw the caller's pledge before the deadline; its units leave the pooled total. Raises
    ``not_found`` (no group buy here, or no active pledge on it) and ``closed`` (409)."""
    group_buy, _membership = visible_group_buy(user, group_buy_id, community, lock=True)
    require_open(group_buy)
    pledge = _mine(group_buy, user, lock=True)
    if pledge is None or pledge.status != PledgeStatus.ACTIVE:
        raise NotFound(_l("You have no pledge on this group buy."))
    if shift_pledged(group_buy.offer_id, -pledge.quantity) is None:
        raise RuntimeError(f"offer {group_buy.offer_id} holds fewer units than pledge {pledge.id}")
    pledge.status, pledge.cancelled_at = PledgeStatus.CANCELLED, clock.now()
    demand.shift(_cell(group_buy, pledge.pickup_point_id), -demand.pending(pledge.quantity))
    db.session.flush()
    return pledge
