"""The member-value index: distinct values of low-cardinality dimensions, with their synonyms.

Used by the translator, validation ("did you mean") and the app's suggestions. Built once per
data version (``chatbi.warehouse.metadata``) and shared by every per-user view, which filters
it to the user's rows. What it reads is bounded, whatever the warehouse's size:

- dimensions that live in a **dimension table** (``dim_region.province``) are read whole from
  that table: it is small, and every member is there;
- dimensions that live on a **fact table** (``fact_daily.channel``) are read from a bounded
  scan: the rows of the last ``window_days`` days of data, at most ``scan_rows`` of them.
  Members in recent use are found; with the members the model declares, that is the list.
  Such dimensions are marked ``sampled``. ``complete=True`` (``build_member_index(...,
  exact=True)``) reads whole columns instead, for a background refresh where that is
  affordable.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from semantic_layer import SemanticModel
from semantic_layer.compiler.metadata import member_values_sql, recent_member_values_sql

from .errors import EngineError
from .warehouse import Engine

__all__ = ["Member", "MemberIndex", "build_member_index", "MAX_MEMBERS", "SCAN_ROWS", "WINDOW_DAYS"]

#: dimensions with more distinct values are not indexed (free text, ids)
MAX_MEMBERS = 2000
#: at most this many fact rows are read per fact-table dimension
SCAN_ROWS = 1_000_000
#: ... from this many days before the fact table's newest date
WINDOW_DAYS = 92


@dataclass(frozen=True)
class Member:
    dimension: str
    value: str
    #: other names: the label column's value (English name) and the model's synonyms
    aliases: tuple[str, ...] = ()
    #: the label column's value (the member's English name), when the dimension has one
    label: str | None = None


@dataclass(frozen=True)
class MemberIndex:
    members: dict[str, tuple[Member, ...]]
    #: False when some dimension table could not be read (the index is worth rebuilding)
    complete: bool = True
    #: dimensions whose members come from a bounded scan of recent fact rows (plus declared ones)
    sampled: frozenset[str] = field(default_factory=frozenset)

    def values(self, dimension: str) -> frozenset[str]:
        return frozenset(m.value for m in self.members.get(dimension, ()))

    def as_sets(self) -> dict[str, frozenset[str]]:
        return {d: self.values(d) for d in self.members}

    def label(self, dimension: str, value: str, lang: str) -> str:
        """The member's name in ``lang``.

        English: the label column's value when there is one; a value already in Latin letters
        as it is ("5G", "n78" — its synonyms such as "5G套餐" are ways to type it, not names);
        else the first Latin-letter synonym ("线上" -> "online").
        """
        if lang == "zh":
            return value
        for m in self.members.get(dimension, ()):
            if m.value == value:
                if m.label:
                    return m.label
                if value.isascii():
                    return value
                return next((a for a in m.aliases if a.isascii()), value)
        return value


def build_member_index(model: SemanticModel, engine: Engine, *, latest: dict[str, dt.date] | None = None,
                       exact: bool = False, scan_rows: int = SCAN_ROWS, window_days: int = WINDOW_DAYS
                       ) -> MemberIndex:
    """Read the members of every indexed categorical dimension (see the module docstring).

    ``latest`` is the newest date of each fact table (the bounded scans start ``window_days``
    before it; without it they read the first ``scan_rows`` rows). ``exact=True`` reads fact
    columns whole.
    """
    out: dict[str, tuple[Member, ...]] = {}
    sampled: set[str] = set()
    complete = True
    facts = set(model.fact_tables)
    for name, dim in model.dimensions.items():
        if not dim.index_members or dim.type != "categorical" or dim.table is None:
            continue
        bounded = dim.table in facts and not exact
        if bounded:
            newest = (latest or {}).get(dim.table)
            since = newest - dt.timedelta(days=window_days) if newest is not None else None
            sql = recent_member_values_sql(model, name, engine.dialect, MAX_MEMBERS + 1, since=since,
                                           scan_rows=scan_rows)
        else:
            sql = member_values_sql(model, name, engine.dialect, MAX_MEMBERS + 1)
        if sql is None:
            continue
        try:
            frame = engine.execute(sql)
        except EngineError:
            complete = False  # an unreadable table must not stop ChatBI from starting; queries will report it
            continue
        if len(frame) > MAX_MEMBERS:
            continue
        found: dict[str, str | None] = {}
        for row in frame.itertuples(index=False):
            label = str(row[1]) if dim.label_column and row[1] is not None else None
            found[str(row[0])] = label
        if bounded:
            sampled.add(name)
            for value in dim.members:  # declared in the model: members even when not in recent rows
                found.setdefault(str(value), None)
        members = []
        for value, label in found.items():
            aliases = ([label] if label else []) + list(dim.members.get(value, ()))
            members.append(Member(name, value, tuple(dict.fromkeys(aliases)), label))
        out[name] = tuple(members)
    return MemberIndex(out, complete, frozenset(sampled))
