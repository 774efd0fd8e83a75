"""Benchmark: the supplier's committed-demand dashboard over 1,000,000 pledges, on PostgreSQL.

    .venv/bin/python -m bench.demand                 # 1,000 offers, 10,000 group buys, 1,000,000 pledges
    .venv/bin/python -m bench.demand --reuse         # keep the world a previous run seeded
    .venv/bin/python -m bench.demand --offers 20 --pledges-per-group-buy 10 --users 500 --communities 20

Works in a database of its own (``tuan_bench_demand`` on the server ``--database-url`` names, default
DATABASE_URL or postgresql://postgres@127.0.0.1:5432), built from the migrations and seeded with
``INSERT … SELECT generate_series`` (no ORM): suppliers, products and one variant each, offers with three
price tiers (30 % closed successfully with confirmed pledges and a purchase order, the rest open), ten
group buys per offer in ten different communities, two pickup points per community in a dozen regions
(one without a region), pledges by distinct members per group buy (one in ten cancelled or released,
one in twenty without a pickup point). ``groupbuy.demand.rebuild()`` then fills the rollup and the
tables are ANALYZEd.

It times ``supplier.demand.dashboard`` — what the page and the API call — for the largest supplier,
each run in a fresh session as a request would be, and the same answer with a plain GROUP BY over the
pledges (joined to group buys, offers, pickup points and purchase orders) in place of the rollup's
cells (``source=pledge_source``: the same statement and folding, only the rows added up differ); checks
that both answers are equal and prints median and p95, the speed-up and the world's shape. Exits 1 when
the answers differ, the dashboard's p95 reaches 50 ms or the speed-up is under 10×."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime

import sqlalchemy as sa

from bench.members import bench_url, p95, time_query

BENCH_DATABASE = "tuan_bench_demand"
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
LIMIT_MS = 50.0
MIN_SPEEDUP = 10.0
#: pickup regions, one of them "" (a point whose shopkeeper gave none)
REGIONS = ("Xuhui", "Pudong", "Jing'an", "Huangpu", "Changning", "Putuo", "Hongkou", "Yangpu", "Minhang",
           "Baoshan", "Songjiang", "")
SEEDED = ("users", "suppliers", "products", "variants", "offers", "price_tiers", "communities", "pickup_points",
          "group_buys", "pledges", "purchase_orders")


def server_url(url: str | None) -> sa.URL:
    return bench_url(url or os.environ.get("DATABASE_URL") or DEFAULT_SERVER)


def recreate_database(server: sa.URL, name: str, keep: bool) -> tuple[sa.URL, bool]:
    """The bench database, created when absent; dropped and created again unless ``keep``. Returns its
    URL and whether it already existed (and was kept)."""
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}).scalar()
        if exists and not keep:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        if not exists or not keep:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.set(database=name), bool(exists and keep)


def drop_database(server: sa.URL, name: str) -> None:
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


SEED_SQL = [
    """INSERT INTO users (id, email, display_name, password_hash, is_active_account, created_at, updated_at)
       SELECT i, 'bench' || i || '@example.com', 'Member ' || i, '!', true, :now, :now
       FROM generate_series(1, :communities + :users) i""",
    """INSERT INTO suppliers (id, name, slug, description, currency, created_at, updated_at)
       SELECT s, 'Supplier ' || s, 'bench-supplier-' || s, '', 'CNY', :now, :now
       FROM generate_series(1, :suppliers) s""",
    # the largest supplier has a fifth of the products (two offers each); the others share the rest
    """INSERT INTO products (id, supplier_id, name, description, active, created_at, updated_at)
       SELECT p, CASE WHEN p <= :big THEN 1 ELSE 2 + (p - :big - 1) % (:suppliers - 1) END, 'Product ' || p, '',
              true, :now, :now
       FROM generate_series(1, :products) p""",
    """INSERT INTO variants (id, product_id, supplier_id, sku, name, unit, case_pack, wholesale_price, retail_price,
                             currency, lead_time_days, active, created_at, updated_at)
       SELECT id, id, supplier_id, 'SKU-' || id, 'Standard', 'box', 1, 3000, 4000, 'CNY', 3, true, :now, :now
       FROM products""",
    # 30 % closed successfully (their close weeks behind us), the rest open for the weeks ahead; one in 20 in USD
    """INSERT INTO offers (id, supplier_id, variant_id, currency, moq, case_pack, opens_at, closes_at, lead_time_days,
                           status, pledged_quantity, closed_at, created_at, updated_at)
       SELECT o, v.supplier_id, v.id, CASE WHEN o % 20 = 0 THEN 'USD' ELSE 'CNY' END, :per_offer * :per_gb, 1,
              c.closes_at - interval '14 days', c.closes_at, 3, c.status, 0,
              CASE WHEN c.status = 'succeeded' THEN c.closes_at END, :now, :now
       FROM generate_series(1, :offers) o
       JOIN variants v ON v.id = (o + 1) / 2
       CROSS JOIN LATERAL (
           SELECT CASE WHEN o % 10 < 3 THEN 'succeeded' ELSE 'open' END AS status,
                  CASE WHEN o % 10 < 3 THEN :now - (1 + o % 4) * interval '7 days' - o * interval '1 minute'
                       ELSE :now + (1 + o % 8) * interval '7 days' + o * interval '1 minute' END AS closes_at) c""",
    """INSERT INTO price_tiers (offer_id, min_quantity, unit_price)
       SELECT o.id, t.n, 3000 + o.id % 500 - t.step * 300
       FROM offers o CROSS JOIN LATERAL (VALUES (1, 0), (2 * :per_offer * :per_gb, 1),
                                                (3 * :per_offer * :per_gb, 2)) t(n, step)""",
    """INSERT INTO communities (id, owner_id, name, slug, description, currency, timezone, created_at, updated_at)
       SELECT c, c, 'Community ' || c, 'bench-' || c, '', 'CNY', 'Asia/Shanghai', :now, :now
       FROM generate_series(1, :communities) c""",
    """INSERT INTO pickup_points (id, community_id, name, address, region, opening_hours, active, created_at,
                                  updated_at)
       SELECT 2 * c - 1 + j, c, 'Point ' || c || '-' || j, '1 Elm Street',
              (CAST(:regions AS text[]))[1 + (7 * c + j) % :region_count], '', true, :now, :now
       FROM generate_series(1, :communities) c CROSS JOIN generate_series(0, 1) j""",
    # each offer runs in :per_offer communities, :stride apart, so that (offer, community) is unique
    """INSERT INTO group_buys (id, offer_id, community_id, created_by_id, title, description, margin_kind,
                               margin_value, deposit_percent, deadline, status, closed_at, created_at, updated_at)
       SELECT g, o.id, x.community_id, x.community_id, 'Group buy ' || g, '', 'percent', 1000, 0, o.closes_at,
              o.status, o.closed_at, :now, :now
       FROM generate_series(1, :offers * :per_offer) g
       JOIN offers o ON o.id = (g - 1) / :per_offer + 1
       CROSS JOIN LATERAL (SELECT ((g - 1) % :per_offer) * :stride + (o.id - 1) % :stride + 1 AS community_id) x""",
    # distinct members per group buy: n × (users / pledges per group buy) never wraps within one group buy
    """INSERT INTO pledges (id, group_buy_id, offer_id, user_id, pickup_point_id, quantity, tolerance, price_cap,
                            currency, status, allocated_quantity, cancelled_at, created_at, updated_at)
       SELECT (gb.id - 1) * :per_gb + n + 1, gb.id, gb.offer_id,
              :communities + 1 + (gb.id * 7919 + n * (:users / :per_gb)) % :users,
              CASE WHEN n % 20 = 7 THEN NULL ELSE 2 * gb.community_id - 1 + n % 2 END,
              q.quantity, 0, 5000, o.currency,
              CASE WHEN o.status = 'open' THEN (CASE WHEN n % 10 = 9 THEN 'cancelled' ELSE 'active' END)
                   ELSE (CASE WHEN n % 10 = 9 THEN 'released' ELSE 'confirmed' END) END,
              CASE WHEN o.status = 'succeeded' AND n % 10 <> 9 THEN q.quantity END,
              CASE WHEN n % 10 = 9 THEN :now END, :now, :now
       FROM group_buys gb JOIN offers o ON o.id = gb.offer_id
       CROSS JOIN generate_series(0, :per_gb - 1) n
       CROSS JOIN LATERAL (SELECT 1 + (n + o.id) % (3 + o.id % 4) AS quantity) q""",
    """UPDATE offers SET pledged_quantity = s.total
       FROM (SELECT offer_id, sum(quantity) AS total FROM pledges WHERE status = 'active' GROUP BY offer_id) s
       WHERE offers.id = s.offer_id""",
    """INSERT INTO purchase_orders (offer_id, supplier_id, variant_id, quantity, cases, unit_price, currency, status,
                                    dropped_quantity, created_at, updated_at)
       SELECT o.id, o.supplier_id, o.variant_id, s.units, s.units,
              (SELECT t.unit_price FROM price_tiers t WHERE t.offer_id = o.id AND t.min_quantity <= s.units
               ORDER BY t.min_quantity DESC LIMIT 1), o.currency, 'issued', 0, :now, :now
       FROM offers o JOIN (SELECT offer_id, sum(allocated_quantity) AS units FROM pledges
                           WHERE status = 'confirmed' GROUP BY offer_id) s ON s.offer_id = o.id""",
]


def shape(args) -> dict:
    """The seeding's parameters from the command line."""
    products = (args.offers + 1) // 2
    if args.communities % args.group_buys_per_offer or args.users < args.pledges_per_group_buy:
        sys.exit("--communities must be a multiple of --group-buys-per-offer, --users at least the pledges per "
                 "group buy")
    return {"offers": args.offers, "per_offer": args.group_buys_per_offer, "per_gb": args.pledges_per_group_buy,
            "users": args.users, "communities": args.communities, "suppliers": args.suppliers,
            "products": products, "big": max(1, products // 5), "stride": args.communities // args.group_buys_per_offer,
            "regions": list(REGIONS), "region_count": len(REGIONS), "now": datetime.now(UTC)}


def seed(params: dict) -> None:
    """The whole world in one transaction, then the rollup from the pledges (``groupbuy.demand.rebuild``)
    and ANALYZE."""
    from core.extensions import db
    from groupbuy import demand as rollup

    tables = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
    db.session.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))  # a world of another shape
    for statement in SEED_SQL:
        db.session.execute(sa.text(statement), params)
    for table in SEEDED:
        db.session.execute(sa.text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 1) FROM {table}))"))
    rollup.rebuild()
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("ANALYZE"))


