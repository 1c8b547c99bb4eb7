"""Import dbt MetricFlow semantic models and metrics into a ChatBI model: faithful or explicit.

Mapping (MetricFlow -> ChatBI; the details live in :mod:`.mf_semantic` and :mod:`.mf_metrics`):

- ``semantic_models[*]`` -> tables (``model: ref('orders')`` names the table); each
  ``agg_time_dimension`` becomes its table's ``time_column`` and all of them together the model's
  time dimension ``metric_time`` (MetricFlow's own name); every time dimension, the aggregation
  ones included, is also a time dimension of its own name;
- entities -> joins (foreign -> every semantic model where the entity is primary/unique,
  many-to-one; primaries of one entity one-to-one) and ways to break down (the entity's name
  dimension, else its key);
- categorical and time dimensions -> dimensions; names shared by several semantic models stay on
  the conformed table and are ``<entity>_<name>`` elsewhere;
- measures -> metric definitions (hidden unless a metric or ``create_metric`` uses them); SQL
  ``expr`` -> computed columns translated from the dbt project's SQL dialect; ``expr: 1`` -> a
  row count, or on a dimension a presence flag; ``non_additive_dimension`` -> semi-additive;
- metrics: ``simple`` (with filters), ``ratio``, ``derived``; labels, descriptions and ``meta``
  (``synonyms`` become synonyms) carried over.

Every element gets a :class:`Fate` in :attr:`ImportReport.fates`: mapped, mapped with a caveat, or
not mapped and why (cumulative and conversion metrics, ``offset_window``, percentiles, filters
ChatBI cannot express, natural keys, Jinja in SQL). Nothing is silently dropped or approximated.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from semantic_layer import SemanticModel
from semantic_layer.sqlbuild import duplicate_keys_sql

from ..errors import ConfigError, EngineError
from .mf_metrics import MetricImport
from .mf_semantic import GRAIN_ORDER, TIME_DIMENSION, Fate, SemanticImport
from .naming import identifier, labels_for

if TYPE_CHECKING:
    from ..warehouse import Engine

__all__ = ["Fate", "Unmapped", "ImportReport", "import_metricflow", "project_dialect", "TIME_DIMENSION"]

#: the fate of an element that was not mapped (kind, name, reason): kept for callers of ``unmapped``
Unmapped = Fate

_SKIP_DIRS = {"target", "dbt_packages", "dbt_modules", "logs", "node_modules", ".venv", ".git"}
#: dbt adapter type -> sqlglot dialect
_ADAPTERS = {"snowflake": "snowflake", "bigquery": "bigquery", "postgres": "postgres", "redshift": "redshift",
             "databricks": "databricks", "spark": "spark", "duckdb": "duckdb", "trino": "trino", "athena": "athena",
             "sqlserver": "tsql", "synapse": "tsql", "fabric": "tsql", "clickhouse": "clickhouse", "mysql": "mysql",
             "oracle": "oracle", "teradata": "teradata", "sqlite": "sqlite", "materialize": "postgres",
             "starrocks": "starrocks", "doris": "doris", "dremio": "dremio", "exasol": "exasol"}
_STATUS_TITLES = {"mapped": "mapped", "caveat": "mapped with a caveat", "not_mapped": "not mapped"}


@dataclass(frozen=True)
class ImportReport:
    """The imported model (plain data), the fate of every element, and general notes."""

    model: dict[str, Any]
    fates: tuple[Fate, ...]
    notes: tuple[str, ...] = ()
    dialect: str | None = None

    @property
    def unmapped(self) -> tuple[Fate, ...]:
        return tuple(f for f in self.fates if f.status == "not_mapped")

    def of(self, kind: str, name: str) -> Fate | None:
        """The fate of one element (``name`` as in the report: ``orders.order_total`` for measures)."""
        return next((f for f in self.fates if f.kind == kind and f.name == name), None)

    def semantic_model(self) -> SemanticModel:
        return SemanticModel.from_dict(self.model, source=f"MetricFlow import of {self.model['name']}")

    def text(self) -> str:
        counts = {s: sum(1 for f in self.fates if f.status == s) for s in _STATUS_TITLES}
        lines = [f"imported {len(self.model['metrics'])} metrics, {len(self.model['dimensions'])} dimensions, "
                 f"{len(self.model['tables'])} tables from SQL dialect {self.dialect or 'generic'}; elements: "
                 + ", ".join(f"{n} {_STATUS_TITLES[s]}" for s, n in counts.items())]
        for status in ("not_mapped", "caveat", "mapped"):
            for f in self.fates:
                if f.status == status:
                    lines.append(f"{_STATUS_TITLES[status]}: {f}")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def comments(self) -> list[str]:
        """The report as comment lines for the written YAML."""
        out = [f"{_STATUS_TITLES[f.status].upper()} {f}" for s in ("not_mapped", "caveat") for f in self.fates
               if f.status == s]
        return [*self.notes, *out]


def project_dialect(root: Path) -> str | None:
    """The SQL dialect of a dbt project: its ``profiles.yml`` target type, else its profile name."""
    project_file = root / "dbt_project.yml"
    if not project_file.is_file():
        return None
    try:
        project = yaml.safe_load(project_file.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, OSError, UnicodeDecodeError):
        return None
    profile = str(project.get("profile") or "")
    profiles_file = root / "profiles.yml"
    if profile and profiles_file.is_file():
        try:
            entry = (yaml.safe_load(profiles_file.read_text(encoding="utf-8")) or {}).get(profile) or {}
            target = entry.get("outputs", {}).get(entry.get("target", "dev")) or {}
            if str(target.get("type", "")).lower() in _ADAPTERS:
                return _ADAPTERS[str(target["type"]).lower()]
        except (yaml.YAMLError, OSError, UnicodeDecodeError, AttributeError):
            pass
    return _ADAPTERS.get(profile.lower())


def import_metricflow(path: str | os.PathLike[str], *, name: str | None = None, dialect: str | None = None,
                      engine: Engine | None = None) -> ImportReport:
    """Read every YAML file under ``path`` (a dbt project or a folder of MetricFlow YAML).

    ``dialect`` is the SQL dialect of the project's ``expr`` SQL (default: from the project's
    profile). With ``engine`` the declared primary keys that joins rely on are checked for
    duplicates in the data, and the report says which are not unique.
    """
    root = Path(path)
    if not root.exists():
        raise ConfigError(f"no such file or folder: {root}")
    files = [root] if root.is_file() else sorted(
        p for p in root.rglob("*") if p.suffix in {".yml", ".yaml"} and not (set(p.relative_to(root).parts[:-1]) & _SKIP_DIRS))
    fates: list[Fate] = []
    notes: list[str] = []
    semantic_models: list[dict[str, Any]] = []
    mf_metrics: list[dict[str, Any]] = []
    project = None
    for f in files:
        try:
            docs = list(yaml.safe_load_all(f.read_text(encoding="utf-8")))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            fates.append(Fate("file", str(f), "not_mapped", f"not valid YAML ({str(exc).splitlines()[0]})"))
            continue
        for doc in docs:
            if not isinstance(doc, dict):
                continue
            if f.name == "dbt_project.yml":
                project = doc.get("name")
            semantic_models += [s for s in doc.get("semantic_models") or [] if isinstance(s, dict)]
            mf_metrics += [m for m in doc.get("metrics") or [] if isinstance(m, dict)]
            for sq in doc.get("saved_queries") or []:
                if isinstance(sq, dict):
                    fates.append(Fate("saved_query", str(sq.get("name")), "not_mapped",
                                      "saved queries and exports are not imported; ask the question or pin it to a "
                                      "dashboard instead"))
            for dbt_model in doc.get("models") or []:
                if isinstance(dbt_model, dict) and dbt_model.get("time_spine"):
                    fates.append(Fate("model", str(dbt_model.get("name")), "not_mapped", "time spine: not needed, "
                                      "ChatBI builds periods itself (custom granularities are not imported)"))
    if not semantic_models:
        raise ConfigError(f"no MetricFlow semantic_models found under {root}")
    if dialect is None and root.is_dir():
        dialect = project_dialect(root)
        if dialect is None:
            notes.append("the dbt project's SQL dialect is unknown: expressions read as generic SQL (pass --dialect)")

    def fate(kind: str, element: str, status: str, detail: str) -> None:
        fates.append(Fate(kind, element, status, detail))

    semantic = SemanticImport(semantic_models, dialect, fate, notes.append)
    semantic.run()
    metrics = MetricImport(mf_metrics, semantic, fate)
    metrics.run()
    if not metrics.metrics:
        raise ConfigError("no MetricFlow metric or measure could be mapped:\n  "
                          + "\n  ".join(str(u) for u in fates if u.status == "not_mapped"))
    model_name = identifier(name or project or root.stem)
    finest = min((GRAIN_ORDER.index(g) for g in semantic.grains), default=0)
    time_dim = {"type": "time", "grains": GRAIN_ORDER[finest:], "label": {"en": "Metric time", "zh": "日期"},
                "synonyms": ["date", "time", "日期", "时间"],
                "description": "Each metric's own time (its semantic model's agg_time_dimension)."}
    model: dict[str, Any] = {
        "name": model_name, "label": labels_for(model_name),
        "description": f"Imported from dbt MetricFlow ({len(semantic_models)} semantic models, "
                       f"{len(mf_metrics)} metrics).",
        "time_dimension": TIME_DIMENSION, "default_language": "en",
        "tables": semantic.tables, "joins": semantic.joins,
        "dimensions": {TIME_DIMENSION: time_dim, **semantic.dimensions},
        "metrics": metrics.metrics,
    }
    if engine is not None:
        notes += _key_notes(model, engine)
    report = ImportReport(model, tuple(fates), tuple(notes), dialect)
    report.semantic_model()  # the import must always load
    return report


def _key_notes(model: dict[str, Any], engine: Engine) -> list[str]:
    """Declared primary keys that joins land on, counted in the data: duplicates multiply sums."""
    out: list[str] = []
    targets = {(j["right"], tuple(j["keys"].values())) for j in model["joins"]}
    targets |= {(j["left"], tuple(j["keys"])) for j in model["joins"] if j.get("relationship") == "one_to_one"}
    for table, keys in sorted(targets):
        try:
            frame = engine.execute(duplicate_keys_sql(table, keys, engine.dialect))
        except EngineError as exc:
            out.append(f"{table}({', '.join(keys)}): could not check uniqueness ({exc})")
            continue
        dupes = int(frame["n"].iloc[0])
        if dupes:
            out.append(f"NOT UNIQUE: {table}({', '.join(keys)}) is declared primary but {dupes:,} key values occur "
                       f"more than once; tables joining it count their rows several times by its dimensions")
    return out
