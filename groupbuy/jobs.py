"""Jobs for closing offers, taking ids: ``close_offer_job`` (scheduled for each offer's ``closes_at``
when it is published) and ``sweep_due_offers`` (the sweeper: every offer whose close has come and that
is still OPEN, e.g. because the scheduled job was lost). Both run through ``core.jobs.run_job``, which
commits; the sweeper closes each offer in a unit of work of its own, so one bad offer never holds up
the others."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from sqlalchemy.exc import IntegrityError

from core import clock, jobs
from core.db import commit
from core.extensions import db
from groupbuy import closing, lapses, settlement
from payments.jobs import expire_overdue_payments
from supplier.models import Offer, OfferStatus

log = logging.getLogger(__name__)


def close_offer_job(offer_id: int) -> str:
    """Close one offer (``closing.close_offer``); returns the outcome. A close that lost a race to another
    one (a unique key refused its purchase order, order or payment) is rolled back and reported as
    "skipped": the other close did the work. An open offer whose close was moved later is scheduled
    again for its new ``closes_at``."""
    try:
        result = closing.close_offer(offer_id)
    except IntegrityError:
        db.session.rollback()
        log.info("offer %s: closed concurrently by another job", offer_id)
        return "skipped"
    if result.outcome == "skipped":
        _follow_moved_close(offer_id)
    return result.outcome


def _follow_moved_close(offer_id: int) -> None:
    """The supplier moved the close later after it was scheduled: schedule it again for the new moment."""
    offer = db.session.get(Offer, offer_id)
    if offer is not None and offer.status == OfferStatus.OPEN and offer.closes_at > clock.now():
        jobs.enqueue(close_offer_job, offer.id, at=offer.closes_at,
                     job_id=f"close-offer-{offer.id}-{int(offer.closes_at.timestamp())}")


def each_committed(ids: Iterable[int], act: Callable[[int], object], what: str) -> dict[int, object]:
    """``act`` on each id in a unit of work of its own, committed; one that raises is logged, rolled back
    and reported as "error", and never holds up the others."""
    outcomes: dict[int, str] = {}
    for item_id in ids:
        try:
            outcomes[item_id] = act(item_id)
            commit()
        except Exception:
            db.session.rollback()
            log.exception("%s %s: failed", what, item_id)
            outcomes[item_id] = "error"
    return outcomes


def sweep_due_offers() -> dict[int, str]:
    """Close every OPEN offer whose ``closes_at`` has come, each in its own unit of work; returns each
    offer's outcome ("error" where closing raised: logged, rolled back, left for the next sweep)."""
    return each_committed(closing.due_offer_ids(), close_offer_job, "closing offer")


def _drop(pledge_id: int) -> str:
    return "dropped" if lapses.drop_pledge(pledge_id) else "kept"


def expire_overdue_balances() -> dict[int, str]:
    """The dunning sweeper: cancel every balance whose grace period is over
    (``payments.jobs.expire_overdue_payments``), then drop each pledge whose balance lapsed
    (``lapses.drop_pledge``), each in its own unit of work. Returns each pledge's outcome ("dropped",
    "kept" when there was nothing to drop after all, "error": logged, rolled back, left for the next run).
    Then it reminds the members whose grace period ends within a day (``settlement.remind_due_balances``)."""
    outcomes = each_committed(lapses.lapsed_pledge_ids(expire_overdue_payments()), _drop, "dropping pledge")
    try:
        settlement.remind_due_balances()  # those still within their grace period, on its last day
        commit()
    except Exception:
        db.session.rollback()
        log.exception("reminding members of balances due failed")
    return outcomes
