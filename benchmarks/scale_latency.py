"""First-question latency, ChatBI vs the same SQL run directly, and peak memory at 1 M and 100 M rows.

Each measurement is a fresh process (``benchmarks/_scale_driver.py``): import, construct
``ChatBI`` on a DuckDB warehouse, ask a first and a second question, then time six structured
queries through ChatBI and their SQL on a plain DuckDB connection (median of 3). The warehouses
are the sample (1.16 M rows in ``fact_daily``) and a scaled copy (``benchmarks.scaled_warehouse``).

``--before-src DIR`` also measures another checkout (e.g. ``git worktree add /tmp/before <commit>``)
the same way, to compare code versions on the same data.

    python -m benchmarks.scale_latency --rows 1M,100M --before-src /tmp/chatbi-before
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from ._common import print_table, write_result
from .scaled_warehouse import parse_rows, scaled_warehouse

ROOT = Path(__file__).resolve().parent.parent
DRIVER = Path(__file__).with_name("_scale_driver.py")


def _run_driver(src: Path, database: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(src), "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run([sys.executable, str(DRIVER), str(database)], env=env, cwd=src, capture_output=True,
                            text=True, timeout=1800, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"driver failed ({src}, {database}):\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return round(statistics.median(float(r[key]) for r in runs), 1)


def summarise_runs(samples: list[dict[str, Any]]) -> dict[str, Any]:
    queries = {}
    for name in samples[0]["queries"]:
        chatbi = statistics.median(s["queries"][name]["chatbi_ms"] for s in samples)
        direct = statistics.median(s["queries"][name]["direct_ms"] for s in samples)
        queries[name] = {"chatbi_ms": round(chatbi, 1), "direct_ms": round(direct, 1),
                         "overhead_ms": round(chatbi - direct, 1)}
    return {
        "runs": len(samples),
        "first_question_ms": _median(samples, "first_question_ms"),
        "first_question_ms_all": [s["first_question_ms"] for s in samples],
        "second_question_ms": _median(samples, "second_question_ms"),
        "construct_ms": _median(samples, "construct_ms"),
        "import_ms": _median(samples, "import_ms"),
        "start_to_first_answer_ms": _median(samples, "start_to_first_answer_ms"),
        "peak_rss_mb": _median(samples, "peak_rss_mb"),
        "first_question_status": samples[0]["first_question_status"],
        "queries": queries,
    }


def measure(rows: int, variants: list[tuple[str, Path]], runs: int) -> list[dict[str, Any]]:
    """Fresh processes per variant, interleaved (so a busy moment of the machine hits every variant)."""
    database = scaled_warehouse(rows)
    for _, src in variants:
        _run_driver(src, database)  # warm the OS page cache: every variant then reads a warm file
    samples: dict[str, list[dict[str, Any]]] = {label: [] for label, _ in variants}
    for _ in range(runs):
        for label, src in variants:
            samples[label].append(_run_driver(src, database))
    return [{"code": label, "database": database.name, "fact_rows": rows, **summarise_runs(samples[label])}
            for label, _ in variants]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="1M,100M", help="comma-separated fact_daily sizes (default 1M,100M)")
    parser.add_argument("--before-src", type=Path, help="another checkout to measure the same way")
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per measurement (default 3)")
    args = parser.parse_args()
    variants = [("current", ROOT)] + ([("before", args.before_src.resolve())] if args.before_src else [])
    results: list[dict[str, Any]] = []
    started = time.perf_counter()
    for text in args.rows.split(","):
        for result in measure(parse_rows(text), variants, args.runs):
            result["rows"] = text.strip()
            results.append(result)
            print(f"[scale] {result['code']} at {text}: first question {result['first_question_ms']} ms", flush=True)
    table = []
    for r in results:
        q = r["queries"]
        table.append({"code": r["code"], "rows": r["rows"], "first_q_ms": r["first_question_ms"],
                      "second_q_ms": r["second_question_ms"], "start_to_answer_ms": r["start_to_first_answer_ms"],
                      "peak_rss_mb": r["peak_rss_mb"],
                      "overhead_p50_ms": round(statistics.median(v["overhead_ms"] for v in q.values()), 1),
                      "full_scan_chatbi_ms": q["revenue_by_year_all_data"]["chatbi_ms"],
                      "full_scan_direct_ms": q["revenue_by_year_all_data"]["direct_ms"]})
    print_table(table, list(table[0]))
    path = write_result("scale_latency", {"results": results, "elapsed_s": round(time.perf_counter() - started)})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
