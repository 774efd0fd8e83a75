"""bench/drop.py cannot rot: a quick run (50 buyers for 5 units, one drop, served by gunicorn) sells
exactly the 5 units, oversells none and answers every other buyer 409 — its speed is printed, not
tested. It needs PostgreSQL, like every bench."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.bench_helpers import ROOT, server_url_fixture  # noqa: F401


def test_a_quick_drop_bench_sells_exactly_its_units_to_concurrent_buyers(server_url):
    done = subprocess.run(
        [sys.executable, "-m", "bench.drop", "--quick", "--database-url", server_url,
         "--database-name", f"tuan_bench_drop_test{os.getpid()}"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)  # ~13 s on an idle machine; minutes under a loaded one
    assert done.returncode == 0, done.stdout + done.stderr
    row = next(line for line in done.stdout.splitlines() if line.startswith("direct 1 "))
    sold, oversold = row.split()[2:4]
    assert (sold, oversold) == ("5", "0")
    assert "drop 5×201, 45×409 sold_out" in row
    assert "1 runs, 1 correct, oversold in 0" in done.stdout
