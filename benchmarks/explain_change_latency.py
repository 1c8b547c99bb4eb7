"""Latency of ``ChatBI.explain_change`` on the full sample warehouse.

``fact_daily`` holds 1,157,904 rows (date x 33 cities x 8 plans x 3 channels x 2 segments); the
default analysis groups by all 7 categorical dimensions of the table (region > province > city,
plan_type > plan, channel, segment) for both periods, fetches the totals of the metric tree,
runs the decomposition, the Adtributor ranking, the combination search, the metric tree inside
the top combination, writes the summary and builds the waterfall figure.

Scenarios range from one month against the previous one to a whole year against the year
before (both periods together scan every row of the table). Each scenario runs once cold (the
first call of the process: imports, member index, plotly) is reported separately, then
``--repeat`` warm runs; the table shows the median and the worst warm run and the split
between database, analysis and figure.

Run ``python -m benchmarks.explain_change_latency [--repeat N]``; results go to
``benchmarks/results/explain_change_latency.json``. Target: <= 1 s per call.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import print_table, write_result
from chatbi import ChatBI

__all__ = ["SCENARIOS", "main"]

SCENARIOS: tuple[tuple[str, str, dict[str, object]], ...] = (
    ("revenue, Nov vs Oct 2025 (story a)", "revenue", {"period": "2025-11"}),
    ("complaints, Oct vs Sep 2025 (story c)", "complaints", {"period": "2025-10"}),
    ("new_subscribers, Jun vs May 2025 (story d)", "new_subscribers", {"period": "2025-06"}),
    ("arpu (ratio), Nov vs Oct 2025", "arpu", {"period": "2025-11"}),
    ("active_subscribers (semi-additive), Jun vs May", "active_subscribers", {"period": "2025-06"}),
    ("revenue, 2025 vs 2024 (whole table)", "revenue", {"period": "2025", "baseline": "2024"}),
    ("call_drop_rate (network facts), Aug vs Jul 2025", "call_drop_rate", {"period": "2025-08"}),
)


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    bi = ChatBI.sample()
    rows = (bi.engine.execute("SELECT COUNT(*) AS n FROM fact_daily")).iloc[0, 0]
    start = time.perf_counter()
    bi.explain_change("revenue", "2025-11")
    cold = time.perf_counter() - start

    results = []
    for name, metric, kwargs in SCENARIOS:
        walls, parts = [], []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            report = bi.explain_change(metric, **kwargs)  # type: ignore[arg-type]
            walls.append(time.perf_counter() - t0)
            parts.append(report.timings)
        median = statistics.median(walls)
        pick = parts[walls.index(sorted(walls)[len(walls) // 2])]
        results.append({"scenario": name, "median_s": round(median, 3), "max_s": round(max(walls), 3),
                        "fetch_ms": round(pick["fetch_ms"]), "analysis_ms": round(pick["analysis_ms"]),
                        "figure_ms": round(pick["figure_ms"]), "top": report.top,
                        "queries": len(report.sql), "within_target": max(walls) <= 1.0})
    print(f"fact_daily rows: {rows:,}; first call of the process (cold): {cold:.2f}s")
    print_table(results, ["scenario", "median_s", "max_s", "fetch_ms", "analysis_ms", "figure_ms", "queries"])
    summary = {"fact_rows": int(rows), "cold_first_call_s": round(cold, 3), "repeat": args.repeat,
               "worst_median_s": max(r["median_s"] for r in results),
               "all_within_1s": all(r["within_target"] for r in results), "scenarios": results}
    write_result("explain_change_latency", summary)
    bi.close()
    return summary


if __name__ == "__main__":
    main()
