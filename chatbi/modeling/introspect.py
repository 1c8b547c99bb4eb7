"""Read a warehouse's structure and contents through the :class:`~chatbi.warehouse.Engine` protocol.

For each table: columns and their types, declared primary and foreign keys, the row count,
per column the number of distinct and non-null values, min/max, sample values and, for
low-cardinality columns, every value. Row counts and date ranges are exact aggregates; the
other statistics read a sample when a table is large (``TABLESAMPLE`` where the dialect has
it, else ``LIMIT``), so no table is ever loaded whole.

Declared keys come from SQLAlchemy's inspector when the engine wraps a SQLAlchemy engine,
else from ``information_schema`` (DuckDB, PostgreSQL, MySQL ...). Engines with a catalog API of
their own (Spark Connect: ``list_tables()``) list tables and columns through it; Spark declares
no keys, so joins come from matching names and values.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from semantic_layer.sqlbuild import (
    SAMPLE_ROWS,
    RowSource,
    column_stats_sql,
    distinct_values_sql,
    foreign_key_targets_sql,
    head_sql,
    key_constraints_sql,
    list_columns_sql,
    list_tables_sql,
    normalize_type,
    row_count_sql,
    table_source,
)

from ..errors import ConfigError, EngineError
from ..values import is_missing
from ..warehouse import Engine

__all__ = [
    "warehouse_columns",
    "SAMPLE_ROWS",
    "VALUES_LIMIT",
    "ColumnProfile",
    "ForeignKey",
    "TableProfile",
    "DatabaseProfile",
    "profile_engine",
    "normalize_type",
    "table_source",
]

#: columns with at most this many distinct values have every value read (members, label pairs)
VALUES_LIMIT = 200
_SAMPLE_VALUES = 5


@dataclass(frozen=True)
class ColumnProfile:
    name: str
    #: normalized: date, timestamp, integer, bigint, double, decimal, varchar, boolean, other
    type: str
    raw_type: str = ""
    nullable: bool = True
    non_null: int = 0
    distinct: int = 0
    min: Any = None
    max: Any = None
    samples: tuple[Any, ...] = ()
    #: every distinct value (sorted) when there are at most VALUES_LIMIT of them
    values: tuple[Any, ...] | None = None

    @property
    def is_numeric(self) -> bool:
        return self.type in {"integer", "bigint", "double", "decimal"}

    @property
    def is_temporal(self) -> bool:
        return self.type in {"date", "timestamp"}

    @property
    def unique(self) -> bool:
        """Every non-null value differs (in the profiled rows)."""
        return self.non_null > 0 and self.distinct == self.non_null


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]


@dataclass(frozen=True)
class TableProfile:
    name: str
    columns: tuple[ColumnProfile, ...]
    row_count: int = 0
    #: rows the column statistics were computed on (== row_count unless sampled)
    profiled_rows: int = 0
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    is_view: bool = False

    @property
    def sampled(self) -> bool:
        return self.profiled_rows < self.row_count

    def column(self, name: str) -> ColumnProfile:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


@dataclass(frozen=True)
class DatabaseProfile:
    dialect: str
    tables: tuple[TableProfile, ...]
    sample_rows: int = SAMPLE_ROWS
    notes: tuple[str, ...] = field(default=())

    def table(self, name: str) -> TableProfile:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(name)


# -- catalog -----------------------------------------------------------------------------
@dataclass(frozen=True)
class _RawTable:
    name: str
    columns: tuple[tuple[str, str, bool], ...]  # name, raw type, nullable
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...]
    is_view: bool


def sqlalchemy_engine_of(engine: Engine) -> Any | None:
    """The SQLAlchemy engine inside a ChatBI engine, when there is one."""
    try:
        from sqlalchemy.engine import Engine as SAEngine
    except ImportError:  # pragma: no cover - sqlalchemy is a dependency
        return None
    if isinstance(engine, SAEngine):
        return engine
    for value in vars(engine).values() if hasattr(engine, "__dict__") else ():
        if isinstance(value, SAEngine):
            return value
    return None


def _catalog_sqlalchemy(sa_engine: Any) -> list[_RawTable]:
    from sqlalchemy import inspect

    insp = inspect(sa_engine)
    out = []
    views = set(insp.get_view_names())
    for name in [*insp.get_table_names(), *sorted(views)]:
        cols = tuple((c["name"], str(c["type"]), bool(c.get("nullable", True))) for c in insp.get_columns(name))
        pk: tuple[str, ...] = ()
        fks: tuple[ForeignKey, ...] = ()
        if name not in views:
            pk = tuple(insp.get_pk_constraint(name).get("constrained_columns") or ())
            fks = tuple(ForeignKey(tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]))
                        for f in insp.get_foreign_keys(name) if f.get("referred_table"))
        out.append(_RawTable(name, cols, pk, fks, name in views))
    return out


def warehouse_columns(engine: Engine) -> dict[str, dict[str, str]]:
    """Table -> column -> type in the model's vocabulary (``date``, ``varchar`` ...), as the
    warehouse declares them."""
    sa_engine = sqlalchemy_engine_of(engine)
    raws = _catalog_sqlalchemy(sa_engine) if sa_engine is not None else _catalog_information_schema(engine)
    return {t.name: {c[0]: normalize_type(c[1], engine.dialect) for c in t.columns} for t in raws}


def _catalog_information_schema(engine: Engine) -> list[_RawTable]:
    tables = engine.execute(list_tables_sql(engine.dialect))
    cols = engine.execute(list_columns_sql(engine.dialect))
    keys = _declared_keys(engine)
    out = []
    for row in tables.itertuples(index=False):
        name = str(row[0])
        mine = cols[cols["table_name"] == name]
        columns = tuple((str(c[1]), str(c[2]), str(c[3]).upper() != "NO") for c in mine.itertuples(index=False))
        pk, fks = keys.get(name, ((), ()))
        out.append(_RawTable(name, columns, pk, fks, "VIEW" in str(row[1]).upper()))
    return out


def _declared_keys(engine: Engine) -> dict[str, tuple[tuple[str, ...], tuple[ForeignKey, ...]]]:
    """Primary and foreign keys from information_schema (empty where the database lacks the views)."""
    try:
        frame = engine.execute(key_constraints_sql(engine.dialect))
    except EngineError:
        return {}
    refs = _fk_targets(engine)
    pks: dict[str, list[str]] = {}
    fk_cols: dict[tuple[str, str], list[str]] = {}
    for table, cname, ctype, colname, _ in frame.itertuples(index=False):
        if ctype == "PRIMARY KEY":
            pks.setdefault(str(table), []).append(str(colname))
        else:
            fk_cols.setdefault((str(table), str(cname)), []).append(str(colname))
    out: dict[str, tuple[tuple[str, ...], tuple[ForeignKey, ...]]] = {}
    fks: dict[str, list[ForeignKey]] = {}
    for (table, cname), columns in fk_cols.items():
        if cname in refs:
            fks.setdefault(table, []).append(ForeignKey(tuple(columns), refs[cname][0], refs[cname][1]))
    for table in {*pks, *fks}:
        out[table] = (tuple(pks.get(table, ())), tuple(fks.get(table, ())))
    return out


def _fk_targets(engine: Engine) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Foreign key constraint name -> (referenced table, referenced columns)."""
    try:
        frame = engine.execute(foreign_key_targets_sql(engine.dialect))
    except EngineError:
        return {}
    if engine.dialect == "duckdb":  # one row per constraint, the referenced columns as a list
        return {str(r[0]): (str(r[1]), tuple(str(c) for c in r[2])) for r in frame.itertuples(index=False)}
    out: dict[str, tuple[str, tuple[str, ...]]] = {}
    for cname, table, colname in frame.itertuples(index=False):
        prev = out.get(str(cname), (str(table), ()))
        out[str(cname)] = (prev[0], (*prev[1], str(colname)))
    return out


