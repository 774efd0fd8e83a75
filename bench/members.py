"""Benchmark: the member list of one community with 100,000 members, on PostgreSQL.

    .venv/bin/python -m bench.members            # DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/test

Works in its own database (``tuan_bench`` beside the one DATABASE_URL names, created when absent), so it
never touches the test database. The schema comes from the app's migrations; the community is seeded
once with COPY and reused by later runs. Then each query — the first page, a tag filter, name searches —
runs a few times to warm up and 50 times timed, through ``shopkeeper.members.member_page`` exactly as
the member list page calls it. Prints median and p95 in ms; exits 1 if any p95 reaches 100 ms."""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from functools import partial
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
BENCH_DATABASE = "tuan_bench"
LIMIT_MS = 100.0


def bench_url(url: str) -> sa.URL:
    """The bench database's URL on the server ``url`` points at. SQLite is refused: the figures must be
    PostgreSQL's, the database Tuan runs on in production."""
    if not url.startswith(("postgres://", "postgresql://", "postgresql+psycopg://")):
        sys.exit(f"bench/members.py measures PostgreSQL; DATABASE_URL is {url.split(':')[0]}:… "
                 f"Set DATABASE_URL=postgresql://user@host:5432/db (default {DEFAULT_URL}).")
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix):]
    return sa.make_url(url)


def ensure_database(server: sa.URL) -> sa.URL:
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                              {"name": BENCH_DATABASE}).scalar()
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{BENCH_DATABASE}"'))
    admin.dispose()
    return server.set(database=BENCH_DATABASE)


def ensure_schema() -> bool:
    """Bring the bench database to the migrations' head. When the head is not the revision the data was
    seeded under, start from an empty schema. Returns True when the schema was (re)created."""
    from alembic.script import ScriptDirectory
    from flask_migrate import upgrade

    from core.extensions import db

    migrations = ROOT / "migrations"
    head = ScriptDirectory(str(migrations)).get_current_head()
    with db.engine.begin() as conn:
        current = None
        if conn.execute(sa.text("SELECT to_regclass('alembic_version')")).scalar():
            current = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        if current == head:
            return False
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    upgrade(directory=str(migrations))
    return True


def seeded_community(slug: str, members: int) -> int | None:
    from core.extensions import db

    row = db.session.execute(sa.text(
        "SELECT c.id, count(m.id) FROM communities c LEFT JOIN memberships m ON m.community_id = c.id "
        "WHERE c.slug = :slug GROUP BY c.id"), {"slug": slug}).first()
    db.session.rollback()
    if row is None:
        return None
    if row[1] != members + 1:
        sys.exit(f"community {slug} has {row[1] - 1} members, not {members}: drop database {BENCH_DATABASE}")
    return row[0]


def p95(samples: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(samples)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


def time_query(call, runs: int, warmup: int) -> list[float]:
    """Milliseconds per call; each call gets a fresh session, as each request does."""
    from core.extensions import db

    samples = []
    for n in range(warmup + runs):
        start = time.perf_counter()
        call()
        elapsed = (time.perf_counter() - start) * 1000
        db.session.remove()
        if n >= warmup:
            samples.append(elapsed)
    return samples


def explain(call) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) every SELECT that ``call`` sends, with the parameters it sent."""
    from core.extensions import db

    statements = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", capture)
    try:
        call()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", capture)
        db.session.remove()
    with db.engine.connect() as conn:
        for statement, parameters in statements:
            print(statement)
            for (line,) in conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters):
                print("    " + line)
            print()


def filters() -> dict[str, dict]:
    """What the shopkeeper does on the member list: open it, filter by a tag, search by name."""
    from core.extensions import db

    dry = db.session.execute(sa.text("SELECT id FROM tags WHERE namespace = 'skin' AND value = 'dry'")).scalar()
    db.session.rollback()
    return {
        "first page": {},
        "tag skin:dry": {"tag_ids": [dry]},
        "name search, English": {"q": "emma"},
        "name search, Chinese": {"q": "王芳"},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000, help="members in the community (100,000)")
    parser.add_argument("--runs", type=int, default=50, help="timed runs per query (50)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed runs before them (5)")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of each query's SQL")
    args = parser.parse_args(argv)

    url = ensure_database(bench_url(os.environ.get("DATABASE_URL") or DEFAULT_URL))
    from app import create_app
    from bench.seed_members import seed_community
    from shopkeeper.members import count_members, member_page

    app = create_app({"SQLALCHEMY_DATABASE_URI": url.render_as_string(hide_password=False), "TESTING": True})
    slug = f"bench-{args.members}"
    with app.app_context():
        rebuilt = ensure_schema()
        community_id = None if rebuilt else seeded_community(slug, args.members)
        if community_id is None:
            start = time.perf_counter()
            community_id = seed_community(slug, args.members)
            print(f"seeded {args.members:,} members in {time.perf_counter() - start:.1f} s "
                  f"(database {BENCH_DATABASE}{', schema rebuilt' if rebuilt else ''})")
        else:
            print(f"reusing {args.members:,} members seeded earlier in database {BENCH_DATABASE}")

        failed = []
        print(f"\n{'member_page':<22}{'median ms':>11}{'p95 ms':>9}   "
              f"{'count_members':>15}{'median':>8}{'p95':>7}   ({args.runs} runs, {args.warmup} warm-up)")
        for name, query in filters().items():
            page = partial(member_page, community_id, **query, page=1, per_page=50)
            samples = time_query(page, args.runs, args.warmup)
            counts = time_query(partial(count_members, community_id, **query), args.runs, args.warmup)
            slow = p95(samples) >= LIMIT_MS
            failed += [name] if slow else []
            print(f"{name:<22}{statistics.median(samples):>11.1f}{p95(samples):>9.1f}   {'':>15}"
                  f"{statistics.median(counts):>8.1f}{p95(counts):>7.1f}{'   SLOW' if slow else ''}")
            if args.explain:
                explain(page)
    if failed:
        print(f"\np95 at or above {LIMIT_MS:.0f} ms: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
