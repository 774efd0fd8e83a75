"""Lucky draw jobs, thin shells that commit: ``draw_job`` (scheduled for each draw's ``draw_at``) and
``sweep_due_draws`` (every minute: draws each SCHEDULED draw whose time has come and that a lost job left
undrawn). Each draw is one unit of work of its own, so one bad draw never holds up the others."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from core import clock
from core.extensions import db
from groupbuy.jobs import each_committed
from referral import draws
from referral.models import DrawStatus, LuckyDraw

log = logging.getLogger(__name__)


def draw_job(draw_id: int) -> str:
    """Draw one lucky draw (``draws.draw``); a draw that lost a race to another is rolled back, "skipped"."""
    try:
        return draws.draw(draw_id)
    except IntegrityError:
        db.session.rollback()
        log.info("lucky draw %s: drawn concurrently by another job", draw_id)
        return "skipped"


def due_draw_ids(limit: int = 1000) -> list[int]:
    return list(db.session.execute(
        sa.select(LuckyDraw.id).where(LuckyDraw.status == DrawStatus.SCHEDULED, LuckyDraw.draw_at <= clock.now())
        .order_by(LuckyDraw.draw_at, LuckyDraw.id).limit(limit)).scalars())


def sweep_due_draws() -> dict[int, object]:
    """Every SCHEDULED draw whose ``draw_at`` has come, drawn and committed one at a time."""
    return each_committed(due_draw_ids(), draw_job, "drawing lucky draw")
