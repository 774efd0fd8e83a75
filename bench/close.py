"""Benchmark: closing one offer with 10,000 pledges and charging every balance against the Stripe stub.

    .venv/bin/python -m bench.close                      # 10,000 pledges, 50 calls/s, 20 ms per call
    .venv/bin/python -m bench.close --pledges 200 --rate 1000 --latency-ms 1   # a quick run

Works in a database of its own (``tuan_bench_close`` on the server DATABASE_URL names, default
postgresql://postgres@127.0.0.1:5432), created from the migrations at start and dropped at the end. Seeds
one open offer pooled across a few communities, each pledging member with a Stripe customer and a saved
card (``GatewayCustomer``), then runs the close job (``groupbuy.jobs:close_offer_job``) and the balance
job it enqueues (``payments.jobs:charge_balances``) through ``core.jobs.run_job``, as a worker would,
against ``tests/stripe_stub.py`` answering each call after ``--latency-ms``. Prints the counts, the
calls the stub received, duplicate charges, the time and the calls/s achieved against the budget.

One balance job charges its payments one after another, so it cannot go faster than one call per
(latency + our own work, ~15 ms): about 28 calls/s at 20 ms. ``--workers N`` splits the balances over N jobs run
at once, each with 1/N of the budget (as N RQ workers each get their share of
``STRIPE_RATE_LIMIT_PER_SECOND``); the default is just enough workers for the budget."""

from __future__ import annotations

import argparse
import math
import random
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bench.members import bench_url
from bench.seed_members import copy_rows, display_name

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
BENCH_DATABASE = "tuan_bench_close"
COMMUNITIES = 4
TABLES = ("users", "memberships", "pledges", "gateway_customers")  #: bulk-seeded, ids given by the seed
#: seconds one sequential charge takes beyond the stub's latency (our reads, two commits, stripe-python),
#: measured at 1 ms latency (~68 calls/s from one worker); the default number of workers leaves a margin
OVERHEAD_S = 0.015
MARGIN = 1.25


