"""Settings from the environment, each with a working default: SQLite, no Redis, offline payments."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("TUAN_INSTANCE", ROOT / "instance"))


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    return default if raw is None else raw.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """A stable key for the embedded default, kept beside the SQLite file; production sets SECRET_KEY."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    INSTANCE.mkdir(parents=True, exist_ok=True)
    path = INSTANCE / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE / 'tuan.sqlite3'}"
    # Hosted providers still hand out postgres:// URLs; psycopg 3 is our driver.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _engine_options() -> dict:
    """``DATABASE_POOL_SIZE`` / ``DATABASE_MAX_OVERFLOW`` size each process's pool (SQLAlchemy's 5 + 10
    by default): processes × (pool + overflow + reserve pool) must stay under the server's connections."""
    options: dict = {"pool_pre_ping": True}
    for variable, option in (("DATABASE_POOL_SIZE", "pool_size"), ("DATABASE_MAX_OVERFLOW", "max_overflow")):
        if os.environ.get(variable):
            options[option] = int(os.environ[variable])
    return options


def from_environment() -> dict:
    redis_url = os.environ.get("REDIS_URL") or None
    return {
        "SECRET_KEY": _secret_key(),
        "SQLALCHEMY_DATABASE_URI": _database_url(),
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(),
        #: connections per process for drops' one-round-trip reserves (launches.stock), beside the main pool
        "RESERVE_POOL_SIZE": int(os.environ.get("RESERVE_POOL_SIZE", "5")),
        "REDIS_URL": redis_url,
        #: "rq" with Redis; "inprocess" runs jobs in the web process after commit (embedded default)
        "JOBS_BACKEND": "rq" if redis_url else "inprocess",
        "STRIPE_SECRET_KEY": os.environ.get("STRIPE_SECRET_KEY"),
        "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET"),
        "STRIPE_API_BASE": os.environ.get("STRIPE_API_BASE"),
        #: "stripe" when a Stripe key is set, otherwise "offline" (cash or transfer, confirmed by the shopkeeper)
        "PAYMENT_GATEWAY": os.environ.get("PAYMENT_GATEWAY")
        or ("stripe" if os.environ.get("STRIPE_SECRET_KEY") else "offline"),
        #: how long a member whose balance was declined has to pay it on-session
        "PAYMENT_GRACE_HOURS": int(os.environ.get("PAYMENT_GRACE_HOURS", "72")),
        #: calls per second a batch of charges may make to Stripe (its live limit is 100 per second)
        "STRIPE_RATE_LIMIT_PER_SECOND": float(os.environ.get("STRIPE_RATE_LIMIT_PER_SECOND", "50")),
        "STRIPE_TIMEOUT_SECONDS": float(os.environ.get("STRIPE_TIMEOUT_SECONDS", "30")),
        #: stripe-python retries connection errors and 5xx with the same idempotency key
        "STRIPE_MAX_NETWORK_RETRIES": int(os.environ.get("STRIPE_MAX_NETWORK_RETRIES", "2")),
        "MAIL_URL": os.environ.get("MAIL_URL"),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Tuan <noreply@tuan.local>"),
        "UPLOAD_FOLDER": os.environ.get("UPLOAD_FOLDER", str(INSTANCE / "uploads")),
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", False),
        "REMEMBER_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", False),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per minute"),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        #: argon2 cost; tests lower it so that thousands of logins stay fast
        "PASSWORD_TIME_COST": int(os.environ.get("PASSWORD_TIME_COST", "3")),
        "PASSWORD_MEMORY_COST": int(os.environ.get("PASSWORD_MEMORY_COST", "65536")),
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "translations"),
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_CHECK_DEFAULT": False,
        "API_TITLE": "Tuan API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "PAGE_SIZE": 50,
    }