def seeded_matches(params: dict) -> bool:
    """Whether the database already holds the world these parameters describe."""
    from core.extensions import db

    found = db.session.execute(sa.text(
        "SELECT (SELECT count(*) FROM offers), (SELECT count(*) FROM pledges), (SELECT count(*) FROM communities)"
    )).one()
    db.session.rollback()
    return tuple(found) == (params["offers"], params["offers"] * params["per_offer"] * params["per_gb"],
                            params["communities"])


def pledge_source(filters):
    """The pledges themselves as the rows to add up — the plain GROUP BY the rollup saves us from."""
    from groupbuy.models import GroupBuy, Pledge, PledgeStatus
    from orders.models import PurchaseOrder
    from shopkeeper.models import PickupPoint
    from supplier import demand
    from supplier.models import Offer

    active = Pledge.status == PledgeStatus.ACTIVE
    confirmed = Pledge.status == PledgeStatus.CONFIRMED
    allocated = sa.func.coalesce(Pledge.allocated_quantity, 0)
    region = sa.func.coalesce(PickupPoint.region, "")
    return (
        sa.select(Pledge.offer_id, GroupBuy.community_id, region.label("region"),
                  sa.case((active, Pledge.quantity), else_=0).label("pending_quantity"),
                  sa.case((active, 1), else_=0).label("pending_pledges"),
                  sa.case((confirmed, allocated), else_=0).label("committed_quantity"),
                  sa.case((confirmed, allocated * sa.func.coalesce(PurchaseOrder.unit_price, 0)),
                          else_=0).label("committed_value"))
        .join(GroupBuy, GroupBuy.id == Pledge.group_buy_id)
        .join(Offer, Offer.id == Pledge.offer_id)
        .outerjoin(PickupPoint, PickupPoint.id == Pledge.pickup_point_id)
        .outerjoin(PurchaseOrder, PurchaseOrder.offer_id == Pledge.offer_id)
        .where(Offer.supplier_id == filters.supplier_id,
               Pledge.status.in_([PledgeStatus.ACTIVE, PledgeStatus.CONFIRMED]),
               *demand.place_conditions(filters, GroupBuy.community_id, region)))