def create_database(server: sa.URL, name: str) -> sa.URL:
    """A fresh, empty bench database (an old one left by an interrupted run is dropped first)."""
    drop_database(server, name)
    with sa.create_engine(server, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    return server.set(database=name)


def drop_database(server: sa.URL, name: str) -> None:
    with sa.create_engine(server, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _small_world(now: datetime):
    """Supplier, product, an open offer and one group buy per community (made with the models and the
    group buy service, as the pages would); returns the offer and its group buys."""
    from accounts.models import Role, User
    from accounts.services import grant_role
    from core.extensions import db
    from groupbuy.services import create_group_buy
    from shopkeeper.models import Community, Membership, MembershipRole, PickupPoint
    from supplier.models import Offer, OfferStatus, PriceTier, Product, Supplier, Variant

    supplier = Supplier(name="Hainan Orchards", slug="hainan-orchards", currency="CNY", description="")
    db.session.add(supplier)
    db.session.flush()
    product = Product(supplier_id=supplier.id, name="Lychees", description="", active=True)
    variant = Variant(supplier_id=supplier.id, sku="LYC-5KG", name="5 kg", unit="box", case_pack=6,
                      wholesale_price=3000, retail_price=4500, currency="CNY", lead_time_days=3)
    product.variants.append(variant)
    db.session.add(product)
    db.session.flush()
    offer = Offer(supplier_id=supplier.id, variant_id=variant.id, currency="CNY", moq=50, case_pack=6,
                  opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=7), status=OfferStatus.OPEN,
                  pledged_quantity=0,
                  tiers=[PriceTier(min_quantity=q, unit_price=p) for q, p in ((1, 3000), (100, 2600), (300, 2200))])
    db.session.add(offer)
    group_buys = []
    for n in range(COMMUNITIES):
        owner = User(email=f"owner{n}@bench.tuan.local", display_name=f"Shopkeeper {n}", password_hash="!")
        db.session.add(owner)
        db.session.flush()
        grant_role(owner, Role.SHOPKEEPER)
        community = Community(owner_id=owner.id, name=f"Bench community {n}", slug=f"bench-{n}", currency="CNY",
                              timezone="Asia/Shanghai", description="")
        db.session.add(community)
        db.session.flush()
        point = PickupPoint(community_id=community.id, name=f"Corner shop {n}", address=f"{n} Elm Street",
                            region=("Xuhui", "Pudong", "Jing'an", "Minhang")[n % 4], opening_hours="", active=True)
        db.session.add_all([point, Membership(community_id=community.id, user_id=owner.id,
                                              role=MembershipRole.SHOPKEEPER)])
        db.session.flush()
        group_buys.append(create_group_buy(
            owner, community, offer_id=offer.id, title="Lychees from Hainan", margin_kind="percent", margin="10",
            deadline=offer.closes_at, pickup_point_ids=[point.id]))
    db.session.commit()
    return offer, group_buys


def seed(pledges: int, now: datetime, seed_value: int = 2026) -> int:
    """The offer and ``pledges`` ACTIVE pledges spread over the communities (1–3 units each), every
    pledger a member with a Stripe customer and a saved card; the pooled total and the demand rollup
    are made right. Bulk rows go in with COPY, in one transaction. Returns the offer's id."""
    from accounts.models import User
    from core.extensions import db
    from groupbuy import demand
    from groupbuy.models import Pledge
    from payments.models import GatewayCustomer
    from shopkeeper.models import Membership

    offer, group_buys = _small_world(now)
    price_caps = {gb.id: gb.member_price(offer.tiers[0].unit_price) for gb in group_buys}
    points = {gb.id: gb.pickup_points[0].id for gb in group_buys}
    communities = {gb.id: gb.community_id for gb in group_buys}
    offer_id = offer.id
    rng = random.Random(seed_value)
    raw = db.engine.raw_connection()
    try:
        cursor = raw.driver_connection.cursor()
        first = {table: cursor.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone()[0]
                 for table in TABLES}
        users, memberships, rows, customers = [], [], [], []
        for n in range(pledges):
            user_id, group_buy = first["users"] + n, group_buys[n % len(group_buys)]
            created = now - timedelta(seconds=pledges - n)
            stamps = {"created_at": created, "updated_at": created}
            point_id = points[group_buy.id]
            users.append({"id": user_id, "email": f"member{n}@bench.tuan.local", "display_name": display_name(rng),
                          "password_hash": "!", "is_active_account": True, **stamps})
            memberships.append({"id": first["memberships"] + n, "community_id": communities[group_buy.id],
                                "user_id": user_id, "role": "member", "joined_at": created, "note": "",
                                "pickup_point_id": point_id, **stamps})
            rows.append({"id": first["pledges"] + n, "group_buy_id": group_buy.id, "offer_id": offer_id,
                         "user_id": user_id, "pickup_point_id": point_id, "quantity": rng.randint(1, 3),
                         "tolerance": 0, "price_cap": price_caps[group_buy.id], "currency": "CNY",
                         "status": "active", **stamps})
            customers.append({"id": first["gateway_customers"] + n, "user_id": user_id, "gateway": "stripe",
                              "customer_id": f"cus_bench{n:06d}", "payment_method_id": "pm_card_visa", **stamps})
        for table, data in ((User.__table__, users), (Membership.__table__, memberships), (Pledge.__table__, rows),
                            (GatewayCustomer.__table__, customers)):
            copy_rows(cursor, table, data, now)
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                           f"(SELECT max(id) FROM {table.name}))")
        cursor.execute("UPDATE offers SET pledged_quantity = (SELECT sum(quantity) FROM pledges "
                       "WHERE offer_id = %s AND status = 'active') WHERE id = %s", (offer_id, offer_id))
        raw.commit()
    except BaseException:
        raw.rollback()
        raise
    finally:
        raw.close()
    demand.rebuild([offer_id])
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
    return offer_id


@contextmanager
def captured_jobs():
    """Play the queue: what is enqueued after a commit is kept here (in order) instead of run at once, so
    that the bench runs and times each job itself, through ``core.jobs.run_job`` as a worker does."""
    from core import jobs

    queue: list[tuple[str, tuple]] = []
    original = jobs.dispatch
    jobs.dispatch = lambda app, path, args, **options: queue.append((path, args))
    try:
        yield queue
    finally:
        jobs.dispatch = original


