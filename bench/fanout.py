"""Benchmark: announcing a launch's opening to a 100,000-member community with two real RQ workers.

    .venv/bin/python -m bench.fanout                       # 100,000 members, 2 workers
    .venv/bin/python -m bench.fanout --members 2000        # a quick run

Works in a PostgreSQL database of its own (``tuan_bench_fanout`` on the server DATABASE_URL names,
default postgresql://postgres@127.0.0.1:5432), created from the migrations and dropped at the end, and in
a Redis database index of its own (``--redis-db``, default 15, on REDIS_URL's server, default
redis://127.0.0.1:6379), flushed before and after. Seeds one community with ``--members`` members by
INSERT … SELECT over generate_series, a published first-come launch opening now and ``--followers`` of
its members following it; starts ``--workers`` ``flask worker`` processes on the bench's database and
Redis; runs the sweeper (``launches.fanout:sweep_announcements``) as RQ's cron would, and waits until
every member has the notification. Prints the time (target: under 60 s), then runs the fan-out job again
and checks nobody was told twice (COUNT against COUNT DISTINCT) and each follower emailed once."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from bench.close import create_database, drop_database
from bench.members import bench_url

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
BENCH_DATABASE = "tuan_bench_fanout"
ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 60.0


def redis_url(url: str, index: int) -> str:
    """``url``'s Redis server with the bench's own database index."""
    base = url.split("://", 1)[1].split("/", 1)[0]
    return f"{url.split('://', 1)[0]}://{base}/{index}"


def seed(members: int, followers: int, now: datetime) -> int:
    """One community of ``members`` members (its shopkeeper besides), a draft first-come launch opening
    now, followed by ``followers`` of them. Returns the launch's id."""
    from accounts.models import User
    from core.extensions import db
    from launches.models import Launch, LaunchStatus
    from shopkeeper.models import Community, Membership, MembershipRole
    from supplier.models import Product, Supplier, Variant

    owner = User(email="owner@bench.example", display_name="店主", password_hash="!")
    supplier = Supplier(name="Bench Orchards", slug="bench-orchards", currency="CNY", description="")
    db.session.add_all([owner, supplier])
    db.session.flush()
    community = Community(owner_id=owner.id, name="Bench Garden", slug="bench-garden", currency="CNY",
                          timezone="Asia/Shanghai", description="")
    product = Product(supplier_id=supplier.id, name="Lychees", description="", active=True)
    product.variants.append(Variant(supplier_id=supplier.id, sku="LYC-BENCH", name="5 kg", unit="box",
                                    case_pack=6, wholesale_price=3000, retail_price=4500, currency="CNY",
                                    lead_time_days=3))
    db.session.add_all([community, product])
    db.session.flush()
    db.session.add(Membership(community_id=community.id, user_id=owner.id, role=MembershipRole.SHOPKEEPER))
    params = {"n": members, "now": now, "community": community.id}
    db.session.execute(sa.text(
        "INSERT INTO users (email, display_name, password_hash, is_active_account, created_at, updated_at) "
        "SELECT 'member' || g || '@bench.example', 'Member ' || g, '!', true, :now, :now "
        "FROM generate_series(1, :n) AS g"), params)
    db.session.execute(sa.text(
        "INSERT INTO memberships (community_id, user_id, role, joined_at, note, created_at, updated_at) "
        "SELECT :community, id, 'member', :now, '', :now, :now FROM users WHERE email LIKE 'member%@bench.example' "
        "ORDER BY id"), params)
    launch = Launch(created_by_id=owner.id, variant_id=product.variants[0].id, title="Lychee crate", price=5000,
                    currency="CNY", stock=100, opens_at=now, closes_at=now + timedelta(days=1),
                    status=LaunchStatus.DRAFT)
    launch.communities = [community]
    db.session.add(launch)
    db.session.flush()
    db.session.execute(sa.text(
        "INSERT INTO launch_follows (launch_id, user_id, created_at) SELECT :launch, id, :now FROM users "
        "WHERE email LIKE 'member%@bench.example' ORDER BY id LIMIT :followers"),
        {"launch": launch.id, "now": now, "followers": followers})
    db.session.commit()
    return launch.id


def counts(launch_id: int) -> dict[str, int]:
    from core.extensions import db

    row = db.session.execute(sa.text(
        "SELECT (SELECT count(*) FROM notifications WHERE key = :key) AS told, "
        "(SELECT count(DISTINCT user_id) FROM notifications WHERE key = :key) AS distinct_told, "
        "(SELECT count(*) FROM memberships) AS members, "
        "(SELECT count(*) FROM outbox_emails) AS emails, "
        "(SELECT count(DISTINCT recipient) FROM outbox_emails) AS distinct_emails"),
        {"key": f"launch-open-{launch_id}"}).mappings().one()
    db.session.rollback()
    return dict(row)


