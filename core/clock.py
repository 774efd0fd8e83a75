"""The one source of time. Tests freeze or move it; nothing else calls ``datetime.now``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_frozen: datetime | None = None


def now() -> datetime:
    """The current time, timezone-aware UTC."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def freeze(at: datetime | None = None) -> datetime:
    """Stop the clock at ``at`` (default: the present moment)."""
    global _frozen
    moment = at or datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("the clock only holds timezone-aware times")
    _frozen = moment.astimezone(UTC)
    return _frozen


def advance(delta: timedelta) -> datetime:
    """Move a frozen clock forward (freezing it at the present moment first if it runs)."""
    return freeze(now() + delta)


def unfreeze() -> None:
    global _frozen
    _frozen = None


@contextmanager
def frozen(at: datetime | None = None) -> Iterator[datetime]:
    previous = _frozen
    try:
        yield freeze(at)
    finally:
        globals()["_frozen"] = previous


def as_utc(value: datetime | None) -> datetime | None:
    """Times read back from SQLite lose their zone; the database only ever holds UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
