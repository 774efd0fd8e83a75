"""Raffle jobs, thin shells that commit: ``draw_job`` (scheduled for each raffle's ``closes_at``) and
``sweep_raffles`` (every minute: commits to a seed for each published raffle that has none, draws each
raffle whose close has come and that a lost job left undrawn, and passes lapsed winners' units on).
Each launch is one unit of work of its own, so one bad launch never holds up the others."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from core import clock
from core.extensions import db
from groupbuy.jobs import each_committed
from launches import raffle
from launches.models import EntryStatus, Hold, HoldStatus, Launch, LaunchMode, LaunchStatus, RaffleEntry

log = logging.getLogger(__name__)


def draw_job(launch_id: int) -> str:
    """Draw one raffle (``raffle.draw``); a draw that lost a race to another is rolled back, "skipped"."""
    try:
        return raffle.draw(launch_id)
    except IntegrityError:
        db.session.rollback()
        log.info("raffle %s: drawn concurrently by another job", launch_id)
        return "skipped"


def pass_on_job(launch_id: int) -> int:
    return len(raffle.pass_on(launch_id))


def _prepare(launch_id: int) -> str:
    raffle.prepare(db.session.get(Launch, launch_id))
    return "prepared"


def sweep_raffles() -> dict[str, dict[int, object]]:
    """The sweeper: each step for each launch that needs it, committed one launch at a time."""
    now = clock.now()
    published_raffles = sa.select(Launch.id).where(Launch.mode == LaunchMode.RAFFLE,
                                                   Launch.status == LaunchStatus.PUBLISHED)
    unprepared = published_raffles.where(Launch.seed_hash.is_(None), Launch.drawn_at.is_(None))
    due = published_raffles.where(Launch.drawn_at.is_(None), Launch.closes_at <= now)
    lapsed_win = sa.select(RaffleEntry.id).join(Hold, Hold.id == RaffleEntry.hold_id).where(
        RaffleEntry.launch_id == Launch.id, RaffleEntry.status == EntryStatus.WON,
        sa.or_(Hold.status.in_([HoldStatus.EXPIRED, HoldStatus.CANCELLED]),
               sa.and_(Hold.status == HoldStatus.HELD, Hold.expires_at <= now)))
    waiting = sa.select(RaffleEntry.id).where(RaffleEntry.launch_id == Launch.id,
                                              RaffleEntry.status == EntryStatus.WAITING)
    to_pass = published_raffles.where(Launch.drawn_at.is_not(None),
                                      sa.or_(lapsed_win.exists(), sa.and_(
                                          waiting.exists(), Launch.sold + Launch.held < Launch.stock)))
    return {"prepared": each_committed(_ids(unprepared), _prepare, "preparing raffle"),
            "drawn": each_committed(_ids(due), draw_job, "drawing raffle"),
            "passed": each_committed(_ids(to_pass), pass_on_job, "passing on raffle units")}


def _ids(query) -> list[int]:
    return list(db.session.execute(query.order_by(Launch.id).limit(1000)).scalars())