# -- statistics --------------------------------------------------------------------------
def _count_rows(engine: Engine, raw: _RawTable) -> tuple[int, dict[str, tuple[Any, Any]]]:
    """Exact row count and the date range of each temporal column (cheap streaming aggregates)."""
    d = engine.dialect
    temporal = [c for c, t, _ in raw.columns if normalize_type(t, d) in {"date", "timestamp"}]
    row = _first_row(engine.execute(row_count_sql(raw.name, temporal, d)))
    ranges = {c: (_plain(row[f"lo{i}"]), _plain(row[f"hi{i}"])) for i, c in enumerate(temporal)}
    return int(row["n"]), ranges


def _profile_table(engine: Engine, raw: _RawTable, sample_rows: int) -> TableProfile:
    d = engine.dialect
    row_count, ranges = _count_rows(engine, raw)
    source = RowSource(raw.name, row_count, sample_rows)
    types = {c: normalize_type(t, d) for c, t, _ in raw.columns}
    numeric = {c for c, t in types.items() if t in {"integer", "bigint", "double", "decimal"}}
    stats = _first_row(engine.execute(column_stats_sql(source, [c for c, _, _ in raw.columns], d, min_max=numeric)))
    profiled = int(stats["n"])
    head = engine.execute(head_sql(source, d, _SAMPLE_VALUES))
    columns = []
    for i, (c, raw_type, nullable) in enumerate(raw.columns):
        distinct = int(stats[f"nd{i}"])
        lo, hi = ranges.get(c, (_plain(stats.get(f"lo{i}")), _plain(stats.get(f"hi{i}"))))
        values = _values(engine, source, c) if 0 < distinct <= VALUES_LIMIT else None
        samples = tuple(dict.fromkeys(_plain(v) for v in head[c].tolist() if not is_missing(v))) \
            if c in head.columns else ()
        columns.append(ColumnProfile(c, types[c], raw_type, nullable, int(stats[f"nn{i}"]), distinct, lo, hi,
                                     samples, values))
    return TableProfile(raw.name, tuple(columns), row_count, profiled, raw.primary_key, raw.foreign_keys, raw.is_view)