def world_figures(supplier_id: int) -> dict[str, int]:
    from core.extensions import db

    counts = {name: f"SELECT count(*) FROM {name}" for name in
              ("suppliers", "offers", "group_buys", "pledges", "users", "communities", "pickup_points",
               "demand_cells")}
    counts |= {
        "regions": "SELECT count(DISTINCT region) FROM pickup_points",
        "largest supplier's offers": f"SELECT count(*) FROM offers WHERE supplier_id = {supplier_id}",
        "largest supplier's open offers":
            f"SELECT count(*) FROM offers WHERE supplier_id = {supplier_id} AND status = 'open'",
        "largest supplier's pledges": "SELECT count(*) FROM pledges JOIN offers ON offers.id = pledges.offer_id "
                                      f"WHERE offers.supplier_id = {supplier_id}",
        "largest supplier's demand cells": f"SELECT count(*) FROM demand_cells WHERE supplier_id = {supplier_id}",
    }
    figures = {name: db.session.execute(sa.text(sql)).scalar() for name, sql in counts.items()}
    db.session.rollback()
    return figures


def largest_supplier() -> int:
    from core.extensions import db

    supplier_id = db.session.execute(sa.text(
        "SELECT supplier_id FROM offers GROUP BY supplier_id ORDER BY count(*) DESC, supplier_id LIMIT 1")).scalar()
    db.session.rollback()
    return supplier_id


