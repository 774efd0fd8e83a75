"""Fixtures: one app per run on a freshly migrated database (PostgreSQL when DATABASE_URL says so,
SQLite otherwise); every test starts from empty tables, a running clock and no scheduled jobs.
Tests commit for real: the commit-once boundary is part of what they exercise."""

from __future__ import annotations

import contextvars
import os
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_migrate import upgrade
from hypothesis import HealthCheck, settings

from core import clock, hot_cache, jobs
from core.extensions import db, limiter

# Property tests judge the code, not the machine: on a loaded CI box, generating inputs or running one
# example may be slow, which says nothing about correctness.
settings.register_profile("tuan", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("tuan")

OUTPUT = Path(os.environ.get("TUAN_TEST_OUTPUT", Path(__file__).resolve().parent.parent / "test-output"))


def _database_url(tmp: Path) -> str:
    """SQLite in a temporary folder, or — with DATABASE_URL — a PostgreSQL database of this run's own
    (created beside the given one and dropped at the end), so that test runs never share tables."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp / 'test.sqlite3'}"
    base = sa.make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    own = base.set(database=f"{base.database}_run{os.getpid()}")
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{own.database}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{own.database}"'))
    admin.dispose()
    _databases_to_drop.append((base, own.database))
    return own.render_as_string(hide_password=False)


_databases_to_drop: list = []


def pytest_sessionfinish(session, exitstatus):
    for base, name in _databases_to_drop:
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _reset_schema(app) -> None:
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        else:
            db.drop_all()
            with engine.begin() as conn:
                conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        engine.dispose()


class IsolatedClient(FlaskClient):
    """Each request runs in a context of its own, as in production: its own app context, ``g`` and
    database session, never the test's (Flask would otherwise reuse the test's app context)."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


def _compile_translations() -> None:
    """Tests read the catalogs as they are in the tree, even when set-up has not compiled them."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (Path(__file__).resolve().parent.parent / "translations").glob("*/LC_MESSAGES/messages.po"):
        with po.open("rb") as source:
            catalog = read_po(source)
        with po.with_suffix(".mo").open("wb") as target:
            write_mo(target, catalog)


@pytest.fixture(scope="session")
def app():
    from app import create_app

    _compile_translations()
    tmp = Path(tempfile.mkdtemp(prefix="tuan-test-"))
    application = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": _database_url(tmp),
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "JOBS_BACKEND": "inprocess",
        "RATELIMIT_STORAGE_URI": "memory://",
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "PASSWORD_TIME_COST": 1,
        "PASSWORD_MEMORY_COST": 64,
        "UPLOAD_FOLDER": str(tmp / "uploads"),
        "SERVER_NAME": None,
    })
    application.test_client_class = IsolatedClient
    _reset_schema(application)
    with application.app_context():
        upgrade(directory=str(Path(application.root_path) / "migrations"))
    return application


def _empty_all_tables() -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture(autouse=True)
def _fresh_state(app):
    """Each test: an app context, empty tables afterwards, the real clock, no leftover jobs."""
    ctx = app.app_context()
    ctx.push()
    try:
        yield
    finally:
        db.session.rollback()
        _empty_all_tables()
        db.session.remove()
        hot_cache.reset()
        ctx.pop()
        clock.unfreeze()
        jobs.clear_schedule()
        limiter.reset()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def output_dir(request) -> Path:
    """A folder for what a test leaves behind to look at (screenshots), under test-output/."""
    path = OUTPUT / request.node.name.replace("/", "_").replace("[", "_").replace("]", "")
    path.mkdir(parents=True, exist_ok=True)
    return path
