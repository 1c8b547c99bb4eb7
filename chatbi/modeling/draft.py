"""Draft a semantic model from a profiled warehouse: rules a data analyst would apply first.

- tables referenced by joins are dimension tables; the others (and joined tables that carry a
  date and numbers) are fact tables, each with a time column chosen among its date/timestamp
  columns (DATE before TIMESTAMP, ``date``-like names first) — the model's time dimension;
- text, boolean and code-like columns with few distinct values become categorical dimensions
  (with an English label column when one exists, and a member list to add synonyms to);
- numeric columns of fact tables become measures: ``avg`` for rates, prices and percentages
  (a rate is never summed), last value over time for stocks (balances, active users), ``sum``
  for amounts and counts; plus a row count per fact table and a distinct count per joined key;
- joins from declared or inferred keys (see :mod:`.relations`), hierarchies from functional
  dependencies, labels from column names.

The result is plain data that :class:`~semantic_layer.SemanticModel` loads, and a list of notes
saying what was decided and why (the writer puts them at the top of the YAML).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from semantic_layer import SemanticModel

from ..warehouse import Engine
from .introspect import SAMPLE_ROWS, ColumnProfile, DatabaseProfile, TableProfile, profile_engine
from .naming import (
    has_cjk,
    identifier,
    is_additive_name,
    is_code_name,
    is_key_name,
    is_rate_name,
    is_stock_name,
    key_base,
    labels_for,
    plural,
    table_base,
    time_column_rank,
    unique_name,
    unit_of,
    words,
)
from .relations import DimCandidate, Join, find_label_pairs, infer_hierarchies, infer_joins

__all__ = ["Draft", "draft_model", "draft_from_profile", "MAX_DIMENSION_VALUES", "MAX_LISTED_MEMBERS"]

#: text columns with more distinct values are not dimensions (free text, identifiers)
MAX_DIMENSION_VALUES = 1000
#: dimensions with at most this many values get a member list in the YAML (to add synonyms to)
MAX_LISTED_MEMBERS = 30
_INDEX_LIMIT = 2000
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_GRAINS = ["day", "week", "month", "quarter", "year"]
_DOWN_WORDS = frozenset({"cost", "costs", "complaints", "complaint", "churn", "churned", "downtime", "error", "errors",
                         "defect", "defects", "drop", "dropped", "drops", "loss", "losses", "latency", "failure",
                         "failures", "delay", "delays", "scrap", "returns", "refund", "refunds", "expense"})


@dataclass(frozen=True)
class Draft:
    """A drafted model (plain data, loadable) and the notes explaining it."""

    model: dict[str, Any]
    notes: tuple[str, ...]
    profile: DatabaseProfile
    joins: tuple[Join, ...] = field(default=())

    def semantic_model(self) -> SemanticModel:
        return SemanticModel.from_dict(self.model, source=f"draft of {self.model.get('name', 'model')}")


def draft_model(engine: Engine, tables: Sequence[str] | None = None, *, name: str = "drafted",
                source: str = "", sample_rows: int = SAMPLE_ROWS,
                original_names: Mapping[str, str] | None = None) -> Draft:
    """Profile ``engine`` (all tables or those matching ``tables``) and draft a model of it.

    ``original_names`` (``"table"`` / ``"table.column"`` -> name) gives the names users know for
    tables and columns that were renamed to plain ASCII (see :func:`~chatbi.modeling.open_files`).
    """
    profile = profile_engine(engine, tables, sample_rows=sample_rows)
    return draft_from_profile(engine, profile, name=name, source=source, original_names=original_names)


def draft_from_profile(engine: Engine, profile: DatabaseProfile, *, name: str = "drafted",
                       source: str = "", original_names: Mapping[str, str] | None = None) -> Draft:
    return _Drafter(engine, profile, name, source, dict(original_names or {})).run()


class _Drafter:
    def __init__(self, engine: Engine, profile: DatabaseProfile, name: str, source: str,
                 originals: dict[str, str]) -> None:
        self.engine, self.profile, self.name, self.source = engine, profile, identifier(name), source
        self.originals = originals
        self.notes: list[str] = list(profile.notes)
        self.names: set[str] = set()  # one namespace for dimensions and metrics
        self.dimensions: dict[str, dict[str, Any]] = {}
        self.metrics: dict[str, dict[str, Any]] = {}
        self.candidates: list[DimCandidate] = []

    # -- orchestration --------------------------------------------------------------------
    def run(self) -> Draft:
        p = self.profile
        for t in p.tables:
            if t.sampled:
                self.notes.append(f"{t.name}: statistics from a sample of {t.profiled_rows:,} of {t.row_count:,} rows")
            odd = [n for n in (t.name, *(c.name for c in t.columns)) if not _PLAIN.fullmatch(n)]
            if odd:
                self.notes.append(f"{t.name}: {', '.join(odd)} are not plain ASCII names, which the SQL guard "
                                  "rejects unquoted; expose them through a view with ASCII names")
        self.joins = infer_joins(self.engine, p)
        for j in self.joins:
            keys = ", ".join(f"{a} = {j.right}.{b}" for a, b in j.keys)
            self.notes.append(f"join {j.left}.{keys} ({j.relationship}; {j.evidence})")
        targets = {j.right for j in self.joins}
        self.join_keys = {(j.left, a) for j in self.joins for a, _ in j.keys} | \
                         {(j.right, b) for j in self.joins for _, b in j.keys}
        self.facts = [t for t in p.tables if t.name not in targets or self._has_time_and_numbers(t)]
        self.time_columns = {t.name: self._time_column(t) for t in self.facts}
        tables = {t.name: self._table(t) for t in p.tables}
        time_dim = self._time_dimension()
        for t in p.tables:
            self._table_dimensions(t)
        for t in self.facts:
            self._table_metrics(t)
        hierarchies = self._hierarchies(time_dim)
        model: dict[str, Any] = {
            "name": self.name,
            "label": labels_for(self.name),
            "description": f"Drafted by `chatbi model draft`{' from ' + self.source if self.source else ''}; "
                           "review labels, synonyms and aggregations before use.",
            "time_anchor": "latest",
            "time_dimension": time_dim,
            "default_language": "zh" if self._chinese_data() else "en",
            "tables": tables,
            "joins": [{"left": j.left, "right": j.right, "keys": dict(j.keys),
                       **({"relationship": j.relationship} if j.relationship != "many_to_one" else {})}
                      for j in self.joins],
            "dimensions": {time_dim: self._time_spec(), **self.dimensions},
            "hierarchies": hierarchies,
            "metrics": self.metrics,
            "examples": self._examples(time_dim),
        }
        if not model["joins"]:
            del model["joins"]
        SemanticModel.from_dict(model, source="draft")  # a drafted model must always load
        return Draft(model, tuple(self.notes), p, tuple(self.joins))

    # -- tables and time ------------------------------------------------------------------
    def _has_time_and_numbers(self, t: TableProfile) -> bool:
        return any(c.is_temporal for c in t.columns) and any(self._measure_column(t, c) for c in t.columns)

    def _time_column(self, t: TableProfile) -> str | None:
        temporal = sorted((c for c in t.columns if c.is_temporal and c.non_null),
                          key=lambda c: time_column_rank(c.name, c.type))
        if not temporal:
            return None
        for other in temporal[1:]:
            self.notes.append(f"{t.name}.{other.name}: another date column, not drafted (time column is {temporal[0].name})")
        if temporal[0].type == "timestamp":
            self.notes.append(f"{t.name}.{temporal[0].name}: a timestamp; a DATE column (or a view casting it) "
                              "makes date ranges include their last day")
        return temporal[0].name

    def _table(self, t: TableProfile) -> dict[str, Any]:
        spec: dict[str, Any] = {}
        desc = f"{t.row_count:,} rows"
        tc = self.time_columns.get(t.name)
        if tc:
            c = t.column(tc)
            desc += f", {tc} from {c.min} to {c.max}"
        spec["description"] = desc + "."
        if tc:
            spec["time_column"] = tc
        pk = t.primary_key or self._inferred_key(t)
        if pk:
            spec["primary_key"] = list(pk)
        spec["columns"] = {c.name: c.type if c.type != "other" else (c.raw_type.lower() or "other") for c in t.columns}
        return spec

    def _inferred_key(self, t: TableProfile) -> tuple[str, ...]:
        keys = [b for j in self.joins if j.right == t.name for _, b in j.keys]
        return tuple(dict.fromkeys(keys))

    def _time_dimension(self) -> str:
        name = "date"
        self.names.add(name)
        self.has_time = any(self.time_columns.values())
        if not self.has_time:
            self.notes.append("no date or timestamp column: the time dimension is a placeholder; "
                              "questions over time cannot be answered")
        return name

    def _time_spec(self) -> dict[str, Any]:
        if self.has_time:
            return {"type": "time", "grains": list(_GRAINS), "label": {"en": "Date", "zh": "日期"},
                    "synonyms": ["time", "day", "日期", "时间"]}
        first = self.profile.tables[0]
        # the model format needs a time dimension; point it at a real column so the model loads
        return {"type": "time", "table": first.name, "column": first.columns[0].name, "grains": ["day"],
                "label": {"en": "Date (not in the data)", "zh": "日期（数据中没有）"},
                "description": "Placeholder: the data has no date column."}

    # -- dimensions -----------------------------------------------------------------------
    def _is_key(self, t: TableProfile, c: ColumnProfile) -> bool:
        return (t.name, c.name) in self.join_keys or c.name in t.primary_key

    def _dimension_column(self, t: TableProfile, c: ColumnProfile) -> bool:
        if self._is_key(t, c) or c.is_temporal or not (1 <= c.distinct <= MAX_DIMENSION_VALUES):
            return False
        if c.type in {"varchar", "boolean"}:
            return True
        known = self.originals.get(f"{t.name}.{c.name}", c.name)
        if c.type in {"integer", "bigint"}:
            # codes and unmatched ids with few values are categories ("status", "store_id")
            few = c.distinct <= 50 or (c.distinct <= MAX_DIMENSION_VALUES and c.distinct < 0.5 * max(c.non_null, 1))
            return (is_code_name(known) and c.distinct <= 50) or (is_key_name(known) and few)
        return False

    def _table_dimensions(self, t: TableProfile) -> None:
        pairs = find_label_pairs(self.engine, self.profile, t)
        label_side = set(pairs.values())
        for main, label in pairs.items():
            self.notes.append(f"{t.name}.{label}: English names of {main} (label column)")
        for c in t.columns:
            if c.name in label_side:
                continue
            if not self._dimension_column(t, c):
                if c.type == "varchar" and c.distinct > MAX_DIMENSION_VALUES and not self._is_key(t, c):
                    self.notes.append(f"{t.name}.{c.name}: {c.distinct:,}+ distinct texts, not a dimension")
                continue
            name = self._dimension_name(t, c)
            spec: dict[str, Any] = {"table": t.name}
            if c.name != name:
                spec["column"] = c.name
            if c.name in pairs:
                spec["label_column"] = pairs[c.name]
            spec["label"] = self._labels(t, c.name if c.name not in {"name", "title"} else name, c.name)
            synonyms = self._entity_synonyms(name, spec["label"]) + self._original(t, c.name)
            if synonyms:
                spec["synonyms"] = synonyms
            examples = ", ".join(str(v) for v in (c.values or c.samples)[:4])
            spec["description"] = f"{c.distinct:,} values, e.g. {examples}."
            if c.values is not None and len(c.values) <= MAX_LISTED_MEMBERS and c.type == "varchar":
                spec["members"] = {str(v): [] for v in c.values}
            if c.distinct > _INDEX_LIMIT:
                spec["index_members"] = False
            self.dimensions[name] = spec
            self.candidates.append(DimCandidate(name, t.name, c.name, c.distinct))

    def _original(self, t: TableProfile, column: str) -> list[str]:
        found = self.originals.get(f"{t.name}.{column}")
        return [found] if found else []

    def _labels(self, t: TableProfile, name: str, column: str) -> dict[str, str]:
        """Labels from the name users know: the file's own header when the view renamed it."""
        original = self.originals.get(f"{t.name}.{column}")
        return labels_for(original) if original else labels_for(name)

    @staticmethod
    def _entity_synonyms(name: str, label: dict[str, str]) -> list[str]:
        """A ``<thing>_name`` column names the thing itself: ``store_name`` answers to "store"/"stores"."""
        ws = words(name)
        if len(ws) < 2 or ws[-1] not in {"name", "title"}:
            return []
        entity = " ".join(ws[:-1])
        out = [entity, plural(entity)]
        zh = labels_for("_".join(ws[:-1])).get("zh")
        if zh and zh != label.get("zh"):
            out.append(zh)
        return list(dict.fromkeys(out))

    def _dimension_name(self, t: TableProfile, c: ColumnProfile) -> str:
        name = identifier(c.name)
        base = identifier(table_base(t.name)).rstrip("s") or identifier(t.name)
        if name in {"name", "title", "label", "type", "status", "category", "code", "description"}:
            name = f"{base}_{name}"
        if name in self.names:
            name = f"{base}_{name}" if not name.startswith(base) else name
        name = unique_name(name, self.names)
        self.names.add(name)
        return name

    # -- metrics --------------------------------------------------------------------------
    def _measure_column(self, t: TableProfile, c: ColumnProfile) -> bool:
        if not c.is_numeric or self._is_key(t, c) or c.type == "boolean" or c.non_null == 0:
            return False
        known = self.originals.get(f"{t.name}.{c.name}", c.name)
        if is_key_name(known):
            return False
        # a small integer code is a category, drafted as a dimension
        return not (c.type in {"integer", "bigint"} and is_code_name(known) and c.distinct <= 50)

    def _table_metrics(self, t: TableProfile) -> None:
        base = identifier(table_base(t.name))
        count = unique_name(f"{base}_count", self.names)
        self.names.add(count)
        known = self.originals.get(t.name) or table_base(t.name)
        zh_base = labels_for(known).get("zh")
        self.metrics[count] = {"table": t.name, "agg": "count", "column": "*", "format": "integer",
                               "label": {"en": f"Number of {' '.join(words(known)) or t.name} rows",
                                         **({"zh": f"{zh_base}记录数"} if zh_base else {})},
                               "description": f"Rows of {t.name}" + (f" ({known})." if known != table_base(t.name)
                                                                     else ".")}
        for j in self.joins:
            if j.left == t.name and len(j.keys) == 1 and j.relationship == "many_to_one":
                key = j.keys[0][0]
                entity = key_base(key)
                mname = f"{entity}_count"
                if mname in self.names:
                    continue  # another fact table counts this entity already
                self.names.add(mname)
                labels = labels_for(entity)
                self.metrics[mname] = {
                    "table": t.name, "agg": "count_distinct", "column": key, "format": "integer",
                    "label": {"en": f"Number of {plural(labels['en'].lower())}",
                              **({"zh": labels["zh"] + "数"} if "zh" in labels else {})},
                    "description": f"Distinct {key} values in {t.name}."}
        for c in t.columns:
            if self._measure_column(t, c):
                self._measure(t, c)

    def _measure(self, t: TableProfile, c: ColumnProfile) -> None:
        name = identifier(c.name)
        if name in self.names:
            name = f"{identifier(table_base(t.name))}_{name}"
        name = unique_name(name, self.names)
        self.names.add(name)
        known = self.originals.get(f"{t.name}.{c.name}", c.name)
        fraction = c.type in {"double", "decimal"} and c.min is not None and c.max is not None \
            and float(c.min) >= 0 and float(c.max) <= 1
        spec: dict[str, Any]
        if is_rate_name(known) or (fraction and not is_additive_name(known)):
            spec = {"table": t.name, "agg": "avg", "column": c.name}
            why = "a rate, price or percentage: averaged, never summed"
        elif is_stock_name(known) and self.time_columns.get(t.name):
            spec = {"type": "semi_additive", "table": t.name, "agg": "sum", "column": c.name, "time_agg": "last"}
            why = "a level at a point in time: summed across dimensions, last value over time"
        else:
            spec = {"table": t.name, "agg": "sum", "column": c.name}
            why = "an amount or count: summed"
        self.notes.append(f"metric {name}: {spec.get('agg')}({t.name}.{c.name}) — {why}")
        ws = set(words(known))
        if spec["agg"] == "sum" and c.type in {"integer", "bigint"}:
            spec["format"] = "integer"
        if spec["agg"] == "avg" and fraction and is_rate_name(known):
            spec["format"] = "percent"
        if ws & {"percent", "percentage"} or unit_of(known):
            spec["unit"] = unit_of(known) or "%"
        if ws & _DOWN_WORDS:
            spec["favorable"] = "down"
        spec["label"] = self._labels(t, c.name, c.name)
        if self._original(t, c.name):
            spec["synonyms"] = self._original(t, c.name)
        agg = {"avg": "Average", "sum": "Sum"}.get(spec["agg"], spec["agg"])
        spec["description"] = f"{agg} of {t.name}.{c.name}" + (" (last value of each period)"
                                                               if spec.get("type") == "semi_additive" else "") + "."
        self.metrics[name] = spec

    # -- hierarchies and examples ----------------------------------------------------------
    def _hierarchies(self, time_dim: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        chains = infer_hierarchies(self.engine, self.profile, self.joins, [c for c in self.candidates if c.distinct >= 2])
        for levels in chains:
            name = unique_name(f"{levels[0]}_{levels[-1]}", out)
            labels = [labels_for(self.dimensions[lv].get("column", lv)) for lv in levels]
            label = {"en": " > ".join(lb["en"] for lb in labels)}
            if all("zh" in lb for lb in labels):
                label["zh"] = " > ".join(lb["zh"] for lb in labels)
            out[name] = {"label": label, "levels": list(levels)}
            self.notes.append(f"hierarchy {' > '.join(levels)}: each {levels[-1]} has one "
                              f"{levels[-2]} (checked with COUNT(DISTINCT) over the data)")
        if self.has_time:
            out["time"] = {"label": {"en": "Time", "zh": "时间"},
                           "levels": [f"{time_dim}.{g}" for g in reversed(_GRAINS)]}
        return out

    def _examples(self, time_dim: str) -> list[str]:
        metrics = [n for n, m in self.metrics.items() if m.get("agg") in {"sum", "avg"}] or list(self.metrics)
        dims = [n for n, d in self.dimensions.items() if d.get("members")] or list(self.dimensions)
        out: list[str] = []
        if metrics and dims:
            m, d = self.metrics[metrics[0]], self.dimensions[dims[0]]
            out.append(f"{m['label']['en']} by {d['label']['en'].lower()}")
            if "zh" in m["label"] and "zh" in d["label"]:
                out.append(f"各{d['label']['zh']}的{m['label']['zh']}")
        if metrics and self.has_time:
            m = self.metrics[metrics[-1]]
            out.append(f"monthly {m['label']['en'].lower()}")
            if "zh" in m["label"]:
                out.append(f"每月{m['label']['zh']}趋势")
        if len(metrics) > 1 and dims:
            d = self.dimensions[dims[-1]]
            out.append(f"top 5 {plural(d['label']['en'].lower())} by {self.metrics[metrics[1]]['label']['en'].lower()}")
        return out

    def _chinese_data(self) -> bool:
        for t in self.profile.tables:
            for c in t.columns:
                if has_cjk(c.name) or any(has_cjk(str(v)) for v in (c.values or c.samples)):
                    return True
        return False