def measure(supplier_id: int, runs: int, warmup: int, plain_runs: int) -> dict:
    """Time the dashboard from the rollup and from the pledges, and compare the two answers."""
    from supplier import demand

    filters = demand.Filters(supplier_id=supplier_id)
    fast = demand.as_dict(demand.dashboard(filters))
    slow = demand.as_dict(demand.dashboard(filters, source=pledge_source))
    rollup_ms = time_query(lambda: demand.dashboard(filters), runs, warmup)
    plain_ms = time_query(lambda: demand.dashboard(filters, source=pledge_source), plain_runs, 1)
    return {"equal": fast == slow, "rollup": rollup_ms, "plain": plain_ms,
            "rows": sum(len(rows) for rows in fast["totals"].values()), "open offers": len(fast["open_offers"])}


def report(figures: dict, result: dict, runs: int, plain_runs: int) -> bool:
    """Print the figures; True when the targets are met."""
    for name, value in figures.items():
        print(f"{name:<34}{value:>12,}")
    median, tail = statistics.median(result["rollup"]), p95(result["rollup"])
    plain = statistics.median(result["plain"])
    speedup = plain / median if median else float("inf")
    print(f"\ndashboard answer: {result['rows']} total rows, {result['open offers']} open offers")
    print(f"answers equal: {'yes' if result['equal'] else 'NO'}")
    print(f"dashboard (rollup): median {median:.1f} ms, p95 {tail:.1f} ms ({runs} runs)")
    print(f"plain GROUP BY over pledges: median {plain:.1f} ms ({plain_runs} runs)")
    print(f"speed-up: {speedup:.0f}x")
    print(f"load average: {' '.join(f'{load:.1f}' for load in os.getloadavg())} on {os.cpu_count()} cores")
    ok = result["equal"] and tail < LIMIT_MS and speedup >= MIN_SPEEDUP
    if not ok:
        print(f"\nTARGET MISSED: answers equal, p95 under {LIMIT_MS:.0f} ms, at least {MIN_SPEEDUP:.0f}x faster")
    return ok


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="the PostgreSQL server (default DATABASE_URL or the local one)")
    parser.add_argument("--database-name", default=BENCH_DATABASE)
    parser.add_argument("--reuse", action="store_true", help="keep a database seeded earlier with the same shape")
    parser.add_argument("--drop", action="store_true", help="drop the bench database at the end")
    parser.add_argument("--offers", type=int, default=1000)
    parser.add_argument("--group-buys-per-offer", type=int, default=10)
    parser.add_argument("--pledges-per-group-buy", type=int, default=100)
    parser.add_argument("--users", type=int, default=100_000, help="members who pledge")
    parser.add_argument("--communities", type=int, default=1000)
    parser.add_argument("--suppliers", type=int, default=20, help="at least 2; the first has a fifth of the offers")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--plain-runs", type=int, default=5)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    params = shape(args)
    server = server_url(args.database_url)
    url, kept = recreate_database(server, args.database_name, keep=args.reuse)
    from app import create_app
    from bench.members import ensure_schema
    from core.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url.render_as_string(hide_password=False), "TESTING": True})
    try:
        with app.app_context():
            rebuilt = ensure_schema()
            if kept and not rebuilt and seeded_matches(params):
                print(f"reusing the world seeded earlier in database {args.database_name}")
            else:
                start = time.perf_counter()
                seed(params)
                print(f"seeded in {time.perf_counter() - start:.1f} s (database {args.database_name})")
            supplier_id = largest_supplier()
            ok = report(world_figures(supplier_id), measure(supplier_id, args.runs, args.warmup, args.plain_runs),
                        args.runs, args.plain_runs)
            db.engine.dispose()
    finally:
        if args.drop:
            drop_database(server, args.database_name)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
