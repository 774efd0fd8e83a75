"""Jobs run after the commit that asked for them, exactly once in effect, on RQ or in-process."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from core import clock, jobs
from core.extensions import db
from core.mail import OutboxEmail, deliver, send_email


def _own_redis_db(url: str | None) -> str | None:
    """Concurrent test runs each take a Redis database of their own (1–15), since the tests flush it."""
    if not url:
        return None
    from redis.connection import parse_url

    base = url.rsplit("/", 1)[0] if parse_url(url).get("db") is not None else url.rstrip("/")
    return f"{base}/{1 + os.getpid() % 15}"


REDIS_URL = _own_redis_db(os.environ.get("REDIS_URL"))


def _sent(outbox_id: int):
    db.session.expire_all()
    return db.session.get(OutboxEmail, outbox_id).sent_at


def test_a_job_runs_only_after_its_unit_of_work_commits(app):
    message = send_email("mei@example.com", "Hello", "Welcome")
    assert message.sent_at is None  # nothing ran before the commit
    db.session.commit()
    assert _sent(message.id) is not None


def test_a_rolled_back_unit_of_work_runs_no_job(app):
    message = send_email("mei@example.com", "Hello", "Welcome")
    outbox_id = message.id
    db.session.rollback()
    db.session.commit()
    assert db.session.get(OutboxEmail, outbox_id) is None
    assert jobs.run_due(app) == 0


def test_delivering_twice_sends_once(app):
    message = OutboxEmail(recipient="mei@example.com", subject="s", body="b")
    db.session.add(message)
    db.session.commit()
    assert deliver(message.id) is True
    db.session.commit()
    assert deliver(message.id) is False


def test_scheduled_in_process_work_waits_for_its_moment(app):
    start = clock.freeze(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    message = OutboxEmail(recipient="mei@example.com", subject="s", body="b")
    db.session.add(message)
    db.session.flush()
    jobs.enqueue(deliver, message.id, at=start + timedelta(hours=1))
    db.session.commit()
    assert jobs.run_due(app) == 0
    assert _sent(message.id) is None
    clock.advance(timedelta(hours=1))
    assert jobs.run_due(app) == 1
    assert _sent(message.id) is not None


TICKS: list[datetime] = []


def tick() -> None:
    TICKS.append(clock.now())


def test_periodic_work_runs_at_start_and_then_once_per_period(app, monkeypatch):
    monkeypatch.setitem(app.config, "PERIODIC_JOBS", [("tests.test_jobs:tick", 60)])
    TICKS.clear()
    start = clock.freeze(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    assert jobs.run_periodic(app) == 1
    clock.advance(timedelta(seconds=59))
    assert jobs.run_periodic(app) == 0
    clock.advance(timedelta(seconds=1))
    assert jobs.run_periodic(app) == 1
    assert [start, start + timedelta(seconds=60)] == TICKS


def test_the_app_sweeps_for_offers_to_close_every_minute(app):
    assert ("groupbuy.jobs:sweep_due_offers", 60) in app.config["PERIODIC_JOBS"]


@pytest.fixture
def rq_app(app):
    if not REDIS_URL:
        if os.environ.get("TUAN_REQUIRE_SERVICES"):
            pytest.fail("REDIS_URL is required for the job tests in CI")
        pytest.skip("REDIS_URL is not set: the real-RQ tests need Redis")
    connection = jobs.redis_connection(REDIS_URL)
    connection.flushdb()
    previous = dict(app.config)
    app.config.update(JOBS_BACKEND="rq", REDIS_URL=REDIS_URL)
    yield app
    app.config.update(JOBS_BACKEND=previous["JOBS_BACKEND"], REDIS_URL=previous["REDIS_URL"])
    connection.flushdb()


@pytest.mark.redis
def test_a_real_rq_worker_delivers_the_email(rq_app, runner):
    message = send_email("mei@example.com", "Hello", "Welcome")
    db.session.commit()
    assert jobs.rq_queue("email", REDIS_URL).count == 1
    assert _sent(message.id) is None  # queued, not run in-process

    result = runner.invoke(args=["worker", "--burst", "-q", "email"])
    assert result.exit_code == 0, result.output
    assert _sent(message.id) is not None
    assert jobs.rq_queue("email", REDIS_URL).count == 0


@pytest.mark.redis
def test_the_same_job_id_enqueued_twice_is_one_job(rq_app):
    message = OutboxEmail(recipient="mei@example.com", subject="s", body="b")
    db.session.add(message)
    db.session.flush()
    for _ in range(2):
        jobs.enqueue(deliver, message.id, job_id=f"email-{message.id}", queue="email")
    db.session.commit()
    assert jobs.rq_queue("email", REDIS_URL).count == 1


@pytest.mark.redis
def test_rq_scheduler_runs_work_that_has_fallen_due(rq_app, runner):
    # The job is due an hour after our (frozen, past) clock: RQ's scheduler sees that moment as passed.
    clock.freeze(datetime(2026, 1, 1, 8, 0, tzinfo=UTC))
    message = OutboxEmail(recipient="mei@example.com", subject="s", body="b")
    db.session.add(message)
    db.session.flush()
    jobs.enqueue(deliver, message.id, at=clock.now() + timedelta(hours=1), queue="email")
    db.session.commit()
    queue = jobs.rq_queue("email", REDIS_URL)
    assert queue.count == 0 and len(queue.scheduled_job_registry) == 1

    result = runner.invoke(args=["worker", "--burst", "-q", "email"])
    assert result.exit_code == 0, result.output
    assert _sent(message.id) is not None


def test_worker_command_needs_redis(app, runner):
    app.config["REDIS_URL"] = None
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code != 0
    assert "REDIS_URL" in result.output
    assert db.session.execute(sa.select(sa.func.count(OutboxEmail.id))).scalar() == 0
