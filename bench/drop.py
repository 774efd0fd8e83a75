"""Benchmark: a first-come drop under load — 2,000 buyers for 100 units — served by gunicorn on PostgreSQL.

    .venv/bin/python -m bench.drop                     # 20 runs, then 20 more with 100 ms to the database
    .venv/bin/python -m bench.drop --quick             # 1 run of 50 buyers for 5 units, no latency run

Works in a database of its own (``tuan_bench_drop`` on the server DATABASE_URL names), created from the
migrations at start and dropped at the end (``--keep`` keeps it). Seeds one community whose members each
have an API token (hashes written with COPY), then serves ``app.create_app()`` under gunicorn (``-k gthread
-w 4 --threads 32`` by default: 2 cores, and the hundred buyers who get units each wait a round trip or two
on PostgreSQL, which must not stop the other threads answering; each worker has two pools of ``--pool``
connections, within PostgreSQL's 100) on a free port of 127.0.0.1, with Redis (``--redis-url``: the
drop's gate and the shared caches live there; ``--no-redis`` to measure without).
The load generator is this process: asyncio, one connection per
buyer, opened before a wave starts, then every buyer's request released at once (``Connection: close``).

Each run, on a launch of its own (published, first-come, limit 1):

- **hello**: every buyer GETs ``/healthz`` — the baseline, the same gunicorn, the same concurrency;
- **drop**: every buyer POSTs ``/api/v1/launches/<id>/holds`` ``{"quantity": 1}`` with their own token.
  The *reserve path* is the requests answered up to the last 201, i.e. while units remained: their count
  divided by the time from the release to that last 201;
- **sold out**: every buyer POSTs again to the sold-out launch; the *sold-out path* is that whole wave,
  its count divided by the time from the release to its last answer.

Then the database says how many units are held or sold (must be exactly ``--units``) and how many beyond
the stock (oversold, must be 0). With ``--latency-ms`` the same runs are repeated with gunicorn talking to
PostgreSQL through ``bench/drop_proxy.py``, which adds that much to each round trip. Exits 1 when a run
oversells, sells other than ``--units``, or answers a 5xx."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from bench.close import create_database, drop_database
from bench.members import bench_url
from bench.seed_members import copy_rows

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
BENCH_DATABASE = "tuan_bench_drop"
HOLDS = "/api/v1/launches/{id}/holds"


# --- seeding -------------------------------------------------------------------------------------------

def seed(buyers: int, now: datetime) -> tuple[int, int, list[str]]:
    """A shopkeeper's community with ``buyers`` members, each with an API token; returns the community's
    and the variant's ids and the buyers' plain tokens (only their SHA-256 is stored, as accounts does)."""
    from accounts.models import ApiToken, User
    from core.extensions import db
    from shopkeeper.models import Community, Membership, MembershipRole
    from supplier.models import Product, Supplier, Variant

    owner = User(email="owner@drop.tuan.local", display_name="Drop shopkeeper", password_hash="!")
    supplier = Supplier(name="Drop Studio", slug="drop-studio", currency="CNY", description="")
    db.session.add_all([owner, supplier])
    db.session.flush()
    product = Product(supplier_id=supplier.id, name="Limited sneakers", description="", active=True)
    variant = Variant(supplier_id=supplier.id, sku="DROP-42", name="EU 42", unit="pair", case_pack=1,
                      wholesale_price=50000, retail_price=89900, currency="CNY", lead_time_days=3)
    product.variants.append(variant)
    community = Community(owner_id=owner.id, name="Drop community", slug="drop", currency="CNY",
                          timezone="Asia/Shanghai", description="")
    db.session.add_all([product, community])
    db.session.flush()
    db.session.add(Membership(community_id=community.id, user_id=owner.id, role=MembershipRole.SHOPKEEPER))
    db.session.commit()
    community_id, variant_id = community.id, variant.id

    tokens = [f"tuan_drop{n:06d}{hashlib.sha256(f'drop{n}'.encode()).hexdigest()[:24]}" for n in range(buyers)]
    raw = db.engine.raw_connection()
    try:
        cursor = raw.driver_connection.cursor()
        first, member, token = (cursor.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone()[0]
                                for table in ("users", "memberships", "api_tokens"))
        stamps = {"created_at": now, "updated_at": now}
        users = [{"id": first + n, "email": f"buyer{n}@drop.tuan.local", "display_name": f"Buyer {n}",
                  "password_hash": "!", "is_active_account": True, **stamps} for n in range(buyers)]
        members = [{"id": member + n, "community_id": community_id, "user_id": first + n, "role": "member",
                    "joined_at": now, "note": "", **stamps} for n in range(buyers)]
        api_tokens = [{"id": token + n, "user_id": first + n, "name": "drop", "prefix": plain[:12],
                       "token_hash": hashlib.sha256(plain.encode()).hexdigest(), **stamps}
                      for n, plain in enumerate(tokens)]
        for table, rows in ((User.__table__, users), (Membership.__table__, members),
                            (ApiToken.__table__, api_tokens)):
            copy_rows(cursor, table, rows, now)
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                           f"(SELECT max(id) FROM {table.name}))")
        raw.commit()
    finally:
        raw.close()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
    return community_id, variant_id, tokens


def new_launch(community_id: int, variant_id: int, units: int, now: datetime) -> int:
    """A published first-come launch of ``units`` units, limit 1, open since a minute ago."""
    from core.extensions import db
    from launches.models import Launch, LaunchMode, LaunchStatus
    from shopkeeper.models import Community

    community = db.session.get(Community, community_id)
    launch = Launch(created_by_id=community.owner_id, variant_id=variant_id, title="Drop", teaser="", price=89900,
                    currency="CNY", stock=units, sold=0, held=0, per_member_limit=1,
                    opens_at=now - timedelta(minutes=1), mode=LaunchMode.FIRST_COME, status=LaunchStatus.PUBLISHED)
    launch.communities.append(community)
    db.session.add(launch)
    db.session.commit()
    return launch.id


def tally(launch_id: int) -> dict[str, int]:
    """What the database holds for the launch: units in live holds and sold, and beyond the stock."""
    from core.extensions import db

    row = db.session.execute(sa.text(
        "SELECT l.stock, l.sold, l.held, "
        "(SELECT coalesce(sum(quantity), 0) FROM launch_holds h WHERE h.launch_id = l.id "
        "  AND h.status IN ('held', 'ordered')) AS in_holds, "
        "(SELECT count(*) FROM launch_allowances a WHERE a.launch_id = l.id AND a.units > l.per_member_limit) "
        "  AS over_limit FROM launches l WHERE l.id = :id"), {"id": launch_id}).mappings().one()
    db.session.rollback()
    units = max(row["sold"] + row["held"], row["in_holds"])
    return {"units": units, "oversold": max(0, units - row["stock"]), "counted": row["sold"] + row["held"],
            "in_holds": row["in_holds"], "over_limit": row["over_limit"]}


# --- the load generator --------------------------------------------------------------------------------

@dataclass
class Wave:
    """One wave's answers: (seconds from the release to the answer, seconds the request took, status, code)."""

    answers: list[tuple[float, float, int, str | None]] = field(default_factory=list)

    def statuses(self) -> dict[str, int]:
        seen: dict[str, int] = {}
        for _at, _took, status, code in self.answers:
            key = f"{status} {code}" if code else str(status)
            seen[key] = seen.get(key, 0) + 1
        return seen

    def rps(self, until: float | None = None) -> float:
        answered = [at for at, *_rest in self.answers if until is None or at <= until]
        end = until if until is not None else max(answered, default=0.0)
        return len(answered) / end if end else 0.0

    def percentile(self, q: float, until: float | None = None) -> float:
        took = sorted(took for at, took, *_rest in self.answers if until is None or at <= until)
        return took[min(len(took) - 1, int(q * len(took)))] * 1000 if took else 0.0


