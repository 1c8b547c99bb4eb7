"""Report specs: the pydantic shape of a report YAML file (sections, schedules).

A spec lives beside the semantic model (``<model dir>/reports/<name>.yaml``)::

    name: monthly_review
    model: telecom
    title: {zh: 月度经营分析报告, en: Monthly business review}
    synonyms: [经营分析报告, business review]     # words that ask for this report in a question
    period: month                               # one report covers one month (day|week|month|quarter|year)
    sections:
      - {type: kpis, metrics: [revenue, arpu, churn_rate]}          # value, vs previous period, year over year
      - {type: trend, metrics: [revenue], window: 13}               # the last 13 months
      - {type: breakdown, metric: revenue, by: province, top: 3}    # members and the top movers
      - {type: anomalies, metrics: [revenue], by: province}         # abnormal members this period and before
      - {type: root_cause, metrics: [revenue], largest: 1}          # why the largest moves happened
      - {type: question, question: {zh: 各渠道新增用户, en: new subscribers by channel}}
    schedules:
      - {id: board, cron: "0 9 2 * *", recipients: [ceo@example.com], language: zh}
      - {id: gd, cron: "0 9 2 * *", recipients: [gd@example.com], scope: {province: 广东}}   # Guangdong's report

Shape problems come from pydantic here; names are checked against the model in :mod:`.loader`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from semantic_layer.query import Filter, MemberFilter

__all__ = [
    "UNITS", "Unit", "Compare", "LocalText", "Text", "text_in",
    "KpiSpec", "TrendSpec", "BreakdownSpec", "AnomaliesSpec", "RootCauseSpec", "QuestionSpec", "SectionSpec",
    "DeliverySpec", "ReportSpec",
]

Unit = Literal["day", "week", "month", "quarter", "year"]
UNITS: tuple[str, ...] = ("day", "week", "month", "quarter", "year")
Compare = Literal["previous_period", "year_over_year"]
_COMPARE_ALIASES = {"pop": "previous_period", "mom": "previous_period", "previous": "previous_period",
                    "yoy": "year_over_year"}


class _S(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalText(_S):
    zh: str | None = None
    en: str | None = None


#: a plain string is used in both languages
Text = str | LocalText


def text_in(value: Text | None, language: str) -> str | None:
    """``value`` in ``language``, falling back to the other language."""
    if value is None or isinstance(value, str):
        return value
    return getattr(value, language, None) or value.zh or value.en


def _member_filters(value: object) -> object:
    # {province: 广东, plan_type: [5G]} is the friendly way to write member filters (as in alert rules)
    if isinstance(value, Mapping) and "op" not in value:
        return [{"op": "in", "dimension": k, "values": v if isinstance(v, (list, tuple)) else [v]}
                for k, v in value.items()]
    return value


def _one_or_many(value: object) -> object:
    return [value] if isinstance(value, str) else value


def _compare(value: object) -> object:
    if isinstance(value, str):
        return _COMPARE_ALIASES.get(value.strip().lower(), value)
    if isinstance(value, (list, tuple)):
        return [_compare(v) for v in value]
    return value


class _Section(_S):
    title: Text | None = None
    #: a paragraph shown under the title (the author's words)
    intro: Text | None = None
    filters: tuple[Filter, ...] = ()

    _filters = field_validator("filters", mode="before")(_member_filters)


class KpiSpec(_Section):
    """Each metric's value in the period and its change against the comparison periods."""

    type: Literal["kpis"]
    metrics: tuple[str, ...] = Field(min_length=1, max_length=24)
    compare: tuple[Compare, ...] = ("previous_period", "year_over_year")

    _many = field_validator("metrics", mode="before")(_one_or_many)
    _cmp = field_validator("compare", mode="before")(lambda v: _compare(_one_or_many(v)))


class TrendSpec(_Section):
    """Each metric over the ``window`` time buckets ending with the period (a line per metric)."""

    type: Literal["trend"]
    metrics: tuple[str, ...] = Field(min_length=1, max_length=12)
    grain: Unit | None = None
    window: int | None = Field(default=None, ge=2, le=400)
    #: one line per member of this dimension
    by: str | None = None

    _many = field_validator("metrics", mode="before")(_one_or_many)


class BreakdownSpec(_Section):
    """One metric by the members of a dimension, against a comparison period, with the top movers."""

    type: Literal["breakdown"]
    metric: str
    by: str
    compare: Compare = "previous_period"
    top: int = Field(default=3, ge=0, le=10)
    _cmp = field_validator("compare", mode="before")(_compare)


class AnomaliesSpec(_Section):
    """Abnormal values per member of ``by`` over the ``window`` buckets ending with the period.

    The period's own anomalies come first, then the earlier ones of the window; the strongest are
    explained (their driving combination of members) when ``explain`` > 0.
    """

    type: Literal["anomalies"]
    metrics: tuple[str, ...] = Field(min_length=1, max_length=12)
    by: str | None = None
    grain: Unit | None = None
    window: int = Field(default=12, ge=1, le=400)
    sensitivity: float = Field(default=3.0, gt=0)
    direction: Literal["up", "down", "both"] = "both"
    limit: int = Field(default=8, ge=1, le=50)
    explain: int = Field(default=4, ge=0, le=10)

    _many = field_validator("metrics", mode="before")(_one_or_many)


class RootCauseSpec(_Section):
    """Why metrics moved: ``metrics`` always, plus the ``largest`` moves among the report's KPIs."""

    type: Literal["root_cause"]
    metrics: tuple[str, ...] = ()
    largest: int = Field(default=0, ge=0, le=6)
    compare: Compare = "previous_period"
    dimensions: tuple[str, ...] | None = None

    _many = field_validator("metrics", mode="before")(_one_or_many)
    _cmp = field_validator("compare", mode="before")(_compare)


class QuestionSpec(_Section):
    """A question answered as if asked at the end of the period; no time words = the period."""

    type: Literal["question"]
    question: Text


SectionSpec = Annotated[KpiSpec | TrendSpec | BreakdownSpec | AnomaliesSpec | RootCauseSpec | QuestionSpec,
                        Field(discriminator="type")]


class DeliverySpec(_S):
    """Send the report by email on a cron schedule (through the alerts outbox)."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$")
    cron: str
    timezone: str = "Asia/Shanghai"
    recipients: tuple[str, ...] = Field(min_length=1)
    language: Literal["zh", "en"] | None = None
    #: whose access the report is built with (``chatbi.security``); None: the service's
    owner: str | None = None
    #: which period: ``offset`` whole units before the one containing the run's local date (1 = last complete)
    offset: int = Field(default=1, ge=0, le=1000)
    #: count periods from the data's newest date instead of the run's date (data that arrives late)
    relative_to: Literal["schedule", "data"] = "schedule"
    enabled: bool = True
    #: the members the report is about (``{province: 广东}``: Guangdong's report; ``chatbi.reports.scope``)
    scope: tuple[MemberFilter, ...] = ()

    _many = field_validator("recipients", mode="before")(_one_or_many)
    _scope = field_validator("scope", mode="before")(_member_filters)


class ReportSpec(_S):
    name: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$")
    #: the semantic model the spec is written for (checked when given)
    model: str | None = None
    title: Text
    description: Text | None = None
    synonyms: tuple[str, ...] = ()
    period: Unit = "month"
    language: Literal["zh", "en"] | None = None
    sections: tuple[SectionSpec, ...] = Field(min_length=1)
    schedules: tuple[DeliverySpec, ...] = ()

    def title_in(self, language: str) -> str:
        return text_in(self.title, language) or self.name
