"""The waitlist: once a first-come launch sells out, members line up (first joined, first offered, by
the entry's id). Units that come back — a restock, a hold that expired or was let go — are offered down
the line, one unit per member: each offered member gets a hold (source waitlist) for the launch's claim
window and is told; a window that passes gives the unit to the next (the sweeper in ``launches.hold_jobs``).

``offer_restock`` is idempotent: it offers only units nobody holds, to members still waiting."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from accounts.models import User
from core import clock, jobs, notify
from core.errors import Conflict, NotFound
from core.extensions import db
from launches import holds, stock
from launches.holds import Peek, peek
from launches.models import Hold, HoldSource, HoldStatus, Launch, LaunchMode, WaitlistEntry, WaitlistStatus
from shopkeeper.models import Community

notify.register("launch_restock_offer",
                _l("A unit of “%(title)s” is yours to claim: pay within %(minutes)s minutes, or it goes to "
                   "the next in line."), _l("Your turn: %(title)s"))

LINE = (WaitlistStatus.WAITING, WaitlistStatus.OFFERED)  #: still in line


def join(user: User, launch_id: int, community: Community | None = None) -> WaitlistEntry:
    """Take the next place in line for a sold-out first-come launch; joining again keeps one's place.
    Raises ``not_found``, ``not_first_come`` (a raffle), ``not_sold_out`` (409: units are on sale —
    reserve one), ``limit_reached`` (409: the member holds or bought their limit) and ``waitlist_passed``
    (409: an offer to them ran out or they left the line)."""
    found = peek(user, launch_id, community)
    if found.mode != LaunchMode.FIRST_COME:
        raise Conflict("not_first_come", _l("This launch is a raffle: enter the draw instead."))
    entry = my_entry(user, launch_id)
    if entry is not None:
        if entry.status not in LINE and entry.status != WaitlistStatus.CLAIMED:
            raise Conflict("waitlist_passed", _l("Your turn on the waitlist has passed."))
        return entry
    if found.available > 0:
        raise Conflict("not_sold_out", _l("Units are still on sale: reserve one."))
    if stock.allowance_units(found.id, user.id) >= found.per_member_limit:
        raise Conflict("limit_reached", _l("Each member may buy at most %(n)s here.", n=found.per_member_limit))
    try:
        with db.session.begin_nested():
            entry = WaitlistEntry(launch_id=found.id, user_id=user.id, community_id=found.community_id,
                                  status=WaitlistStatus.WAITING)
            db.session.add(entry)
            db.session.flush()
    except IntegrityError:  # a double submit got there first
        entry = my_entry(user, launch_id)
    return entry


def leave(user: User, launch_id: int) -> WaitlistEntry:
    """Leave the line while waiting. Raises ``not_found`` (not waiting)."""
    peek(user, launch_id)
    entry = my_entry(user, launch_id)
    if entry is None or entry.status != WaitlistStatus.WAITING:
        raise NotFound(_l("You are not on this waitlist."))
    entry.status = WaitlistStatus.LEFT
    db.session.flush()
    return entry


def my_entry(user: User, launch_id: int) -> WaitlistEntry | None:
    return db.session.execute(sa.select(WaitlistEntry).where(
        WaitlistEntry.launch_id == launch_id, WaitlistEntry.user_id == user.id)).scalar_one_or_none()


def place_in_line(entry: WaitlistEntry) -> int:
    """1 for the next to be offered a unit; 0 once offered (or out of line)."""
    if entry.status != WaitlistStatus.WAITING:
        return 0
    ahead = db.session.execute(sa.select(sa.func.count()).select_from(WaitlistEntry).where(
        WaitlistEntry.launch_id == entry.launch_id, WaitlistEntry.status == WaitlistStatus.WAITING,
        WaitlistEntry.id < entry.id)).scalar_one()
    return ahead + 1


def _claim(entry_id: int, status: WaitlistStatus, frm: WaitlistStatus = WaitlistStatus.WAITING) -> bool:
    """Move one entry ``frm`` → ``status`` by a conditional UPDATE (which locks it): False when another
    unit of work moved it first."""
    moved = db.session.execute(sa.update(WaitlistEntry).where(WaitlistEntry.id == entry_id,
                                                               WaitlistEntry.status == frm)
                               .values(status=status).execution_options(synchronize_session=False))
    return moved.rowcount == 1


def offer_restock(launch_id: int) -> list[Hold]:
    """Offer the launch's available units to the waitlist in order, one unit each: a waitlist hold for
    ``claim_minutes`` and a notification. Members already at their limit pass. Returns the new holds;
    running it again offers nothing more (no units left, or nobody waiting)."""
    launch = db.session.get(Launch, launch_id)
    if launch is None or launch.mode != LaunchMode.FIRST_COME:
        return []
    now, offered = clock.now(), []
    waiting = db.session.execute(sa.select(WaitlistEntry.id, WaitlistEntry.user_id, WaitlistEntry.community_id)
                                 .where(WaitlistEntry.launch_id == launch_id,
                                        WaitlistEntry.status == WaitlistStatus.WAITING)
                                 .order_by(WaitlistEntry.id)).all()
    for entry_id, user_id, community_id in waiting:
        left = stock.counts(launch_id)
        if left is None or left.available < 1:
            break
        if not _claim(entry_id, WaitlistStatus.OFFERED):
            continue
        if stock.take_allowance(launch_id, user_id, 1, launch.per_member_limit) is None:
            _claim(entry_id, WaitlistStatus.PASSED, frm=WaitlistStatus.OFFERED)
            continue
        if stock.hold_units(launch_id, 1, now) is None:  # taken meanwhile, or the launch closed
            stock.give_back_allowance(launch_id, user_id, 1)
            _claim(entry_id, WaitlistStatus.WAITING, frm=WaitlistStatus.OFFERED)
            break
        offered.append(_offer(launch, entry_id, user_id, community_id, now))
    return offered


def _offer(launch: Launch, entry_id: int, user_id: int, community_id: int, now) -> Hold:
    hold = Hold(launch_id=launch.id, user_id=user_id, community_id=community_id, quantity=1,
                source=HoldSource.WAITLIST, status=HoldStatus.HELD,
                expires_at=now + timedelta(minutes=launch.claim_minutes))
    db.session.add(hold)
    db.session.flush()
    db.session.execute(sa.update(WaitlistEntry).where(WaitlistEntry.id == entry_id).values(hold_id=hold.id)
                       .execution_options(synchronize_session=False))
    community = db.session.get(Community, community_id)
    notify.tell(db.session.get(User, user_id), "launch_restock_offer", key=f"launch-offer-{hold.id}",
                link=f"/c/{community.slug}/launches/{launch.id}", title=launch.title,
                minutes=launch.claim_minutes)
    return hold


def pass_on(hold: Hold) -> None:
    """A waitlist hold ran out or was let go: its member's turn has passed (the unit goes to the next
    when ``offer_restock`` runs)."""
    if hold.source == HoldSource.WAITLIST:
        db.session.execute(sa.update(WaitlistEntry).where(WaitlistEntry.hold_id == hold.id,
                                                          WaitlistEntry.status == WaitlistStatus.OFFERED)
                           .values(status=WaitlistStatus.PASSED).execution_options(synchronize_session=False))


def after_release(hold: Hold) -> None:
    """A hold was let go: a waitlist offer passes, and the units go down the line after the commit."""
    pass_on(hold)
    if has_waiting(hold.launch_id):
        offer_later(hold.launch_id)


_last_lazy_check: dict[int, float] = {}


def return_due_units(found: Peek, every: float = 1.0) -> Peek:
    """The lazy check behind the stock endpoint: a sold-out launch with units in holds whose window has
    passed gets them back now rather than at the next sweep (at most once a second per launch in this
    process, so polling pages stay cheap), and the waitlist is offered them after the commit. Locks
    each hold, then its allowance, then the launch — and nothing after, so the lock order holds."""
    if found.available > 0 or found.held == 0:
        return found
    moment = clock.now().timestamp()
    if moment - _last_lazy_check.get(found.id, float("-inf")) < every:
        return found
    _last_lazy_check[found.id] = moment
    returned = False
    for hold_id in holds.due_hold_ids(found.id, limit=50):
        if holds.expire_hold(hold_id):
            pass_on(db.session.get(Hold, hold_id))
            returned = True
    if not returned:
        return found
    if has_waiting(found.id):
        offer_later(found.id)
    left = stock.counts(found.id)
    return replace(found, stock=left.stock, sold=left.sold, held=left.held)


def has_waiting(launch_id: int) -> bool:
    return db.session.execute(sa.select(WaitlistEntry.id).where(
        WaitlistEntry.launch_id == launch_id, WaitlistEntry.status == WaitlistStatus.WAITING).limit(1)).first() \
        is not None


def offer_later(launch_id: int) -> None:
    """After this unit of work commits, offer the launch's free units to the waitlist (a job of its own,
    so the offers lock rows in the usual order: entry, allowance, launch)."""
    jobs.enqueue("launches.hold_jobs:offer_restock_job", launch_id, job_id=f"launch-offers-{launch_id}")
