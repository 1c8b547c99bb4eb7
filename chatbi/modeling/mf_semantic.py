"""MetricFlow semantic models -> ChatBI tables, joins, dimensions and measure definitions.

The rules (each element's fate goes into the import report):

- an entity joins each semantic model where it is ``foreign`` many-to-one to *every* semantic
  model where it is ``primary``/``unique`` (MetricFlow joins to the one holding the requested
  dimension; ChatBI's compiler takes the direct join to the dimension's table the same way);
  several primaries of one entity are related one-to-one, and the report says so, because a
  declared primary key that is not unique multiplies what is summed across it;
- a dimension name used in several semantic models keeps its name on the one the others reach
  by joins (the conformed one) and is ``<entity>_<name>`` elsewhere, each with its own column;
- SQL expressions (``expr``) become computed columns, read in the dbt project's dialect and kept
  as dialect-neutral SQL; a constant ``expr`` (``1``) on a dimension is a presence flag: 1 where a
  row of its table exists (its key is not null), else NULL;
- the ``agg_time_dimension`` is the table's time column (``metric_time``) and also, like every
  other time dimension, a time dimension of its own name.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from semantic_layer.sqlbuild import (
    MetricFlowSQLError,
    boolean_expression,
    is_constant,
    presence_expression,
    translate_expression,
)

from .naming import has_cjk, identifier, labels_for

__all__ = ["SemanticImport", "Fate", "TIME_DIMENSION", "GRAIN_ORDER", "labels_of", "synonyms_of", "meta_of", "described"]

TIME_DIMENSION = "metric_time"
GRAIN_ORDER = ["day", "week", "month", "quarter", "year"]
_AGGS = {"sum": "sum", "count": "count", "count_distinct": "count_distinct", "average": "avg", "avg": "avg",
         "min": "min", "max": "max", "sum_boolean": "sum"}
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TYPE_RANK = {"varchar": 0, "double": 1, "date": 2, "timestamp": 2}


@dataclass(frozen=True)
class Fate:
    """What became of one MetricFlow element: ``mapped``, ``caveat`` (mapped, read the note) or
    ``not_mapped`` (with the reason)."""

    kind: str  # file | semantic_model | entity | dimension | measure | metric | saved_query | model
    name: str
    status: str
    detail: str = ""

    @property
    def reason(self) -> str:
        return self.detail

    def __str__(self) -> str:
        return f"{self.kind} {self.name}: {self.detail}"


def labels_of(label: Any, name: str) -> dict[str, str]:
    if isinstance(label, str) and label.strip():
        label = label.strip()
        return {"zh": label, "en": labels_for(name)["en"]} if has_cjk(label) else {"en": label}
    return labels_for(name)


def meta_of(node: dict[str, Any]) -> dict[str, Any]:
    meta = node.get("meta") or (node.get("config") or {}).get("meta") or {}
    return dict(meta) if isinstance(meta, dict) else {}


def synonyms_of(node: dict[str, Any]) -> list[str]:
    found = meta_of(node).get("synonyms")
    return [str(s) for s in found] if isinstance(found, list) else []


def described(node: dict[str, Any], name: str) -> dict[str, Any]:
    """label, description, synonyms and the rest of ``meta`` of a MetricFlow node."""
    out: dict[str, Any] = {"label": labels_of(node.get("label"), name)}
    if node.get("description"):
        out["description"] = str(node["description"]).strip()
    if synonyms_of(node):
        out["synonyms"] = synonyms_of(node)
    rest = {k: v for k, v in meta_of(node).items() if k != "synonyms"}
    if rest:
        out["meta"] = rest
    return out


def _ref_table(sm: dict[str, Any]) -> str:
    node = sm.get("node_relation") or {}
    if isinstance(node, dict) and node.get("alias"):
        return str(node["alias"])
    match = re.search(r"ref\(\s*['\"]([^'\"]+)['\"](?:\s*,\s*['\"]([^'\"]+)['\"])?\s*\)", str(sm.get("model", "")))
    if match:
        return match.group(2) or match.group(1)
    return str(sm["name"])


def _plain(expr: Any, default: str) -> str | None:
    """The column an ``expr`` names (``default`` without one), or None for a SQL expression."""
    text = str(default if expr is None else expr).strip()
    return text if _IDENT.match(text) else None


@dataclass
class _Model:
    """One semantic model while it is imported."""

    raw: dict[str, Any]
    name: str
    table: str
    spec: dict[str, Any]
    entity: str  # the primary entity's name (or the semantic model's) for dimension references
    keys: dict[str, str] = field(default_factory=dict)  # entity -> column
    agg_time: str | None = None


class SemanticImport:
    """Maps the semantic models; read ``tables``, ``joins``, ``dimensions``, ``measures``, ``fates``."""

    def __init__(self, semantic_models: list[dict[str, Any]], dialect: str | None,
                 fate: Callable[[str, str, str, str], None], note: Callable[[str], None]) -> None:
        self.raw = semantic_models
        self.dialect = dialect
        self.fate = fate
        self.note = note
        self.models: list[_Model] = []
        self.tables: dict[str, dict[str, Any]] = {}
        self.joins: list[dict[str, Any]] = []
        self.dimensions: dict[str, dict[str, Any]] = {}
        self.dim_refs: dict[str, str] = {}  # "entity__dim" and bare "dim" -> ChatBI dimension
        self.time_refs: dict[str, str] = {TIME_DIMENSION: TIME_DIMENSION}
        self.entity_dims: dict[str, str] = {}  # entity -> ChatBI dimension of its key
        self.measures: dict[str, dict[str, Any]] = {}
        self.grains: set[str] = set()
        self.multi_primary: dict[str, list[str]] = {}  # entity -> tables where it is primary

    # -- driver ---------------------------------------------------------------------------
    def run(self) -> None:
        places: dict[str, list[tuple[_Model, str, str]]] = {}  # entity -> [(model, type, column)]
        for sm in self.raw:
            model = self._table(sm, places)
            if model is not None:
                self.models.append(model)
        self._joins(places)
        names = self._dimension_names()
        for model in self.models:
            self._dimensions(model, names)
        for model in self.models:
            for measure in model.raw.get("measures") or []:
                self._measure(model, measure)
            self.tables[model.table] = model.spec
        self._entity_dimensions(places)

    # -- tables and entities ----------------------------------------------------------------
    def _table(self, sm: dict[str, Any], places: dict[str, list[tuple[_Model, str, str]]]) -> _Model | None:
        name = str(sm.get("name", "?"))
        table = _ref_table(sm)
        if table in self.tables or any(m.table == table for m in self.models):
            self.fate("semantic_model", name, "not_mapped", f"table {table!r} is already imported by another "
                                                          "semantic model; merge the two semantic models")
            return None
        spec: dict[str, Any] = {"description": str(sm.get("description") or f"MetricFlow semantic model {name}.").strip(),
                                "columns": {}}
        if meta_of(sm):
            spec["meta"] = meta_of(sm)
        model = _Model(sm, name, table, spec, str(sm.get("primary_entity") or name),
                       agg_time=(sm.get("defaults") or {}).get("agg_time_dimension"))
        for ent in sm.get("entities") or []:
            ename, etype = str(ent.get("name")), str(ent.get("type", "foreign")).lower()
            where = f"{name}.{ename}"
            col = _plain(ent.get("expr"), ename)
            if col is None:
                self.fate("entity", where, "not_mapped", f"the key is a SQL expression ({str(ent.get('expr')).strip()!r}); "
                                                         "joins need a column: add it to the dbt model")
                continue
            if etype == "natural":
                self.fate("entity", where, "not_mapped", "natural keys (SCD type II validity windows) are not supported")
                continue
            self._declare(model, col, "varchar")
            model.keys[ename] = col
            places.setdefault(ename, []).append((model, etype, col))
            if etype in ("primary", "unique"):
                if etype == "primary":
                    spec["primary_key"] = [col]
                if not sm.get("primary_entity") and model.entity == name:
                    model.entity = ename
        self.fate("semantic_model", name, "mapped", f"table {table}")
        return model

    def _declare(self, model: _Model, col: str, type_: str) -> None:
        cols = model.spec["columns"]
        if _TYPE_RANK.get(type_, 0) > _TYPE_RANK.get(cols.get(col, "varchar"), 0) or col not in cols:
            cols[col] = type_

    def _joins(self, places: dict[str, list[tuple[_Model, str, str]]]) -> None:
        seen: set[tuple[str, str]] = set()
        for ename, found in places.items():
            targets = [(m, col) for m, etype, col in found if etype in ("primary", "unique")]
            primaries = list(dict.fromkeys(m.table for m, _ in targets))
            if len(primaries) > 1:
                self.multi_primary[ename] = primaries
            made: list[str] = []
            for model, etype, col in found:
                for target, tcol in targets:
                    if target.table == model.table:
                        continue
                    one = etype in ("primary", "unique")
                    pair = (model.table, target.table)
                    if one and (target.table, model.table) in seen:
                        continue  # one-to-one joins go both ways already
                    if pair in seen:
                        self.note(f"entity {ename}: {model.table} already joins {target.table} through another "
                                  f"entity; ChatBI uses the first join between two tables")
                        continue
                    seen.add(pair)
                    self.joins.append({"left": model.table, "right": target.table, "keys": {col: tcol},
                                       **({"relationship": "one_to_one"} if one else {})})
                    made.append(f"{model.table}.{col} -> {target.table}.{tcol}" + (" (one-to-one)" if one else ""))
            if not targets:
                self.fate("entity", ename, "caveat", "no semantic model declares it primary or unique: nothing joins on it")
            elif len(primaries) > 1:
                self.fate("entity", ename, "caveat", f"primary in {', '.join(primaries)}: each table joins the one "
                          "holding the dimension asked for; if a declared primary key is not unique there, sums "
                          "across it are multiplied -- run `chatbi model check --database` to count duplicates. "
                          + "; ".join(made))
            else:
                self.fate("entity", ename, "mapped", "; ".join(made) or f"key of {primaries[0]}")

    def _reaches(self, start: str) -> set[str]:
        edges: dict[str, list[str]] = {}
        for j in self.joins:
            edges.setdefault(j["left"], []).append(j["right"])
            if j.get("relationship") == "one_to_one":
                edges.setdefault(j["right"], []).append(j["left"])
        seen, queue = {start}, deque([start])
        while queue:
            for nxt in edges.get(queue.popleft(), []):
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        return seen

    # -- dimensions -------------------------------------------------------------------------
    def _dimension_names(self) -> dict[tuple[str, str], str]:
        """(semantic model, dimension) -> ChatBI name: a shared name stays on the conformed table."""
        users: dict[str, list[_Model]] = {}
        for model in self.models:
            for dim in model.raw.get("dimensions") or []:
                users.setdefault(str(dim.get("name")), []).append(model)
        out: dict[tuple[str, str], str] = {}
        taken: set[str] = {TIME_DIMENSION}
        for dname, models in users.items():
            if len(models) == 1:
                continue
            reach = {m.table: self._reaches(m.table) for m in models}
            conformed = next((m for m in models if all(m.table in reach[o.table] for o in models)), None)
            for m in models:
                if m is conformed:
                    continue
                prefixed = f"{identifier(m.entity)}_{dname}"
                out[(m.name, dname)] = prefixed if prefixed not in taken else f"{identifier(m.name)}_{dname}"
                taken.add(out[(m.name, dname)])
            if conformed is None:
                self.note(f"dimension {dname}: in {', '.join(m.name for m in models)}, none reachable from the "
                          "others; each is named after its entity")
        for model in self.models:
            for dim in model.raw.get("dimensions") or []:
                dname = str(dim.get("name"))
                if (model.name, dname) not in out:
                    out[(model.name, dname)] = dname if dname not in taken else f"{identifier(model.entity)}_{dname}"
                    taken.add(out[(model.name, dname)])
        return out

    def _column_of(self, model: _Model, name: str, expr: Any, kind: str, *, neutral: bool = False) -> str:
        """The column an element reads: a real column, or a computed one for a SQL expression
        (in the project's dialect, or already dialect-neutral with ``neutral``).

        Raises :class:`MetricFlowSQLError` with the reason when the expression cannot be used.
        """
        col = _plain(expr, name)
        if col is not None:
            return col
        sql, columns = translate_expression(str(expr), None if neutral else self.dialect)
        for c in columns:
            self._declare(model, c, "varchar")
        computed = model.spec.setdefault("computed", {})
        cname = name if name not in model.spec["columns"] and name not in computed else f"{name}_{kind}"
        while cname in model.spec["columns"] or (cname in computed and computed[cname] != sql):
            cname += "_"
        computed[cname] = sql
        return cname

    def _presence(self, model: _Model) -> str | None:
        key = model.spec.get("primary_key", [None])[0] or next(iter(model.keys.values()), None)
        if key is None:
            return None
        computed = model.spec.setdefault("computed", {})
        cname = f"{model.table}_exists" if f"{model.table}_exists" not in model.spec["columns"] else "row_exists"
        computed[cname] = presence_expression(key)
        return cname

    def _dimensions(self, model: _Model, names: dict[tuple[str, str], str]) -> None:
        for dim in model.raw.get("dimensions") or []:
            dname, dtype = str(dim.get("name")), str(dim.get("type", "categorical")).lower()
            where = f"{model.name}.{dname}"
            cname = names[(model.name, dname)]
            caveats: list[str] = []
            expr = dim.get("expr")
            if expr is not None and dtype != "time" and is_constant(str(expr)):
                col = self._presence(model)
                if col is None:
                    self.fate("dimension", where, "not_mapped", "a presence flag on a table without an entity key")
                    continue
                key = model.spec["computed"][col]
                caveats.append(f"presence flag: 1 where a {model.table} row exists ({key}), else NULL")
            else:
                try:
                    col = self._column_of(model, dname, expr, "expr" if dtype != "time" else "day")
                except MetricFlowSQLError as exc:
                    self.fate("dimension", where, "not_mapped", str(exc))
                    continue
                if col in model.spec.get("computed", {}):
                    caveats.append(f"SQL expression: {model.spec['computed'][col]}")
            if dtype == "time":
                tp = dim.get("type_params") or {}
                grain = str(tp.get("time_granularity", "day")).lower()
                if tp.get("validity_params"):
                    caveats.append("validity window of an SCD table: read as a plain date")
                if col in model.spec["columns"] or col not in model.spec.get("computed", {}):
                    self._declare(model, col, "date" if grain in GRAIN_ORDER else "timestamp")
                start = GRAIN_ORDER.index(grain) if grain in GRAIN_ORDER else 0
                if grain not in GRAIN_ORDER:
                    caveats.append(f"{grain} grain read at day grain and coarser")
                body: dict[str, Any] = {"type": "time", "table": model.table, "column": col,
                                        "grains": GRAIN_ORDER[start:]}
                if dname == model.agg_time:
                    model.spec["time_column"] = col
                    self.grains.add(GRAIN_ORDER[start])
                    caveats.insert(0, f"the time column of {model.table} ({TIME_DIMENSION})")
                self.time_refs[f"{model.entity}__{dname}"] = cname
                self.time_refs.setdefault(dname, cname)
            else:
                if col in model.spec["columns"] or col not in model.spec.get("computed", {}):
                    self._declare(model, col, "varchar")
                body = {"table": model.table, "column": col}
            if cname != dname:
                caveats.append(f"named {cname}: {dname!r} is also a dimension of another semantic model")
            body.update(described(dim, dname))
            if cname != dname and not dim.get("label"):
                body["label"] = {"en": f"{labels_for(model.entity)['en']} {labels_for(dname)['en'].lower()}"}
            self.dimensions[cname] = body
            self.dim_refs[f"{model.entity}__{dname}"] = cname
            for ename in model.keys:
                self.dim_refs.setdefault(f"{ename}__{dname}", cname)
            if cname == dname or dname not in self.dim_refs:
                self.dim_refs[dname] = cname
            self.fate("dimension", where, "caveat" if caveats else "mapped",
                      f"{cname} ({model.table}.{col})" + ("; " + "; ".join(caveats) if caveats else ""))

    def _entity_dimensions(self, places: dict[str, list[tuple[_Model, str, str]]]) -> None:
        """Each primary entity is a way to break down: its name dimension, else its key."""
        for ename, found in places.items():
            home = next(((m, col) for m, etype, col in found if etype in ("primary", "unique")), None)
            if home is None:
                continue
            model, col = home
            words = ename.replace("_", " ")
            named = next((n for n, d in self.dimensions.items() if d.get("table") == model.table
                          and d.get("type") != "time" and d.get("column") in (f"{ename}_name", "name")), None)
            if named is not None:
                syns = self.dimensions[named].setdefault("synonyms", [])
                if words not in syns and words != named.replace("_", " "):
                    syns.append(words)
                continue
            name = identifier(ename)
            if name in self.dimensions or name == TIME_DIMENSION:
                continue
            self.dimensions[name] = {"table": model.table, "column": col, "label": labels_for(ename),
                                     "description": f"The {words} (key {model.table}.{col}).", "index_members": False}
            self.entity_dims[ename] = name

    # -- measures ---------------------------------------------------------------------------
    def _measure(self, model: _Model, m: dict[str, Any]) -> None:
        mname, agg = str(m.get("name")), str(m.get("agg", "")).lower()
        where = f"{model.name}.{mname}"
        if mname in self.measures:
            self.fate("measure", where, "not_mapped", "a measure of this name exists in another semantic model")
            return
        if agg not in _AGGS:
            hint = "; ChatBI has sum, count, count_distinct, avg, min and max"
            self.fate("measure", where, "not_mapped", f"aggregation {agg!r}{hint}")
            return
        caveats: list[str] = []
        expr = m.get("expr")
        if expr is not None and is_constant(str(expr)):
            if agg not in ("sum", "count"):
                self.fate("measure", where, "not_mapped", f"{agg} of the constant {expr!r}")
                return
            col, agg = "*", "count"
        else:
            try:
                if agg == "sum_boolean":  # SUM(CASE WHEN <condition> THEN 1 ELSE 0 END)
                    plain = _plain(expr, mname)
                    sql = plain or translate_expression(str(expr), self.dialect)[0]
                    col = self._column_of(model, mname, boolean_expression(sql), "flag", neutral=True)
                else:
                    col = self._column_of(model, mname, expr, "expr")
            except MetricFlowSQLError as exc:
                self.fate("measure", where, "not_mapped", str(exc))
                return
            if col in model.spec.get("computed", {}):
                caveats.append(f"SQL expression: {model.spec['computed'][col]}")
            elif agg not in ("count", "count_distinct"):
                self._declare(model, col, "double")
        own_time = m.get("agg_time_dimension")
        if own_time and own_time != model.agg_time:
            if model.agg_time:
                self.fate("measure", where, "not_mapped", f"aggregates over time dimension {own_time!r}; ChatBI reads "
                                                          f"one time column per table ({model.agg_time!r})")
                return
            dim = self.dimensions.get(self.time_refs.get(f"{model.entity}__{own_time}", ""))
            if dim is None or dim.get("table") != model.table:
                self.fate("measure", where, "not_mapped", f"agg_time_dimension {own_time!r} is not a time dimension "
                                                          f"of {model.name}")
                return
            model.agg_time = own_time
            model.spec["time_column"] = dim["column"]
            self.note(f"{model.table}: time column taken from measure {mname}'s agg_time_dimension {own_time}")
        leaf: dict[str, Any] = {"table": model.table, "agg": _AGGS[agg], "column": col}
        nad = m.get("non_additive_dimension")
        if nad:
            nad = nad if isinstance(nad, dict) else {"name": nad}
            if nad.get("window_groupings") or nad.get("name") != (own_time or model.agg_time) or \
                    _AGGS[agg] not in {"sum", "max", "min"}:
                self.fate("measure", where, "not_mapped", "non_additive_dimension other than the time dimension, "
                                                          "with window_groupings or over a non-sum aggregation")
                return
            leaf = {"type": "semi_additive", **leaf,
                    "time_agg": "last" if str(nad.get("window_choice", "max")).lower() == "max" else "first"}
            caveats.append(f"semi-additive: the {leaf['time_agg']} value of each period")
        leaf.update(described(m, mname))
        leaf["_create_metric"] = bool(m.get("create_metric"))
        self.measures[mname] = leaf
        what = "COUNT(*)" if col == "*" else f"{_AGGS[agg].upper()}({model.table}.{col})"
        self.fate("measure", where, "caveat" if caveats else "mapped", what + ("; " + "; ".join(caveats) if caveats else ""))
