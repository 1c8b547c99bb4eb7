"""What access control costs: compile, guard and end-to-end query time with and without a policy.

    python -m benchmarks.security_overhead [--repeat 20]

Measured on the telecom sample (built on first use):

* ``compile``: ``compile_query`` of the benchmark queries, no policy vs a row filter + small-cell
  suppression policy;
* ``guard``: ``SQLGuard.check`` of hand-written SQL, plain vs with the policy's filtered views;
* ``query``: ``ChatBI.query`` end to end (compile, guard, DuckDB, chart, text) on the base facade vs a
  user's view (row filter, masking, audit to SQLite);
* ``view``: making a user's view and its member index (once per user and process);
* ``run_sql``: hand-written SQL end to end, base facade vs a restricted user (whose statement reads
  the policy views, each materialised into a temporary table first: the row-security guarantee).
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from semantic_layer import MemberFilter, SemanticQuery, SQLGuard
from semantic_layer.compiler import compile_query, guard_access
from semantic_layer.policy import AccessPolicy, ColumnRule, Principal

from ._common import print_table, summarise, write_result
from .compile_latency import QUERIES

SQL = [
    "SELECT r.province, SUM(f.new_subscribers) AS n FROM fact_daily f JOIN dim_region r ON f.city_id = r.city_id "
    "GROUP BY 1 ORDER BY 2 DESC",
    "SELECT plan_name, COUNT(*) AS n FROM dim_plan GROUP BY plan_name",
    "WITH monthly AS (SELECT date_trunc('month', date) AS month, SUM(new_subscribers) AS n FROM fact_daily "
    "GROUP BY 1) SELECT * FROM monthly ORDER BY month",
]


def _timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    from chatbi import ChatBI
    from chatbi.security import AuditLog

    bi = ChatBI.sample(translator="offline")
    model = bi.model
    anchor = dt.date(2025, 12, 31)
    policy = AccessPolicy(rows=((MemberFilter(op="in", dimension="province", values=("广东",)),),),
                          columns=(ColumnRule("revenue", "mask", "round_to", (("step", 1_000_000),)),))
    suppress = AccessPolicy(rows=policy.rows, min_group_size=5)
    queries = [SemanticQuery.model_validate(q) for q in QUERIES]
    rows = []
    for name, pol in (("none", None), ("rows", policy), ("rows+small cells", suppress)):
        for q in queries:  # warm-up
            compile_query(model, q, anchor=anchor, policy=pol)
        samples = [v for q in queries for v in _timed(lambda q=q, pol=pol: compile_query(model, q, anchor=anchor, policy=pol),
                                                       args.repeat)]
        rows.append({"step": "compile", "policy": name, **summarise(samples)})
    plain = SQLGuard(model, "duckdb")
    access = guard_access(model, policy, "duckdb")
    scoped = SQLGuard(access.table_columns, "duckdb", views=access.views)
    for name, guard in (("none", plain), ("rows", scoped)):
        samples = [v for s in SQL for v in _timed(lambda s=s, g=guard: g.check(s), args.repeat)]
        rows.append({"step": "guard", "policy": name, **summarise(samples)})

    t = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        view = bi.for_user(Principal("bench", ("gd",), {}, policy), audit=AuditLog(Path(tmp) / "app.sqlite3"))
        view.members  # noqa: B018 - the per-user member index
        view_ms = (time.perf_counter() - t) * 1000
        rows.append({"step": "view+members", "policy": "rows", **summarise([view_ms])})
        for name, target in (("none", bi), ("rows+mask+audit", view)):
            target.query(metrics=["revenue"], dimensions=["city"])  # warm-up
            samples = _timed(lambda target=target: target.query(metrics=["revenue", "arpu"], dimensions=["city"],
                                                                time_range=("2025-11-01", "2025-11-30"),
                                                                compare="previous_period"), args.repeat)
            rows.append({"step": "query", "policy": name, **summarise(samples)})
        # hand-written SQL: a restricted user's statement reads the policy views, materialised first
        for name, target in (("none", bi), ("rows (views materialised)", view)):
            for sql in SQL:
                target.run_sql(sql)  # warm-up
            samples = [v for sql in SQL for v in _timed(lambda sql=sql, target=target: target.run_sql(sql),
                                                         max(3, args.repeat // 4))]
            rows.append({"step": "run_sql", "policy": name, **summarise(samples)})
    print_table(rows, ["step", "policy", "n", "p50_ms", "p95_ms", "mean_ms", "max_ms"])
    path = write_result("security_overhead", {"repeat": args.repeat, "rows": rows})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
