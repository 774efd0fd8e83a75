"""What the hottest requests — a drop's opening, thousands of API calls a second, most of them answered
"sold out" — may answer from memory instead of the database: small per-process caches with a time to live,
one shared Redis client, and an **access generation** that ends every cached grant at once.

Anything that takes access away (a token revoked, an account deactivated, a member removed) bumps the
generation when its unit of work commits (``accounts.token_cache`` watches the flushes). Each cached grant
is stamped with the generation it was read under and is used only while the generation is unchanged: with
Redis, the generation lives there and each process reads it at most once a second, so every process
drops its grants within a second; without Redis (one process, ``flask serve``) the local counter is the
generation. Caches only ever *grant* faster: a
miss, or Redis being unreachable, falls back to the database.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from cachetools import TTLCache
from flask import Flask, current_app, g
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

PREFIX = "tuan:hot:"  #: every Redis key of a hot path starts so, then the database's own mark
#: how long a process trusts the access generation it read from Redis: other processes see a revocation
#: within this long (the process that revoked, at once)
GENERATION_SECONDS = 1.0
_lock = threading.Lock()
_states: list[dict] = []  #: every app's state in this process (tests run several apps)


@dataclass(frozen=True)
class Shared:
    """How a cache's values also live in Redis, for every process: ``dumps``/``loads`` to and from JSON
    text, kept ``seconds`` there."""

    dumps: Callable[[Any], Any]
    loads: Callable[[Any], Any]
    seconds: int = 600


class HotCache:
    """A thread-safe TTL cache; values are stamped with the access generation when ``guarded``, and kept
    in Redis too when ``shared`` (a process's first request for a key then costs a Redis read, not SQL)."""

    def __init__(self, name: str, maxsize: int, ttl: float, *, guarded: bool, shared: Shared | None) -> None:
        self.name = name
        self._data: TTLCache = TTLCache(maxsize=maxsize, ttl=ttl)
        self._lock = threading.Lock()
        self._loading: dict[Hashable, threading.Lock] = {}
        self.guarded = guarded
        self.shared = shared

    def _stamp(self) -> int | None:
        return generation() if self.guarded else 0

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            found = self._data.get(key)
        stamp = self._stamp()
        if found is not None and stamp is not None and found[0] == stamp:
            return found[1]
        if self.shared is None or stamp is None:
            return None
        raw = guarded_call(lambda client: client.get(self._redis_key(key)))
        if raw is None:
            return None
        kept = json.loads(raw)
        if kept["stamp"] != stamp:
            return None
        value = self.shared.loads(kept["value"])
        with self._lock:
            self._data[key] = (stamp, value)
        return value

    def put(self, key: Hashable, value: Any) -> None:
        """Stamped with the generation this request read first — before the value was read from the
        database, so a bump in between leaves it stale. Nothing is kept while Redis does not answer."""
        stamp = self._stamp()
        if stamp is None:
            return
        with self._lock:
            self._data[key] = (stamp, value)
        if self.shared is not None:
            text = json.dumps({"stamp": stamp, "value": self.shared.dumps(value)})
            guarded_call(lambda client: client.set(self._redis_key(key), text, ex=self.shared.seconds))

    def get_or_load(self, key: Hashable, load: Callable[[], Any]) -> Any:
        """The cached value, or ``load()``'s (cached unless None) — loaded by one thread of the process
        while the others asking for the same key wait for it: a drop's opening sends dozens of threads
        after the same launch at once, and they must not all go to the database."""
        found = self.get(key)
        if found is not None:
            return found
        with self._lock:
            loading = self._loading.setdefault(key, threading.Lock())
        with loading:
            found = self.get(key)
            if found is None:
                found = load()
                if found is not None:
                    self.put(key, found)
        with self._lock:
            self._loading.pop(key, None)
        return found

    def _redis_key(self, key: Hashable) -> str:
        return redis_key(f"cache:{self.name}:{key}")

    def drop(self, key: Hashable) -> None:
        with self._lock:
            self._data.pop(key, None)
        if self.shared is not None:
            guarded_call(lambda client: client.delete(self._redis_key(key)))

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


def _state(app: Flask) -> dict:
    state = app.extensions.get("tuan.hot")
    if state is None:
        with _lock:
            state = app.extensions.get("tuan.hot")
            if state is None:
                state = app.extensions["tuan.hot"] = {"caches": {}, "local_generation": 0, "redis": None}
                _states.append(state)
    return state


def cache(name: str, *, maxsize: int = 100_000, ttl: float = 60.0, guarded: bool = False,
          shared: Shared | None = None) -> HotCache:
    """The app's cache called ``name`` (made on first use)."""
    caches = _state(current_app)["caches"]
    found = caches.get(name)
    if found is None:
        with _lock:
            found = caches.setdefault(name, HotCache(name, maxsize, ttl, guarded=guarded, shared=shared))
    return found


def redis_key(name: str) -> str:
    """A Redis key of this app's: one Redis may serve several databases (deployments, test runs)."""
    mark = current_app.extensions.get("tuan.hot.mark")
    if mark is None:
        uri = str(current_app.config.get("SQLALCHEMY_DATABASE_URI", ""))
        mark = current_app.extensions["tuan.hot.mark"] = hashlib.sha1(uri.encode()).hexdigest()[:10]
    return f"{PREFIX}{mark}:{name}"


def redis():
    """The app's one Redis client (its pool is thread-safe), or None without ``REDIS_URL``."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    state = _state(current_app)
    if state["redis"] is None:
        from redis import Redis

        with _lock:
            if state["redis"] is None:
                state["redis"] = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    return state["redis"]


def guarded_call(call: Callable[[Any], Any], default: Any = None) -> Any:
    """``call(client)`` on the shared Redis; ``default`` without Redis or when it does not answer."""
    client = redis()
    if client is None:
        return default
    from redis.exceptions import RedisError

    try:
        return call(client)
    except RedisError as error:
        log.warning("redis unavailable for a hot path (%s); using the database", error)
        return default


def generation() -> int | None:
    """The access generation, read once per request (or job) and at most once a ``GENERATION_SECONDS``
    per process: Redis's when there is one (None when it does not answer: then nothing cached is
    trusted), else this process's."""
    if "tuan_generation" in g:
        return g.tuan_generation
    state = _state(current_app)
    if current_app.config.get("REDIS_URL"):
        read_at, found = state.get("generation_read", (float("-inf"), None))
        if time.monotonic() - read_at >= GENERATION_SECONDS or found is None:
            value = guarded_call(lambda client: client.get(redis_key("access-generation")), default=False)
            found = None if value is False else int(value or 0)
            state["generation_read"] = (time.monotonic(), found)
    else:
        found = state["local_generation"]
    g.tuan_generation = found
    return found


