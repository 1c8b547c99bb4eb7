"""Compile latency of semantic queries (validate + plan + sqlglot AST + SQL text).

    python -m benchmarks.compile_latency [--repeat 50]

Target (issue #2): p50 <= 2 ms per query.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from sample_data import TELECOM_MODEL
from semantic_layer import SemanticModel, SemanticQuery
from semantic_layer.compiler import compile_query

from ._common import print_table, summarise, write_result

QUERIES: list[dict] = [
    {"metrics": ["revenue"]},
    {"metrics": ["revenue"], "dimensions": ["province"], "time_range": ["2025-11-01", "2025-11-30"]},
    {"metrics": ["arpu"], "dimensions": ["date.month"], "time_range": ["2025-01-01", "2025-12-31"]},
    {"metrics": ["churn_rate", "arpu", "dou", "mou"], "dimensions": ["plan_type", "date.quarter"]},
    {"metrics": ["active_subscribers"], "dimensions": ["date.month", "region"]},
    {"metrics": ["net_adds"], "dimensions": ["channel"], "compare": "year_over_year",
     "time_range": ["2025-06-01", "2025-06-30"]},
    {"metrics": ["revenue", "call_drop_rate"], "dimensions": ["city"]},
    {"metrics": ["revenue"], "dimensions": ["city"], "order_by": ["-revenue"], "limit": 5,
     "filters": [{"dimension": "province", "op": "in", "values": ["广东", "浙江"]}]},
    {"metrics": ["complaint_rate"], "dimensions": ["city"], "filters": [{"op": ">", "metric": "complaint_rate", "value": 3}]},
    {"metrics": ["revenue"], "dimensions": ["segment"], "share": True, "filters": [{"op": "relative", "unit": "month"}]},
    {"metrics": ["dropped_calls"], "dimensions": ["date.day", "vendor"], "filters": [
        {"op": "between", "dimension": "date", "low": "2025-08-01", "high": "2025-08-31"}]},
    {"metrics": ["revenue"], "dimensions": ["date.month"], "compare": "previous_period",
     "filters": [{"op": "relative", "unit": "month", "n": 6}]},
    {"metrics": ["new_subscribers"], "dimensions": ["province", "channel"],
     "filters": [{"dimension": "channel", "op": "not_in", "values": ["线上"]}]},
    {"metrics": ["active_subscribers", "revenue"], "compare": "previous_period",
     "time_range": ["2025-07-01", "2025-09-30"]},
    {"metrics": ["dl_throughput_mbps", "availability_pct"], "dimensions": ["band", "vendor"]},
    {"metrics": ["data_traffic_gb", "dou"], "dimensions": ["date.week"], "filters": [{"op": "relative", "unit": "week", "n": 8}]},
    {"dimensions": ["plan_type", "plan"]},
    {"dimensions": ["province", "city"]},
    {"metrics": ["voice_minutes"], "dimensions": ["date.year"]},
    {"metrics": ["complaints"], "dimensions": ["city"], "filters": [{"dimension": "province", "op": "in", "values": ["四川"]}],
     "compare": "year_over_year", "time_range": ["2025-10-01", "2025-10-31"]},
    {"metrics": ["arpu", "churn_rate"], "dimensions": ["plan"], "order_by": ["-arpu"], "limit": 3},
    {"metrics": ["call_drop_rate"], "dimensions": ["province", "band"], "time_range": ["2025-08-10", "2025-08-20"]},
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=50, help="compilations per query")
    args = parser.parse_args()
    model = SemanticModel.from_yaml(TELECOM_MODEL)
    queries = [SemanticQuery.model_validate(q) for q in QUERIES]
    anchor = dt.date(2025, 12, 31)
    for q in queries:  # warm caches (model lookups), as a running service would have them
        compile_query(model, q, "duckdb", anchor=anchor)
    rows, overall = [], []
    for dialect in ("duckdb", "postgres"):
        samples = []
        for q in queries:
            for _ in range(args.repeat):
                t = time.perf_counter()
                compile_query(model, q, dialect, anchor=anchor)
                samples.append((time.perf_counter() - t) * 1000)
        overall += samples
        rows.append({"dialect": dialect, "queries": len(queries), **summarise(samples)})
    print_table(rows, ["dialect", "queries", "n", "p50_ms", "p95_ms", "mean_ms", "max_ms"])
    path = write_result("compile_latency", {"target_p50_ms": 2.0, "per_dialect": rows, "overall": summarise(overall)})
    print(f"overall p50 {summarise(overall)['p50_ms']:.3f} ms (target <= 2 ms); written to {path}")


if __name__ == "__main__":
    main()
