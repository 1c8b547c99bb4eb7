"""Overhead of ``ChatBI.query`` over running the same SQL directly in DuckDB.

    python -m benchmarks.query_overhead [--repeat 7]

Both sides run the identical SQL over the full sample fact tables (~1.16 M rows); the
ratio is ChatBI's median time / DuckDB's median time per query (target <= 1.15, issue #2).
"""

from __future__ import annotations

import argparse
import statistics
import time

import duckdb

from chatbi import ChatBI

from ._common import print_table, write_result

QUERIES: list[dict] = [
    {"metrics": ["revenue"], "dimensions": ["province"]},
    {"metrics": ["arpu", "churn_rate"], "dimensions": ["date.month", "plan_type"]},
    {"metrics": ["active_subscribers"], "dimensions": ["date.month", "region"]},
    {"metrics": ["revenue", "call_drop_rate"], "dimensions": ["city"]},
    {"metrics": ["net_adds"], "dimensions": ["channel"], "compare": "year_over_year",
     "time_range": ("2025-01-01", "2025-12-31")},
    {"metrics": ["revenue"], "dimensions": ["city"], "order_by": ["-revenue"], "limit": 5,
     "filters": [{"dimension": "plan_type", "op": "in", "values": ["5G"]}]},
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    bi = ChatBI.sample()
    raw = duckdb.connect(str(bi.engine.path), read_only=True)
    rows = []
    for spec in QUERIES:
        answer = bi.query(**spec)
        assert answer.status == "ok", answer.error
        sql = answer.sql
        raw.execute(sql).df()  # warm both sides
        ours, direct = [], []
        for _ in range(args.repeat):
            t = time.perf_counter()
            bi.query(**spec)
            ours.append(time.perf_counter() - t)
            t = time.perf_counter()
            raw.execute(sql).df()
            direct.append(time.perf_counter() - t)
        o, d = statistics.median(ours) * 1000, statistics.median(direct) * 1000
        rows.append({"query": "+".join(spec["metrics"]) + " by " + ",".join(spec.get("dimensions", [])),
                     "chatbi_ms": o, "duckdb_ms": d, "ratio": o / d})
    total_ratio = sum(r["chatbi_ms"] for r in rows) / sum(r["duckdb_ms"] for r in rows)
    print_table(rows, ["query", "chatbi_ms", "duckdb_ms", "ratio"])
    print(f"overall ratio (sum of medians) {total_ratio:.3f} (target <= 1.15)")
    write_result("query_overhead", {"target_ratio": 1.15, "overall_ratio": total_ratio, "queries": rows})


if __name__ == "__main__":
    main()