def _request(method: str, path: str, token: str | None = None, body: bytes = b"") -> bytes:
    head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", "Accept: application/json"]
    if token:
        head.append(f"Authorization: Bearer {token}")
    if body:
        head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def _parse(answer: bytes) -> tuple[int, str | None]:
    if not answer.startswith(b"HTTP/1."):
        return 0, "no answer"
    status = int(answer[9:12])
    code = None
    if status >= 400:
        try:
            code = json.loads(answer.partition(b"\r\n\r\n")[2])["error"]["code"]
        except (ValueError, KeyError, TypeError):
            code = "?"
    return status, code


async def wave(port: int, requests: list[bytes]) -> Wave:
    """Open one connection per request, then release every request at once and read each answer."""
    go = asyncio.Event()
    result = Wave()
    loop = asyncio.get_running_loop()
    released = 0.0

    async def one(request: bytes, connected: asyncio.Future) -> None:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            connected.set_result(False)
            return
        connected.set_result(True)
        await go.wait()
        sent = loop.time()
        try:
            writer.write(request)
            answer = await reader.read()
            status, code = _parse(answer)
        except OSError as error:
            status, code = 0, type(error).__name__
        done = loop.time()
        writer.close()
        result.answers.append((done - released, done - sent, status, code))

    futures = [loop.create_future() for _ in requests]
    tasks = [asyncio.create_task(one(request, connected)) for request, connected in zip(requests, futures, strict=True)]
    await asyncio.gather(*futures)
    released = loop.time()
    go.set()
    await asyncio.gather(*tasks)
    return result


