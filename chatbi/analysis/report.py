"""``RootCauseReport``: the answer to "why did this metric change?" (frozen dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import pandas as pd

from .metric_tree import TreeBreakdown
from .periods import Period

if TYPE_CHECKING:
    from .drivers import DriverTable

__all__ = ["Contributor", "Combination", "DimensionBreakdown", "RootCauseReport"]


@dataclass(frozen=True)
class Contributor:
    """A member of one dimension and its part of the change.

    ``change`` is its contribution to the total change (members of a dimension sum to the
    total exactly); ``excess`` is what it moved beyond the change common to most of the data.
    A drill-down entry (``city=成都`` under ``province=四川``) carries its ancestors in ``path``
    and its shares relative to that parent.
    """

    dimension: str
    member: str
    label: str
    baseline: float
    current: float
    change: float
    share: float
    expected: float
    excess: float
    excess_share: float
    surprise: float
    rate_effect: float | None = None
    mix_effect: float | None = None
    path: tuple[tuple[str, str], ...] = ()

    @property
    def members(self) -> dict[str, str]:
        return {**dict(self.path), self.dimension: self.member}

    @property
    def depth(self) -> int:
        return len(self.path)


@dataclass(frozen=True)
class Combination:
    """An attribute combination (``广东 x 5G x 线上``) found by the multi-dimensional search."""

    members: tuple[tuple[str, str], ...]
    label: str
    baseline: float
    current: float
    change: float
    share: float
    expected: float
    excess: float
    #: excess / the total excess of the data (how much of the anomaly this explains)
    excess_share: float
    #: how far the combination is from its expected value, relative (-0.35 = 35 % below)
    deviation: float
    #: children that explain most of a hierarchy level (成都 within 四川)
    drill: tuple[Contributor, ...] = ()
    #: the metric tree inside this combination (e.g. ARPU vs subscribers), when computed
    metric_tree: TreeBreakdown | None = None

    def as_dict(self) -> dict[str, str]:
        return dict(self.members)


@dataclass(frozen=True)
class DimensionBreakdown:
    """Every member of one dimension (``table``) and whether the dimension explains the change."""

    dimension: str
    table: pd.DataFrame
    explanatory: bool
    surprise: float


@dataclass(frozen=True)
class RootCauseReport:
    metric: str
    metric_label: str
    #: "additive", "ratio" or "non_additive" (averages, distinct counts: member changes only)
    kind: str
    period: Period
    baseline_period: Period
    baseline_value: float
    current_value: float
    total_change: float
    #: the factor most of the data moved by (calendar length, seasonality, broad trends)
    common_factor: float
    #: the part of the change that is the common movement (in metric units)
    common_change: float
    contributors: tuple[Contributor, ...]
    combinations: tuple[Combination, ...]
    dimensions: tuple[DimensionBreakdown, ...]
    metric_tree: TreeBreakdown | None
    language: str
    text: str = ""
    figure: Any = None
    filters: tuple[Any, ...] = ()
    sql: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    #: a ratio's mix effect (members' weights shifting), in metric units; 0 for additive metrics
    mix_change: float = 0.0
    #: sentences beyond the summary (the tree inside the top cause, the common movement, other views)
    details: tuple[str, ...] = ()

    @cached_property
    def drivers(self) -> DriverTable:
        """The ranked drivers the text, the table, the waterfall and the digest all show
        (:mod:`chatbi.analysis.drivers`)."""
        from .drivers import driver_table

        return driver_table(self)

    @property
    def change_pct(self) -> float:
        return self.total_change / abs(self.baseline_value) if self.baseline_value else float("nan")

    @property
    def top(self) -> dict[str, str] | None:
        """The root cause: the strongest combination, else the leading contributor."""
        if self.combinations:
            return self.combinations[0].as_dict()
        if self.contributors:
            return self.contributors[0].members
        return None

    def breakdown(self, dimension: str) -> pd.DataFrame:
        """All members of ``dimension`` with their contributions (KeyError if not analysed)."""
        for d in self.dimensions:
            if d.dimension == dimension:
                return d.table
        raise KeyError(f"{dimension!r} was not analysed; analysed: {[d.dimension for d in self.dimensions]}")

    def to_frame(self) -> pd.DataFrame:
        """Combinations then contributors, one row each, ranked."""
        rows: list[dict[str, Any]] = []
        for rank, c in enumerate(self.combinations, 1):
            rows.append({"kind": "combination", "rank": rank, "members": _key(c.members), "label": c.label,
                         "baseline": c.baseline, "current": c.current, "change": c.change, "share": c.share,
                         "expected": c.expected, "excess": c.excess, "excess_share": c.excess_share})
        for rank, m in enumerate(self.contributors, 1):
            rows.append({"kind": "contributor" if not m.path else "drill", "rank": rank,
                         "members": _key(tuple(m.members.items())), "label": m.label,
                         "baseline": m.baseline, "current": m.current, "change": m.change, "share": m.share,
                         "expected": m.expected, "excess": m.excess, "excess_share": m.excess_share})
        columns = ["kind", "rank", "members", "label", "baseline", "current", "change", "share",
                   "expected", "excess", "excess_share"]
        return pd.DataFrame(rows, columns=columns)

    def __str__(self) -> str:
        return self.text


def _key(members: tuple[tuple[str, str], ...]) -> str:
    return "&".join(f"{d}={v}" for d, v in members)
