"""Schedules: cron in a time zone, daylight-saving changes, due-rule computation."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from chatbi.alerts import Schedule
from chatbi.alerts.schedule import DEFAULT_TIMEZONE

UTC = dt.UTC


def _local(schedule: Schedule, start: dt.datetime, end: dt.datetime) -> list[str]:
    return [t.astimezone(schedule.zone).strftime("%m-%d %H:%M %Z") for t in schedule.fires(start, end)]


def test_daily_fire_keeps_wall_time_across_the_march_change_in_berlin() -> None:
    s = Schedule.parse("0 8 * * *", "Europe/Berlin")
    fires = list(s.fires(dt.datetime(2025, 3, 28, tzinfo=UTC), dt.datetime(2025, 4, 1, tzinfo=UTC)))
    assert [f.astimezone(s.zone).hour for f in fires] == [8, 8, 8, 8]
    # 08:00 CET is 07:00 UTC; after the change 08:00 CEST is 06:00 UTC
    assert [f.hour for f in fires] == [7, 7, 6, 6]


def test_skipped_and_repeated_hours_fire_exactly_once() -> None:
    s = Schedule.parse("30 2 * * *", "Europe/Berlin")
    spring = _local(s, dt.datetime(2025, 3, 29, tzinfo=UTC), dt.datetime(2025, 3, 31, 12, tzinfo=UTC))
    # 02:30 does not exist on 30 March: it fires once, shifted by the gap
    assert spring == ["03-29 02:30 CET", "03-30 03:30 CEST", "03-31 02:30 CEST"]
    autumn = list(s.fires(dt.datetime(2025, 10, 25, tzinfo=UTC), dt.datetime(2025, 10, 27, 12, tzinfo=UTC)))
    assert len(autumn) == 3  # 26 October has 02:30 twice; it fires at the first one only
    assert autumn[1] == dt.datetime(2025, 10, 26, 0, 30, tzinfo=UTC)  # 02:30 CEST, before clocks go back
    assert autumn[1].astimezone(ZoneInfo("Europe/Berlin")).strftime("%H:%M %Z") == "02:30 CEST"


def test_half_hourly_in_new_york_over_the_march_gap_is_strictly_increasing() -> None:
    s = Schedule.parse("*/30 * * * *", "America/New_York")
    fires = list(s.fires(dt.datetime(2025, 3, 9, 6, 0, tzinfo=UTC), dt.datetime(2025, 3, 9, 8, 0, tzinfo=UTC)))
    # 01:30 EST, then 03:00 EDT (02:00 and 02:30 do not exist; shifted they coincide with 03:00/03:30)
    assert [f.astimezone(s.zone).strftime("%H:%M") for f in fires] == ["01:30", "03:00", "03:30", "04:00"]
    assert fires == sorted(set(fires))


def test_asia_shanghai_is_the_default_and_has_no_dst() -> None:
    s = Schedule.parse("0 9 1 * *")
    assert s.timezone == DEFAULT_TIMEZONE == "Asia/Shanghai"
    fire = s.previous(dt.datetime(2025, 12, 1, 1, 30, tzinfo=UTC))
    assert fire == dt.datetime(2025, 12, 1, 1, 0, tzinfo=UTC)  # 09:00 +08:00
    assert s.next(fire) == dt.datetime(2026, 1, 1, 1, 0, tzinfo=UTC)
    assert s.previous(fire) == fire  # "at or before"
    # a naive instant is read as wall time in the schedule's zone
    assert s.previous(dt.datetime(2025, 12, 1, 9, 0)) == fire


def test_sparse_schedule_next_and_previous() -> None:
    s = Schedule.parse("0 9 29 2 *", "UTC")
    assert s.next(dt.datetime(2025, 1, 1, tzinfo=UTC)) == dt.datetime(2028, 2, 29, 9, tzinfo=UTC)
    assert s.previous(dt.datetime(2027, 1, 1, tzinfo=UTC)) == dt.datetime(2024, 2, 29, 9, tzinfo=UTC)


@pytest.mark.parametrize(("cron", "zone", "fragment"), [
    ("0 9 * *", "UTC", "expected 5 fields"),
    ("0 24 * * *", "UTC", "invalid cron expression"),
    ("0 9 * * *", "Mars/Olympus", "unknown time zone"),
])
def test_invalid_schedules_raise_value_error(cron: str, zone: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        Schedule.parse(cron, zone)
