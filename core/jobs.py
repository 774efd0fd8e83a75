"""Background jobs: enqueued after commit; RQ when REDIS_URL is set, in-process otherwise.

A job is a plain function taking ids. ``run_job`` wraps it: app context, one commit, rollback on error.
In-process mode runs due jobs right after the commit that enqueued them (in a fresh app context) and
keeps future ones in a small schedule that a daemon thread (``start_inprocess_scheduler``) or a test
(``run_due``) drains against ``core.clock``.

Periodic jobs (``PERIODIC_JOBS``, the sweepers) run from that thread in-process; with Redis, RQ's own
cron scheduler (``rq.cron.CronScheduler``) enqueues them and ``once_per_period`` lets one run per period
through however many schedulers enqueued it.
"""

from __future__ import annotations

import heapq
import importlib
import itertools
import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import Flask, current_app, has_app_context

from core import clock
from core.db import after_commit, commit
from core.extensions import db

log = logging.getLogger(__name__)

_schedule: list[tuple[datetime, int, str, tuple, str | None]] = []
_schedule_lock = threading.Lock()
_counter = itertools.count()


def dotted(func: Callable | str) -> str:
    return func if isinstance(func, str) else f"{func.__module__}:{func.__qualname__}"


def _resolve(path: str) -> Callable:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def run_job(path: str, *args) -> object:
    """Entry point of every job, in RQ or in-process: one unit of work in an app context."""
    if has_app_context():
        return _run_in_context(path, args)
    from app import create_app

    with create_app().app_context():
        return _run_in_context(path, args)


def _run_in_context(path: str, args: tuple) -> object:
    try:
        result = _resolve(path)(*args)
        commit()
        return result
    except Exception:
        db.session.rollback()
        raise
    finally:
        db.session.remove()


def redis_connection(url: str | None = None):
    from redis import Redis

    return Redis.from_url(url or current_app.config["REDIS_URL"])


def rq_queue(name: str = "default", url: str | None = None):
    from rq import Queue

    return Queue(name, connection=redis_connection(url))


def _pending_in_rq(queue, job_id: str) -> bool:
    """A job with this id is already waiting: enqueueing it again would only run the same work twice."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job, JobStatus

    try:
        status = Job.fetch(job_id, connection=queue.connection).get_status()
    except NoSuchJobError:
        return False
    return status in {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED}


def enqueue(func: Callable | str, *args, at: datetime | None = None, job_id: str | None = None,
            queue: str = "default") -> None:
    """Run ``func(*args)`` after the current unit of work commits (at ``at``, if given).

    ``job_id`` makes the enqueue deterministic: the same id scheduled twice is one job in RQ.
    """
    path = dotted(func)
    app = current_app._get_current_object()
    after_commit(lambda: dispatch(app, path, args, at=at, job_id=job_id, queue=queue))


def dispatch(app: Flask, path: str, args: tuple, *, at: datetime | None, job_id: str | None,
             queue: str) -> None:
    if app.config["JOBS_BACKEND"] == "rq":
        q = rq_queue(queue, app.config["REDIS_URL"])
        if job_id and _pending_in_rq(q, job_id):
            return
        options = {"job_id": job_id} if job_id else {}
        if at is not None and at > clock.now():
            q.enqueue_at(at, run_job, path, *args, **options)
        else:
            q.enqueue(run_job, path, *args, **options)
        return
    if at is not None and at > clock.now():
        with _schedule_lock:
            heapq.heappush(_schedule, (at, next(_counter), path, args, job_id))
        return
    _run_inprocess(app, path, args)


def _run_inprocess(app: Flask, path: str, args: tuple) -> None:
    # A fresh app context gets a fresh session, so the job never shares the caller's transaction.
    with app.app_context():
        try:
            run_job(path, *args)
        except Exception:
            log.exception("in-process job %s%r failed", path, args)


def run_due(app: Flask) -> int:
    """Run every in-process job whose moment has come by ``core.clock``; returns how many ran."""
    ran = 0
    while True:
        with _schedule_lock:
            if not _schedule or _schedule[0][0] > clock.now():
                return ran
            _at, _n, path, args, _job_id = heapq.heappop(_schedule)
        _run_inprocess(app, path, args)
        ran += 1


_last_periodic: dict[str, datetime] = {}


def run_periodic(app: Flask) -> int:
    """Run each of ``app.config["PERIODIC_JOBS"]`` — ``(path, every_seconds)`` pairs, declared in app.py
    — whose period has passed by ``core.clock`` (each runs at once the first time). In-process mode
    only; with Redis, RQ's cron scheduler enqueues them (``periodic_scheduler``)."""
    ran = 0
    for path, every in app.config.get("PERIODIC_JOBS", ()):
        last = _last_periodic.get(path)
        if last is None or clock.now() - last >= timedelta(seconds=every):
            _last_periodic[path] = clock.now()
            _run_inprocess(app, path, ())
            ran += 1
    return ran


