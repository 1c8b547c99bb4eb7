"""``Answer``: what every surface (Python, CLI, app, email) receives for a question."""

from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Callable
from typing import Any, Literal

import pandas as pd

from semantic_layer import Issue, SemanticQuery

__all__ = ["Answer", "ClarifyOption", "Status"]

Status = Literal["ok", "clarify", "error"]


@dataclass(frozen=True)
class ClarifyOption:
    """One choice offered when ChatBI must ask instead of guessing.

    ``followup`` is the text to send back as the next question (a button click sends it);
    ``query`` is the resolved query when the option is already complete.
    """

    label: str
    followup: str
    query: SemanticQuery | None = None


@dataclass
class Answer:
    status: Status
    question: str | None = None
    query: SemanticQuery | None = None
    sql: str | None = None
    data: pd.DataFrame | None = None
    figure: Any = None  # plotly.graph_objects.Figure; typed loosely to keep plotly out of this module
    text: str = ""
    language: str = "en"
    clarification: tuple[ClarifyOption, ...] = ()
    issues: tuple[Issue, ...] = ()
    #: how the question was read: [{"text": "收入", "kind": "metric", "value": "revenue"}, ...]
    understood: tuple[dict[str, str], ...] = ()
    #: resolved time range of the answer, ISO dates
    period: tuple[str, str] | None = None
    #: the root-cause report for "why" questions (``chatbi.analysis``)
    report: Any = None
    #: False when SQL did not come from governed metrics (user/LLM free SQL)
    governed: bool = True
    timings: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    intent: str = "query"

    #: builds ``figure`` on first access (charts cost more than many queries; API users may never look)
    figure_factory: Callable[[], Any] | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def __repr__(self) -> str:
        rows = None if self.data is None else len(self.data)
        return f"Answer(status={self.status!r}, text={self.text!r}, rows={rows})"


def _get_figure(self: Answer) -> Any:
    value = self.__dict__.get("_figure")
    factory = self.__dict__.get("figure_factory")
    if value is None and factory is not None:
        self.__dict__["figure_factory"] = None
        value = self.__dict__["_figure"] = factory()
    return value


def _set_figure(self: Answer, value: Any) -> None:
    self.__dict__["_figure"] = value


# ``figure`` stays a dataclass field (constructor argument, repr) but reads through the factory
Answer.figure = property(_get_figure, _set_figure)  # type: ignore[assignment, method-assign]
