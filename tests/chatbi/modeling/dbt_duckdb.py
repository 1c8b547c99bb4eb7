"""Build a dbt project's warehouse in DuckDB from its seeds: a test helper, not a dbt replacement.

Seeds (CSV) become tables; each model's SQL is rendered with Jinja and a handful of stand-ins
for the macros small projects use (``ref``, ``source``, ``var``, ``config``, ``dbt.date_trunc``,
``dbt_utils.generate_surrogate_key``), then created in dependency order (``ref`` calls),
staging models as views and the others as tables. Models whose macros are not covered (a time
spine from ``dbt_date``) are skipped and reported. dbt itself needs its package hub to install
``dbt_utils``/``dbt_date``; tests run offline.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import jinja2
import yaml

__all__ = ["build_warehouse"]

_REF = re.compile(r"ref\(\s*['\"]([^'\"]+)['\"]\s*\)")


class _Macros:
    """``dbt.*`` / ``dbt_utils.*`` stand-ins in DuckDB SQL."""

    @staticmethod
    def date_trunc(part: str, column: str) -> str:
        return f"date_trunc('{part}', {column})"

    @staticmethod
    def generate_surrogate_key(columns: list[str]) -> str:
        parts = " || '-' || ".join(f"coalesce(cast({c} as varchar), '')" for c in columns)
        return f"md5({parts})"


def _unsupported(*_: object, **__: object) -> str:
    raise jinja2.UndefinedError("macro not available outside dbt")


def build_warehouse(project: Path, out: Path, seeds: Path | None = None) -> list[str]:
    """Create ``out`` from ``project``; return the names of models that were skipped (and why)."""
    config = yaml.safe_load((project / "dbt_project.yml").read_text(encoding="utf-8")) or {}
    seed_dir = seeds or project / (config.get("seed-paths") or ["seeds"])[0]
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    models = {p.stem: p for p in sorted((project / "models").rglob("*.sql"))}
    skipped: list[str] = []
    with duckdb.connect(str(out)) as con:
        for csv in sorted(seed_dir.glob("*.csv")):
            con.execute(f"CREATE OR REPLACE TABLE {csv.stem} AS SELECT * FROM read_csv_auto(?, header = true)",
                        [str(csv)])
        done: set[str] = set()

        def build(name: str, trail: tuple[str, ...] = ()) -> None:
            if name in done or name in trail:
                return
            text = models[name].read_text(encoding="utf-8")
            for dep in _REF.findall(text):
                if dep in models:
                    build(dep, (*trail, name))
            context = {"ref": lambda n: n, "source": lambda _s, t: t, "var": lambda *_a, **_k: "",
                       "config": lambda *_a, **_k: "", "dbt": _Macros, "dbt_utils": _Macros,
                       "dbt_date": type("dbt_date", (), {"get_base_dates": staticmethod(_unsupported)})}
            try:
                sql = env.from_string(text).render(**context)
            except jinja2.UndefinedError as exc:
                skipped.append(f"{name}: {exc}")
                done.add(name)
                return
            kind = "VIEW" if "staging" in models[name].parts else "TABLE"
            con.execute(f"CREATE OR REPLACE {kind} {name} AS {sql.strip().rstrip(';')}")
            done.add(name)

        for name in models:
            build(name)
    return skipped
