"""Benchmark: one subscription cycle of 50,000 boxes with two real RQ workers (issue #5's acceptance).

    .venv/bin/python -m bench.cycle                              # 50,000 subscriptions, 2 workers
    .venv/bin/python -m bench.cycle --subscriptions 2000         # a quick run

Works in a PostgreSQL database of its own (``tuan_bench_cycle`` on the server DATABASE_URL names, default
postgresql://postgres@127.0.0.1:5432), created from the migrations and dropped at the end, and in a Redis
database index of its own (``--redis-db``, default 12), flushed before and after. Seeds by INSERT … SELECT
over generate_series one community with ``--subscriptions`` members, each subscribed to one weekly plan
(two items, one swap allowed) whose cycle was cut off in the last hour of real time and is delivered in two
days — the workers run with the real clock. 2 % of the subscriptions skip that box, 2 % are paused, 1 %
swap an item. ``--cards`` of them (spread evenly) pay by a saved card, charged by the workers against
``tests/stripe_stub.py`` (started here, answering after ``--latency-ms``); the others pay at pickup.

Starts ``--workers`` ``flask worker`` processes, opens the plan, enqueues the cycle job
(``subscriptions.jobs:start_cycle``) as the sweeper would, and polls the cycle's progress until every box
is made and charged (by plain SQL; ``cycles.cycle_progress`` must agree at the end). Prints the boxes,
orders created per second and the time to a complete cycle; then runs the cycle again and checks nothing
new was made or charged. Exits 1 when a figure is wrong."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bench.close import create_database, drop_database
from bench.fanout import bench_app, queues_idle, redis_url, start_workers, stop_workers, wait_for
from bench.members import bench_url

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
BENCH_DATABASE = "tuan_bench_cycle"
START_JOB = "subscriptions.jobs:start_cycle"
SWEEPER = "subscriptions.jobs:run_due_cycles"
TIMEZONE = "Asia/Shanghai"
CUTOFF_HOURS = 48
#: seconds between two looks at the cycle's progress (each costs PostgreSQL ~20 ms at 50,000 boxes)
POLL_S = 0.5
SKIP_EVERY, PAUSE_EVERY, SWAP_EVERY = 50, 50, 100  #: the n-th subscriptions with n % … == 0, 1 and 2


def schedule_for(now: datetime) -> dict:
    """A weekly plan whose cycle was cut off at the last whole hour (Shanghai's hours are UTC's) and is
    delivered ``CUTOFF_HOURS`` later: its local weekday, first date, delivery hour and cut-off."""
    cutoff_at = now.replace(minute=0, second=0, microsecond=0)
    delivers = (cutoff_at + timedelta(hours=CUTOFF_HOURS)).astimezone(ZoneInfo(TIMEZONE))
    return {"weekday": delivers.weekday(), "starts_on": delivers.date() - timedelta(weeks=1),
            "delivery_hour": delivers.hour, "cutoff_hours": CUTOFF_HOURS, "delivery_date": delivers.date(),
            "cutoff_at": cutoff_at}


def seed(subscriptions: int, cards: int, capacity: int | None, now: datetime) -> tuple[int, date]:
    """The community, its supplier's three variants, a draft weekly plan (opened once the workers are up)
    and ``subscriptions`` subscribers with their skips, pauses and swaps. Returns (plan id, delivery date)."""
    from accounts.models import User
    from core.extensions import db
    from shopkeeper.models import Community, Membership, MembershipRole, PickupPoint
    from subscriptions.calendar import Cadence
    from subscriptions.models import Plan, PlanItem, PlanStatus, PlanSwap
    from supplier.models import Product, Supplier, Variant

    when = schedule_for(now)
    owner = User(email="owner@bench.example", display_name="店主", password_hash="!")
    supplier = Supplier(name="Bench Orchards", slug="bench-orchards", currency="CNY", description="")
    db.session.add_all([owner, supplier])
    db.session.flush()
    community = Community(owner_id=owner.id, name="Bench Garden", slug="bench-garden", currency="CNY",
                          timezone=TIMEZONE, description="")
    variants = [Variant(supplier_id=supplier.id, sku=sku, name=name, unit="box", case_pack=6, wholesale_price=w,
                        retail_price=r, currency="CNY", lead_time_days=lead)
                for sku, name, w, r, lead in (("MANGO-2KG", "Mangoes 2 kg", 3000, 4500, 4),
                                              ("SPIN-500G", "Spinach 500 g", 600, 900, 0),
                                              ("PEACH-2KG", "Peaches 2 kg", 2800, 4200, 2))]
    product = Product(supplier_id=supplier.id, name="Seasonal fruit", description="", active=True, variants=variants)
    db.session.add_all([community, product])
    db.session.flush()
    point = PickupPoint(community_id=community.id, name="Corner shop", address="1 Elm Street", region="Xuhui")
    plan = Plan(community_id=community.id, created_by_id=owner.id, name="Seasonal fruit box", description="",
                cadence=Cadence.WEEKLY, weekday=when["weekday"], starts_on=when["starts_on"],
                delivery_hour=when["delivery_hour"], cutoff_hours=when["cutoff_hours"], price=12800, currency="CNY",
                capacity=capacity, status=PlanStatus.DRAFT)
    plan.pickup_points = [point]
    db.session.add_all([point, plan, Membership(community_id=community.id, user_id=owner.id,
                                                role=MembershipRole.SHOPKEEPER)])
    db.session.flush()
    db.session.add_all([PlanItem(plan_id=plan.id, variant_id=variants[0].id, quantity=1, lead_time_days=4, position=0),
                        PlanItem(plan_id=plan.id, variant_id=variants[1].id, quantity=2, lead_time_days=0, position=1),
                        PlanSwap(plan_id=plan.id, variant_id=variants[0].id, alternative_id=variants[2].id)])
    subscribed = when["cutoff_at"] - timedelta(days=3)
    params = {"n": subscriptions, "now": now, "community": community.id, "plan": plan.id, "point": point.id,
              "subscribed": subscribed, "paused": subscribed + timedelta(days=1), "day": when["delivery_date"],
              "skip": SKIP_EVERY, "pause": PAUSE_EVERY, "swap": SWAP_EVERY, "mango": variants[0].id,
              "peach": variants[2].id, "cards": cards,
              "step": subscriptions // cards if cards else 1}
    statements = (
        "INSERT INTO users (email, display_name, password_hash, is_active_account, created_at, updated_at) "
        "SELECT 'member' || g || '@bench.example', 'Member ' || g, '!', true, :subscribed, :subscribed "
        "FROM generate_series(1, :n) AS g",
        "INSERT INTO memberships (community_id, user_id, role, joined_at, note, created_at, updated_at) "
        "SELECT :community, id, 'member', :subscribed, '', :subscribed, :subscribed FROM users "
        "WHERE email LIKE 'member%@bench.example' ORDER BY id",
        # the n-th subscriber (by id, from 1): paused when n % PAUSE_EVERY == 1; one in every ``step`` by card
        "INSERT INTO subscriptions (plan_id, user_id, status, paused_at, pickup_point_id, delivery_address, "
        "payment_choice, subscribed_at, created_at, updated_at) "
        "SELECT :plan, id, CASE WHEN n % :pause = 1 THEN 'paused' ELSE 'active' END, "
        "CASE WHEN n % :pause = 1 THEN CAST(:paused AS timestamptz) END, :point, '', "
        "CASE WHEN (n - 1) % :step = (:step / 2 + 1) % :step AND (n - 1) / :step < :cards THEN 'card' "
        "ELSE 'at_pickup' END, "
        ":subscribed, :subscribed, :subscribed "
        "FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM users "
        "WHERE email LIKE 'member%@bench.example') AS members ORDER BY id",
        "INSERT INTO subscription_skips (subscription_id, delivery_date) "
        "SELECT id, :day FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM subscriptions "
        "WHERE plan_id = :plan) AS s WHERE n % :skip = 0",
        "INSERT INTO subscription_swaps (subscription_id, delivery_date, variant_id, alternative_id) "
        "SELECT id, :day, :mango, :peach FROM (SELECT id, row_number() OVER (ORDER BY id) AS n "
        "FROM subscriptions WHERE plan_id = :plan) AS s WHERE n % :swap = 2",
        "INSERT INTO gateway_customers (user_id, gateway, customer_id, payment_method_id, created_at, updated_at) "
        "SELECT user_id, 'stripe', 'cus_bench' || user_id, 'pm_card_visa', :subscribed, :subscribed "
        "FROM subscriptions WHERE plan_id = :plan AND payment_choice = 'card'",
    )
    for statement in statements:
        db.session.execute(sa.text(statement), params)
    plan_id = plan.id
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
    return plan_id, when["delivery_date"]


def check_schedule(plan_id: int, delivery_date: date) -> str | None:
    """Why the seeded cycle is not the one due now (cut off, not yet delivered), or None."""
    from core import clock
    from core.extensions import db
    from subscriptions import cycles, plans
    from subscriptions.models import Plan

    plan = db.session.get(Plan, plan_id)
    now = clock.now()
    cycle = plans.upcoming(plan, now, 1)[0]
    db.session.rollback()
    if cycle.delivery_date != delivery_date or not cycle.cutoff_at <= now < cycle.delivers_at:
        return f"the next cycle is {cycle} at {now}"
    if (plan_id, delivery_date) not in cycles.due_cycles():
        return "the sweeper would not run it"
    db.session.rollback()
    return None


def expected(plan_id: int, delivery_date: date, capacity: int | None) -> dict[str, int]:
    from core.extensions import db

    row = db.session.execute(sa.text(
        "SELECT count(*) AS subscriptions, "
        "count(*) FILTER (WHERE EXISTS (SELECT 1 FROM subscription_skips k WHERE k.subscription_id = s.id "
        "AND k.delivery_date = :day)) AS skipped, "
        "count(*) FILTER (WHERE s.status = 'paused') AS paused, "
        "count(*) FILTER (WHERE EXISTS (SELECT 1 FROM subscription_swaps w WHERE w.subscription_id = s.id "
        "AND w.delivery_date = :day)) AS swapped, "
        "count(*) FILTER (WHERE s.payment_choice = 'card') AS cards FROM subscriptions s WHERE s.plan_id = :plan"),
        {"plan": plan_id, "day": delivery_date}).mappings().one()
    # the boxes go in subscription order while the capacity lasts
    boxes = db.session.execute(sa.text(
        "SELECT count(*) FILTER (WHERE card) AS cards, count(*) FILTER (WHERE swapped) AS swapped "
        "FROM (SELECT payment_choice = 'card' AS card, EXISTS (SELECT 1 FROM subscription_swaps w "
        "WHERE w.subscription_id = s.id AND w.delivery_date = :day) AS swapped FROM subscriptions s "
        "WHERE plan_id = :plan AND status <> 'paused' AND NOT EXISTS (SELECT 1 FROM subscription_skips k "
        "WHERE k.subscription_id = s.id AND k.delivery_date = :day) ORDER BY id LIMIT :capacity) AS boxes"),
        {"plan": plan_id, "day": delivery_date, "capacity": capacity}).one()
    db.session.rollback()
    figures = dict(row)
    owed = figures["subscriptions"] - figures["skipped"] - figures["paused"]  # the seed never skips a paused one
    figures["owed"] = owed
    figures["boxes"] = owed if capacity is None else min(owed, capacity)
    figures["card boxes"], figures["swapped boxes"] = boxes.cards, boxes.swapped
    return figures


def progress(plan_id: int, delivery_date: date) -> dict[str, int]:
    """What ``subscriptions.cycles.cycle_progress`` answers, by plain SQL that costs the same whatever the
    statistics: in a database this young, ``cycle_progress``'s join of the cycle's rows to payments is
    planned as a nested loop over every payment not yet at a gateway (statistics from when payments was
    empty) — ~2.5 s at 4,000 boxes, quadratic beyond — and polling it would take the workers' CPU."""
    from core.extensions import db

    row = db.session.execute(sa.text(
        "SELECT count(*) AS decided, count(*) FILTER (WHERE status = 'ordered') AS ordered, "
        "count(*) FILTER (WHERE status = 'left_out') AS left_out, count(order_id) AS boxes, "
        "(SELECT count(*) FROM payments WHERE reference LIKE 'subscription-cycle:%' AND gateway <> 'offline' "
        " AND status = 'pending' AND gateway_id IS NULL) AS charging "
        "FROM subscription_cycles WHERE plan_id = :plan AND delivery_date = :day"),
        {"plan": plan_id, "day": delivery_date}).mappings().one()
    db.session.rollback()
    return dict(row)


