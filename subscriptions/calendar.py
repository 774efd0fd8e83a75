"""When a subscription box's cycles fall (issue #5): the delivery (or pickup) dates of a plan, each cycle's
cut-off — after which a member's skip, pause, swap or change of pickup point is refused and the cycle's
order is made — and, per item, the date it must leave the supplier (its lead time before delivery).

Pure functions of the plan's schedule and a moment; no database. Dates are the community's local dates
(a box comes on Saturday in Shanghai); instants are timezone-aware UTC, as everywhere in Tuan.

- **weekly**: every week on the plan's weekday, from the first such day on or after the plan's start;
- **fortnightly**: every other week on that weekday, counted from that same first day (so the rhythm
  never drifts, whenever it is asked);
- **monthly**: the same ordinal weekday each month as the first delivery — the 2nd Saturday, say; a first
  delivery in a month's last days (a 5th weekday) counts as the 4th, which every month has.

A cycle's delivery moment is its date at ``delivery_hour`` local time; its cut-off is ``cutoff_hours``
before that moment."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from zoneinfo import ZoneInfo


class Cadence(enum.StrEnum):
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"


@dataclass(frozen=True)
class Schedule:
    """A plan's rhythm: ``weekday`` 0 = Monday … 6 = Sunday."""

    cadence: Cadence
    weekday: int
    starts_on: date  #: no delivery before this local date
    timezone: str = "Asia/Shanghai"
    delivery_hour: int = 9
    cutoff_hours: int = 48

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError("weekday is 0 (Monday) to 6 (Sunday)")
        if not 0 <= self.delivery_hour <= 23:
            raise ValueError("delivery_hour is 0 to 23")
        if self.cutoff_hours < 0:
            raise ValueError("cutoff_hours cannot be negative")
        ZoneInfo(self.timezone)  # an unknown zone fails here, not at the first cycle


@dataclass(frozen=True)
class Cycle:
    """One delivery of a plan: its local date (the cycle's key), delivery moment and cut-off (UTC)."""

    delivery_date: date
    delivers_at: datetime
    cutoff_at: datetime

    def open_for_changes(self, now: datetime) -> bool:
        """Whether a member may still skip, pause, swap or move this delivery."""
        return now < self.cutoff_at

    def leave_by(self, lead_time_days: int) -> date:
        """The local date an item with this lead time must leave the supplier (mangoes ripen for 4 days)."""
        return self.delivery_date - timedelta(days=lead_time_days)


def first_delivery(schedule: Schedule) -> date:
    return schedule.starts_on + timedelta(days=(schedule.weekday - schedule.starts_on.weekday()) % 7)


def _dates(schedule: Schedule) -> Iterator[date]:
    first = first_delivery(schedule)
    if schedule.cadence in (Cadence.WEEKLY, Cadence.FORTNIGHTLY):
        step = timedelta(weeks=1 if schedule.cadence == Cadence.WEEKLY else 2)
        day = first
        while True:
            yield day
            day += step
    ordinal = min((first.day - 1) // 7, 3)  # 0 = the first such weekday of the month … 3 = the fourth
    yield first
    year, month = (first.year + 1, 1) if first.month == 12 else (first.year, first.month + 1)
    while True:
        opening = date(year, month, 1)
        yield opening + timedelta(days=(schedule.weekday - opening.weekday()) % 7 + 7 * ordinal)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def cycle_on(schedule: Schedule, delivery_date: date) -> Cycle:
    zone = ZoneInfo(schedule.timezone)
    delivers_at = datetime.combine(delivery_date, time(schedule.delivery_hour), tzinfo=zone).astimezone(UTC)
    return Cycle(delivery_date, delivers_at, delivers_at - timedelta(hours=schedule.cutoff_hours))


def cycles(schedule: Schedule, *, after: datetime, count: int) -> list[Cycle]:
    """The next ``count`` cycles whose delivery moment is after ``after`` (already-cut-off ones included:
    a member sees the box coming even when it can no longer change)."""
    if after.tzinfo is None:
        raise ValueError("naive datetimes are refused: use core.clock.now()")
    upcoming = (cycle_on(schedule, day) for day in _dates(schedule))
    return list(islice((cycle for cycle in upcoming if cycle.delivers_at > after), count))


def is_delivery_date(schedule: Schedule, day: date) -> bool:
    """Whether ``day`` is one of the plan's delivery dates (a skip names one)."""
    for candidate in _dates(schedule):
        if candidate >= day:
            return candidate == day
    return False  # pragma: no cover - the dates never end
