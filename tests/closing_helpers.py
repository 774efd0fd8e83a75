"""Helpers for closing stories: an offer pooled across two communities, moving the clock past the
close and running the close job as the scheduler would, and fresh reads after a job."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from core import clock, jobs
from core.extensions import db
from tests.factories import make_community, make_pickup_point
from tests.groupbuy_factories import make_group_buy, make_offer


def fresh(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


def two_communities(**offer_args):
    """An offer run in two communities: the first with a 10 % margin (pickup region Xuhui), the second
    with a fixed 1.00 margin (pickup region Pudong)."""
    offer = make_offer(**offer_args)
    first = make_group_buy(offer)
    other = make_community(name="Pudong Neighbours")
    make_pickup_point(other, region="Pudong")
    second = make_group_buy(offer, other, margin_kind="fixed", margin="1.00")
    return offer, first, second


def after_close(offer) -> None:
    """Move the clock just past the offer's close."""
    clock.freeze(max(clock.now(), offer.closes_at) + timedelta(minutes=1))


def run_close(offer_id: int):
    """The close job, as the in-process scheduler runs it: in an app context (and session) of its own,
    one unit of work, committed. The test's objects stay attached but stale: re-query (``fresh``)."""
    with current_app.app_context():
        return jobs.run_job("groupbuy.jobs:close_offer_job", offer_id)