def cycle_progress(plan_id: int, delivery_date: date) -> dict[str, int]:
    """``subscriptions.cycles.cycle_progress`` itself, once the tables have statistics (as a production
    database's have)."""
    from core.extensions import db
    from subscriptions import cycles

    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE subscription_cycles, payments")
    figures = dict(cycles.cycle_progress(plan_id, delivery_date))
    db.session.rollback()
    return figures


def counts(plan_id: int, delivery_date: date, swap_to: str) -> dict[str, int]:
    """What is in the database, by plain SQL (not the code under test)."""
    from core.extensions import db

    row = db.session.execute(sa.text(
        "SELECT (SELECT count(*) FROM subscription_cycles WHERE plan_id = :plan AND delivery_date = :day) AS rows, "
        "(SELECT count(*) FROM subscription_cycles WHERE plan_id = :plan AND delivery_date = :day "
        " AND status = 'ordered' AND order_id IS NOT NULL) AS ordered_with_order, "
        "(SELECT count(*) FROM orders WHERE source = 'subscription') AS orders, "
        "(SELECT count(DISTINCT source_id) FROM orders WHERE source = 'subscription') AS distinct_orders, "
        "(SELECT count(*) FROM order_lines) AS lines, "
        "(SELECT count(DISTINCT l.order_id) FROM order_lines l JOIN variants v ON v.id = l.variant_id "
        " WHERE v.sku = :swap_to) AS swapped_boxes, "
        "(SELECT count(*) FROM orders WHERE source = 'subscription' AND total_amount <> 12800) AS mispriced, "
        "(SELECT count(*) FROM payments WHERE reference LIKE 'subscription-cycle:%') AS payments, "
        "(SELECT count(*) FROM payments WHERE reference LIKE 'subscription-cycle:%' AND gateway = 'offline') "
        " AS at_pickup, "
        "(SELECT count(*) FROM payments WHERE reference LIKE 'subscription-cycle:%' AND gateway = 'stripe' "
        " AND status = 'succeeded') AS cards_paid, "
        "(SELECT count(DISTINCT reference) FROM payments WHERE reference LIKE 'subscription-cycle:%') "
        " AS distinct_payments"),
        {"plan": plan_id, "day": delivery_date, "swap_to": swap_to}).mappings().one()
    db.session.rollback()
    return dict(row)