# --- gunicorn and the proxy ----------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with status {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on port {port} within {timeout:.0f} s")


def start_proxy(target: sa.URL, latency_ms: float) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.drop_proxy", "--listen", str(port),
         "--target", f"{target.host or '127.0.0.1'}:{target.port or 5432}", "--latency-ms", str(latency_ms)],
        cwd=ROOT)
    _wait_for_port(port, process, "the latency proxy")
    return process, port


def start_gunicorn(database: sa.URL, args) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database.render_as_string(hide_password=False),
           "SECRET_KEY": "bench-drop", "PYTHONUNBUFFERED": "1",
           # each worker: a main pool and a reserve pool of --pool connections, within max_connections
           "DATABASE_POOL_SIZE": str(args.pool), "DATABASE_MAX_OVERFLOW": "0", "RESERVE_POOL_SIZE": str(args.pool)}
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
    else:
        env.pop("REDIS_URL", None)
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--worker-class", args.worker_class,
               "--workers", str(args.workers), "--threads", str(args.threads), "--backlog", "4096",
               # a connection opened before its wave waits for its request: gthread closes one that waits
               # longer than 5 s + --keep-alive (default 2 s), which a loaded machine reaches opening 2,000
               "--keep-alive", "60",
               "--worker-connections", str(max(1000, args.buyers)), "--timeout", "120", "--log-level", "warning",
               "bench.drop_app:create()"]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    _wait_for_port(port, process, "gunicorn")
    return process, port


