"""``ChatBI``: the facade every surface uses (Python API, CLI, app, alerts)."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from semantic_layer import QueryError, SemanticLayerError, SemanticModel, SemanticQuery
from semantic_layer.compiler import CompiledQuery, compile_query
from semantic_layer.compiler.metadata import latest_date_sql
from semantic_layer.errors import SQLGuardError
from semantic_layer.guard import SQLGuard

from .answer import Answer
from .errors import ChatBIError, ConfigError, EngineError
from .members import MemberIndex, build_member_index
from .warehouse import Engine, connect

__all__ = ["ChatBI", "DEFAULT_ROW_CAP", "sample_warehouse_path"]

DEFAULT_ROW_CAP = 10_000
Clock = Callable[[], dt.datetime]


class ChatBI:
    """Ask questions of a warehouse through a semantic model.

    >>> bi = ChatBI.sample()                                     # doctest: +SKIP
    >>> bi.query(metrics=["revenue"], dimensions=["province"]).data  # doctest: +SKIP
    """

    def __init__(self, model: SemanticModel | str | os.PathLike[str] | Mapping[str, Any],
                 database: str | os.PathLike[str] | Engine | None = None, *,
                 row_cap: int = DEFAULT_ROW_CAP, clock: Clock | None = None, language: str | None = None,
                 translator: str | Any = None, llm: Any = None) -> None:
        self.model = SemanticModel.load(model)  # type: ignore[arg-type]
        self.engine = connect(database)
        self.row_cap = row_cap
        self.clock: Clock = clock or dt.datetime.now
        self.language = language or self.model.spec.default_language
        self._lock = threading.Lock()
        self.translator = _make_translator(translator, llm)

    # -- construction -------------------------------------------------------------------
    @classmethod
    def sample(cls, *, cache_dir: str | os.PathLike[str] | None = None, **kwargs: Any) -> ChatBI:
        """The telecom sample: builds the warehouse on first use into a cache directory."""
        from sample_data import TELECOM_MODEL

        return cls(TELECOM_MODEL, sample_warehouse_path(cache_dir), **kwargs)

    @classmethod
    def from_files(cls, *files: Any, model: Any = None, name: str | None = None, **kwargs: Any) -> ChatBI:
        """Ask CSV / Parquet / JSON files at once: each file is a table (a DuckDB view named after it)
        and a model is drafted in memory from their structure and contents, unless ``model`` is given.

        >>> ChatBI.from_files("sales.csv").ask("monthly amount by city")  # doctest: +SKIP
        """
        from .modeling.session import chatbi_from_files

        return chatbi_from_files(cls, files, model=model, name=name, **kwargs)

    @classmethod
    def from_database(cls, database: str | os.PathLike[str] | Engine, *, tables: Sequence[str] | None = None,
                      model: Any = None, name: str | None = None, **kwargs: Any) -> ChatBI:
        """Ask any database at once (DuckDB file or SQLAlchemy URL): a model of its tables (all, or
        those matching ``tables``) is drafted in memory, unless ``model`` is given."""
        from .modeling.session import chatbi_from_database

        return chatbi_from_database(cls, database, tables=tables, model=model, name=name, **kwargs)

    def close(self) -> None:
        self.engine.close()

    def __enter__(self) -> ChatBI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def for_user(self, principal: Any, *, security: Any = None, audit: Any = None,
                 allow_sql: bool | None = None) -> ChatBI:
        """This ChatBI seen by one user: their rows, their columns (masked), audited (``chatbi.security``).

        ``principal`` is a ``semantic_layer.policy.Principal`` or a user name looked up in
        ``security`` (a ``chatbi.security.Security``); ``audit`` is a ``chatbi.security.AuditLog``.
        The view shares this facade's engine, model and translator.
        """
        from .security.scoped import ScopedChatBI

        if isinstance(principal, str):
            if security is None:
                raise ConfigError("for_user(name) needs security=Security(...) to look the user up")
            principal = security.principal(principal)
        if allow_sql is None:
            allow_sql = security.may_use_sql(principal) if security is not None else True
        return ScopedChatBI(self, principal, audit=audit, allow_sql=allow_sql)

    # -- metadata read once from the warehouse ------------------------------------------
    @cached_property
    def anchor(self) -> dt.date:
        """The date relative periods count from (``time_anchor`` of the model)."""
        spec = self.model.spec.time_anchor
        if spec == "today":
            return self.clock().date()
        if spec != "latest":
            return dt.date.fromisoformat(spec)
        latest: list[dt.date] = []
        failure: EngineError | None = None
        for fact in self.model.fact_tables:
            sql = latest_date_sql(self.model, fact, self.engine.dialect)
            if sql is None:
                continue
            try:
                value = self.engine.execute(sql).iloc[0, 0]
            except EngineError as exc:
                failure = exc  # one unreadable fact table must not stop questions about the others
                continue
            if value is not None and value == value:  # not NULL / NaT
                latest.append(_to_date(value))
        if not latest and failure is not None:
            raise failure
        return max(latest) if latest else self.clock().date()

    @property
    def members(self) -> MemberIndex:
        """The member-value index, built on first use; rebuilt (at most once a minute) while a
        dimension table could not be read, so a warehouse that was down at start-up recovers."""
        index = self.__dict__.get("_members")
        now = time.monotonic()
        if index is None or (not index.complete and now - self.__dict__.get("_members_at", 0.0) > 60):
            with self._lock:
                index = build_member_index(self.model, self.engine)
                self.__dict__.update(_members=index, _members_at=now)
        return index

    @property
    def _member_sets(self) -> dict[str, frozenset[str]]:
        """Member values per dimension for validation, cached per index (views may have their own)."""
        index = self.members
        cached = self.__dict__.get("_member_sets_of")
        if cached is None or cached[0] is not index:
            cached = self.__dict__["_member_sets_of"] = (index, index.as_sets())
        return cached[1]

    @cached_property
    def guard(self) -> SQLGuard:
        """The SQL guard every statement passes before it reaches the engine (``semantic_layer.guard``)."""
        return SQLGuard(self.model, self.engine.dialect, row_cap=self.row_cap)

    # -- structured queries -------------------------------------------------------------
    def compile(self, query: SemanticQuery) -> CompiledQuery:
        """Validate and compile for this engine's dialect (raises ``QueryError``)."""
        return compile_query(self.model, query, self.engine.dialect, anchor=self.anchor,
                             members=self._member_sets)

    def query(self, metrics: Sequence[str] | str = (), dimensions: Sequence[str] | str = (),
              filters: Iterable[Mapping[str, Any]] = (), time_range: tuple[str, str] | None = None,
              compare: str | None = None, order_by: Sequence[str] | str = (), limit: int | None = None,
              share: bool = False, *, language: str | None = None) -> Answer:
        """Run a structured query. Errors come back as ``Answer(status="error")``, never raised."""
        try:
            query = SemanticQuery(metrics=metrics, dimensions=dimensions, filters=tuple(filters),  # type: ignore[arg-type]
                                  time_range=time_range, compare=compare, order_by=order_by,  # type: ignore[arg-type]
                                  limit=limit, share=share)
        except ValidationError as exc:
            return Answer(status="error", error=_pydantic_message(exc), text=_pydantic_message(exc),
                          language=language or "en")
        return self.run(query, language=language or "en")

    def ask(self, question: str, conversation: Any = None, language: str | None = None) -> Answer:
        """Answer a question in Chinese or English; pass a ``chatbi.Conversation`` for follow-ups.

        Ambiguous, incomplete or out-of-scope questions come back as ``status="clarify"`` with
        options; the translation logic lives in ``chatbi.conversation`` and ``chatbi.translate``.
        """
        from .conversation import ask
        from .translate.hybrid import ask_with_llm, llm_of

        if llm_of(self.translator) is not None:  # model cost in timings, free SQL, opt-in narrative
            return ask_with_llm(self, question, conversation, language, ask, self.translator)
        return ask(self, question, conversation, language)

    def run(self, query: SemanticQuery, *, question: str | None = None, language: str = "en") -> Answer:
        """Compile, execute and present one semantic query."""
        timings: dict[str, float] = {}
        start = time.perf_counter()
        try:
            compiled = self.compile(query)
        except (QueryError, SemanticLayerError, ChatBIError) as exc:
            issues = tuple(getattr(exc, "issues", ()))
            return Answer(status="error", question=question, query=query, error=str(exc), text=str(exc),
                          issues=issues, language=language)  # type: ignore[arg-type]
        timings["compile_ms"] = (time.perf_counter() - start) * 1000
        answer = self._execute(None, question=question, query=query, language=language, timings=timings,
                               expression=compiled.expression)
        if compiled.period:
            answer.period = (compiled.period[0].isoformat(), compiled.period[1].isoformat())
        if answer.ok:
            self._present(answer, compiled)
        timings["total_ms"] = (time.perf_counter() - start) * 1000
        return answer

    # -- analysis (chatbi.analysis) ------------------------------------------------------
    def detect_anomalies(self, metric: str, grain: str = "day", time_range: Any = None, by: Any = None,
                         filters: Any = None, sensitivity: float = 3.0, direction: str | None = None,
                         *, language: str | None = None) -> Any:
        """Anomalous points of ``metric`` per ``grain`` bucket (optionally per member of ``by``).

        Returns a :class:`chatbi.analysis.AnomalyResult`; bad arguments raise ``ConfigError``.
        """
        from .analysis import detect_anomalies

        return detect_anomalies(self, metric, grain, time_range, by, filters, sensitivity, direction, language)

    def explain_change(self, metric: str, period: Any, baseline: Any = None, filters: Any = None,
                       dimensions: Sequence[str] | None = None, max_depth: int = 3,
                       language: str | None = None) -> Any:
        """Why ``metric`` changed from ``baseline`` (default: the previous period) to ``period``.

        Returns a :class:`chatbi.analysis.RootCauseReport` (``.text``, ``.figure``,
        ``.contributors``, ``.combinations``, ``.metric_tree``, ``.to_frame()``).
        """
        from .analysis import explain_change

        return explain_change(self, metric, period, baseline, filters, dimensions, max_depth, language)

    def correlate(self, metric: str, time_range: Any, grain: str = "day", candidates: Sequence[str] | None = None,
                  filters: Any = None, max_lag: int = 0, *, language: str | None = None) -> Any:
        """Other metrics ranked by Spearman correlation with ``metric`` over ``time_range``."""
        from .analysis import correlate

        return correlate(self, metric, time_range, grain, candidates, filters, max_lag, language)

    def run_sql(self, sql: str, *, language: str | None = None) -> Answer:
        """Run SQL typed or edited by a user (or written by a model) through the SQL guard.

        A rejected statement comes back as ``Answer(status="error")`` naming the rule and the
        offending fragment, and nothing is executed. Answers are marked ``governed=False``.
        """
        return self._execute(sql, question=None, query=None, language=language or "en", timings={}, governed=False)

    def _execute(self, sql: str | None, *, question: str | None, query: SemanticQuery | None, language: str,
                 timings: dict[str, float], governed: bool = True, expression: Any = None) -> Answer:
        """Guard, then run, either SQL text or a compiled tree (exactly one of ``sql`` / ``expression``)."""
        start = time.perf_counter()
        try:
            # the compiled tree is checked as is (no re-parse); text is parsed in the engine's dialect
            if expression is not None:
                sql = self.guard.check_expression(expression, copy=False)
            else:
                assert sql is not None
                sql = self.guard.check(sql)
        except SQLGuardError as exc:
            if sql is None and expression is not None:
                sql = expression.sql(dialect=self.engine.dialect)
            return Answer(status="error", question=question, query=query, sql=sql, error=str(exc),
                          text=f"SQL rejected: {exc}", language=language, timings=timings, governed=governed)
        timings["guard_ms"] = (time.perf_counter() - start) * 1000
        start = time.perf_counter()
        try:
            data = self.engine.execute(sql)
        except ChatBIError as exc:
            return Answer(status="error", question=question, query=query, sql=sql, error=str(exc),
                          text=str(exc), language=language, timings=timings, governed=governed)
        timings["execute_ms"] = (time.perf_counter() - start) * 1000
        return Answer(status="ok", question=question, query=query, sql=sql, data=data, language=language,
                      timings=timings, governed=governed)

    def _present(self, answer: Answer, compiled: CompiledQuery) -> None:
        """Attach the chart and the one-line text (``chatbi.charts``)."""
        import logging

        from .charts import build_figure
        from .narrative import narrate

        if answer.query is None or answer.data is None:
            return
        start = time.perf_counter()
        context = {"language": answer.language, "members": self.members, "period": compiled.period,
                   "intent": answer.intent}
        query, data, model = answer.query, answer.data, self.model

        def figure() -> Any:
            # a chart that fails must not cost the user the numbers and the SQL
            try:
                return build_figure(query, data, model, **context)
            except Exception:  # noqa: BLE001
                logging.getLogger(__name__).warning("chart failed for %s", query, exc_info=True)
                return None

        answer.figure_factory = figure
        try:
            answer.text = narrate(answer.query, answer.data, self.model, **context)
        except Exception:  # noqa: BLE001
            logging.getLogger(__name__).warning("narrative failed for %s", answer.query, exc_info=True)
        answer.timings["present_ms"] = (time.perf_counter() - start) * 1000