def charge_in_workers(app, payment_ids: list[int], workers: int) -> None:
    """The balance job, split over ``workers`` jobs run at once (each its own app context and session,
    each with 1/workers of the budget, which ``charge_balances`` reads from the config)."""
    from core import jobs

    chunks = [payment_ids[n::workers] for n in range(workers)]
    errors: list[BaseException] = []

    def work(chunk: list[int]) -> None:
        try:
            with app.app_context():
                jobs.run_job("payments.jobs:charge_balances", chunk)
        except BaseException as error:  # reported below; one worker's crash must not hide
            errors.append(error)

    threads = [threading.Thread(target=work, args=(chunk,)) for chunk in chunks if chunk]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def stub_counts(stub) -> dict[str, int]:
    """What the stub saw: PaymentIntents created and for how many idempotency keys (more intents than keys
    would be a key that charged twice), and charges made twice for one payment or one pledge (by the
    metadata every intent carries), whatever key they came with."""
    with stub.lock:
        intents = [obj for obj in stub.objects.values() if obj["object"] == "payment_intent"]
        keys = {request.idempotency_key for request in stub.requests
                if request.method == "POST" and request.path == "/v1/payment_intents"}
    per_payment = Counter(intent["metadata"].get("payment") for intent in intents)
    per_reference = Counter(intent["metadata"].get("reference") for intent in intents
                            if intent["status"] == "succeeded")
    return {"intents": len(intents), "keys": len(keys),
            "payments_with_several_intents": sum(1 for n in per_payment.values() if n > 1),
            "pledges_charged_twice": sum(1 for n in per_reference.values() if n > 1),
            "succeeded": sum(1 for intent in intents if intent["status"] == "succeeded")}


def our_counts(offer_id: int) -> dict[str, int]:
    from core.extensions import db

    row = db.session.execute(sa.text(
        "SELECT (SELECT count(*) FROM pledges WHERE offer_id = :offer) AS pledges, "
        "(SELECT count(*) FROM orders WHERE source = 'groupbuy' AND source_id IN "
        "  (SELECT id FROM pledges WHERE offer_id = :offer)) AS orders, "
        "(SELECT count(*) FROM payments WHERE purpose = 'balance') AS balances, "
        "(SELECT count(*) FROM payments WHERE purpose = 'balance' AND status = 'succeeded') AS paid, "
        "(SELECT count(*) FROM (SELECT reference FROM payments WHERE purpose = 'balance' GROUP BY reference "
        "  HAVING count(*) > 1) AS twice) AS balances_twice, "
        "(SELECT count(*) FROM outbox_emails) AS emails"), {"offer": offer_id}).mappings().one()
    db.session.rollback()
    return dict(row)


def default_workers(rate: float, latency_s: float) -> int:
    """Enough balance jobs at once for ``rate`` calls/s when each call takes latency + our overhead."""
    return max(1, math.ceil(rate * (latency_s + OVERHEAD_S) * MARGIN))


def main(argv: list[str] | None = None) -> int:
    import os

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pledges", type=int, default=10_000, help="pledges on the offer (10,000)")
    parser.add_argument("--rate", type=float, default=50.0, help="the rate budget, calls/s (50)")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="the stub's latency per call (20)")
    parser.add_argument("--workers", type=int, default=None,
                        help="balance jobs run at once, each with its share of the budget "
                             "(default: enough for the rate at this latency)")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL") or DEFAULT_SERVER,
                        help="the PostgreSQL server to work on (DATABASE_URL; default %(default)s)")
    parser.add_argument("--database-name", default=BENCH_DATABASE, help="the bench's own database (%(default)s)")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = parser.parse_args(argv)
    workers = args.workers or default_workers(args.rate, args.latency_ms / 1000)

    server = bench_url(args.database_url)
    url = create_database(server, args.database_name)
    from tests.stripe_stub import StripeStub

    stub = StripeStub(latency=args.latency_ms / 1000).start()
    try:
        return _run(args, workers, url, stub)
    finally:
        stub.stop()
        if not args.keep:
            drop_database(server, args.database_name)


