"""Subscription cycles (issue #5): delivery dates per cadence, cut-offs in the community's time zone, and
lead times — pure functions, checked on examples and as properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subscriptions.calendar import Cadence, Schedule, cycle_on, cycles, first_delivery, is_delivery_date

NOW = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)  # Sunday 22 November 2026, 12:00 in Shanghai


def _dates(schedule: Schedule, count: int = 5, after: datetime = NOW) -> list[date]:
    return [cycle.delivery_date for cycle in cycles(schedule, after=after, count=count)]


def test_a_weekly_box_comes_every_saturday_from_the_first_saturday_on_or_after_the_start():
    schedule = Schedule(Cadence.WEEKLY, weekday=5, starts_on=date(2026, 11, 25))  # a Wednesday
    assert first_delivery(schedule) == date(2026, 11, 28)
    assert _dates(schedule, 3) == [date(2026, 11, 28), date(2026, 12, 5), date(2026, 12, 12)]


def test_a_fortnightly_box_keeps_its_rhythm_from_the_first_delivery_whenever_it_is_asked():
    schedule = Schedule(Cadence.FORTNIGHTLY, weekday=5, starts_on=date(2026, 10, 1))  # first: Sat 3 Oct
    assert _dates(schedule, 3) == [date(2026, 11, 28), date(2026, 12, 12), date(2026, 12, 26)]
    later = datetime(2026, 12, 13, tzinfo=UTC)
    assert _dates(schedule, 1, after=later) == [date(2026, 12, 26)]


def test_a_monthly_box_comes_on_the_same_ordinal_weekday_and_a_fifth_counts_as_the_fourth():
    second_saturday = Schedule(Cadence.MONTHLY, weekday=5, starts_on=date(2026, 11, 14))
    assert _dates(second_saturday, 3) == [date(2026, 12, 12), date(2027, 1, 9), date(2027, 2, 13)]
    fifth_sunday = Schedule(Cadence.MONTHLY, weekday=6, starts_on=date(2026, 11, 29))  # the 5th Sunday
    assert _dates(fifth_sunday, 3) == [date(2026, 11, 29), date(2026, 12, 27), date(2027, 1, 24)]


def test_the_cut_off_is_hours_before_the_local_delivery_moment_in_utc():
    schedule = Schedule(Cadence.WEEKLY, weekday=5, starts_on=date(2026, 11, 1), delivery_hour=9,
                        cutoff_hours=48, timezone="Asia/Shanghai")
    cycle = cycle_on(schedule, date(2026, 11, 28))
    assert cycle.delivers_at == datetime(2026, 11, 28, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    assert cycle.cutoff_at == datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
    assert cycle.open_for_changes(cycle.cutoff_at - timedelta(seconds=1))
    assert not cycle.open_for_changes(cycle.cutoff_at)


def test_a_box_past_its_cut_off_is_still_listed_until_it_is_delivered():
    schedule = Schedule(Cadence.WEEKLY, weekday=0, starts_on=date(2026, 11, 1), cutoff_hours=72)
    upcoming = cycles(schedule, after=NOW, count=2)
    assert upcoming[0].delivery_date == date(2026, 11, 23) and not upcoming[0].open_for_changes(NOW)
    assert upcoming[1].open_for_changes(NOW)


def test_an_item_with_a_lead_time_leaves_the_supplier_that_many_days_before_delivery():
    cycle = cycle_on(Schedule(Cadence.WEEKLY, weekday=5, starts_on=date(2026, 11, 1)), date(2026, 11, 28))
    assert cycle.leave_by(4) == date(2026, 11, 24) and cycle.leave_by(0) == date(2026, 11, 28)


def test_a_skip_must_name_a_delivery_date():
    schedule = Schedule(Cadence.FORTNIGHTLY, weekday=5, starts_on=date(2026, 11, 28))
    assert is_delivery_date(schedule, date(2026, 12, 12))
    assert not is_delivery_date(schedule, date(2026, 12, 5)) and not is_delivery_date(schedule, date(2026, 11, 21))


@pytest.mark.parametrize("bad", [{"weekday": 7}, {"delivery_hour": 24}, {"cutoff_hours": -1},
                                 {"timezone": "Mars/Olympus"}])
def test_a_schedule_refuses_impossible_settings(bad):
    with pytest.raises(Exception):  # noqa: B017 - ValueError, or ZoneInfoNotFoundError for the zone
        Schedule(**{"cadence": Cadence.WEEKLY, "weekday": 5, "starts_on": date(2026, 11, 1), **bad})


def test_naive_moments_are_refused():
    with pytest.raises(ValueError):
        cycles(Schedule(Cadence.WEEKLY, weekday=5, starts_on=date(2026, 11, 1)), after=datetime(2026, 11, 1),
               count=1)


@given(cadence=st.sampled_from(list(Cadence)), weekday=st.integers(0, 6),
       start=st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)),
       zone=st.sampled_from(["Asia/Shanghai", "Europe/London", "America/New_York", "UTC"]),
       days_after=st.integers(-60, 400))
def test_cycles_are_on_the_weekday_in_order_after_the_start_and_spaced_by_the_cadence(cadence, weekday, start, zone,
                                                                                    days_after):
    schedule = Schedule(cadence, weekday=weekday, starts_on=start, timezone=zone)
    after = datetime.combine(start, datetime.min.time(), tzinfo=UTC) + timedelta(days=days_after)
    found = cycles(schedule, after=after, count=6)
    days = [cycle.delivery_date for cycle in found]
    assert len(days) == 6 and all(day.weekday() == weekday and day >= start for day in days)
    assert all(cycle.delivers_at > after and cycle.cutoff_at < cycle.delivers_at for cycle in found)
    gaps = {(b - a).days for a, b in zip(days, days[1:], strict=False)}
    expected = {Cadence.WEEKLY: {7}, Cadence.FORTNIGHTLY: {14}, Cadence.MONTHLY: {28, 35}}[cadence]
    assert gaps <= expected
    assert all(is_delivery_date(schedule, day) for day in days)
