"""When rules fire: cron expressions read in a time zone, daylight-saving time handled.

A cron expression describes *wall-clock* times in the rule's zone ("09:00 in Shanghai"), so the
fire times are computed on naive local times (croniter) and only then placed on the time line
with :mod:`zoneinfo`. Two rules make daylight-saving changes predictable, as in Vixie cron:

* a wall time that does not exist (the skipped hour in spring, e.g. 02:30 on 2025-03-30 in
  Berlin) fires once, shifted forward by the gap (03:30 local, the same instant UTC+1 would give);
* a wall time that happens twice (the repeated hour in autumn) fires once, at its first
  occurrence.

Every instant returned is timezone-aware UTC; callers compare instants, never wall times.

>>> s = Schedule.parse("0 9 * * *", "Asia/Shanghai")
>>> s.previous(dt.datetime(2025, 12, 1, 1, 30, tzinfo=dt.timezone.utc)).isoformat()
'2025-12-01T01:00:00+00:00'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from croniter import CroniterBadCronError, CroniterBadDateError, CroniterNotAlphaError, croniter

from semantic_layer.errors import suggest

__all__ = ["Schedule", "DEFAULT_TIMEZONE", "CHECK_FIRES", "check_cron", "check_timezone", "to_utc", "UTC"]

DEFAULT_TIMEZONE = "Asia/Shanghai"
UTC = dt.UTC
#: how far back :meth:`Schedule.previous` looks; a yearly rule (Feb 29) needs more than a year
_LOOKBACK = dt.timedelta(days=4 * 366 + 1)
#: a schedule is accepted only if this many fire times can be found (``alerts check`` shows them)
CHECK_FIRES = 3
#: how far ahead a fire is looked for; a cron with no fire in this many years never fires
_HORIZON_YEARS = 30
_CRON_ERRORS = (CroniterBadCronError, CroniterBadDateError, CroniterNotAlphaError, ValueError, KeyError)


def check_cron(expression: str, *, after: dt.datetime | None = None) -> str | None:
    """The reason ``expression`` is not a usable 5-field cron expression, or None.

    Usable means valid *and* firing: the next :data:`CHECK_FIRES` fire times after ``after``
    (default now) are computed, so a date that never comes (31 February) is refused here rather
    than when a run needs it.

    >>> check_cron("0 9 * * 1-5") is None
    True
    >>> check_cron("0 25 * * *")  # doctest: +ELLIPSIS
    "invalid cron expression '0 25 * * *': ..."
    >>> check_cron("0 9 31 2 *")
    "cron '0 9 31 2 *' never fires: no date matches its day-of-month (31) and month (2) fields"
    """
    fields = expression.split()
    if len(fields) != 5:
        return (f"invalid cron expression {expression!r}: expected 5 fields "
                f"(minute hour day-of-month month day-of-week), got {len(fields)}")
    start = (after or dt.datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    try:
        it = croniter(expression, start, max_years_between_matches=_HORIZON_YEARS)
    except _CRON_ERRORS as exc:
        return f"invalid cron expression {expression!r}: {exc}"
    try:
        for _ in range(CHECK_FIRES):
            it.get_next(dt.datetime)
    except _CRON_ERRORS:
        return (f"cron {expression!r} never fires: no date matches its day-of-month ({fields[2]}) "
                f"and month ({fields[3]}) fields")
    return None


def check_timezone(name: str) -> tuple[str, tuple[str, ...]] | None:
    """``(reason, candidates)`` when ``name`` is not an IANA time zone, else None."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {name!r} (use an IANA name such as 'Asia/Shanghai')", \
            suggest(name, available_timezones(), n=3, cutoff=0.5)
    return None


def to_utc(value: dt.datetime, zone: str = DEFAULT_TIMEZONE) -> dt.datetime:
    """An aware UTC instant; a naive ``value`` is read as wall time in ``zone``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(zone))
    return value.astimezone(UTC)


@dataclass(frozen=True)
class Schedule:
    """A cron expression in an IANA time zone."""

    cron: str
    timezone: str = DEFAULT_TIMEZONE

    @classmethod
    def parse(cls, cron: str, timezone: str = DEFAULT_TIMEZONE) -> Schedule:
        """Build a schedule, raising ``ValueError`` with a readable reason when invalid."""
        reason = check_cron(cron)
        if reason:
            raise ValueError(reason)
        bad_zone = check_timezone(timezone)
        if bad_zone:
            raise ValueError(bad_zone[0])
        return cls(" ".join(cron.split()), timezone)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def _place(self, wall: dt.datetime) -> dt.datetime:
        """A naive wall time on the time line: fold=0 picks the first of a repeated hour, and a
        skipped wall time round-trips to the instant after the gap."""
        return wall.replace(tzinfo=self.zone, fold=0).astimezone(UTC)

    def fires(self, start: dt.datetime, end: dt.datetime) -> Iterator[dt.datetime]:
        """Fire instants ``t`` with ``start < t <= end`` (UTC, ascending, no duplicates).

        A cron with no date in the window yields nothing (croniter's "no next date" ends the search).
        """
        start, end = to_utc(start, self.timezone), to_utc(end, self.timezone)
        if end <= start:
            return
        zone = self.zone
        # Begin a day early in wall time so a gap-shifted fire just after ``start`` is not missed;
        # shifted fires can land after later wall times, hence collect, de-duplicate, then sort.
        wall = start.astimezone(zone).replace(tzinfo=None) - dt.timedelta(days=1)
        stop = end.astimezone(zone).replace(tzinfo=None) + dt.timedelta(hours=3)
        years = max(1, (stop.year - wall.year) + 1)
        it = croniter(self.cron, wall, max_years_between_matches=min(years, _HORIZON_YEARS))
        found: set[dt.datetime] = set()
        try:
            while (nxt := it.get_next(dt.datetime)) <= stop:
                instant = self._place(nxt)
                if start < instant <= end:
                    found.add(instant)
        except CroniterBadDateError:
            pass  # no (further) date in the window
        yield from sorted(found)

    def next(self, after: dt.datetime) -> dt.datetime:
        """The first fire instant strictly after ``after``; ``ValueError`` if there is none in 30 years."""
        after = to_utc(after, self.timezone)
        horizon = after + dt.timedelta(days=1)
        limit = after + dt.timedelta(days=366 * _HORIZON_YEARS)
        while horizon <= limit + _LOOKBACK:
            for instant in self.fires(after, horizon):
                return instant
            horizon += _LOOKBACK  # sparse schedules (yearly) need a wider window
        raise ValueError(f"cron {self.cron!r} never fires")

    def upcoming(self, after: dt.datetime, count: int = CHECK_FIRES) -> list[dt.datetime]:
        """The next ``count`` fire instants after ``after`` (what ``alerts check`` shows)."""
        out: list[dt.datetime] = []
        at = after
        for _ in range(count):
            at = self.next(at)
            out.append(at)
        return out

    def previous(self, at: dt.datetime) -> dt.datetime | None:
        """The last fire instant at or before ``at`` (None if there is none within four years)."""
        at = to_utc(at, self.timezone)
        for window in (dt.timedelta(days=2), dt.timedelta(days=40), _LOOKBACK):
            found = None
            for instant in self.fires(at - window, at):
                found = instant
            if found is not None:
                return found
        return None

    def local(self, instant: dt.datetime) -> dt.datetime:
        """``instant`` as wall time in the schedule's zone (aware)."""
        return to_utc(instant, self.timezone).astimezone(self.zone)