def clear_schedule() -> None:
    with _schedule_lock:
        _schedule.clear()
        _last_periodic.clear()


def start_inprocess_scheduler(app: Flask, interval: float = 1.0) -> threading.Thread:
    """For the embedded server: a daemon thread that runs scheduled jobs when they fall due, and the
    periodic ones (sweepers) — straight away at start, which catches up on work scheduled before a
    restart, since the in-process schedule lives in memory."""
    stop = threading.Event()

    def loop():
        run_periodic(app)
        while not stop.wait(interval):
            run_due(app)
            run_periodic(app)

    thread = threading.Thread(target=loop, name="tuan-scheduler", daemon=True)
    thread.stop = stop  # type: ignore[attr-defined]
    thread.start()
    return thread


def once_per_period(path: str, every: int) -> object:
    """Run the periodic job ``path`` unless it already ran in this period (``every`` seconds, counted from
    the epoch by ``core.clock``): each scheduler (one per ``flask worker``) enqueues it every period, and
    a Redis key set only if absent lets the first of them through (a run that fails still uses up its
    period: the next period tries again). Returns the job's result, or None when it was skipped."""
    slot = int(clock.now().timestamp()) // every
    claimed = redis_connection().set(f"tuan:periodic:{path}:{slot}", 1, nx=True, ex=2 * every)
    if not claimed:
        log.info("periodic job %s: already run in this period", path)
        return None
    return _resolve(path)()


PERIODIC_QUEUE = "default"


def periodic_scheduler(periodic: list[tuple[str, int]], connection, queue: str = PERIODIC_QUEUE):
    """RQ's cron scheduler (``rq.cron``, RQ ≥ 2.5) with each ``(path, every)`` registered to enqueue
    ``run_job("core.jobs:once_per_period", path, every)`` every ``every`` seconds (at once the first
    time). Several schedulers may run side by side: ``once_per_period`` runs each job once a period."""
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=connection)
    for path, every in periodic:
        scheduler.register(run_job, queue, args=(dotted(once_per_period), path, every), interval=every,
                           name=path)
    return scheduler


def _run_cron(periodic: list[tuple[str, int]], url: str) -> None:
    periodic_scheduler(periodic, redis_connection(url)).start()


def work(app: Flask, queues: list[str], burst: bool = False, scheduler: bool = True) -> None:
    """Run an RQ worker (with RQ's scheduler) inside the app context: ``flask worker``.

    With ``scheduler``, the periodic jobs are scheduled in RQ too: a burst worker of their queue enqueues
    them once, before it drains the queues; a long-running worker runs RQ's cron scheduler beside it,
    in a child process of its own (RQ's scheduler loop wants a main thread for its signal handlers)."""
    import multiprocessing

    from rq import Worker

    periodic = list(app.config.get("PERIODIC_JOBS", ()))
    url = app.config["REDIS_URL"]
    cron = None
    with app.app_context():
        # Forked work-horses must not share the parent's database connections.
        db.engine.dispose()
        connection = redis_connection(url)
        if scheduler and periodic and burst and PERIODIC_QUEUE in queues:
            periodic_scheduler(periodic, connection).enqueue_jobs()
        elif scheduler and periodic:
            cron = multiprocessing.get_context("fork").Process(target=_run_cron, args=(periodic, url),
                                                               name="tuan-cron", daemon=True)
            cron.start()
        try:
            Worker(queues, connection=connection).work(burst=burst, with_scheduler=scheduler)
        finally:
            if cron is not None:
                cron.terminate()
                cron.join(10)
