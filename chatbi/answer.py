"""``Answer``: what every surface (Python, CLI, app, email) receives for a question.

An answer is built once, by the ask pipeline (``chatbi.pipeline``), and never changed
afterwards: it is a frozen dataclass. A surface that needs a variant (another title, a
different question text) derives one with :func:`dataclasses.replace`.

>>> import dataclasses
>>> a = Answer(status="ok", text="Revenue was 321M.", language="en")
>>> dataclasses.replace(a, question="revenue?").question, a.question
('revenue?', None)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from semantic_layer import Issue, SemanticQuery

__all__ = ["Answer", "ClarifyOption", "Intent", "Status", "LazyFigure"]

Status = Literal["ok", "clarify", "error"]
#: what a question asks for; it shapes the chart, the sentence and whether a root cause is sought
#: (``root_cause``: an analysis report; ``free_sql``: SQL a model wrote; ``refuse``/``out_of_scope``:
#: a polite refusal; ``clarify``: a question back; ``report``: a whole business report, ``chatbi.reports``)
Intent = Literal["query", "list", "why", "compare", "clarify", "out_of_scope", "refuse", "free_sql",
                 "root_cause", "report"]


@dataclass(frozen=True)
class ClarifyOption:
    """One choice offered when ChatBI must ask instead of guessing.

    ``followup`` is the text to send back as the next question (a button click sends it);
    ``query`` is the resolved query when the option is already complete.
    """

    label: str
    followup: str
    query: SemanticQuery | None = None


class LazyFigure:
    """Builds a figure on first use, once, whichever thread asks first.

    Charts cost more than many queries and API users may never look, so the pipeline hands
    an answer the recipe rather than the chart. Answers derived with ``dataclasses.replace``
    share the instance, so the chart is still built at most once.
    """

    __slots__ = ("_build", "_done", "_lock", "_value")

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build: Callable[[], Any] | None = build
        self._lock = threading.Lock()
        self._value: Any = None
        self._done = False

    def __call__(self) -> Any:
        if not self._done:
            with self._lock:
                if not self._done:
                    build, self._build = self._build, None
                    self._value = build() if build is not None else None
                    self._done = True
        return self._value


@dataclass(frozen=True)
class Answer:
    status: Status
    question: str | None = None
    query: SemanticQuery | None = None
    sql: str | None = None
    data: pd.DataFrame | None = None
    text: str = ""
    language: str = "en"
    clarification: tuple[ClarifyOption, ...] = ()
    issues: tuple[Issue, ...] = ()
    #: how the question was read: [{"text": "收入", "kind": "metric", "value": "revenue"}, ...]
    understood: tuple[dict[str, str], ...] = ()
    #: words of the question left out because they named nothing of the data ("老板要的", "quick question")
    ignored: tuple[str, ...] = ()
    #: resolved time range of the answer, ISO dates
    period: tuple[str, str] | None = None
    #: the period it is compared with (previous period, a year earlier or a stated baseline), ISO dates
    compare_period: tuple[str, str] | None = None
    #: the root-cause report for "why" questions (``chatbi.analysis.RootCauseReport``)
    report: Any = None
    #: False when SQL did not come from governed metrics (user/LLM free SQL)
    governed: bool = True
    #: wall time per pipeline stage (``translate_ms``, ``compile_ms`` ... ``explain_ms``, ``total_ms``)
    #: and what a language model cost (``llm_ms``, ``llm_rounds``, tokens ...)
    timings: Mapping[str, float] = field(default_factory=dict)
    error: str | None = None
    intent: Intent = "query"
    #: the newest date in the data when the answer was computed (ISO): how fresh the numbers are
    as_of: str | None = None
    #: the chart, built on first access of ``figure`` (a plain callable is wrapped in a ``LazyFigure``)
    figure_factory: Callable[[], Any] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.figure_factory is not None and not isinstance(self.figure_factory, LazyFigure):
            object.__setattr__(self, "figure_factory", LazyFigure(self.figure_factory))

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def figure(self) -> Any:
        """The Plotly figure (typed loosely to keep plotly out of this module), or None."""
        return self.figure_factory() if self.figure_factory is not None else None

    def __repr__(self) -> str:
        rows = None if self.data is None else len(self.data)
        return f"Answer(status={self.status!r}, text={self.text!r}, rows={rows})"