def bump_generation() -> None:
    """End every cached grant, in every process."""
    state = _state(current_app)
    with _lock:
        state["local_generation"] += 1
    guarded_call(lambda client: client.incr(redis_key('access-generation')))
    state.pop("generation_read", None)
    g.pop("tuan_generation", None)
    for each in list(state["caches"].values()):
        if each.guarded:
            each.clear()


def reset() -> None:
    """Forget everything, in every app of this process and in Redis (tests: each starts with empty tables
    whose ids start again at 1)."""
    with _lock:
        for state in _states:
            state["local_generation"] += 1
            state.pop("generation_read", None)
            for each in state["caches"].values():
                each.clear()
    g.pop("tuan_generation", None)
    guarded_call(lambda client: [client.delete(key) for key in client.scan_iter(redis_key("*"), count=1000)])


@event.listens_for(Session, "after_begin")
def _began(session: Session, _transaction, _connection) -> None:
    session.info["in_database_transaction"] = True


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop("in_database_transaction", None)


def session_in_database_transaction() -> bool:
    """Whether this unit of work's session has a database transaction open — then a hot-path statement
    must run inside it: on a connection of its own it would not see the session's writes, and could wait
    forever for a row lock the session holds (a script reserving twice in one transaction)."""
    from core.extensions import db

    return bool(db.session.info.get("in_database_transaction"))


def autocommit_engine():
    """PostgreSQL connections for hot-path statements that are a unit of work by themselves (a drop's
    reserve, a launch's facts): one round trip, no transaction left open on the request's session, and a
    pool of their own (``RESERVE_POOL_SIZE``) — a request may already hold a connection of the main pool,
    and were these to wait on the same pool, a full pool of such requests would wait forever. No pre-ping
    (it would double the round trips): a connection the server dropped fails its call before anything
    runs, SQLAlchemy then discards the whole pool, and the caller gets a 503 "nothing was saved, try
    again" (``core.errors``)."""
    import sqlalchemy as sa

    from core.extensions import db

    state = _state(current_app)
    if state.get("engine") is None:
        with _lock:
            if state.get("engine") is None:
                state["engine"] = sa.create_engine(db.engine.url, isolation_level="AUTOCOMMIT",
                                                   pool_size=current_app.config.get("RESERVE_POOL_SIZE", 5),
                                                   max_overflow=0)
    return state["engine"]
