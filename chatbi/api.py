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
from semantic_layer.compiler.dialects import column, ident
from sqlglot import exp

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
                 row_cap: int = DEFAULT_ROW_CAP, clock: Clock | None = None, language: str | None = None) -> None:
        self.model = SemanticModel.load(model)  # type: ignore[arg-type]
        self.engine = connect(database)
        self.row_cap = row_cap
        self.clock: Clock = clock or dt.datetime.now
        self.language = language or self.model.spec.default_language
        self._lock = threading.Lock()

    # -- construction -------------------------------------------------------------------
    @classmethod
    def sample(cls, *, cache_dir: str | os.PathLike[str] | None = None, **kwargs: Any) -> ChatBI:
        """The telecom sample: builds the warehouse on first use into a cache directory."""
        from sample_data import TELECOM_MODEL

        return cls(TELECOM_MODEL, sample_warehouse_path(cache_dir), **kwargs)

    def close(self) -> None:
        self.engine.close()

    def __enter__(self) -> ChatBI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
        for fact in self.model.fact_tables:
            col = self.model.spec.tables[fact].time_column
            if not col:
                continue
            sql = exp.select(exp.Max(this=column(col, None, self.engine.dialect))).from_(
                exp.Table(this=ident(fact, self.engine.dialect))).sql(dialect=self.engine.dialect)
            value = self.engine.execute(sql).iloc[0, 0]
            if value is not None and value == value:  # not NULL / NaT
                latest.append(_to_date(value))
        return max(latest) if latest else self.clock().date()

    @cached_property
    def members(self) -> MemberIndex:
        return build_member_index(self.model, self.engine)

    # -- structured queries -------------------------------------------------------------
    def compile(self, query: SemanticQuery) -> CompiledQuery:
        """Validate and compile for this engine's dialect (raises ``QueryError``)."""
        return compile_query(self.model, query, self.engine.dialect, anchor=self.anchor,
                             members=self.members.as_sets())

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
        answer = self._execute(compiled.sql, question=question, query=query, language=language, timings=timings)
        if compiled.period:
            answer.period = (compiled.period[0].isoformat(), compiled.period[1].isoformat())
        if answer.ok:
            self._present(answer, compiled)
        timings["total_ms"] = (time.perf_counter() - start) * 1000
        return answer

    def _execute(self, sql: str, *, question: str | None, query: SemanticQuery | None, language: str,
                 timings: dict[str, float], governed: bool = True) -> Answer:
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