def failed_jobs(connection) -> int:
    from rq.registry import FailedJobRegistry

    return sum(FailedJobRegistry(name, connection=connection).count for name in ("default", "email"))


def job_times(connection, since: datetime) -> tuple[str, float]:
    """How long the jobs finished since ``since`` took, by job (from RQ's registry; the sweepers the workers'
    cron ran meanwhile together), and their seconds in all: where the workers' time went."""
    from statistics import median

    from rq.job import Job
    from rq.registry import FinishedJobRegistry

    ids = FinishedJobRegistry("default", connection=connection).get_job_ids()
    taken: dict[str, list[float]] = {}
    for job in Job.fetch_many(ids, connection=connection):
        if job is None or not job.args or not job.started_at or not job.ended_at:
            continue
        started = job.started_at if job.started_at.tzinfo else job.started_at.replace(tzinfo=UTC)
        if started >= since:
            periodic = job.args[0] == "core.jobs:once_per_period"
            name = "sweepers (cron)" if periodic else str(job.args[0]).rpartition(":")[2]
            taken.setdefault(name, []).append((job.ended_at - job.started_at).total_seconds())
    text = "; ".join(f"{name} {len(times)} × median {median(times):.1f} s (max {max(times):.1f} s)"
                     for name, times in sorted(taken.items()))
    return text or "none", sum(sum(times) for times in taken.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=50_000, help="subscriptions to the plan (50,000)")
    parser.add_argument("--cards", type=int, default=0, help="of which pay by a saved card (0)")
    parser.add_argument("--capacity", type=int, default=None, help="boxes per cycle (no limit)")
    parser.add_argument("--workers", type=int, default=2, help="RQ worker processes (2)")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="the Stripe stub's latency per call (20)")
    parser.add_argument("--rate", type=float, default=50.0, help="card calls per second, shared by the workers (50)")
    parser.add_argument("--timeout", type=float, default=900.0, help="give up after this many seconds (900)")
    parser.add_argument("--job", default=START_JOB, help=f"the cycle job, taking (plan id, ISO date) ({START_JOB})")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL") or DEFAULT_SERVER)
    parser.add_argument("--database-name", default=BENCH_DATABASE)
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    parser.add_argument("--redis-db", type=int, default=12, help="the Redis database index to use and flush (12)")
    args = parser.parse_args(argv)

    server = bench_url(args.database_url)
    url = create_database(server, args.database_name)
    redis = redis_url(args.redis_url, args.redis_db)
    stub = None
    if args.cards:
        from tests.stripe_stub import StripeStub

        stub = StripeStub(latency=args.latency_ms / 1000).start()
        # the workers take their settings from the environment they inherit (core.config)
        os.environ.update({"PAYMENT_GATEWAY": "stripe", "STRIPE_SECRET_KEY": "sk_test_bench",
                           "STRIPE_API_BASE": stub.url, "STRIPE_MAX_NETWORK_RETRIES": "0",
                           "STRIPE_RATE_LIMIT_PER_SECOND": str(args.rate / args.workers)})
    try:
        return _run(args, url, redis, stub)
    finally:
        drop_database(server, args.database_name)
        if stub is not None:
            stub.stop()


