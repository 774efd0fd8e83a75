"""First-come drops: a member reserves units (a hold that keeps them for the checkout window), then pays
— offline, an order with a pending payment the shopkeeper confirms — or lets them go; a hold whose
window passes gives its units back (``expire_hold``, run by the sweeper in ``launches.hold_jobs``).

The sold-out path is most of the traffic at opening, so it touches no database: the caller's token and
communities and the launch's facts come from memory (``accounts.token_cache``, ``launches.buy_cache``)
and the gate in Redis (``launches.gate``) says the units are spoken for. ``peek`` — the launch's numbers
and the caller's community in one read by primary key — serves the other paths. Units move through
``launches.stock`` only. Lock order: hold → allowance → launch (see ``launches.stock``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import make_transient_to_detached

from accounts.models import User
from core import clock
from core.errors import Conflict, DomainError, NotFound
from core.extensions import db
from core.validation import MAX_ID
from launches import buy_cache, gate, reveals, stock
from launches.models import (
    Hold,
    HoldSource,
    HoldStatus,
    Launch,
    LaunchMode,
    LaunchStatus,
    WaitlistEntry,
    WaitlistStatus,
    launch_communities,
)
from orders.models import Order
from orders.services import LineSpec, create_order
from payments.cover import announce_due
from payments.models import Payment, PaymentPurpose
from payments.services import create_payment
from shopkeeper.models import Community, Membership

SOURCE = "launch"  #: ``Order.source`` of an order made from a hold (``source_id`` = the hold's id)


@dataclass(frozen=True)
class Peek:
    """A launch as the buy path needs it, and the caller's community among the launch's (None: outsider)."""

    id: int
    status: LaunchStatus
    mode: LaunchMode
    stock: int
    sold: int
    held: int
    opens_at: datetime
    closes_at: datetime | None
    per_member_limit: int
    checkout_minutes: int
    community_id: int | None

    @property
    def available(self) -> int:
        return max(self.stock - self.sold - self.held, 0)

    def is_open(self, now: datetime) -> bool:
        return (self.status == LaunchStatus.PUBLISHED and self.opens_at <= now
                and (self.closes_at is None or now < self.closes_at))


def peek(user: User | None, launch_id: int, community: Community | None = None) -> Peek:
    """One statement: the launch's numbers and the lowest-id launch community (``community``, when given)
    where the caller is a member. Raises ``not_found`` for drafts, unknown ids and outsiders."""
    if not isinstance(launch_id, int) or not 0 < launch_id <= MAX_ID or user is None \
            or not getattr(user, "is_authenticated", False):
        raise NotFound()
    where = [launch_communities.c.launch_id == Launch.id, Membership.user_id == user.id]
    if community is not None:
        where.append(launch_communities.c.community_id == community.id)
    member_of = (sa.select(sa.func.min(launch_communities.c.community_id))
                 .join(Membership, Membership.community_id == launch_communities.c.community_id)
                 .where(*where).scalar_subquery())
    row = db.session.execute(sa.select(
        Launch.id, Launch.status, Launch.mode, Launch.stock, Launch.sold, Launch.held, Launch.opens_at,
        Launch.closes_at, Launch.per_member_limit, Launch.checkout_minutes, member_of)
        .where(Launch.id == launch_id)).first()
    if row is None or row[-1] is None or row.status == LaunchStatus.DRAFT:
        raise NotFound()
    return Peek(*row)


def sold_out_error(available: int = 0) -> Conflict:
    if available > 0:
        return Conflict("sold_out", _l("Only %(n)s left.", n=available), field="quantity")
    return Conflict("sold_out", _l("Sold out."))


def _refuse_unless_open(found: Peek | buy_cache.Facts, now: datetime) -> None:
    if found.status != LaunchStatus.PUBLISHED:
        raise Conflict("closed", _l("This launch was cancelled."))
    if found.opens_at > now:
        raise Conflict("not_open", _l("This launch has not opened yet."))
    if found.closes_at is not None and found.closes_at <= now:
        raise Conflict("closed", _l("This launch has closed."))


def check_quantity(quantity, limit: int) -> None:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= limit:
        raise DomainError("bad_quantity", _l("Reserve between 1 and %(n)s units.", n=limit), field="quantity",
                          status=422)


def _limit_reached(limit: int) -> Conflict:
    return Conflict("limit_reached", _l("Each member may buy at most %(n)s here.", n=limit), field="quantity")


def _hold_on_launch(found: Peek | buy_cache.Facts, user_id: int, quantity: int, now: datetime) -> Hold:
    """Count the units against the member's limit, write the hold, then take the units on the launch —
    the launch's row last, so its lock is held only for that UPDATE and the commit. Raises
    ``limit_reached`` / ``sold_out`` (409) having changed nothing."""
    if stock.take_allowance(found.id, user_id, quantity, found.per_member_limit) is None:
        raise _limit_reached(found.per_member_limit)
    hold = Hold(launch_id=found.id, user_id=user_id, community_id=found.community_id, quantity=quantity,
                source=HoldSource.FIRST_COME, status=HoldStatus.HELD,
                expires_at=now + timedelta(minutes=found.checkout_minutes))
    db.session.add(hold)
    db.session.flush()
    if stock.hold_units(found.id, quantity, now) is None:  # the peek saw units another buyer took since
        db.session.delete(hold)
        db.session.flush()
        stock.give_back_allowance(found.id, user_id, quantity)
        left = stock.counts(found.id)
        raise sold_out_error(left.available if left else 0)
    return hold


def reserve(user: User, launch_id: int, quantity: int = 1, community: Community | None = None) -> Hold:
    """Hold ``quantity`` units of an open first-come launch for its checkout window. Raises ``not_found``
    (not a member of a launch community, or a draft), ``not_first_come`` (a raffle), ``not_open`` /
    ``closed`` (409), ``bad_quantity`` (1 to the per-member limit), ``sold_out`` and ``limit_reached``
    (409: the member's holds and purchases would pass the limit).

    The hot path: who may buy comes from memory (``launches.buy_cache``), the gate in Redis
    (``launches.gate``) turns the crowd away once the units are spoken for, and only requests it admits
    reach the database — on PostgreSQL as one round trip (``stock.reserve_at_once``)."""
    facts = buy_cache.facts_for(user, launch_id, community)
    now = clock.now()
    if facts.mode != LaunchMode.FIRST_COME:
        raise Conflict("not_first_come", _l("This launch is a raffle: enter the draw instead."))
    _refuse_unless_open(facts, now)
    check_quantity(quantity, facts.per_member_limit)
    ticket = gate.take(launch_id, quantity, lambda: _left(launch_id))
    if ticket is not None and not ticket[0]:
        raise sold_out_error(ticket[1])
    try:
        return _hold(facts, user.id, quantity, now)
    except Conflict as refusal:
        if ticket is not None:
            if refusal.code == "sold_out":
                gate.settle(launch_id, _left(launch_id))
            else:
                gate.give_back(launch_id, quantity)
        raise
    except Exception:
        if ticket is not None:
            gate.give_back(launch_id, quantity)
        raise


def _left(launch_id: int) -> int:
    found = stock.counts(launch_id)
    return found.available if found else 0


def _hold(facts: buy_cache.Facts, user_id: int, quantity: int, now: datetime) -> Hold:
    if db.engine.dialect.name != "postgresql":
        left = _left(facts.id)
        if left < quantity:
            raise sold_out_error(left)
        return _hold_on_launch(facts, user_id, quantity, now)
    try:
        hold_id, expires_at = stock.reserve_at_once(facts.id, user_id, facts.community_id, quantity, now)
    except stock.Refused as refused:
        if refused.code == "limit_reached":
            raise _limit_reached(refused.detail) from None
        if refused.code == "sold_out":
            raise sold_out_error(refused.detail) from None
        buy_cache.forget(facts.id)  # this process's facts were stale
        if refused.code == "not_open":
            raise Conflict("not_open", _l("This launch has not opened yet.")) from None
        raise Conflict("closed", _l("This launch has closed.")) from None
    hold = Hold(id=hold_id, launch_id=facts.id, user_id=user_id, community_id=facts.community_id,
                quantity=quantity, source=HoldSource.FIRST_COME, status=HoldStatus.HELD, expires_at=expires_at,
                order_id=None, created_at=now, updated_at=now)
    make_transient_to_detached(hold)
    return db.session.merge(hold, load=False)  # the committed row, in this session, with no SQL


def _my_hold(user: User, launch_id: int, hold_id: int) -> Hold:
    """The caller's hold, read FOR UPDATE (the hold is locked first: see the module's lock order)."""
    if not isinstance(hold_id, int) or not 0 < hold_id <= MAX_ID:
        raise NotFound()
    peek(user, launch_id)
    hold = db.session.execute(sa.select(Hold).where(Hold.id == hold_id, Hold.launch_id == launch_id,
                                                    Hold.user_id == user.id)
                              .with_for_update().execution_options(populate_existing=True)).scalar_one_or_none()
    if hold is None:
        raise NotFound()
    return hold


def _require_live(hold: Hold) -> None:
    if hold.status == HoldStatus.HELD and hold.expires_at <= clock.now():
        raise Conflict("hold_expired", _l("Your reservation ran out; its units went back on sale."))
    if hold.status != HoldStatus.HELD:
        raise Conflict("hold_closed", _l("This reservation is no longer open."))


def pay_offline(user: User, launch_id: int, hold_id: int) -> Hold:
    """Turn the caller's live hold into an order paid offline (cash or transfer at pickup): an Order
    (source "launch", the hold's id) with a PENDING offline payment ("hold:<id>") for the shopkeeper to
    confirm; the units become sold. Returns the hold (``order_id`` set); paying again changes nothing.
    Raises ``not_found``, ``hold_expired`` and ``hold_closed`` (409)."""
    hold = _my_hold(user, launch_id, hold_id)
    if hold.status == HoldStatus.ORDERED:
        return hold
    _require_live(hold)
    if stock.sell_units(hold.launch_id, hold.quantity) is None:
        raise RuntimeError(f"launch {hold.launch_id} holds fewer units than hold {hold.id}")
    order = order_for(user, hold)
    payment = create_payment(PaymentPurpose.BALANCE, f"hold:{hold.id}", user, order.total_amount, order.currency,
                             gateway="offline", order_id=order.id)
    hold.status, hold.order_id = HoldStatus.ORDERED, order.id
    db.session.execute(sa.update(WaitlistEntry).where(WaitlistEntry.hold_id == hold.id)
                       .values(status=WaitlistStatus.CLAIMED).execution_options(synchronize_session=False))
    db.session.flush()
    announce_due([payment])  # store credit covers what it can
    return hold


def unit_price(hold: Hold) -> int:
    """What a unit of the hold costs: the price in force when it was made (a stage revealed later with
    another price does not change what the member was shown)."""
    return reveals.current_price(hold.launch, hold.created_at)


def order_for(user: User, hold: Hold) -> Order:
    """The Order a hold becomes (source "launch", the hold's id; the member's pickup point there)."""
    launch = hold.launch
    membership = db.session.execute(sa.select(Membership).where(
        Membership.community_id == hold.community_id, Membership.user_id == user.id)).scalar_one_or_none()
    return create_order(user_id=user.id, community_id=hold.community_id,
                        pickup_point_id=membership.pickup_point_id if membership else None, source=SOURCE,
                        source_id=hold.id, currency=launch.currency,
                        lines=[LineSpec(launch.variant_id, hold.quantity, unit_price(hold),
                                        launch.variant.wholesale_price)])


def _let_go(hold: Hold, status: HoldStatus) -> None:
    """Units of a HELD hold go back: the member's allowance, then the launch's held count."""
    stock.give_back_allowance(hold.launch_id, hold.user_id, hold.quantity)
    if stock.release_units(hold.launch_id, hold.quantity) is None:
        raise RuntimeError(f"launch {hold.launch_id} holds fewer units than hold {hold.id}")
    hold.status = status
    db.session.flush()


def cancel(user: User, launch_id: int, hold_id: int) -> Hold:
    """The caller lets their live hold go; its units go back on sale (a waitlist offer passes to the next
    in line). Raises ``not_found``, ``hold_closed`` (409)."""
    hold = _my_hold(user, launch_id, hold_id)
    if hold.status != HoldStatus.HELD:
        raise Conflict("hold_closed", _l("This reservation is no longer open."))
    _let_go(hold, HoldStatus.CANCELLED)
    return hold


def expire_hold(hold_id: int) -> bool:
    """Give back the units of one hold whose window has passed; False (nothing changed) when it is not
    HELD or not yet due — so running it twice, or at once from two sweepers, changes nothing more."""
    hold = db.session.execute(sa.select(Hold).where(Hold.id == hold_id).with_for_update()
                              .execution_options(populate_existing=True)).scalar_one_or_none()
    if hold is None or hold.status != HoldStatus.HELD or hold.expires_at > clock.now():
        return False
    _let_go(hold, HoldStatus.EXPIRED)
    return True


def due_hold_ids(launch_id: int | None = None, limit: int = 1000) -> list[int]:
    """HELD holds whose window has passed, oldest first (on the (status, expires_at) index)."""
    query = sa.select(Hold.id).where(Hold.status == HoldStatus.HELD, Hold.expires_at <= clock.now())
    if launch_id is not None:
        query = query.where(Hold.launch_id == launch_id)
    return list(db.session.execute(query.order_by(Hold.expires_at, Hold.id).limit(limit)).scalars())


def my_holds(user: User, launch_id: int) -> list[Hold]:
    """The caller's holds on the launch, newest first (for the page: the live one, what they bought)."""
    return list(db.session.execute(sa.select(Hold).where(Hold.launch_id == launch_id, Hold.user_id == user.id)
                                   .order_by(Hold.id.desc())).scalars())


def hold_payment(hold: Hold) -> Payment | None:
    return db.session.execute(sa.select(Payment).where(Payment.reference == f"hold:{hold.id}")
                              .order_by(Payment.id.desc())).scalars().first()