def _run(args, workers: int, url: sa.URL, stub) -> int:
    import logging
    from pathlib import Path

    from flask_migrate import upgrade

    from app import create_app
    from core import clock, jobs
    from core.extensions import db
    from supplier.models import Offer

    app = create_app({
        "SQLALCHEMY_DATABASE_URI": url.render_as_string(hide_password=False), "TESTING": True,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": workers + 2, "max_overflow": 4},
        "JOBS_BACKEND": "inprocess", "PAYMENT_GATEWAY": "stripe", "STRIPE_SECRET_KEY": "sk_test_bench",
        "STRIPE_API_BASE": stub.url, "STRIPE_MAX_NETWORK_RETRIES": 0, "STRIPE_TIMEOUT_SECONDS": 30.0,
        "STRIPE_RATE_LIMIT_PER_SECOND": args.rate / workers})
    logging.getLogger().setLevel(logging.WARNING)
    with app.app_context():
        upgrade(directory=str(Path(app.root_path) / "migrations"))
        started = time.perf_counter()
        offer_id = seed(args.pledges, datetime.now(UTC))
        closes_at = db.session.get(Offer, offer_id).closes_at
        print(f"seeded {args.pledges:,} pledges in {time.perf_counter() - started:.1f} s "
              f"(database {url.database}, {COMMUNITIES} communities)", flush=True)
    clock.freeze(closes_at + timedelta(minutes=1))
    try:
        with captured_jobs() as queue, app.app_context():
            started = time.perf_counter()
            outcome = jobs.run_job("groupbuy.jobs:close_offer_job", offer_id)
            close_s = time.perf_counter() - started
        balance_ids = [payment_id for path, job_args in queue if path == "payments.jobs:charge_balances"
                       for payment_id in job_args[0]]
        calls_before = len(stub.requests)
        started = time.perf_counter()
        charge_in_workers(app, balance_ids, workers)
        charge_s = time.perf_counter() - started
        calls = len(stub.requests) - calls_before
        with app.app_context():
            ours = our_counts(offer_id)
    finally:
        clock.unfreeze()
    seen = stub_counts(stub)
    return report(args, workers, outcome, close_s, charge_s, calls, ours, seen, queue)


def report(args, workers, outcome, close_s, charge_s, calls, ours, seen, queue) -> int:
    achieved = calls / charge_s if charge_s else 0.0
    floor_s = calls / args.rate
    duplicate = seen["intents"] - seen["keys"] + seen["payments_with_several_intents"] + \
        seen["pledges_charged_twice"] + ours["balances_twice"]
    within = achieved <= args.rate * 1.01
    on_time = charge_s <= floor_s * 1.10 + 1.0
    other_jobs = Counter(path for path, _args in queue if path != "payments.jobs:charge_balances")
    lines = [
        ("close", f"{outcome} in {close_s:.1f} s"),
        ("pledges", f"{ours['pledges']:,}"),
        ("orders", f"{ours['orders']:,}"),
        ("balance payments", f"{ours['balances']:,} ({ours['paid']:,} paid)"),
        ("calls to the stub", f"{calls:,} ({seen['intents']:,} PaymentIntents for {seen['keys']:,} keys, "
                              f"{seen['succeeded']:,} succeeded)"),
        ("duplicate charges", f"{duplicate}"),
        ("charging", f"{charge_s:.1f} s with {workers} worker{'s' if workers > 1 else ''} at "
                     f"{args.latency_ms:g} ms per call"),
        ("calls/s achieved", f"{achieved:.1f}"),
        ("budget", f"{args.rate:g} calls/s ({args.rate / workers:g} per worker): at least {floor_s:.1f} s"),
        ("within budget", "yes" if within else "NO: faster than the budget allows"),
        ("on time", "yes" if on_time else f"NO: more than 10% over {floor_s:.1f} s"),
        ("other jobs queued", ", ".join(f"{n:,} × {path}" for path, n in other_jobs.items()) or "none"),
    ]
    for label, value in lines:
        print(f"{label + ':':<20}{value}")
    if workers == 1 and args.latency_ms / 1000 + OVERHEAD_S > 1 / args.rate:
        print(f"note: one worker waits {args.latency_ms:g} ms per call plus our own work, so it cannot reach "
              f"{args.rate:g} calls/s; use --workers {default_workers(args.rate, args.latency_ms / 1000)}")
    # the exit status is correctness only (nothing charged twice, never over the budget, every balance
    # paid); "on time" is a figure to read, since a loaded machine is slower whatever the code does
    return 0 if duplicate == 0 and within and ours["paid"] == ours["balances"] else 1


if __name__ == "__main__":
    sys.exit(main())
