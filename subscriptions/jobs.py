"""Jobs for subscription boxes, taking ids. The sweeper (``run_due_cycles``, every minute from
``PERIODIC_JOBS``) starts every cycle cut off and not yet decided; ``start_cycle`` decides it in one unit
of work and hands its boxes out in batches (``make_boxes``) that any worker may take, so the workers share
a big cycle; each batch charges its card boxes once committed. ``retry_due_charges`` (every minute too)
retries declined cards on their schedule. One plan's, one batch's or one card's failure never stops the
others, and every job may run twice or at once."""

from __future__ import annotations

import logging
from datetime import date

from core.db import commit
from core.extensions import db
from core.jobs import enqueue
from subscriptions import billing, cycles

log = logging.getLogger(__name__)


def run_due_cycles() -> dict[str, object]:
    outcomes: dict[str, object] = {}
    for plan_id, delivery_date in cycles.due_cycles():
        key = f"{plan_id}:{delivery_date.isoformat()}"
        try:
            outcomes[key] = start_cycle(plan_id, delivery_date.isoformat())
        except Exception:
            db.session.rollback()
            log.exception("subscription cycle %s failed", key)
            outcomes[key] = "error"
    return outcomes


def start_cycle(plan_id: int, delivery_date: str) -> dict[str, int]:
    """Decide the cycle and enqueue a ``make_boxes`` job per batch of boxes still to make (deterministic
    job ids: a batch already waiting is not queued twice)."""
    day = date.fromisoformat(delivery_date)
    counts = cycles.decide(plan_id, day)
    for first_id, last_id in cycles.box_ranges(plan_id, day):
        enqueue(make_boxes, plan_id, delivery_date, first_id, last_id,
                job_id=f"subscription-boxes-{plan_id}-{delivery_date}-{first_id}-{last_id}")
    commit()
    return counts


def make_boxes(plan_id: int, delivery_date: str, first_id: int, last_id: int) -> int:
    """Make one batch's orders and payments, commit, then charge its card boxes. Returns boxes made."""
    made, payment_ids = cycles.make_boxes(plan_id, date.fromisoformat(delivery_date), first_id, last_id)
    commit()
    db.session.expunge_all()  # else each charge's commit would expire the whole batch's rows again
    billing.charge(payment_ids)
    return made


def retry_due_charges() -> dict[int, str]:
    return billing.retry_due_charges()