def _make_translator(translator: str | Any, llm: Any) -> Any:
    """``offline`` / ``llm`` / ``hybrid`` / a ``Translator`` object; None = offline unless an LLM is configured.

    ``llm`` is ``chatbi.translate.settings.LLMSettings`` or a dict of its fields; the environment
    (``OPENAI_API_KEY``, ``OPENAI_BASE_URL``, ``CHATBI_LLM_MODEL``, ...) fills in the rest.
    """
    if translator is not None and not isinstance(translator, str):
        return translator
    from .translate import OfflineTranslator
    from .translate.hybrid import make_translator

    return make_translator(translator, llm=llm, offline=OfflineTranslator)


def _pydantic_message(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        parts.append(f"{loc}: {err['msg']}" if loc else err["msg"])
    return "invalid query: " + "; ".join(parts)


def _to_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "date"):
        return value.date()
    return dt.date.fromisoformat(str(value)[:10])


def sample_warehouse_path(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The cached sample warehouse, built on first use (keyed by the generator's source)."""
    from sample_data.telecom import generate

    root = Path(cache_dir or os.environ.get("CHATBI_CACHE_DIR") or Path.home() / ".cache" / "chatbi")
    sources = sorted(Path(generate.__file__).parent.glob("*.py"))
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()[:10]
    path = root / f"telecom-{digest}.duckdb"
    if not path.exists():
        root.mkdir(parents=True, exist_ok=True)
        generate.build_warehouse(path)
    return path
