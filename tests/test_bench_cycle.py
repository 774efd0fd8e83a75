"""bench/cycle.py cannot rot: a tiny cycle (2,000 subscriptions, 50 of them paying by card against the Stripe
stub, two real RQ workers on a Redis database index of its own) makes exactly the boxes owed — skips and
pauses left out, swaps in — one order per box, each card box charged once, and a second run of the cycle
makes and charges nothing new. It needs PostgreSQL and Redis, like the bench;
the time and the orders per second are printed, not tested."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.bench_helpers import ROOT, server_url_fixture  # noqa: F401
from tests.test_bench_fanout import redis_url_fixture  # noqa: F401


def test_a_tiny_cycle_bench_makes_every_box_once_with_two_workers(server_url, redis_url):
    done = subprocess.run(
        [sys.executable, "-m", "bench.cycle", "--subscriptions", "2000", "--cards", "50", "--workers", "2",
         "--latency-ms", "1", "--rate", "1000", "--timeout", "120",
         "--database-url", server_url, "--database-name", f"tuan_bench_cycle_test{os.getpid()}",
         "--redis-url", redis_url, "--redis-db", "13"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    figures = {label.strip(): value.strip() for label, sep, value in
               (line.partition(":") for line in done.stdout.splitlines()) if sep}
    assert done.returncode == 0, done.stdout + done.stderr
    assert figures["subscriptions"] == "2,000"
    assert (figures["skipped"], figures["paused"], figures["swapped"]) == ("40", "40", "20")
    assert figures["expected boxes"] == "1,920"  # 2,000 less the skipped and the paused
    assert figures["boxes made"] == "1,920"
    assert figures["left out"] == "0"
    assert figures["swapped boxes"] == "20"
    assert figures["cards"] == "50"
    # one subscriber in 40 pays by card (the 22nd, 62nd, …): none of them skips or is paused
    assert figures["payments at pickup"] == "1,870"
    assert figures["card boxes paid"] == "50 of 50 (50 PaymentIntents for 50 keys)"
    assert figures["duplicate charges"] == "0"
    assert figures["failed jobs"] == "0"
    assert figures["cycle_progress"] == "agrees"  # the job's own account of the cycle, against plain SQL
    assert figures["duplicate orders"] == "0"
    assert figures["rerun created"] == "0"
    assert figures["duplicate orders after the rerun"] == "0"
    assert figures["result"] == "ok"
    assert "orders created per second" in figures and "time to a complete cycle" in figures  # printed, not asserted
