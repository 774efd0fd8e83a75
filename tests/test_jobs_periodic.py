"""Periodic jobs (the sweepers) with Redis: RQ's own cron scheduler enqueues them and a worker runs
them — once per period, however many workers and schedulers enqueued them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core import clock, jobs
from tests.test_jobs import REDIS_URL, rq_app  # noqa: F401  (the real-Redis fixture)

TICKS = "tuan:test:periodic-ticks"


def tick() -> None:
    """A periodic job that leaves its mark in Redis: it runs in the worker's work-horse, not here."""
    jobs.redis_connection().incr(TICKS)


def _ticks() -> int:
    return int(jobs.redis_connection(REDIS_URL).get(TICKS) or 0)


@pytest.fixture
def every_minute(rq_app, monkeypatch):  # noqa: F811
    monkeypatch.setitem(rq_app.config, "PERIODIC_JOBS", [("tests.test_jobs_periodic:tick", 60)])
    clock.freeze(datetime(2026, 3, 1, 9, 0, 5, tzinfo=UTC))
    return rq_app


@pytest.mark.redis
def test_a_burst_worker_runs_the_periodic_jobs_that_are_due(every_minute, runner):
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert _ticks() == 1
    assert jobs.rq_queue("default", REDIS_URL).count == 0


@pytest.mark.redis
def test_two_workers_in_the_same_period_run_a_periodic_job_once(every_minute, runner):
    for _ in range(2):
        assert runner.invoke(args=["worker", "--burst"]).exit_code == 0
    assert _ticks() == 1
    clock.advance(timedelta(seconds=60))
    for _ in range(2):
        assert runner.invoke(args=["worker", "--burst"]).exit_code == 0
    assert _ticks() == 2


@pytest.mark.redis
def test_two_schedulers_enqueue_the_job_and_one_run_goes_through(every_minute, runner):
    connection = jobs.redis_connection(REDIS_URL)
    schedulers = [jobs.periodic_scheduler(every_minute.config["PERIODIC_JOBS"], connection) for _ in range(2)]
    for scheduler in schedulers:
        assert [job.name for job in scheduler.enqueue_jobs()] == ["tests.test_jobs_periodic:tick"]
        assert scheduler.enqueue_jobs() == []  # RQ's own schedule: not again within the minute
    assert jobs.rq_queue("default", REDIS_URL).count == 2

    result = runner.invoke(args=["worker", "--burst", "-q", "default"])
    assert result.exit_code == 0, result.output
    assert _ticks() == 1


@pytest.mark.redis
def test_the_sweeper_is_registered_with_rq_every_minute(rq_app):  # noqa: F811
    scheduler = jobs.periodic_scheduler(rq_app.config["PERIODIC_JOBS"], jobs.redis_connection(REDIS_URL))
    registered = {job.name: (job.interval, job.args) for job in scheduler.get_jobs()}
    assert registered["groupbuy.jobs:sweep_due_offers"] == (
        60, ("core.jobs:once_per_period", "groupbuy.jobs:sweep_due_offers", 60))
