"""bench/demand.py cannot rot: a tiny world (20 offers, 2,000 pledges) is seeded by the bench's own SQL, the
rollup rebuilt from it, and the dashboard's answer from the rollup equals the plain GROUP BY over the
pledges. The speed targets are for the full size only. It needs PostgreSQL, like every bench."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.bench_helpers import ROOT, server_url_fixture  # noqa: F401


def _figures(output: str) -> dict[str, str]:
    figures = {}
    for line in output.splitlines():
        label, sep, value = line.partition(":")
        if sep:
            figures[label.strip()] = value.strip()
        elif line[:34].strip() and line[34:].strip():
            figures[line[:34].strip()] = line[34:].strip()
    return figures


def test_a_tiny_demand_bench_seeds_its_world_and_both_answers_agree(server_url):
    done = subprocess.run(
        [sys.executable, "-m", "bench.demand", "--offers", "20", "--pledges-per-group-buy", "10", "--users", "500",
         "--communities", "20", "--suppliers", "3", "--runs", "3", "--warmup", "1", "--plain-runs", "1",
         "--database-url", server_url, "--database-name", f"tuan_bench_demand_test{os.getpid()}", "--drop"],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    figures = _figures(done.stdout)
    assert figures.get("answers equal") == "yes", done.stdout + done.stderr
    assert (figures["offers"], figures["group_buys"], figures["pledges"]) == ("20", "200", "2,000")
    assert int(figures["demand_cells"]) > 0 and int(figures["largest supplier's open offers"]) > 0
    assert "median" in figures["dashboard (rollup)"] and "speed-up" in figures
