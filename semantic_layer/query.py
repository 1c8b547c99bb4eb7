"""``SemanticQuery``: the structured question every translator produces.

Its JSON schema is the LLM's tool schema, so field descriptions are written for a model
as much as for people.

Every filter answers ``dimension`` and ``metric`` (None when it has no such target), so code
reading filters needs neither ``getattr`` nor a type switch to find what a filter restricts:

>>> [(f.dimension, f.metric) for f in (MemberFilter(op="in", dimension="province", values=("广东",)),
...                                    ComparisonFilter(op=">", metric="revenue", value=1),
...                                    RelativeTimeFilter(op="relative", unit="month"))]
[('province', None), (None, 'revenue'), (None, None)]
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "MemberFilter",
    "ComparisonFilter",
    "RangeFilter",
    "RelativeTimeFilter",
    "Filter",
    "TimeRange",
    "SemanticQuery",
    "COMPARE_MODES",
]

COMPARE_MODES = ("previous_period", "year_over_year", "baseline")
_COMPARE_ALIASES = {"pop": "previous_period", "mom": "previous_period", "previous": "previous_period",
                    "yoy": "year_over_year", "same_period_last_year": "year_over_year"}
Scalar = str | int | float


class _Q(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MemberFilter(_Q):
    """Keep (``in``) or drop (``not_in``) rows whose dimension value is one of ``values``."""

    op: Literal["in", "not_in"] = Field(description="'in' keeps, 'not_in' excludes the listed members")
    dimension: str = Field(description="dimension name, e.g. 'province'")
    values: tuple[Scalar, ...] = Field(min_length=1, description="member values exactly as stored")

    @property
    def metric(self) -> None:
        """Member filters restrict rows by a dimension, never a metric."""
        return None


class ComparisonFilter(_Q):
    """A threshold on a metric (applied after aggregation) or on a dimension value."""

    op: Literal["=", "!=", ">", ">=", "<", "<="]
    metric: str | None = Field(default=None, description="metric name (threshold after aggregation)")
    dimension: str | None = Field(default=None, description="dimension name (row filter)")
    value: Scalar

    @model_validator(mode="after")
    def _one_target(self) -> ComparisonFilter:
        if (self.metric is None) == (self.dimension is None):
            raise ValueError("give exactly one of 'metric' or 'dimension'")
        return self


class RangeFilter(_Q):
    """Inclusive range ``low <= x <= high`` on a dimension (dates as ISO text) or a metric."""

    op: Literal["between"]
    metric: str | None = None
    dimension: str | None = None
    low: Scalar
    high: Scalar

    @model_validator(mode="after")
    def _one_target(self) -> RangeFilter:
        if (self.metric is None) == (self.dimension is None):
            raise ValueError("give exactly one of 'metric' or 'dimension'")
        return self


class RelativeTimeFilter(_Q):
    """A period relative to the model's time anchor.

    ``n`` units ending ``offset`` units before the anchor's own unit: this month is
    ``(month, n=1, offset=0)``, last month ``(month, 1, 1)``, the last 7 days ``(day, 7, 0)``.
    A period that contains the anchor stops at the anchor, so ``(year, 1, 0)`` is year to date.
    """

    op: Literal["relative"]
    unit: Literal["day", "week", "month", "quarter", "year"]
    n: int = Field(default=1, ge=1, le=1000)
    offset: int = Field(default=0, ge=0, le=1000)

    @property
    def dimension(self) -> None:
        """The period applies to the model's time dimension, whatever it is called."""
        return None

    @property
    def metric(self) -> None:
        return None


Filter = Annotated[MemberFilter | ComparisonFilter | RangeFilter | RelativeTimeFilter,
                   Field(discriminator="op")]


class TimeRange(_Q):
    """Inclusive dates."""

    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        if self.start > self.end:
            raise ValueError(f"time range starts ({self.start}) after it ends ({self.end})")
        return self


class SemanticQuery(_Q):
    """A question in the semantic model's vocabulary. Names are metric/dimension names."""

    metrics: tuple[str, ...] = Field(default=(), description="metric names; empty lists dimension members")
    dimensions: tuple[str, ...] = Field(
        default=(), description="group-by dimensions; a time dimension takes a grain: 'date.month'")
    filters: tuple[Filter, ...] = ()
    time_range: TimeRange | None = Field(default=None, description="inclusive ISO dates on the time dimension")
    compare: Literal["previous_period", "year_over_year", "baseline"] | None = Field(
        default=None, description="add a comparison period's value, absolute and % change: the period just "
                                  "before, the same period a year earlier, or the stated 'baseline' period")
    baseline: TimeRange | RelativeTimeFilter | None = Field(
        default=None, description="the period to compare against (compare='baseline'), e.g. October when "
                                  "November is compared with October: inclusive ISO dates or a relative period")
    share: bool = Field(default=False, description="add each row's share of the total of each metric")
    order_by: tuple[str, ...] = Field(default=(), description="metric or dimension names; leading '-' = descending")
    limit: int | None = Field(default=None, ge=1, le=1_000_000)

    @field_validator("time_range", mode="before")
    @classmethod
    def _range_from_pair(cls, value: object) -> object:
        if isinstance(value, (list, tuple)) and len(value) == 2:
            return {"start": value[0], "end": value[1]}
        return value

    @field_validator("compare", mode="before")
    @classmethod
    def _compare_alias(cls, value: object) -> object:
        return _COMPARE_ALIASES.get(value, value) if isinstance(value, str) else value

    @field_validator("metrics", "dimensions", "order_by", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return (value,) if isinstance(value, str) else value

    @field_validator("baseline", mode="before")
    @classmethod
    def _baseline_from_pair(cls, value: object) -> object:
        if isinstance(value, (list, tuple)) and len(value) == 2:
            return {"start": value[0], "end": value[1]}
        return value

    @model_validator(mode="before")
    @classmethod
    def _baseline_implies_compare(cls, data: object) -> object:
        # a stated baseline period is a comparison with it ({"baseline": [...]} alone is enough)
        if isinstance(data, dict) and data.get("baseline") is not None and data.get("compare") is None:
            return {**data, "compare": "baseline"}
        return data

    @model_validator(mode="after")
    def _not_empty(self) -> SemanticQuery:
        if not self.metrics and not self.dimensions:
            raise ValueError("a query needs at least one metric or one dimension")
        if (self.compare == "baseline") != (self.baseline is not None):
            raise ValueError("compare='baseline' and a 'baseline' period go together"
                             if self.baseline is None else
                             f"a 'baseline' period compares with it: compare must be 'baseline', not {self.compare!r}")
        return self

    def with_(self, **changes: object) -> SemanticQuery:
        """A copy with fields replaced, re-validated (follow-ups build on this)."""
        data = self.model_dump()
        data.update(changes)
        return SemanticQuery.model_validate(data)
