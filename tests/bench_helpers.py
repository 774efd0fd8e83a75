"""For the tests that run a bench script on a tiny world: benches measure PostgreSQL only."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(name="server_url")
def server_url_fixture() -> str:
    """The PostgreSQL server the bench may create its own database on; skipped on SQLite (failed in CI's
    PostgreSQL pass, which sets TUAN_REQUIRE_SERVICES)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        if os.environ.get("TUAN_REQUIRE_SERVICES"):
            pytest.fail("DATABASE_URL (PostgreSQL) is required for the bench tests in CI")
        pytest.skip("the benches measure PostgreSQL: DATABASE_URL is not a PostgreSQL URL")
    return url

