"""Import dbt MetricFlow semantic models and metrics into a ChatBI model.

Mapping (MetricFlow -> ChatBI):

- ``semantic_models[*]`` -> tables (``model: ref('orders')`` names the table); the
  ``agg_time_dimension`` becomes the table's ``time_column`` and all of them together the model's
  time dimension ``metric_time`` (MetricFlow's own name for it);
- entities -> joins: a ``foreign`` entity joins many-to-one to the semantic model where the
  same entity is ``primary`` or ``unique``; two primaries join one-to-one;
- categorical dimensions -> categorical dimensions; other time dimensions -> time dimensions;
- measures -> simple metrics (hidden unless ``create_metric``); ``non_additive_dimension`` over the
  time dimension -> semi-additive metrics (``window_choice: max`` = last value);
- metrics: ``simple`` (with member filters), ``ratio``, ``derived`` (aliases resolved).

What does not map is listed in :attr:`ImportReport.unmapped` with the reason, never silently
approximated: SQL expressions as measures or dimensions, percentile/median, cumulative and
conversion metrics, offset windows, filters other than member filters, natural (SCD) entities.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from semantic_layer import SemanticModel
from semantic_layer.sqlbuild import MetricFlowSQLError, rename_formula

from ..errors import ConfigError
from .mf_filters import FilterNotMappable, parse_filters
from .naming import has_cjk, identifier, labels_for

__all__ = ["Unmapped", "ImportReport", "import_metricflow", "TIME_DIMENSION"]

TIME_DIMENSION = "metric_time"
_SKIP_DIRS = {"target", "dbt_packages", "dbt_modules", "logs", "node_modules", ".venv", ".git"}
_AGGS = {"sum": "sum", "count": "count", "count_distinct": "count_distinct", "average": "avg", "avg": "avg",
         "min": "min", "max": "max", "sum_boolean": "sum"}
_GRAIN_ORDER = ["day", "week", "month", "quarter", "year"]
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Unmapped:
    kind: str  # file | semantic_model | entity | dimension | measure | metric
    name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.kind} {self.name}: {self.reason}"


@dataclass(frozen=True)
class ImportReport:
    """The imported model (plain data), what could not be mapped, and informational notes."""

    model: dict[str, Any]
    unmapped: tuple[Unmapped, ...]
    notes: tuple[str, ...] = ()

    def semantic_model(self) -> SemanticModel:
        return SemanticModel.from_dict(self.model, source=f"MetricFlow import of {self.model['name']}")

    def text(self) -> str:
        lines = [f"imported {len(self.model['metrics'])} metrics, {len(self.model['dimensions'])} dimensions, "
                 f"{len(self.model['tables'])} tables"]
        lines += [f"not mapped: {u}" for u in self.unmapped]
        return "\n".join(lines)


def import_metricflow(path: str | os.PathLike[str], *, name: str | None = None) -> ImportReport:
    """Read every YAML file under ``path`` (a dbt project or a folder of MetricFlow YAML)."""
    root = Path(path)
    if not root.exists():
        raise ConfigError(f"no such file or folder: {root}")
    files = [root] if root.is_file() else sorted(
        p for p in root.rglob("*") if p.suffix in {".yml", ".yaml"} and not (set(p.relative_to(root).parts[:-1]) & _SKIP_DIRS))
    importer = _Importer()
    project = None
    for f in files:
        try:
            docs = list(yaml.safe_load_all(f.read_text(encoding="utf-8")))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            importer.unmapped.append(Unmapped("file", str(f), f"not valid YAML ({str(exc).splitlines()[0]})"))
            continue
        for doc in docs:
            if not isinstance(doc, dict):
                continue
            if f.name == "dbt_project.yml":
                project = doc.get("name")
            importer.semantic_models += [s for s in doc.get("semantic_models") or [] if isinstance(s, dict)]
            importer.mf_metrics += [m for m in doc.get("metrics") or [] if isinstance(m, dict)]
    if not importer.semantic_models:
        raise ConfigError(f"no MetricFlow semantic_models found under {root}")
    return importer.run(identifier(name or project or root.stem))


def _ref_table(sm: dict[str, Any]) -> str:
    node = sm.get("node_relation") or {}
    if isinstance(node, dict) and node.get("alias"):
        return str(node["alias"])
    match = re.search(r"ref\(\s*['\"]([^'\"]+)['\"](?:\s*,\s*['\"]([^'\"]+)['\"])?\s*\)", str(sm.get("model", "")))
    if match:
        return match.group(2) or match.group(1)
    return str(sm["name"])


def _column(expr: Any, default: str) -> str | None:
    """The column an ``expr`` names, or None for a SQL expression."""
    text = str(default if expr is None else expr).strip()
    return text if _IDENT.match(text) else None


def _labels(label: Any, name: str) -> dict[str, str]:
    if isinstance(label, str) and label:
        return {"zh": label, "en": labels_for(name)["en"]} if has_cjk(label) else {"en": label}
    return labels_for(name)


def _synonyms(node: dict[str, Any]) -> list[str]:
    meta = node.get("meta") or (node.get("config") or {}).get("meta") or {}
    found = meta.get("synonyms") if isinstance(meta, dict) else None
    return [str(s) for s in found] if isinstance(found, list) else []


class _Importer:
    def __init__(self) -> None:
        self.semantic_models: list[dict[str, Any]] = []
        self.mf_metrics: list[dict[str, Any]] = []
        self.unmapped: list[Unmapped] = []
        self.notes: list[str] = []
        self.tables: dict[str, dict[str, Any]] = {}
        self.dimensions: dict[str, dict[str, Any]] = {}
        self.dim_refs: dict[str, str] = {}  # "entity__dim" and bare "dim" -> ChatBI dimension
        self.measures: dict[str, dict[str, Any]] = {}  # measure -> ChatBI leaf spec
        self.metrics: dict[str, dict[str, Any]] = {}
        self.grains: set[str] = set()

    # -- semantic models ------------------------------------------------------------------
    def run(self, name: str) -> ImportReport:
        entities: dict[str, list[tuple[str, str, str]]] = {}  # entity -> [(table, type, column)]
        for sm in self.semantic_models:
            self._semantic_model(sm, entities)
        joins = self._joins(entities)
        self.by_name = {str(m["name"]): m for m in self.mf_metrics if m.get("name")}
        self.resolving: set[str] = set()
        self.failed: set[str] = set()
        for m in self.mf_metrics:
            if m.get("name"):
                self._metric(str(m["name"]))
        for mname, spec in self.measures.items():
            if spec.pop("_create_metric", False) and mname not in self.metrics:
                self.metrics[mname] = {k: v for k, v in spec.items() if not k.startswith("_")}
        grains = [g for g in _GRAIN_ORDER if not self.grains or _GRAIN_ORDER.index(g) >= min(
            _GRAIN_ORDER.index(x) for x in self.grains)]
        model: dict[str, Any] = {
            "name": name, "label": labels_for(name),
            "description": f"Imported from dbt MetricFlow ({len(self.semantic_models)} semantic models, "
                           f"{len(self.mf_metrics)} metrics).",
            "time_dimension": TIME_DIMENSION, "default_language": "en",
            "tables": self.tables, "joins": joins,
            "dimensions": {TIME_DIMENSION: {"type": "time", "grains": grains, "label": {"en": "Metric time", "zh": "日期"},
                                            "synonyms": ["date", "time", "日期", "时间"]}, **self.dimensions},
            "metrics": self.metrics,
        }
        if not self.metrics:
            raise ConfigError("no MetricFlow metric or measure could be mapped:\n  "
                              + "\n  ".join(str(u) for u in self.unmapped))
        report = ImportReport(model, tuple(self.unmapped), tuple(self.notes))
        report.semantic_model()  # the import must always load
        return report

    def _semantic_model(self, sm: dict[str, Any], entities: dict[str, list[tuple[str, str, str]]]) -> None:
        sm_name = str(sm.get("name", "?"))
        table = _ref_table(sm)
        if table in self.tables:
            self.unmapped.append(Unmapped("semantic_model", sm_name, f"table {table!r} already imported"))
            return
        columns: dict[str, str] = {}
        spec: dict[str, Any] = {"description": str(sm.get("description") or f"MetricFlow semantic model {sm_name}.").strip(),
                                "columns": columns}
        primary = sm.get("primary_entity")
        for ent in sm.get("entities") or []:
            ename, etype = str(ent.get("name")), str(ent.get("type", "foreign"))
            col = _column(ent.get("expr"), ename)
            if col is None:
                self.unmapped.append(Unmapped("entity", f"{sm_name}.{ename}", "expression keys need a column"))
                continue
            if etype == "natural":
                self.unmapped.append(Unmapped("entity", f"{sm_name}.{ename}",
                                              "natural keys (SCD type II validity windows) are not supported"))
                continue
            columns.setdefault(col, "varchar")
            entities.setdefault(ename, []).append((table, etype, col))
            if etype == "primary":
                primary = primary or ename
                spec["primary_key"] = [col]
        defaults = sm.get("defaults") or {}
        agg_time = defaults.get("agg_time_dimension")
        self._dimensions(sm, sm_name, table, str(primary or sm_name), columns, spec, agg_time)
        for measure in sm.get("measures") or []:
            self._measure(measure, sm_name, table, columns, spec, agg_time)
        self.tables[table] = spec

    def _dimensions(self, sm: dict[str, Any], sm_name: str, table: str, entity: str, columns: dict[str, str],
                    spec: dict[str, Any], agg_time: Any) -> None:
        for dim in sm.get("dimensions") or []:
            dname, dtype = str(dim.get("name")), str(dim.get("type", "categorical")).lower()
            col = _column(dim.get("expr"), dname)
            if col is None:
                self.unmapped.append(Unmapped("dimension", f"{sm_name}.{dname}",
                                              f"SQL expression {str(dim.get('expr')).strip()!r}; add it as a column or view"))
                continue
            if dtype == "time":
                grain = str((dim.get("type_params") or {}).get("time_granularity", "day")).lower()
                columns[col] = "date" if grain in _GRAIN_ORDER else "timestamp"
                if dname == agg_time:
                    spec["time_column"] = col
                    self.grains.add(grain if grain in _GRAIN_ORDER else "day")
                    self.dim_refs[f"{entity}__{dname}"] = TIME_DIMENSION
                    continue
                grains = [g for g in _GRAIN_ORDER if g in _GRAIN_ORDER[_GRAIN_ORDER.index(grain) if grain in _GRAIN_ORDER else 0:]]
                body: dict[str, Any] = {"type": "time", "table": table, "column": col, "grains": grains}
            else:
                columns.setdefault(col, "varchar")
                body = {"table": table}
                if col != dname:
                    body["column"] = col
            cname = dname if dname not in self.dimensions and dname != TIME_DIMENSION else f"{identifier(entity)}_{dname}"
            body["label"] = _labels(dim.get("label"), dname)
            if dim.get("description"):
                body["description"] = str(dim["description"]).strip()
            if _synonyms(dim):
                body["synonyms"] = _synonyms(dim)
            self.dimensions[cname] = body
            self.dim_refs[f"{entity}__{dname}"] = cname
            self.dim_refs.setdefault(dname, cname)

    def _measure(self, m: dict[str, Any], sm_name: str, table: str, columns: dict[str, str], spec: dict[str, Any],
                 agg_time: Any) -> None:
        mname, agg = str(m.get("name")), str(m.get("agg", "")).lower()
        where = f"{sm_name}.{mname}"
        if agg not in _AGGS:
            self.unmapped.append(Unmapped("measure", where, f"aggregation {agg!r} (ChatBI has sum, count, "
                                                            "count_distinct, avg, min, max)"))
            return
        expr = str(m.get("expr", mname)).strip()
        if expr in {"1", "*"} and agg in {"sum", "count"}:
            col, agg = "*", "count"
        else:
            col = _column(m.get("expr"), mname)
        if col is None:
            self.unmapped.append(Unmapped("measure", where, f"SQL expression {expr!r}; add it as a column or view"))
            return
        own_time = m.get("agg_time_dimension")
        if own_time and own_time != agg_time:
            if spec.get("time_column") or agg_time:
                self.unmapped.append(Unmapped("measure", where, f"aggregates over time dimension {own_time!r}; ChatBI "
                                                                f"reads one time column per table ({agg_time!r})"))
                return
            self.notes.append(f"{table}: time column taken from measure {mname}'s agg_time_dimension {own_time}")
        if col != "*":
            columns.setdefault(col, "double" if agg not in {"count", "count_distinct"} else "varchar")
        leaf: dict[str, Any] = {"table": table, "agg": _AGGS[agg], "column": col}
        nad = m.get("non_additive_dimension")
        if nad:
            nad = nad if isinstance(nad, dict) else {"name": nad}
            if nad.get("window_groupings") or nad.get("name") != (own_time or agg_time) or _AGGS[agg] not in {"sum", "max", "min"}:
                self.unmapped.append(Unmapped("measure", where, "non_additive_dimension other than the time dimension, "
                                                                "with window_groupings or over a non-sum aggregation"))
                return
            leaf = {"type": "semi_additive", **leaf,
                    "time_agg": "last" if str(nad.get("window_choice", "max")).lower() == "max" else "first"}
        if agg == "sum_boolean":
            self.notes.append(f"measure {mname}: sum_boolean mapped to sum; the column must be numeric (0/1)")
        leaf["label"] = _labels(m.get("label"), mname)
        if m.get("description"):
            leaf["description"] = str(m["description"]).strip()
        leaf["_create_metric"] = bool(m.get("create_metric"))
        if mname in self.measures:
            self.unmapped.append(Unmapped("measure", where, "a measure of this name exists in another semantic model"))
            return
        self.measures[mname] = leaf

    def _joins(self, entities: dict[str, list[tuple[str, str, str]]]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for ename, places in entities.items():
            targets = [p for p in places if p[1] in {"primary", "unique"}]
            if not targets:
                continue
            target = targets[0]
            for table, etype, col in places:
                if table == target[0]:
                    continue
                one = etype in {"primary", "unique"}
                out.append({"left": table, "right": target[0], "keys": {col: target[2]},
                            **({"relationship": "one_to_one"} if one else {})})
        return out

    # -- metrics --------------------------------------------------------------------------
    def _metric(self, name: str) -> str | None:
        """Map MetricFlow metric ``name`` (once); its ChatBI name, or None when it cannot be mapped."""
        if name in self.metrics:
            return name
        if name in self.failed or name not in self.by_name:
            return None
        if name in self.resolving:
            self._fail(name, "refers to itself through other metrics")
            return None
        self.resolving.add(name)
        try:
            spec = self._map_metric(name, self.by_name[name])
        except _Skip as exc:
            self._fail(name, str(exc))
            return None
        finally:
            self.resolving.discard(name)
        self.metrics[name] = spec
        return name

    def _fail(self, name: str, reason: str) -> None:
        self.failed.add(name)
        self.unmapped.append(Unmapped("metric", name, reason))

    def _map_metric(self, name: str, m: dict[str, Any]) -> dict[str, Any]:
        kind = str(m.get("type", "simple")).lower()
        tp = m.get("type_params") or {}
        common: dict[str, Any] = {"label": _labels(m.get("label"), name)}
        if m.get("description"):
            common["description"] = str(m["description"]).strip()
        if _synonyms(m):
            common["synonyms"] = _synonyms(m)
        if kind == "simple":
            ref = tp.get("measure")
            mname = ref.get("name") if isinstance(ref, dict) else ref
            if mname not in self.measures:
                raise _Skip(f"measure {mname!r} was not imported")
            filters = self._filters(m.get("filter")) + self._filters(ref.get("filter") if isinstance(ref, dict) else None)
            spec = {k: v for k, v in self.measures[mname].items() if not k.startswith("_")}
            spec.pop("label", None)
            spec.pop("description", None)
            if filters:
                spec["filters"] = filters
            if isinstance(ref, dict) and ({"fill_nulls_with", "join_to_timespine"} & set(ref)):
                self.notes.append(f"metric {name}: fill_nulls_with / join_to_timespine ignored")
            return {**spec, **common}
        if kind == "ratio":
            extra = self._filters(m.get("filter"))
            num = self._input(name, "numerator", tp.get("numerator"), extra)
            den = self._input(name, "denominator", tp.get("denominator"), extra)
            return {"type": "ratio", "numerator": num, "denominator": den, **common}
        if kind == "derived":
            return {"type": "derived", "formula": self._formula(name, tp, self._filters(m.get("filter"))), **common}
        if kind == "cumulative":
            ctp = tp.get("cumulative_type_params") or {}
            window, to_date = tp.get("window") or ctp.get("window"), tp.get("grain_to_date") or ctp.get("grain_to_date")
            what = f"window {window}" if window else f"{to_date}-to-date" if to_date else "all-time running total"
            base = tp.get("measure") or tp.get("metric")
            base = base.get("name") if isinstance(base, dict) else base
            plain = self._plain_metric(str(base)) if base else None
            hint = f"; ask {plain!r} with a to-date period (year to date / 今年以来) instead" if plain else ""
            raise _Skip(f"cumulative metric ({what}): ChatBI has no running-total metric{hint}")
        if kind == "conversion":
            raise _Skip("conversion metrics (funnels between entities) are not supported")
        raise _Skip(f"unknown metric type {kind!r}")

    def _filters(self, text: Any) -> list[dict[str, Any]]:
        try:
            return parse_filters(text, self._resolve_dimension)
        except FilterNotMappable as exc:
            raise _Skip(str(exc)) from None

    def _resolve_dimension(self, ref: str) -> str | None:
        parts = ref.split("__")
        return self.dim_refs.get("__".join(parts[-2:])) or self.dim_refs.get(parts[-1])

    def _input(self, parent: str, role: str, ref: Any, extra: list[dict[str, Any]]) -> str:
        """A ratio/derived input as a ChatBI metric name (a hidden filtered copy when the input has a filter)."""
        rname = ref.get("name") if isinstance(ref, dict) else ref
        if not rname:
            raise _Skip(f"{role} is missing")
        if isinstance(ref, dict) and (ref.get("offset_window") or ref.get("offset_to_grain")):
            raise _Skip(f"input {rname!r} uses offset_window/offset_to_grain (a time shift); use compare "
                        "(year over year / previous period) in the question instead")
        if rname in self.by_name:
            target = self._metric(str(rname))
            if target is None:
                raise _Skip(f"depends on metric {rname!r}, which could not be mapped")
        elif rname in self.measures:
            target = self._measure_metric(str(rname))
        else:
            raise _Skip(f"{role} {rname!r} is neither a metric nor a measure")
        filters = extra + self._filters(ref.get("filter") if isinstance(ref, dict) else None)
        if not filters:
            return target
        base = self.metrics[target]
        if base.get("type", "simple") not in {"simple", "semi_additive"}:
            raise _Skip(f"a filter on {rname!r}, which is not a simple metric")
        variant = f"{parent}__{role}"
        self.metrics[variant] = {**{k: v for k, v in base.items() if k not in {"synonyms", "description", "label"}},
                                 "label": labels_for(variant), "filters": [*base.get("filters", []), *filters],
                                 "hidden": True}
        return variant

    def _plain_metric(self, name: str) -> str | None:
        """An already mapped metric computing measure (or metric) ``name`` without filters."""
        if name in self.metrics:
            return name
        for other in self.by_name.values():
            ref = (other.get("type_params") or {}).get("measure")
            if str(other.get("type", "simple")).lower() == "simple" and not other.get("filter") and \
                    ref == name and other["name"] in self.metrics:
                return str(other["name"])
        return None

    def _measure_metric(self, measure: str) -> str:
        """A metric computing a measure as it is: an unfiltered simple metric over it, else a hidden one."""
        for other in self.by_name.values():
            tp = other.get("type_params") or {}
            ref = tp.get("measure")
            if str(other.get("type", "simple")).lower() == "simple" and not other.get("filter") and (
                    ref == measure or (isinstance(ref, dict) and ref.get("name") == measure and not ref.get("filter"))):
                found = self._metric(str(other["name"]))
                if found:
                    return found
        name = measure if measure not in self.by_name else f"{measure}_measure"
        if name not in self.metrics:
            spec = {k: v for k, v in self.measures[measure].items() if not k.startswith("_")}
            self.metrics[name] = {**spec, "hidden": True}
        return name

    def _formula(self, name: str, tp: dict[str, Any], extra: list[dict[str, Any]]) -> str:
        expr = tp.get("expr")
        if not expr:
            raise _Skip("derived metric without expr")
        mapping: dict[str, str] = {}
        for i, ref in enumerate(tp.get("metrics") or []):
            ref = ref if isinstance(ref, dict) else {"name": ref}
            alias = str(ref.get("alias") or ref.get("name"))
            mapping[alias] = self._input(name, f"input{i + 1}" if ref.get("filter") or extra else alias, ref, extra)
        try:
            return rename_formula(expr, mapping)
        except MetricFlowSQLError as exc:
            raise _Skip(str(exc)) from None


class _Skip(Exception):
    """Internal: this metric cannot be mapped (the message is the reason)."""
