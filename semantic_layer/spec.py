"""Pydantic specs of a semantic model: the shape YAML files must have.

These classes are the edge where YAML comes in; they check shape and field names
(``extra="forbid"`` so a typo is an error, not a silently ignored key). Cross
references (a metric naming an unknown table, ...) are checked in ``checks.py``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "GRAINS",
    "DEFAULT_PERIODS",
    "Grain",
    "Labels",
    "TableSpec",
    "JoinSpec",
    "DimensionSpec",
    "HierarchySpec",
    "METRIC_ROLES",
    "MetricFilterSpec",
    "FILTER_OPS",
    "SimpleMetricSpec",
    "SemiAdditiveMetricSpec",
    "RatioMetricSpec",
    "DerivedMetricSpec",
    "MetricSpec",
    "MetricTreeSpec",
    "ModelSpec",
]

Grain = Literal["day", "week", "month", "quarter", "year"]
#: Grains from finest to coarsest; the order is the time hierarchy year > quarter > month > week > day.
GRAINS: tuple[str, ...] = ("day", "week", "month", "quarter", "year")

#: ``{"en": "Revenue", "zh": "收入"}``; a plain string in YAML means English.
Labels = dict[str, str]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _labels(value: object) -> object:
    return {"en": value} if isinstance(value, str) else value


class _Described(_Spec):
    label: Labels = Field(default_factory=dict)
    description: str = ""
    synonyms: tuple[str, ...] = ()
    #: free-form metadata carried from where the object came from (dbt ``meta``); ChatBI ignores it
    meta: dict[str, Any] = Field(default_factory=dict)

    _norm_label = field_validator("label", mode="before")(_labels)


class TableSpec(_Spec):
    description: str = ""
    meta: dict[str, Any] = Field(default_factory=dict)
    #: column name -> SQL type (``date``, ``integer``, ``bigint``, ``double``, ``varchar``).
    columns: dict[str, str]
    primary_key: tuple[str, ...] = ()
    #: the column that the model's time dimension reads on this (fact) table.
    time_column: str | None = None
    #: computed columns: name -> a row-level SQL expression over this table's columns, written in
    #: sqlglot's dialect-neutral SQL (``CAST(ordered_at AS DATE)``, ``CASE WHEN ... END``). A computed
    #: name is used wherever a column name is (a dimension's or metric's column, ``time_column``);
    #: the compiler inlines the expression, transpiled to the warehouse's dialect.
    computed: dict[str, str] = Field(default_factory=dict)


class JoinSpec(_Spec):
    left: str
    right: str
    #: left column -> right column (not `on`: YAML 1.1 reads a bare `on` as true)
    keys: dict[str, str]
    relationship: Literal["many_to_one", "one_to_one"] = "many_to_one"


class DimensionSpec(_Described):
    type: Literal["categorical", "time"] = "categorical"
    #: None for the time dimension: it reads each fact table's ``time_column``.
    table: str | None = None
    column: str | None = None
    grains: tuple[Grain, ...] = ()
    #: a column holding another language's name of each member (``province_en``).
    label_column: str | None = None
    #: member value -> synonyms (``广东: [Guangdong, 粤, 广东省]``).
    members: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    #: index distinct values for the translator and suggestions (low-cardinality columns).
    index_members: bool = True


class HierarchySpec(_Described):
    #: coarsest first: ``[region, province, city]`` or ``[date.year, date.quarter, ...]``.
    levels: tuple[str, ...]


#: operators of a metric's own filter; the comparisons take one value, the null tests none
FILTER_OPS = ("in", "not_in", ">", ">=", "<", "<=", "is_null", "not_null")


class MetricFilterSpec(_Spec):
    dimension: str
    op: Literal["in", "not_in", ">", ">=", "<", "<=", "is_null", "not_null"] = "in"
    values: tuple[str | int | float, ...] = ()


#: what a metric is, in words any domain shares: a translator's everyday vocabulary is keyed by them
#: ("how much money did we make" -> the ``revenue`` metric, "走了多少人" -> ``churn``)
METRIC_ROLES = ("revenue", "cost", "churn", "new", "net", "base", "count", "production", "downtime")


class _MetricBase(_Described):
    unit: str = ""
    format: Literal["number", "integer", "percent", "currency"] = "number"
    #: which direction is good news; anomaly alerts and narratives use it.
    favorable: Literal["up", "down", "none"] = "up"
    hidden: bool = False
    #: the reporting convention of a per-user or rate metric: ``month`` quotes it per month (月均) --
    #: over a period or time bucket longer than a month, the ratio over it divided by the number of
    #: months with data in it (ARPU of a year is the average month's ARPU, not twelve months summed)
    per: Literal["month"] | None = None
    #: what the metric is in everyday words (one of ``METRIC_ROLES``): money earned, people who left,
    #: new sign-ups, the customer base ...
    role: Literal["revenue", "cost", "churn", "new", "net", "base", "count", "production", "downtime"] | None = None


class SimpleMetricSpec(_MetricBase):
    type: Literal["simple"] = "simple"
    table: str
    agg: Literal["sum", "count", "count_distinct", "avg", "min", "max"]
    #: ``*`` counts rows (only with ``count``).
    column: str
    filters: tuple[MetricFilterSpec, ...] = ()


class SemiAdditiveMetricSpec(_MetricBase):
    """Additive across dimensions; over time the value of the last (or first) date of each bucket."""

    type: Literal["semi_additive"]
    table: str
    agg: Literal["sum", "max", "min"] = "sum"
    column: str
    time_agg: Literal["last", "first"] = "last"
    filters: tuple[MetricFilterSpec, ...] = ()


class RatioMetricSpec(_MetricBase):
    type: Literal["ratio"]
    numerator: str
    denominator: str
    scale: float = 1.0


class DerivedMetricSpec(_MetricBase):
    type: Literal["derived"]
    #: arithmetic over other metric names, e.g. ``new_subscribers - churned_subscribers``.
    formula: str


MetricSpec = Annotated[
    SimpleMetricSpec | SemiAdditiveMetricSpec | RatioMetricSpec | DerivedMetricSpec,
    Field(discriminator="type"),
]


class MetricTreeSpec(_Spec):
    """How a metric decomposes into sub-metrics; root-cause analysis walks these."""

    metric: str
    op: Literal["sum", "difference", "product", "ratio"]
    children: tuple[str, ...]
    description: str = ""


#: what ``default_period`` may say: ``all`` data, or the anchor's unit (``latest_month``: the month the
#: anchor is in, up to the anchor) or its latest complete one (``latest_complete_month``: the anchor's
#: month when the anchor is its last day, else the month before)
DEFAULT_PERIODS: tuple[str, ...] = ("all", *(f"latest_{u}" for u in GRAINS), *(f"latest_complete_{u}" for u in GRAINS))


class ModelSpec(_Described):
    name: str
    #: ``latest`` = newest date in the data, ``today`` = the clock, or an ISO date.
    time_anchor: str = "latest"
    #: the period a question without one is answered for, when its metrics are time-bound (see
    #: ``DEFAULT_PERIODS``); time series and member listings without a period cover all data
    default_period: str = "all"
    time_dimension: str = "date"
    default_language: Literal["zh", "en"] = "zh"
    tables: dict[str, TableSpec]
    joins: tuple[JoinSpec, ...] = ()
    dimensions: dict[str, DimensionSpec]
    hierarchies: dict[str, HierarchySpec] = Field(default_factory=dict)
    metrics: dict[str, MetricSpec]
    metric_trees: dict[str, MetricTreeSpec] = Field(default_factory=dict)
    #: example questions shown to new users.
    examples: tuple[str, ...] = ()

    @field_validator("metrics", mode="before")
    @classmethod
    def _default_metric_type(cls, value: object) -> object:
        # ``type: simple`` is the common case; let YAML omit it.
        if isinstance(value, dict):
            return {k: ({"type": "simple", **v} if isinstance(v, dict) and "type" not in v else v)
                    for k, v in value.items()}
        return value