def _run(args, url: sa.URL, redis: str, stub) -> int:
    from rq import Worker

    from core.extensions import db
    from subscriptions.models import Plan, PlanStatus

    app, plain_url, connection = bench_app(url, redis)
    workers: list[subprocess.Popen] = []
    try:
        with app.app_context():
            started = time.perf_counter()
            plan_id, day = seed(args.subscriptions, args.cards, args.capacity, datetime.now(UTC))
            want = expected(plan_id, day, args.capacity)
            print(f"seeded: {want['subscriptions']:,} subscriptions in {time.perf_counter() - started:.1f} s "
                  f"(database {url.database}, redis {redis})", flush=True)
        # the plan stays a draft until the workers' cron has run its first sweep (at once on start), so that
        # the bench's own enqueue starts the cycle; the next sweep comes a minute later, maybe mid-cycle
        workers = start_workers(args.workers, plain_url, redis)
        if not wait_for(lambda: len(Worker.all(connection=connection)) >= args.workers
                        and connection.keys(f"tuan:periodic:{SWEEPER}:*") and queues_idle(connection), 60):
            print("workers: did not start", flush=True)
            return 1
        with app.app_context():
            db.session.execute(sa.update(Plan).where(Plan.id == plan_id).values(status=PlanStatus.OPEN))
            db.session.commit()
            wrong = check_schedule(plan_id, day)
            if wrong:
                print(f"schedule: {wrong}", flush=True)
                return 1
            return _cycle(args, connection, redis, stub, plan_id, day, want)
    finally:
        stop_workers(workers)
        connection.flushdb()


