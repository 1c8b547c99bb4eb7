"""What ChatBI reads about the data itself, once per data version: the newest date, the members.

One :class:`WarehouseMetadata` belongs to a ``ChatBI`` facade (and is shared by its per-user
views). Both values are cached under the token of the data-version probe
(``chatbi.warehouse.version``): a question costs a clock read while the data is unchanged, and
the first question after new data arrives rebuilds them (members from bounded scans, so at
100 M rows that is milliseconds, not seconds).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

from semantic_layer import SemanticModel
from semantic_layer.compiler.metadata import date_range_sql, latest_date_sql

from ..errors import EngineError
from .base import Engine
from .version import DataVersionProbe

__all__ = ["WarehouseMetadata", "MEMBER_RETRY_S"]

#: an index built while some table could not be read is rebuilt at most this often
MEMBER_RETRY_S = 60.0


class WarehouseMetadata:
    """The newest dates and the member index of a model's warehouse, per data version (thread-safe)."""

    def __init__(self, model: SemanticModel, engine: Engine, *, ttl_s: float | None = None) -> None:
        self.model = model
        self.engine = engine
        self.probe = DataVersionProbe(engine, tuple(model.tables), ttl_s=ttl_s)
        self._lock = threading.RLock()
        self._latest: tuple[str, dict[str, dt.date]] | None = None
        self._extent: tuple[str, tuple[dt.date, dt.date] | None] | None = None
        self._members: tuple[str, Any, float] | None = None
        self._pinned: dt.date | None = None

    def pin_anchor(self, day: dt.date | None) -> None:
        """Use ``day`` as the newest date instead of reading it (``chatbi query --anchor``); None unpins."""
        self._pinned = day

    def version(self, *, refresh: bool = False) -> str:
        """The data-version token (``DataVersionProbe.version``)."""
        return self.probe.version(refresh=refresh)

    def latest_dates(self) -> dict[str, dt.date]:
        """The newest date of each fact table that has dates (``MAX(time_column)``), per data version.

        A fact table that cannot be read is left out; when none can be read the error is raised
        (and nothing is cached, so the next call tries again).
        """
        version = self.version()
        cached = self._latest
        if cached is not None and cached[0] == version:
            return cached[1]
        with self._lock:
            cached = self._latest
            if cached is not None and cached[0] == version:
                return cached[1]
            latest: dict[str, dt.date] = {}
            failure: EngineError | None = None
            tried = 0
            for fact in self.model.fact_tables:
                sql = latest_date_sql(self.model, fact, self.engine.dialect)
                if sql is None:
                    continue
                tried += 1
                try:
                    value = self.engine.execute(sql).iloc[0, 0]
                except EngineError as exc:
                    failure = exc  # one unreadable fact table must not stop questions about the others
                    continue
                if value is not None and value == value:  # not NULL / NaT
                    latest[fact] = _to_date(value)
            if failure is not None and not latest:
                raise failure
            if failure is None:
                self._latest = (version, latest)
            return latest

    def latest_date(self) -> dt.date | None:
        """The newest date over all fact tables, or None when no table has dates (or the pinned one)."""
        if self._pinned is not None:
            return self._pinned
        dates = self.latest_dates()
        return max(dates.values()) if dates else None

    def extent(self) -> tuple[dt.date, dt.date] | None:
        """First and last date over the fact tables (what an answer over "all data" covers), per data
        version; None without dates. An unreadable fact table is left out (and nothing is cached)."""
        version = self.version()
        cached = self._extent
        if cached is not None and cached[0] == version:
            return cached[1]
        found: list[tuple[dt.date, dt.date]] = []
        failed = False
        for fact in self.model.fact_tables:
            sql = date_range_sql(self.model, fact, self.engine.dialect)
            if sql is None:
                continue
            try:
                first, last = self.engine.execute(sql).iloc[0, :2]
            except EngineError:
                failed = True  # the others still say what "all data" is
                continue
            if first is not None and first == first and last is not None and last == last:  # not NULL / NaT
                found.append((_to_date(first), _to_date(last)))
        extent = (min(a for a, _ in found), max(b for _, b in found)) if found else None
        if not failed:
            self._extent = (version, extent)
        return extent

    def members(self) -> Any:
        """The member index (``chatbi.members.MemberIndex``) of the current data version.

        An index built while some table could not be read is rebuilt at most once a minute, so a
        warehouse that was down at start-up recovers.
        """
        from ..members import build_member_index

        version = self.version()
        cached = self._members
        if cached is not None and cached[0] == version and (cached[1].complete or time.monotonic() < cached[2]):
            return cached[1]
        with self._lock:
            cached = self._members
            now = time.monotonic()
            if cached is not None and cached[0] == version and (cached[1].complete or now < cached[2]):
                return cached[1]
            try:
                latest = self.latest_dates()
            except EngineError:
                latest = {}
            index = build_member_index(self.model, self.engine, latest=latest)
            self._members = (version, index, now + MEMBER_RETRY_S)
            return index


    def complete_members(self) -> Any:
        """Rebuild the index reading fact-table dimensions whole (no bounded scans) and keep it for
        the current data version: for a background refresher where scanning the facts is
        affordable (the next data version goes back to bounded scans)."""
        from ..members import build_member_index

        version = self.version()
        try:
            latest = self.latest_dates()
        except EngineError:
            latest = {}
        index = build_member_index(self.model, self.engine, latest=latest, exact=True)
        with self._lock:
            self._members = (version, index, time.monotonic() + MEMBER_RETRY_S)
        return index


def _to_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "date"):
        return value.date()
    return dt.date.fromisoformat(str(value)[:10])
