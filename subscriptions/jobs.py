"""Jobs for subscription boxes, taking ids: the sweeper that runs every cycle cut off and not yet decided
(``run_due_cycles``, every minute from ``PERIODIC_JOBS``), each in a unit of work of its own, so one
plan's failure never stops another's."""

from __future__ import annotations

import logging

from core.db import commit
from core.extensions import db
from subscriptions import cycles

log = logging.getLogger(__name__)


def run_due_cycles() -> dict[str, object]:
    outcomes: dict[str, object] = {}
    for plan_id, delivery_date in cycles.due_cycles():
        key = f"{plan_id}:{delivery_date.isoformat()}"
        try:
            outcomes[key] = cycles.run_cycle(plan_id, delivery_date)
            commit()
        except Exception:
            db.session.rollback()
            log.exception("subscription cycle %s failed", key)
            outcomes[key] = "error"
    return outcomes
