"""Reveal jobs, thin shells that commit: ``post_due_reveals`` (the sweeper, every minute: each stage whose
time has come is posted to the feed once) and ``tell_reveal_followers`` (its followers, a batch a run)."""

from __future__ import annotations

import logging

from core import jobs
from core.db import commit
from core.extensions import db
from launches import reveal_posts

log = logging.getLogger(__name__)


def post_due_reveals() -> dict[int, str]:
    """Post every due, unposted stage in a unit of work of its own, then start telling its followers.
    Returns each stage's outcome: "posted", "skipped" (posted by another run) or "error" (rolled back,
    left for the next run)."""
    outcomes: dict[int, str] = {}
    for stage_id in reveal_posts.due_stage_ids():
        try:
            posted = reveal_posts.post_stage(stage_id)
            if posted:
                jobs.enqueue(tell_reveal_followers, stage_id, 0, job_id=f"launch-reveal-{stage_id}-0")
            commit()
            outcomes[stage_id] = "posted" if posted else "skipped"
        except Exception:
            db.session.rollback()
            log.exception("posting reveal stage %s failed", stage_id)
            outcomes[stage_id] = "error"
    return outcomes


def tell_reveal_followers(stage_id: int, after_user_id: int = 0) -> None:
    """One batch of a stage's followers; the next batch is its own job, so no run is ever long."""
    last = reveal_posts.tell_followers(stage_id, after_user_id)
    if last is not None:
        jobs.enqueue(tell_reveal_followers, stage_id, last, job_id=f"launch-reveal-{stage_id}-{last}")
    commit()