def stop(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- the runs ------------------------------------------------------------------------------------------

@dataclass
class Run:
    label: str
    number: int
    units: int
    tally: dict[str, int]
    hello: Wave
    drop: Wave
    sold_out: Wave
    sold_out_at: float  #: seconds from the drop's release to its last 201

    @property
    def created(self) -> int:
        return sum(1 for _at, _took, status, _code in self.drop.answers if status == 201)

    @property
    def errors(self) -> int:
        return sum(1 for w in (self.hello, self.drop, self.sold_out) for *_rest, status, _code in w.answers
                   if status == 0 or status >= 500)

    @property
    def correct(self) -> bool:
        return (self.tally["oversold"] == 0 and self.tally["units"] == self.units == self.created
                and self.tally["counted"] == self.tally["in_holds"] and self.tally["over_limit"] == 0
                and self.errors == 0)

    def figures(self) -> dict[str, float]:
        hello = self.hello.rps()
        reserve = self.drop.rps(self.sold_out_at)
        sold_out = self.sold_out.rps()
        return {"hello": hello, "reserve": reserve, "sold_out": sold_out,
                "reserve_ratio": reserve / hello if hello else 0.0,
                "sold_out_ratio": sold_out / hello if hello else 0.0}


def one_run(app, port: int, tokens: list[str], community_id: int, variant_id: int, units: int,
            label: str, number: int) -> Run:
    with app.app_context():
        launch_id = new_launch(community_id, variant_id, units, datetime.now(UTC))
    path = HOLDS.format(id=launch_id)
    reserve = [_request("POST", path, token, b'{"quantity": 1}') for token in tokens]
    hello = asyncio.run(wave(port, [_request("GET", "/healthz")] * len(tokens)))
    drop = asyncio.run(wave(port, reserve))
    sold_out = asyncio.run(wave(port, reserve))
    sold_out_at = max((at for at, _took, status, _code in drop.answers if status == 201), default=0.0)
    with app.app_context():
        counts = tally(launch_id)
    return Run(label, number, units, counts, hello, drop, sold_out, sold_out_at)


HEADER = (f"{'run':<10}{'sold':>5}{'over':>5}{'hello rps':>10}{'reserve rps':>13}{'ratio':>7}{'sold-out rps':>14}"
          f"{'ratio':>7}{'sell-out s':>11}  {'p50/p99 ms: hello':>18}{'reserve':>13}{'sold out':>13}  answers")


def print_run(run: Run) -> None:
    f = run.figures()
    until = run.sold_out_at

    def p(w: Wave, cut: float | None = None) -> str:
        return f"{w.percentile(0.5, cut):.0f}/{w.percentile(0.99, cut):.0f}"

    answers = _short(run.drop.statuses())
    print(f"{run.label + ' ' + str(run.number):<10}{run.tally['units']:>5}{run.tally['oversold']:>5}"
          f"{f['hello']:>10.0f}{f['reserve']:>13.0f}{f['reserve_ratio']:>7.0%}{f['sold_out']:>14.0f}"
          f"{f['sold_out_ratio']:>7.0%}{until:>11.2f}  {p(run.hello):>18}{p(run.drop, until):>13}"
          f"{p(run.sold_out):>13}  drop {answers}; again {_short(run.sold_out.statuses())}"
          + ("" if set(run.hello.statuses()) == {"200"} else f"; hello {_short(run.hello.statuses())}")
          + ("" if run.correct else "  << WRONG"), flush=True)


def _short(statuses: dict[str, int]) -> str:
    return ", ".join(f"{n}×{key}" for key, n in sorted(statuses.items()))


def summary(runs: list[Run], label: str) -> None:
    mine = [run for run in runs if run.label == label]
    if not mine:
        return
    figures = [run.figures() for run in mine]

    def median(key: str) -> float:
        return statistics.median(f[key] for f in figures)

    print(f"{label}: {len(mine)} runs, {sum(r.correct for r in mine)} correct, oversold in "
          f"{sum(r.tally['oversold'] > 0 for r in mine)}; median hello {median('hello'):.0f} rps, reserve "
          f"{median('reserve'):.0f} rps ({median('reserve_ratio'):.0%} of hello, target ≥ 50%), sold out "
          f"{median('sold_out'):.0f} rps ({median('sold_out_ratio'):.0%}, target ≥ 80%)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="drops per setting (%(default)s)")
    parser.add_argument("--buyers", type=int, default=2000, help="concurrent buyers, each with a token (%(default)s)")
    parser.add_argument("--units", type=int, default=100, help="units per drop (%(default)s)")
    parser.add_argument("--latency-ms", type=float, default=100.0,
                        help="added to each round trip to PostgreSQL in the second set of runs; 0: no second set")
    parser.add_argument("--latency-only", action="store_true", help="only the runs through the latency proxy")
    parser.add_argument("--quick", action="store_true", help="1 run of 50 buyers for 5 units, no latency runs")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (%(default)s)")
    parser.add_argument("--threads", type=int, default=32, help="threads per gunicorn worker (%(default)s)")
    parser.add_argument("--pool", type=int, default=8,
                        help="database connections per worker, in each of its two pools (%(default)s)")
    parser.add_argument("--worker-class", default="gthread", help="gunicorn worker class (%(default)s)")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
                        help="REDIS_URL for the app: the drop's gate lives there (default %(default)s)")
    parser.add_argument("--no-redis", dest="redis_url", action="store_const", const=None,
                        help="serve without Redis: no gate, every reserve reaches the database")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL") or DEFAULT_SERVER,
                        help="the PostgreSQL server to work on (DATABASE_URL; default %(default)s)")
    parser.add_argument("--database-name", default=BENCH_DATABASE, help="the bench's own database (%(default)s)")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.buyers, args.units, args.latency_ms = 1, 50, 5, 0.0

    server = bench_url(args.database_url)
    url = create_database(server, args.database_name)
    try:
        return _run(args, url)
    finally:
        if not args.keep:
            drop_database(server, args.database_name)


