"""Jobs for first-come drops, taking ids: the sweeper that gives back the units of holds whose window
passed (``expire_due_holds``, every minute from ``PERIODIC_JOBS``) and offers them down the waitlist,
and ``offer_restock_job`` (after a restock, or a waitlist hold let go). Each hold expires in a unit of
work of its own, so one bad row never holds up the others; running any of them twice changes nothing."""

from __future__ import annotations

import logging

from core.db import commit
from core.extensions import db
from launches import holds, waitlist
from launches.models import Hold

log = logging.getLogger(__name__)


def _expire(hold_id: int) -> int | None:
    """Expire one hold and commit; the launch whose units came back, or None."""
    if not holds.expire_hold(hold_id):
        return None
    hold = db.session.get(Hold, hold_id)
    waitlist.pass_on(hold)
    launch_id = hold.launch_id
    commit()
    return launch_id


def expire_due_holds() -> int:
    """Give back every due hold's units, then offer them to each launch's waitlist; returns how many holds
    expired now."""
    launches: set[int] = set()
    expired = 0
    for hold_id in holds.due_hold_ids():
        try:
            launch_id = _expire(hold_id)
        except Exception:
            db.session.rollback()
            log.exception("expiring launch hold %s: failed", hold_id)
            continue
        if launch_id is not None:
            launches.add(launch_id)
            expired += 1
    for launch_id in sorted(launches):
        if waitlist.has_waiting(launch_id):
            offer_restock_job(launch_id)
            commit()
    return expired


def offer_restock_job(launch_id: int) -> int:
    """Offer the launch's free units down its waitlist; returns how many offers were made."""
    return len(waitlist.offer_restock(launch_id))
