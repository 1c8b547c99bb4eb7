"""``ChatBI``: the facade every surface uses (Python API, CLI, app, alerts)."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from semantic_layer import SemanticModel, SemanticQuery
from semantic_layer.compiler import CompiledQuery, compile_query
from semantic_layer.guard import SQLGuard
from semantic_layer.policy import AccessPolicy, Principal

from .answer import Answer, Intent
from .errors import ConfigError
from .members import MemberIndex
from .pipeline import AskOptions, Guard, Pipeline
from .pipeline.cache import DEFAULT_MAX_BYTES, ResultCache
from .translate.base import Translator
from .warehouse import Engine, connect
from .warehouse.metadata import WarehouseMetadata

if TYPE_CHECKING:
    from .analysis import AnomalyResult, CorrelationResult, RootCauseReport
    from .analysis.fetch import FilterArg
    from .analysis.periods import PeriodLike
    from .conversation import Conversation
    from .security import AuditLog, Security
    from .translate.settings import LLMSettings

__all__ = ["ChatBI", "DEFAULT_ROW_CAP", "ModelSource", "Shared", "sample_warehouse_path"]

DEFAULT_ROW_CAP = 10_000
Clock = Callable[[], dt.datetime]
#: what ``ChatBI(model=...)`` accepts: a loaded model, a YAML path or the model as a mapping
ModelSource = SemanticModel | str | os.PathLike[str] | dict[str, Any]
_UNRESTRICTED = AccessPolicy()


@dataclass(frozen=True)
class Shared:
    """What one facade and every user's view of it share: the model, the connection, the
    translator and the settings. Nothing here depends on who asks."""

    model: SemanticModel
    engine: Engine
    translator: Translator
    clock: Clock
    row_cap: int
    #: answers no question decides (analysis, empty questions)
    language: str
    #: ``ChatBI(language=...)`` as given: the language of ``query()`` and ``run_sql()`` answers
    answer_language: str | None
    #: results by (SQL, policy, data version), shared by every view (``chatbi.pipeline.cache``)
    result_cache: ResultCache
    #: the data version, newest dates and member index of the warehouse (``chatbi.warehouse.metadata``)
    metadata: WarehouseMetadata


class ChatBI:
    """Ask questions of a warehouse through a semantic model.

    >>> bi = ChatBI.sample()                                     # doctest: +SKIP
    >>> bi.query(metrics=["revenue"], dimensions=["province"]).data  # doctest: +SKIP
    """

    def __init__(self, model: ModelSource, database: str | os.PathLike[str] | Engine | None = None, *,
                 row_cap: int = DEFAULT_ROW_CAP, clock: Clock | None = None, language: str | None = None,
                 translator: str | Translator | None = None,
                 llm: LLMSettings | Mapping[str, Any] | None = None, result_cache: ResultCache | bool = True) -> None:
        """``language`` answers ``query()``, ``run_sql()`` and the analysis in that language when a
        call names none (questions are answered in their own language); without it, structured
        queries answer in English and the analysis in the model's ``default_language``.
        ``result_cache``: ``True`` (an in-memory cache of ``$CHATBI_RESULT_CACHE_MB``, default 64 MB),
        ``False`` (none) or a ``chatbi.pipeline.cache.ResultCache`` (e.g. with a shared tier)."""
        loaded = SemanticModel.load(model)
        engine = connect(database)
        cache = result_cache if isinstance(result_cache, ResultCache) else ResultCache(
            DEFAULT_MAX_BYTES if result_cache else 0)
        self._shared = Shared(loaded, engine, _make_translator(translator, llm), clock or dt.datetime.now, row_cap,
                              language or loaded.spec.default_language, language, cache,
                              WarehouseMetadata(loaded, engine))
        self._lock = threading.Lock()

    # -- what every view of this facade shares (``for_user``) -------------------------------
    @property
    def model(self) -> SemanticModel:
        return self._shared.model

    @property
    def engine(self) -> Engine:
        """The warehouse engine (a user's view wraps it: masking, audit, sanitised errors)."""
        return self._shared.engine

    @property
    def translator(self) -> Translator:
        return self._shared.translator

    @property
    def clock(self) -> Clock:
        return self._shared.clock

    @property
    def row_cap(self) -> int:
        return self._shared.row_cap

    @property
    def language(self) -> str:
        """The language of answers no question decides (analysis, empty questions)."""
        return self._shared.language

    @property
    def result_cache(self) -> ResultCache:
        """Results by SQL, access policy and data version (``chatbi.pipeline.cache``)."""
        return self._shared.result_cache

    @property
    def cache_source(self) -> str:
        """Which warehouse and model results belong to (part of every result cache key)."""
        found = self.__dict__.get("_cache_source")
        if found is None:
            engine = self.engine
            where = getattr(engine, "path", None) or getattr(engine, "url", None) or id(engine)
            digest = hashlib.sha256(self.model.spec.model_dump_json().encode("utf-8")).hexdigest()[:16]
            found = self.__dict__["_cache_source"] = f"{type(engine).__name__}:{where}:{digest}"
        return str(found)

    def refresh(self) -> str | None:
        """Look at the warehouse now instead of waiting for the data-version probe's next look
        (``$CHATBI_DATA_VERSION_TTL`` seconds): after loading data, the next question sees it --
        the time anchor ("this month"), the member index and the result cache all follow.
        Returns the new data version (None when the engine cannot tell)."""
        self.result_cache.clear()
        probe = getattr(self, "data_version", None)
        if not callable(probe):
            return None
        try:
            return str(probe(refresh=True))
        except Exception:  # noqa: BLE001 - an unreachable warehouse: the next question reports it
            return None

    @property
    def metadata(self) -> WarehouseMetadata:
        """What is read about the data itself, per data version: newest dates, members."""
        return self._shared.metadata

    # -- what depends on who asks (a user's view overrides these) ---------------------------
    @property
    def policy(self) -> AccessPolicy:
        """The access policy every query compiles under: none for the facade itself."""
        return _UNRESTRICTED

    @property
    def allow_sql(self) -> bool:
        """Whether hand-written SQL may run (a user's role may say no)."""
        return True

    # -- construction -------------------------------------------------------------------
    @classmethod
    def sample(cls, *, cache_dir: str | os.PathLike[str] | None = None, **kwargs: Any) -> ChatBI:
        """The telecom sample: builds the warehouse on first use into a cache directory."""
        from sample_data import TELECOM_MODEL

        return cls(TELECOM_MODEL, sample_warehouse_path(cache_dir), **kwargs)

    @classmethod
    def from_files(cls, *files: str | os.PathLike[str], model: ModelSource | None = None, name: str | None = None,
                   **kwargs: Any) -> ChatBI:
        """Ask CSV / Parquet / JSON files at once: each file is a table (a DuckDB view named after it)
        and a model is drafted in memory from their structure and contents, unless ``model`` is given.

        >>> ChatBI.from_files("sales.csv").ask("monthly amount by city")  # doctest: +SKIP
        """
        from .modeling.session import chatbi_from_files

        return chatbi_from_files(cls, files, model=model, name=name, **kwargs)

    @classmethod
    def from_database(cls, database: str | os.PathLike[str] | Engine, *, tables: Sequence[str] | None = None,
                      model: ModelSource | None = None, name: str | None = None, **kwargs: Any) -> ChatBI:
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

    def for_user(self, principal: Principal | str, *, security: Security | None = None,
                 audit: AuditLog | None = None, allow_sql: bool | None = None) -> ChatBI:
        """This ChatBI seen by one user: their rows, their columns (masked), audited (``chatbi.security``).

        ``principal`` is a ``semantic_layer.policy.Principal`` or a user name looked up in
        ``security`` (a ``chatbi.security.Security``); ``audit`` is a ``chatbi.security.AuditLog``.
        The view shares this facade's engine, model and translator.
        """
        from .security.view import ScopedChatBI

        if isinstance(principal, str):
            if security is None:
                raise ConfigError("for_user(name) needs security=Security(...) to look the user up")
            principal = security.principal(principal)
        if allow_sql is None:
            allow_sql = security.may_use_sql(principal) if security is not None else True
        return ScopedChatBI(self, principal, audit=audit, allow_sql=allow_sql)

    # -- metadata read from the warehouse, once per data version (chatbi.warehouse.metadata) -----
    def data_version(self, *, refresh: bool = False) -> str:
        """An opaque token that changes when the warehouse's data changes (probed at most every
        ``$CHATBI_DATA_VERSION_TTL`` seconds; ``refresh=True`` probes now). The anchor and member
        index follow it; see ``chatbi.warehouse.version`` for the contract."""
        return self.metadata.version(refresh=refresh)

    @property
    def anchor(self) -> dt.date:
        """The date relative periods count from (``time_anchor`` of the model; ``latest`` follows the data;
        a copy made by ``chatbi.reports.build.as_of`` keeps its own)."""
        pinned: dt.date | None = self.__dict__.get("_anchor_pin")
        if pinned is not None:
            return pinned
        spec = self.model.spec.time_anchor
        if spec == "today":
            return self.clock().date()
        if spec != "latest":
            return dt.date.fromisoformat(spec)
        return self.metadata.latest_date() or self.clock().date()

    @property
    def extent(self) -> tuple[dt.date, dt.date] | None:
        """First and last date of the data (what an answer over "all data" covers), per data version;
        None without dates."""
        return self.metadata.extent()

    @property
    def as_of(self) -> dt.date | None:
        """The newest date in the data (the latest day of any fact table): what answers say their
        numbers are as of. None when no fact table has dates."""
        metadata = getattr(self, "metadata", None)
        if metadata is not None and hasattr(metadata, "latest_date"):
            day: dt.date | None = metadata.latest_date()
            return day
        if self.model.spec.time_anchor == "latest":
            return self.anchor
        return None

    @property
    def members(self) -> MemberIndex:
        """The member-value index of the current data version; an index built while a dimension
        table could not be read is rebuilt (at most once a minute), so a warehouse that was down
        at start-up recovers. A user's view filters this one index to the user's rows."""
        return self.metadata.members()

    @property
    def _member_sets(self) -> dict[str, frozenset[str]]:
        """Member values per dimension for validation, cached per index (views may have their own)."""
        index = self.members
        cached = self.__dict__.get("_member_sets_of")
        if cached is None or cached[0] is not index:
            cached = self.__dict__["_member_sets_of"] = (index, index.as_sets())
        return cached[1]

    @cached_property
    def guard(self) -> Guard:
        """The SQL guard every statement passes before it reaches the engine (``semantic_layer.guard``)."""
        return self.guard_for(self.row_cap)

    def guard_for(self, row_cap: int | None) -> Guard:
        """The guard with another row cap (the analysis reads whole aggregates); one per cap."""
        guards: dict[int | None, Guard] = self.__dict__.setdefault("_guards", {})
        found = guards.get(row_cap)
        if found is None:
            found = guards[row_cap] = SQLGuard(self.model, self.engine.dialect, row_cap=row_cap)
        return found

    # -- structured queries -------------------------------------------------------------
    def compile(self, query: SemanticQuery) -> CompiledQuery:
        """Validate and compile for this engine's dialect under ``policy`` (raises ``QueryError``)."""
        return compile_query(self.model, query, self.engine.dialect, anchor=self.anchor,
                             members=self._member_sets, policy=self.policy)

    def query(self, metrics: Sequence[str] | str = (), dimensions: Sequence[str] | str = (),
              filters: Iterable[Mapping[str, Any]] = (), time_range: tuple[str, str] | None = None,
              compare: str | None = None, order_by: Sequence[str] | str = (), limit: int | None = None,
              share: bool = False, *, baseline: Any = None,
              language: str | None = None, options: AskOptions | None = None) -> Answer:
        """Run a structured query. Errors come back as ``Answer(status="error")``, never raised.

        ``baseline`` compares with a stated period (``("2025-10-01", "2025-10-31")`` or a relative
        period ``{"op": "relative", "unit": "month", "offset": 1}``) instead of ``compare``'s previous
        period or year.
        """
        lang = language or self._shared.answer_language or "en"
        try:
            query = SemanticQuery(metrics=metrics, dimensions=dimensions, filters=tuple(filters),  # type: ignore[arg-type]
                                  time_range=time_range, compare=compare, order_by=order_by,  # type: ignore[arg-type]
                                  limit=limit, share=share, baseline=baseline)
        except ValidationError as exc:
            return Answer(status="error", error=_pydantic_message(exc), text=_pydantic_message(exc), language=lang)
        return self.run(query, language=lang, options=options)

    def ask(self, question: str, conversation: Conversation | None = None, language: str | None = None, *,
            options: AskOptions | None = None) -> Answer:
        """Answer a question in Chinese or English; pass a ``chatbi.Conversation`` for follow-ups.

        Ambiguous, incomplete or out-of-scope questions come back as ``status="clarify"`` with
        options. The steps are those of the ask pipeline (``chatbi.pipeline``); ``options``
        switch the optional ones off (``chatbi.pipeline.NUMBERS_ONLY``).
        """
        return Pipeline(self, options or AskOptions()).ask(question, conversation, language)

    def run(self, query: SemanticQuery, *, question: str | None = None, language: str = "en",
            intent: Intent = "query", options: AskOptions | None = None) -> Answer:
        """Compile, guard, execute and present one semantic query (``chatbi.pipeline``)."""
        return Pipeline(self, options or AskOptions()).run(query, question=question, language=language, intent=intent)

    # -- analysis (chatbi.analysis) ------------------------------------------------------
    def detect_anomalies(self, metric: str, grain: str = "day", time_range: PeriodLike | None = None,
                         by: str | Sequence[str] | None = None, filters: FilterArg = None, sensitivity: float = 3.0,
                         direction: str | None = None, *, language: str | None = None) -> AnomalyResult:
        """Anomalous points of ``metric`` per ``grain`` bucket (optionally per member of ``by``).

        Returns a :class:`chatbi.analysis.AnomalyResult`; bad arguments raise ``ConfigError``.
        """
        from .analysis import detect_anomalies

        return detect_anomalies(self, metric, grain, time_range, by, filters, sensitivity, direction, language)

    def explain_change(self, metric: str, period: PeriodLike, baseline: PeriodLike | None = None,
                       filters: FilterArg = None, dimensions: Sequence[str] | None = None, max_depth: int = 3,
                       language: str | None = None) -> RootCauseReport:
        """Why ``metric`` changed from ``baseline`` (default: the previous period) to ``period``.

        Returns a :class:`chatbi.analysis.RootCauseReport` (``.text``, ``.figure``,
        ``.contributors``, ``.combinations``, ``.metric_tree``, ``.to_frame()``).
        """
        from .analysis import explain_change

        return explain_change(self, metric, period, baseline, filters, dimensions, max_depth, language)

    def correlate(self, metric: str, time_range: PeriodLike, grain: str = "day",
                  candidates: Sequence[str] | None = None, filters: FilterArg = None, max_lag: int = 0, *,
                  language: str | None = None) -> CorrelationResult:
        """Other metrics ranked by Spearman correlation with ``metric`` over ``time_range``."""
        from .analysis import correlate

        return correlate(self, metric, time_range, grain, candidates, filters, max_lag, language)

    def report(self, spec: Any = None, period: Any = None, *, language: str | None = None,
               scope: Any = None) -> Any:
        """An illustrated business report (``chatbi.reports``) of ``period`` (default: the last complete one).

        ``spec`` is None (the model's default report), the name of a spec beside the model, a YAML
        path or a mapping; ``scope`` narrows the whole report to some members (``{"province": "广东"}``).
        Returns a :class:`chatbi.reports.Report` (``.to_html()``, ``.to_pdf()``, ``.save(path)``); a bad
        spec or scope raises ``chatbi.reports.SpecError`` naming file, field and a fix.
        """
        from .reports import build_report

        return build_report(self, spec, period=period, language=language, scope=scope)

    def run_sql(self, sql: str, *, language: str | None = None) -> Answer:
        """Run SQL typed or edited by a user (or written by a model) through the SQL guard.

        A rejected statement comes back as ``Answer(status="error")`` naming the rule and the
        offending fragment, and nothing is executed. Answers are marked ``governed=False``.
        """
        return Pipeline(self).run_sql(sql, language=language or self._shared.answer_language or "en")


def _make_translator(translator: str | Translator | None, llm: LLMSettings | Mapping[str, Any] | None) -> Translator:
    """``offline`` / ``llm`` / ``hybrid`` / a ``Translator`` object; None = offline unless an LLM is configured.

    ``llm`` is ``chatbi.translate.settings.LLMSettings`` or a dict of its fields; the environment
    (``OPENAI_API_KEY``, ``OPENAI_BASE_URL``, ``CHATBI_LLM_MODEL``, ...) fills in the rest.
    """
    if translator is not None and not isinstance(translator, str):
        return translator
    from .translate import OfflineTranslator
    from .translate.hybrid import make_translator

    made = make_translator(translator, llm=llm, offline=OfflineTranslator)
    return made if made is not None else OfflineTranslator()


def _pydantic_message(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        parts.append(f"{loc}: {err['msg']}" if loc else err["msg"])
    return "invalid query: " + "; ".join(parts)


def sample_warehouse_path(cache_dir: str | os.PathLike[str] | None = None, *,
                          progress: Callable[[str], None] | None = None) -> Path:
    """The cached sample warehouse, built on first use (keyed by the generator's source).

    ``progress`` is told when a build starts and ends (the first build takes about 20 s).
    """
    from sample_data.telecom import generate

    root = Path(cache_dir or os.environ.get("CHATBI_CACHE_DIR") or Path.home() / ".cache" / "chatbi")
    sources = sorted(Path(generate.__file__).parent.glob("*.py"))
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()[:10]
    path = root / f"telecom-{digest}.duckdb"
    if not path.exists():
        root.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        if progress is not None:
            progress(f"building the sample warehouse (first use only, about 20 s): {path}")
        generate.build_warehouse(path)
        if progress is not None:
            progress(f"built in {time.perf_counter() - started:.0f} s")
    return path