def _run(args, url: sa.URL) -> int:
    import logging

    from flask_migrate import upgrade

    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url.render_as_string(hide_password=False), "TESTING": True})
    logging.getLogger().setLevel(logging.WARNING)
    with app.app_context():
        upgrade(directory=str(Path(app.root_path) / "migrations"))
        started = time.perf_counter()
        community_id, variant_id, tokens = seed(args.buyers, datetime.now(UTC))
    print(f"seeded {args.buyers:,} buyers with tokens in {time.perf_counter() - started:.1f} s "
          f"(database {url.database}); gunicorn -k {args.worker_class} -w {args.workers} --threads {args.threads}; "
          f"{args.runs} runs of {args.buyers:,} buyers for {args.units} units", flush=True)
    settings = [] if args.latency_only and args.latency_ms else [("direct", 0.0)]
    settings += [(f"+{args.latency_ms:g}ms", args.latency_ms)] if args.latency_ms else []
    runs: list[Run] = []
    for label, latency in settings:
        proxy = gunicorn = None
        try:
            target = url
            if latency:
                proxy, proxy_port = start_proxy(url, latency)
                target = url.set(host="127.0.0.1", port=proxy_port)
            gunicorn, port = start_gunicorn(target, args)
            stand_in = _uses_stand_in()
            print(f"\n{label}: reserve endpoint {'STAND-IN (bench/drop_app.py)' if stand_in else 'the app’s own'}")
            one_run(app, port, tokens, community_id, variant_id, args.units, label, 0)  # warm-up: not counted
            print(HEADER)
            for number in range(1, args.runs + 1):
                run = one_run(app, port, tokens, community_id, variant_id, args.units, label, number)
                runs.append(run)
                print_run(run)
        finally:
            stop(gunicorn)
            stop(proxy)
    print()
    for label, _latency in settings:
        summary(runs, label)
    print("load average: {:.1f} {:.1f} {:.1f} on {} cores".format(*os.getloadavg(), os.cpu_count()))
    return 0 if all(run.correct for run in runs) else 1


def _uses_stand_in() -> bool:
    """Whether the served app answers the reserve path with bench/drop_app.py's stand-in."""
    from app import create_app
    from bench.drop_app import has_reserve_endpoint

    return not has_reserve_endpoint(create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}))


if __name__ == "__main__":
    sys.exit(main())
