"""Model checks beyond cross references: things that load fine but answer badly.

All are warnings (``severity="warning"``) that ``chatbi model check`` prints after the errors
of :meth:`SemanticModel.problems`:

- unused or unreachable objects: tables nothing reads, dimensions no metric can reach,
  hidden metrics nothing uses, metrics on tables without a time column, hierarchy levels that
  cannot be reached from the level below;
- join fan-out risks: a many-to-one join whose right side is not known to be unique (with an
  engine, duplicates are counted in the data);
- with an engine, declared types against the warehouse's: tables or columns it lacks, dates and
  numbers stored as text (the query would fail or compare text), each with how to fix it;
- governance gaps: visible metrics without a description, without synonyms or without a label
  in the model's default language; sums of columns named like rates.
"""

from __future__ import annotations

import itertools

from semantic_layer import SemanticModel
from semantic_layer.checks import ModelProblem
from semantic_layer.spec import SemiAdditiveMetricSpec, SimpleMetricSpec
from semantic_layer.sqlbuild import duplicate_keys_sql

from ..errors import EngineError
from ..warehouse import Engine
from .introspect import warehouse_columns
from .naming import is_additive_name, is_rate_name

__all__ = ["model_warnings"]


def _warn(path: str, message: str) -> ModelProblem:
    return ModelProblem(path, message, severity="warning")


def model_warnings(model: SemanticModel, engine: Engine | None = None) -> list[ModelProblem]:
    """Every warning about ``model``; with ``engine`` the join keys are also checked in the data."""
    out: list[ModelProblem] = []
    out += _unused(model)
    out += _unreachable(model)
    out += _fan_out(model, engine)
    if engine is not None:
        out += _types(model, engine)
    out += _governance(model)
    return out


_NUMERIC = frozenset({"integer", "bigint", "double", "decimal", "float", "real", "numeric", "number", "int"})
_TEMPORAL = frozenset({"date", "timestamp"})


def _expected_types(model: SemanticModel) -> dict[tuple[str, str], tuple[str, str]]:
    """(table, column) -> (``date`` | ``number``, why): what the model needs each column to hold."""
    spec = model.spec
    need: dict[tuple[str, str], tuple[str, str]] = {}
    for tname, table in spec.tables.items():
        for col, declared in table.columns.items():
            kind = "date" if declared.lower() in _TEMPORAL else "number" if declared.lower() in _NUMERIC else None
            if kind:
                need[(tname, col)] = (kind, f"declared {declared}")
        if table.time_column and table.time_column in table.columns:
            need[(tname, table.time_column)] = ("date", "the time column")
    for name, dim in spec.dimensions.items():
        if dim.type == "time" and dim.table and (dim.column or name) in spec.tables[dim.table].columns:
            need[(dim.table, dim.column or name)] = ("date", f"time dimension {name}")
    for name, m in spec.metrics.items():
        if isinstance(m, (SimpleMetricSpec, SemiAdditiveMetricSpec)) and m.agg in ("sum", "avg") \
                and m.column in spec.tables[m.table].columns:
            need[(m.table, m.column)] = ("number", f"metric {name} ({m.agg})")
    return need


def _types(model: SemanticModel, engine: Engine) -> list[ModelProblem]:
    """Declared tables, columns and types against the warehouse's catalog."""
    try:
        actual = warehouse_columns(engine)
    except (EngineError, ValueError) as exc:
        return [_warn("tables", f"could not read the warehouse's catalog to compare types: {exc}")]
    lowered = {t.lower(): cols for t, cols in actual.items()}
    out: list[ModelProblem] = []
    need = _expected_types(model)
    for tname, table in model.spec.tables.items():
        cols = actual.get(tname) or lowered.get(tname.lower())
        if cols is None:
            out.append(_warn(f"tables.{tname}", f"the warehouse has no table or view {tname!r}"))
            continue
        for col in table.columns:
            found = cols.get(col)
            if found is None:
                out.append(_warn(f"tables.{tname}.columns.{col}", f"the warehouse's {tname} has no column {col!r}"))
                continue
            kind, why = need.get((tname, col), (None, ""))
            if kind == "date" and found not in _TEMPORAL:
                out.append(_warn(f"tables.{tname}.columns.{col}", _type_fix(tname, col, found, "DATE", why)))
            elif kind == "number" and found not in _NUMERIC and found != "boolean":
                out.append(_warn(f"tables.{tname}.columns.{col}", _type_fix(tname, col, found, "DOUBLE", why)))
    return out


def _type_fix(table: str, col: str, found: str, wanted: str, why: str) -> str:
    reads = "a date" if wanted == "DATE" else "a number"
    return (f"the warehouse stores {col} as {found}, but the model reads it as {reads} ({why}): queries fail or "
            f"compare text. Fix it in the warehouse (a view or model with CAST({col} AS {wanted})), or add "
            f"`computed: {{{col}_{wanted.lower()}: \"CAST({col} AS {wanted})\"}}` to table {table} and use that name")


