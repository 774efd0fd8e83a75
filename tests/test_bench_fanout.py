"""bench/fanout.py cannot rot: a tiny world (2,000 members, two real RQ workers on a Redis database index
of its own) tells every member once, also after the fan-out runs again, and emails each follower once.
It needs PostgreSQL and Redis, like the bench; the time is printed, not tested."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.bench_helpers import ROOT, server_url_fixture  # noqa: F401


@pytest.fixture(name="redis_url")
def redis_url_fixture() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        if os.environ.get("TUAN_REQUIRE_SERVICES"):
            pytest.fail("REDIS_URL is required for the fan-out bench test in CI")
        pytest.skip("the fan-out bench runs real RQ workers: REDIS_URL is not set")
    return url


def test_a_tiny_fanout_bench_tells_every_member_once_with_two_workers(server_url, redis_url):
    done = subprocess.run(
        [sys.executable, "-m", "bench.fanout", "--members", "2000", "--followers", "20", "--timeout", "90",
         "--database-url", server_url, "--database-name", f"tuan_bench_fanout_test{os.getpid()}",
         "--redis-url", redis_url, "--redis-db", "14"],
        cwd=ROOT, capture_output=True, text=True, timeout=180)
    figures = {label.strip(): value.strip() for label, sep, value in
               (line.partition(":") for line in done.stdout.splitlines()) if sep}
    assert done.returncode == 0, done.stdout + done.stderr
    assert figures["members"] == "2,001"  # the shopkeeper too
    assert figures["told in the app"] == "2,001"
    assert figures["told twice"] == "0"
    assert figures["follower emails"] == "20 (0 twice)"
    assert figures["result"] == "ok"
    assert "time" in figures  # printed, not asserted: a loaded machine proves nothing