def _first_row(frame: pd.DataFrame) -> dict[str, Any]:
    # per column, so an integer MIN stays an integer (a row Series would upcast it to float)
    return {c: frame[c].iloc[0] for c in frame.columns}


def _values(engine: Engine, source: RowSource, name: str) -> tuple[Any, ...]:
    sql = distinct_values_sql(source, name, engine.dialect, VALUES_LIMIT + 1)
    return tuple(_plain(v) for v in engine.execute(sql).iloc[:, 0].tolist())


def _plain(value: Any) -> Any:
    """numpy / pandas scalars -> Python values (YAML and equality friendly)."""
    if is_missing(value):  # None, NaN, NaT, NA
        return None
    if isinstance(value, pd.Timestamp):
        return value.date() if value == value.normalize() else value.to_pydatetime()
    if isinstance(value, (dt.date, str, bool, int, float)):
        return value
    if hasattr(value, "item"):
        return _plain(value.item())
    return value


# -- entry point -------------------------------------------------------------------------
def profile_engine(engine: Engine, tables: Sequence[str] | None = None, *,
                   sample_rows: int = SAMPLE_ROWS) -> DatabaseProfile:
    """Profile every table (or those matching ``tables``, shell patterns allowed) of a warehouse."""
    sa_engine = sqlalchemy_engine_of(engine)
    lister = getattr(engine, "list_tables", None)  # engines with a catalog API of their own (Spark)
    if sa_engine is not None:
        raws = _catalog_sqlalchemy(sa_engine)
    elif callable(lister):
        raws = [_RawTable(name, tuple(columns), (), (), is_view) for name, columns, is_view in lister()]
    else:
        raws = _catalog_information_schema(engine)
    notes: list[str] = []
    if tables:
        wanted = list(tables)
        missing = [p for p in wanted if not any(fnmatch.fnmatchcase(r.name, p) for r in raws)]
        if missing:
            from semantic_layer.errors import did_you_mean, suggest

            hint = did_you_mean(suggest(missing[0], [r.name for r in raws]))
            raise ConfigError(f"no table matches {missing[0]!r}. {hint}".strip())
        raws = [r for r in raws if any(fnmatch.fnmatchcase(r.name, p) for p in wanted)]
    if not raws:
        raise ConfigError("the database has no tables to draft a model from")
    profiles = []
    for raw in raws:
        if not raw.columns:
            notes.append(f"table {raw.name}: no columns, skipped")
            continue
        profiles.append(_profile_table(engine, raw, sample_rows))
    return DatabaseProfile(engine.dialect, tuple(profiles), sample_rows, tuple(notes))