def _unused(model: SemanticModel) -> list[ModelProblem]:
    spec = model.spec
    used = {d.table for d in spec.dimensions.values() if d.table} | set(model.fact_tables)
    for j in spec.joins:
        used |= {j.left, j.right}
    out = [_warn(f"tables.{t}", "table is not used by any metric, dimension or join")
           for t in spec.tables if t not in used]
    referenced = {c for n in spec.metrics for c in model.components(n)}
    referenced |= {m for tree in spec.metric_trees.values() for m in (tree.metric, *tree.children)}
    for name, m in spec.metrics.items():
        if m.hidden and name not in referenced:
            out.append(_warn(f"metrics.{name}", "hidden metric is not used by any other metric or metric tree"))
    return out


def _unreachable(model: SemanticModel) -> list[ModelProblem]:
    spec = model.spec
    out: list[ModelProblem] = []
    facts = model.fact_tables
    for name, dim in spec.dimensions.items():
        if dim.type == "time" or dim.table is None:
            continue
        if facts and not any(model.join_path(f, dim.table) is not None for f in facts):
            out.append(_warn(f"dimensions.{name}", f"no metric can be broken down by it: table {dim.table!r} "
                                                   "is not reachable from any metric's table by joins"))
    for name, m in spec.metrics.items():
        if isinstance(m, (SimpleMetricSpec, SemiAdditiveMetricSpec)) and not spec.tables[m.table].time_column:
            out.append(_warn(f"metrics.{name}", f"table {m.table!r} has no time_column: the metric cannot be "
                                                "asked for a period or a trend"))
    for hname, h in spec.hierarchies.items():
        levels = [lv for lv in h.levels if "." not in lv and lv in spec.dimensions]
        for parent, child in itertools.pairwise(levels):
            pt, ct = spec.dimensions[parent].table, spec.dimensions[child].table
            if pt and ct and model.join_path(ct, pt) is None:
                out.append(_warn(f"hierarchies.{hname}", f"level {parent!r} (table {pt!r}) cannot be reached from "
                                                         f"level {child!r} (table {ct!r}): drill-down cannot roll up"))
    return out


def _fan_out(model: SemanticModel, engine: Engine | None) -> list[ModelProblem]:
    spec = model.spec
    out: list[ModelProblem] = []
    for i, j in enumerate(spec.joins):
        path = f"joins[{i}]"
        sides = [(j.right, tuple(j.keys.values()))]
        if j.relationship == "one_to_one":
            sides.append((j.left, tuple(j.keys)))
        for table, keys in sides:
            pk = spec.tables[table].primary_key if table in spec.tables else ()
            if engine is not None and table in spec.tables:
                dupes = _duplicate_keys(engine, table, keys)
                if dupes:
                    out.append(_warn(path, f"fan-out: {dupes:,} values of {table}({', '.join(keys)}) occur more than "
                                           f"once, so each matching {j.left} row is counted several times"))
                continue
            if not pk:
                out.append(_warn(path, f"fan-out risk: {table!r} declares no primary_key, so the join on "
                                       f"{', '.join(keys)} is not known to match one row"))
            elif set(keys) != set(pk):
                out.append(_warn(path, f"fan-out risk: join keys ({', '.join(keys)}) are not the primary key of "
                                       f"{table!r} ({', '.join(pk)}); several rows may match"))
    return out


def _duplicate_keys(engine: Engine, table: str, keys: tuple[str, ...]) -> int:
    """How many key values of ``table`` occur more than once (0 when the query cannot run)."""
    try:
        frame = engine.execute(duplicate_keys_sql(table, keys, engine.dialect))
    except EngineError:
        return 0
    return int(frame["n"].iloc[0])


def _governance(model: SemanticModel) -> list[ModelProblem]:
    spec = model.spec
    lang = spec.default_language
    out: list[ModelProblem] = []
    for name, m in spec.metrics.items():
        if m.hidden:
            continue
        path = f"metrics.{name}"
        if not m.description:
            out.append(_warn(path, "metric has no description"))
        if not m.synonyms:
            out.append(_warn(path, "metric has no synonyms: users must type its exact name or label"))
        if lang not in m.label:
            out.append(_warn(path, f"metric has no label in the model's default language ({lang})"))
        if isinstance(m, SimpleMetricSpec) and m.agg == "sum" and is_rate_name(m.column) \
                and not is_additive_name(m.column):
            out.append(_warn(path, f"sums {m.column!r}, which is named like a rate or price; "
                                   "use agg: avg or a ratio metric"))
    return out
