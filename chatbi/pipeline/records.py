"""What the stages of the ask pipeline hand each other: frozen records, a failure, a stopwatch.

Each stage takes the records of the stages before it and returns its own (or a
:class:`Failure`); only :mod:`chatbi.pipeline.core` strings them together and only it builds
the :class:`~chatbi.answer.Answer`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from semantic_layer import Issue, SemanticModel, SemanticQuery
from semantic_layer.compiler import CompiledQuery
from semantic_layer.guard import Isolated
from semantic_layer.policy import AccessPolicy

from ..answer import ClarifyOption, Intent
from ..members import MemberIndex
from ..translate.base import Translator, Understood
from ..warehouse import Engine

__all__ = ["AskOptions", "NUMBERS_ONLY", "Scope", "Guard", "Plan", "Checked", "Presentation", "Explanation",
           "Failure", "Stopwatch"]


@dataclass(frozen=True)
class AskOptions:
    """Which optional stages run. Numbers, SQL and statuses are the same either way."""

    #: build the chart and the one-line text (``present``)
    present: bool = True
    #: run the root-cause analysis of "why" questions (``explain``)
    explain: bool = True


#: numbers only: no chart, no text, no root cause (evaluation, alert thresholds)
NUMBERS_ONLY = AskOptions(present=False, explain=False)


class Guard(Protocol):
    """The SQL guard as the pipeline uses it (``semantic_layer.guard.SQLGuard`` or a user's view of it)."""

    def check(self, sql: str) -> str: ...

    def check_expression(self, expression: Any, *, copy: bool = True) -> str: ...

    def check_isolated(self, sql: str) -> Isolated: ...


class Scope(Protocol):
    """Whoever asks: the ``ChatBI`` facade, or one user's view of it (``ChatBI.for_user``).

    Every per-user difference lives behind these names (the compiler's policy, the guard's
    allow-list and views, the engine's masking, the member index), so the pipeline itself
    is the same for everyone.
    """

    @property
    def model(self) -> SemanticModel: ...

    @property
    def language(self) -> str: ...

    @property
    def translator(self) -> Translator: ...

    @property
    def anchor(self) -> Any: ...

    @property
    def extent(self) -> tuple[Any, Any] | None:
        """First and last date of the data: what an answer over all data covers."""
        ...

    @property
    def members(self) -> MemberIndex: ...

    @property
    def guard(self) -> Guard: ...

    @property
    def engine(self) -> Engine: ...

    @property
    def allow_sql(self) -> bool: ...

    @property
    def policy(self) -> AccessPolicy:
        """The user's access policy (unrestricted for the facade): part of any cache key."""
        ...

    @property
    def cache_source(self) -> str:
        """Which warehouse and model results belong to (the result cache's key)."""
        ...

    def compile(self, query: SemanticQuery) -> CompiledQuery: ...

    def explain_change(self, metric: str, period: Any, baseline: Any = None, filters: Any = None,
                       dimensions: Any = None, max_depth: int = 3, language: str | None = None) -> Any: ...


@dataclass(frozen=True)
class Plan:
    """What runs for a question (``resolve``): a semantic query, SQL text, or nothing but a clarification.

    ``sql_by`` says who wrote SQL text: a person (``run_sql``, the app's SQL editor) or a
    language model (free SQL); either way it only runs through the guard.
    """

    kind: Literal["query", "sql", "clarify"]
    language: str
    question: str | None = None
    query: SemanticQuery | None = None
    sql: str | None = None
    sql_by: Literal["user", "model"] = "user"
    intent: Intent = "query"
    understood: tuple[Understood, ...] = ()
    #: words of the question the translator left out as incidental
    ignored: tuple[str, ...] = ()
    #: a question someone asked (``resolve``), as opposed to a structured query or SQL run as given:
    #: a question whose whole answer is over the row cap is asked back rather than cut
    asked: bool = False
    #: a clarification's (or refusal's) text, options and the problems behind it
    text: str = ""
    options: tuple[ClarifyOption, ...] = ()
    issues: tuple[Issue, ...] = ()

    @property
    def governed(self) -> bool:
        return self.kind != "sql"


@dataclass(frozen=True)
class Checked:
    """SQL the guard let through (``guard``): exactly the text that runs."""

    sql: str
    #: written by a person or a model (not compiled): the engine checks its cost first
    written: bool = False
    #: (name, SELECT) of the row-policy views ``sql`` reads by name; the engine applies them first
    views: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Presentation:
    """The chart recipe and the one-line text (``present``); the chart is built on first look."""

    text: str
    figure: Any = None


@dataclass(frozen=True)
class Explanation:
    """The root-cause report of a "why" question (``explain``), or why there is none."""

    report: Any = None
    issues: tuple[Issue, ...] = ()

    @property
    def text(self) -> str:
        text = getattr(self.report, "text", "") if self.report is not None else ""
        return text if isinstance(text, str) else ""


@dataclass(frozen=True)
class Failure:
    """A stage that could not go on: what to tell the user and what went wrong."""

    stage: str
    text: str
    error: str
    issues: tuple[Issue, ...] = ()
    #: the SQL as far as it got (shown so the user sees what was refused)
    sql: str | None = None


class Stopwatch:
    """Wall time per stage of one run, as ``<stage>_ms``; private to the run that owns it."""

    def __init__(self) -> None:
        self._started = time.perf_counter()
        self._ms: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            key = f"{name}_ms"
            self._ms[key] = self._ms.get(key, 0.0) + (time.perf_counter() - start) * 1000

    def add(self, figures: Mapping[str, float]) -> None:
        """Figures measured elsewhere (a language model's rounds, tokens and time)."""
        self._ms.update(figures)

    def read(self) -> dict[str, float]:
        """Every stage so far and ``total_ms`` since the run began."""
        return {**self._ms, "total_ms": (time.perf_counter() - self._started) * 1000}
