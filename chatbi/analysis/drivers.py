"""The ranked drivers of a change: the one list the summary, the table, the waterfall and the
digest all read, so no sentence can contradict the table next to it.

Which measure: when the combination search found concentrated causes, each driver's number is
its *excess* -- how far it moved beyond the change common to the rest of the data ("比预期",
"vs expected") -- and the waterfall shows that common change as a bar of its own; otherwise it is
the driver's *change* (its part of the total change). Either way the table shows the measure the
chart shows, under its name.

What is listed never overlaps: the search's combinations are disjoint by construction, and
without them only the members of one dimension are listed (members of one dimension partition
the data), so shares can be read side by side and never add up to more than the data. A
drill-down (成都 inside 四川) is listed under its parent with its share *of the parent*, and
drivers moving against the change come after those moving with it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ..messages import message

if TYPE_CHECKING:
    from .report import Combination, Contributor, RootCauseReport

__all__ = ["Driver", "DriverTable", "MAX_DRIVERS", "driver_table"]

#: top-level drivers listed (the waterfall draws one bar each, the rest is "others")
MAX_DRIVERS = 5
Measure = Literal["excess", "change"]


@dataclass(frozen=True)
class Driver:
    """One row: a segment, its two periods, the measure (``impact``) and its share.

    ``share`` is the impact's part of the table's total (``DriverTable.total``) for a top-level
    row, of its parent's impact for a drill-down row (``depth`` 1); None where parts do not add
    up (averages). ``expected`` and ``deviation`` are set for the excess measure.
    """

    label: str
    members: tuple[tuple[str, str], ...]
    baseline: float
    current: float
    impact: float
    share: float | None
    expected: float | None = None
    deviation: float | None = None
    depth: int = 0
    parent: str | None = None


@dataclass(frozen=True)
class DriverTable:
    """The drivers of one report, strongest first (top-level rows, each followed by its drill-down)."""

    measure: Measure
    #: the total the shares are of: the abnormal change (excess) or the total change
    total: float
    rows: tuple[Driver, ...]
    #: the change common to most of the data (excess measure only; a waterfall bar of its own)
    common: float = 0.0
    #: the mix effect of a ratio (excess measure only)
    mix: float = 0.0
    #: whether shares are meaningful (False for averages and distinct counts)
    additive: bool = True
    #: whether the top row carries the change out of proportion to its size (a combination always
    #: does); False when the change is broad and the rows are merely its largest parts
    concentrated: bool = True

    @property
    def top_level(self) -> tuple[Driver, ...]:
        return tuple(r for r in self.rows if r.depth == 0)

    @property
    def top(self) -> Driver | None:
        return self.top_level[0] if self.top_level else None

    def with_change(self, row: Driver) -> bool:
        """True when ``row`` moves the same way as the table's total."""
        return (row.impact >= 0) == (self.total >= 0) or not self.total

    def children(self, row: Driver) -> tuple[Driver, ...]:
        return tuple(r for r in self.rows if r.depth > 0 and r.parent == row.label)

    @property
    def other(self) -> float:
        """What the top-level rows leave of the total (the waterfall's "others" bar)."""
        return self.total - sum(r.impact for r in self.top_level)

    def waterfall_items(self, language: str) -> list[tuple[str, float]]:
        """Steps from the baseline to the current value (they sum to the total change exactly)."""
        items: list[tuple[str, float]] = []
        if self.measure == "excess":
            if self.mix:
                items.append((message("analysis.mix", language), self.mix))
            items.append((message("analysis.common", language), self.common))
        items += [(r.label, r.impact) for r in self.top_level]
        return items


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _from_combination(c: Combination) -> Driver:
    return Driver(c.label, c.members, c.baseline, c.current, c.excess, _finite(c.excess_share), c.expected,
                  _finite(c.deviation))


def _from_contributor(c: Contributor, measure: Measure, *, depth: int = 0, parent: str | None = None) -> Driver:
    if measure == "excess":
        share = c.excess_share
        deviation = c.current / c.expected - 1.0 if c.expected else None
        return Driver(c.label, tuple(c.members.items()), c.baseline, c.current, c.excess, _finite(share),
                      c.expected, _finite(deviation), depth, parent)
    return Driver(c.label, tuple(c.members.items()), c.baseline, c.current, c.change, _finite(c.share),
                  depth=depth, parent=parent)


def _ordered(rows: Sequence[Driver], total: float) -> list[Driver]:
    """Those moving with the total first (largest first), then those moving against it."""
    def key(r: Driver) -> tuple[int, float]:
        against = total and (r.impact >= 0) != (total >= 0)
        return (1 if against else 0, -abs(r.impact))
    return sorted(rows, key=key)


def driver_table(report: RootCauseReport) -> DriverTable:
    """The drivers of ``report`` (see the module docstring for the rules)."""
    if report.kind == "non_additive":
        # averages: each member's own change, listed once; shares mean nothing here
        unique: dict[tuple[tuple[str, str], ...], Driver] = {}
        for c in report.contributors:
            if not c.path:
                unique.setdefault(tuple(c.members.items()), Driver(c.label, tuple(c.members.items()), c.baseline,
                                                                    c.current, c.change, None))
        return DriverTable("change", report.total_change, tuple(list(unique.values())[:MAX_DRIVERS]), additive=False)
    if report.combinations:
        common, mix = report.common_change, report.mix_change
        total = report.total_change - common - mix
        tops = _ordered([_from_combination(c) for c in report.combinations], total)[:MAX_DRIVERS]
        by_label = {c.label: c for c in report.combinations}
        listed: list[Driver] = []
        for top in tops:
            listed.append(top)
            listed += [_from_contributor(d, "excess", depth=1, parent=top.label)
                       for d in by_label[top.label].drill[:1]]
        return DriverTable("excess", total, tuple(listed), common=common, mix=mix)
    # no concentrated combination: the members of the leading dimension, which partition the data
    firsts = [c for c in report.contributors if not c.path]
    if not firsts:
        return DriverTable("change", report.total_change, ())
    dimension = firsts[0].dimension
    members = _ordered([_from_contributor(c, "change") for c in firsts if c.dimension == dimension],
                       report.total_change)
    seen_labels: set[str] = set()
    rows: list[Driver] = []
    for top in members[:MAX_DRIVERS]:
        if top.label in seen_labels:
            continue
        seen_labels.add(top.label)
        rows.append(top)
        key = top.members[-1]
        rows += [_from_contributor(c, "change", depth=1, parent=top.label) for c in report.contributors
                 if c.path and c.path[0] == key and len(c.path) == 1][:1]
    return DriverTable("change", report.total_change, tuple(rows), concentrated=_concentrated(report, rows))


#: a member "carries" the change when it holds at least this share of it ...
CARRIES = 0.5
#: ... and this much more than its share of the baseline (a big member's big part is no news)
OUT_OF_PROPORTION = 0.3


def _concentrated(report: RootCauseReport, rows: Sequence[Driver]) -> bool:
    top = next((r for r in rows if r.depth == 0), None)
    if top is None or top.share is None or top.share < CARRIES:
        return False
    if report.kind != "additive" or not report.baseline_value:
        return True  # a ratio member's part of the rate change is its own rate effect already
    size = top.baseline / report.baseline_value
    return top.share - size >= OUT_OF_PROPORTION
