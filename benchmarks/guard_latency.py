"""SQL guard latency per compiled query.

    python -m benchmarks.guard_latency [--repeat 50]

Target (issue #4): p50 <= 1 ms per compiled query. Three ways in are timed:

* ``tree``: ``SQLGuard.check_expression(compiled.expression, copy=False)``, what ``ChatBI.run`` does
  (the compiler's tree is checked as is, capped and turned into SQL; no parsing);
* ``tree+copy``: the same on a copy, leaving the caller's tree untouched;
* ``text``: ``SQLGuard.check(sql)``, what ``ChatBI.run_sql`` does with typed SQL (parse + check + SQL).
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from sample_data import TELECOM_MODEL
from semantic_layer import SemanticModel, SemanticQuery, SQLGuard
from semantic_layer.compiler import compile_query

from ._common import print_table, summarise, write_result
from .compile_latency import QUERIES

TARGET_P50_MS = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=50, help="guard runs per query and path")
    args = parser.parse_args()
    model = SemanticModel.from_yaml(TELECOM_MODEL)
    queries = [SemanticQuery.model_validate(q) for q in QUERIES]
    anchor = dt.date(2025, 12, 31)
    rows = []
    tree_overall: list[float] = []
    for dialect in ("duckdb", "postgres", "sqlite"):
        guard = SQLGuard(model, dialect)
        compiled = [compile_query(model, q, dialect, anchor=anchor) for q in queries]
        for c in compiled:  # warm up (first-use caches in sqlglot and the guard)
            guard.check(c.sql)
        samples: dict[str, list[float]] = {"tree": [], "tree+copy": [], "text": []}
        for c in compiled:
            for _ in range(args.repeat):
                fresh = c.expression.copy()  # a fresh tree per run, as each ChatBI.run compiles one
                t = time.perf_counter()
                guard.check_expression(fresh, copy=False)
                samples["tree"].append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                guard.check_expression(c.expression)
                samples["tree+copy"].append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                guard.check(c.sql)
                samples["text"].append((time.perf_counter() - t) * 1000)
        tree_overall += samples["tree"]
        for path, values in samples.items():
            rows.append({"dialect": dialect, "path": path, "queries": len(compiled), **summarise(values)})
    print_table(rows, ["dialect", "path", "queries", "n", "p50_ms", "p95_ms", "mean_ms", "max_ms"])
    overall = summarise(tree_overall)
    result = write_result("guard_latency", {"target_p50_ms": TARGET_P50_MS, "rows": rows, "tree_overall": overall})
    print(f"compiled-query guard (tree path) p50 {overall['p50_ms']:.3f} ms, p95 {overall['p95_ms']:.3f} ms "
          f"(target p50 <= {TARGET_P50_MS:g} ms); written to {result}")


if __name__ == "__main__":
    main()