def start_workers(n: int, database_url: str, redis: str) -> list[subprocess.Popen]:
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis}
    return [subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker"], cwd=ROOT, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            for _ in range(n)]


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)


def wait_for(condition, timeout: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def queues_idle(connection) -> bool:
    from rq import Queue
    from rq.registry import StartedJobRegistry

    return all(Queue(name, connection=connection).count == 0
               and StartedJobRegistry(name, connection=connection).count == 0 for name in ("default", "email"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000, help="members of the community (100,000)")
    parser.add_argument("--followers", type=int, default=100, help="members following the launch (100)")
    parser.add_argument("--workers", type=int, default=2, help="RQ worker processes (2)")
    parser.add_argument("--timeout", type=float, default=300.0, help="give up after this many seconds (300)")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL") or DEFAULT_SERVER)
    parser.add_argument("--database-name", default=BENCH_DATABASE)
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    parser.add_argument("--redis-db", type=int, default=15, help="the Redis database index to use and flush (15)")
    args = parser.parse_args(argv)

    server = bench_url(args.database_url)
    url = create_database(server, args.database_name)
    redis = redis_url(args.redis_url, args.redis_db)
    try:
        return _run(args, url, redis)
    finally:
        drop_database(server, args.database_name)


def bench_app(url: sa.URL, redis: str):
    """The app on the bench's own database (migrated) and Redis database (flushed): (app, the database
    URL to hand to workers, the Redis connection)."""
    import logging

    from flask_migrate import upgrade

    from app import create_app
    from core import jobs

    plain_url = url.render_as_string(hide_password=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": plain_url, "JOBS_BACKEND": "rq", "REDIS_URL": redis})
    logging.getLogger().setLevel(logging.WARNING)
    connection = jobs.redis_connection(redis)
    connection.flushdb()
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    return app, plain_url, connection


def _run(args, url: sa.URL, redis: str) -> int:
    from core import jobs
    from core.extensions import db
    from launches.models import Launch, LaunchStatus

    app, plain_url, connection = bench_app(url, redis)
    workers: list[subprocess.Popen] = []
    try:
        with app.app_context():
            started = time.perf_counter()
            launch_id = seed(args.members, args.followers, datetime.now(UTC) - timedelta(seconds=1))
            print(f"seeded: {args.members:,} members in {time.perf_counter() - started:.1f} s "
                  f"(database {url.database}, redis {redis})", flush=True)
        workers = start_workers(args.workers, plain_url, redis)
        from rq import Worker
        if not wait_for(lambda: len(Worker.all(connection=connection)) >= args.workers, 60):
            print("workers: did not start", flush=True)
            return 1
        with app.app_context():
            db.session.execute(sa.update(Launch).where(Launch.id == launch_id).values(status=LaunchStatus.PUBLISHED))
            db.session.commit()
            started = time.perf_counter()
            jobs.run_job("launches.fanout:sweep_announcements")
            expected = counts(launch_id)["members"]
            delivered = wait_for(lambda: counts(launch_id)["told"] >= expected, args.timeout)
            elapsed = time.perf_counter() - started
            first = counts(launch_id)
            print(f"members: {expected:,}", flush=True)
            print(f"told in the app: {first['told']:,}", flush=True)
            print(f"time: {elapsed:.1f} s (target under {TARGET_S:.0f} s: {'yes' if elapsed < TARGET_S else 'no'})",
                  flush=True)
            jobs.run_job("launches.fanout:announce", launch_id)  # the fan-out once more: a rerun
            wait_for(lambda: queues_idle(connection), args.timeout, step=0.5)
            again = counts(launch_id)
        twice = again["told"] - again["distinct_told"]
        emails_twice = again["emails"] - again["distinct_emails"]
        print(f"after a rerun: {again['told']:,} notifications for {again['distinct_told']:,} members", flush=True)
        print(f"told twice: {twice}", flush=True)
        print(f"follower emails: {again['emails']} ({emails_twice} twice)", flush=True)
        ok = delivered and twice == 0 and emails_twice == 0 and again["told"] == expected \
            and again["emails"] == min(args.followers, args.members)
        print(f"result: {'ok' if ok else 'FAILED'}", flush=True)
        return 0 if ok else 1
    finally:
        stop_workers(workers)
        connection.flushdb()


if __name__ == "__main__":
    sys.exit(main())