def _show(label: str, value) -> None:
    print(f"{label}: {value:,}" if isinstance(value, int) else f"{label}: {value}", flush=True)


def _cycle(args, connection, redis: str, stub, plan_id: int, day: date, want: dict[str, int]) -> int:
    from bench.close import stub_counts
    from core import clock, jobs

    cut_off = clock.now() - schedule_for(clock.now())["cutoff_at"]
    _show("cycle", f"{day.isoformat()} (cut off {cut_off.total_seconds():.0f} s ago, {args.workers} workers)")
    for label in ("subscriptions", "skipped", "paused", "swapped", "cards"):
        _show(label, want[label])
    _show("expected boxes", want["boxes"])
    queue = jobs.rq_queue("default", redis)
    started, enqueued_at = time.perf_counter(), datetime.now(UTC)
    first = queue.enqueue(jobs.run_job, args.job, plan_id, day.isoformat())  # as the sweeper would
    decided_after: list[float] = []

    def complete() -> bool:
        now = progress(plan_id, day)
        if not decided_after and now["decided"] >= want["owed"]:
            decided_after.append(time.perf_counter() - started)
        return (now["decided"] >= want["owed"] and now["boxes"] == now["ordered"] and now["charging"] == 0) \
            or first.get_status() == "failed" or failed_jobs(connection) > 0

    done = wait_for(complete, args.timeout, step=POLL_S)
    elapsed = time.perf_counter() - started
    made, found = progress(plan_id, day), counts(plan_id, day, "PEACH-2KG")
    failed = failed_jobs(connection)
    charged = stub_counts(stub) if stub else {"intents": 0, "keys": 0, "payments_with_several_intents": 0,
                                              "pledges_charged_twice": 0}
    _show("decided", f"{made['decided']:,} in {decided_after[0] if decided_after else elapsed:.1f} s")
    _show("boxes made", made["boxes"])
    _show("left out", made["left_out"])
    _show("orders created per second", f"{made['boxes'] / elapsed:,.0f}")
    _show("time to a complete cycle", f"{elapsed:.1f} s")
    _show("failed jobs", failed)
    jobs_taken, busy = job_times(connection, enqueued_at)
    _show("jobs", jobs_taken)
    _show("workers busy", f"{100 * busy / (args.workers * elapsed):.0f} % of the time (jobs' own time)")
    _show("swapped boxes", found["swapped_boxes"])
    _show("payments at pickup", found["at_pickup"])
    _show("card boxes paid", f"{found['cards_paid']:,} of {want['card boxes']:,} "
                             f"({charged['intents']:,} PaymentIntents for {charged['keys']:,} keys)")
    duplicates = found["orders"] - found["distinct_orders"]
    twice = charged["payments_with_several_intents"] + charged["pledges_charged_twice"]
    reported = cycle_progress(plan_id, day)
    _show("cycle_progress", "agrees" if reported == made else f"{reported} (plain SQL: {made})")
    _show("duplicate orders", duplicates)
    _show("duplicate charges", twice)

    again = queue.enqueue(jobs.run_job, args.job, plan_id, day.isoformat())  # the cycle once more: a rerun
    wait_for(lambda: again.get_status() in ("finished", "failed") and queues_idle(connection), args.timeout, 0.2)
    after = counts(plan_id, day, "PEACH-2KG")
    calls_after = stub_counts(stub)["intents"] if stub else 0
    created = sum(after[key] - found[key] for key in ("rows", "orders", "lines", "payments")) \
        + calls_after - charged["intents"]
    duplicates_again = after["orders"] - after["distinct_orders"]
    _show("rerun", getattr(again.get_status(), "value", again.get_status()))
    _show("rerun created", created)
    _show("duplicate orders after the rerun", duplicates_again)
    ok = (done and failed == 0 and failed_jobs(connection) == 0 and made["boxes"] == want["boxes"]
          and made["ordered"] == want["boxes"] and made["left_out"] == want["owed"] - want["boxes"]
          and found["rows"] == want["owed"] and found["ordered_with_order"] == want["boxes"]
          and found["orders"] == want["boxes"] and found["mispriced"] == 0
          and found["swapped_boxes"] == want["swapped boxes"] and found["payments"] == want["boxes"]
          and found["payments"] == found["distinct_payments"]
          and found["at_pickup"] == want["boxes"] - want["card boxes"] and found["cards_paid"] == want["card boxes"]
          and charged["intents"] == charged["keys"] == want["card boxes"] and twice == 0
          and duplicates == 0 and duplicates_again == 0 and created == 0 and reported == made)
    _show("result", "ok" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
