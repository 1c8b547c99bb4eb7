"""Spark Connect: server start-up, first question, and per-query time relative to DuckDB.

Starts a Spark Connect server on 127.0.0.1 (the one the ``pyspark`` package ships, ``local[2]``,
as the test suite does), loads the sample warehouse (or a scaled copy, ``--rows``) as Parquet,
and measures:

- start-up: process start to the port listening, and to the first answered statement;
- ChatBI on Spark: construct + first question (data version, anchor, member index, compile, run);
- the member index built from bounded scans (what ChatBI does) vs whole columns (what it did);
- every query of the cross-engine suite and the compiler's golden queries through ChatBI on
  Spark and on DuckDB over the same data (median of 3 each), and the ratio Spark / DuckDB.

    python -m benchmarks.spark_engine [--rows 100M]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from ._common import print_table, write_result
from .scaled_warehouse import parse_rows, scaled_warehouse

ROOT = Path(__file__).resolve().parent.parent
TABLES = ("dim_plan", "dim_region", "fact_daily", "fact_network_daily")
FIRST_QUESTION = "2025年11月各省收入"
RUNS = 3


def _queries() -> dict[str, dict[str, Any]]:
    sys.path.insert(0, str(ROOT))
    from tests.chatbi.warehouse.test_cross_engine import QUERIES
    from tests.semantic_layer.golden_queries import GOLDEN_QUERIES

    return {**{f"cross:{k}": v for k, v in QUERIES.items()}, **{f"golden:{k}": v for k, v in GOLDEN_QUERIES.items()}}


def _time(call: Any) -> float:
    t = time.perf_counter()
    call()
    return (time.perf_counter() - t) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="1M", help="fact_daily size: 1M (the sample) or e.g. 100M")
    args = parser.parse_args()
    from chatbi import ChatBI
    from chatbi.members import build_member_index
    from sample_data import TELECOM_MODEL
    from semantic_layer import SemanticQuery
    from tests.servers.spark import load_duckdb_into_spark, running_spark_connect

    database = scaled_warehouse(parse_rows(args.rows))
    out: dict[str, Any] = {"rows": args.rows, "database": database.name}
    with running_spark_connect() as server:
        out["start_to_listening_s"] = round(server.started_in_s, 1)
        from pyspark.sql.connect.session import SparkSession

        t = time.perf_counter()
        session = SparkSession(connection=server.url)
        session.sql("SELECT 1").collect()
        session.stop()
        out["first_statement_s"] = round(time.perf_counter() - t, 1)
        t = time.perf_counter()
        load_duckdb_into_spark(database, server, "telecom", TABLES)
        out["load_parquet_s"] = round(time.perf_counter() - t, 1)

        url = f"{server.url}/;database=telecom"
        t = time.perf_counter()
        spark_bi = ChatBI(TELECOM_MODEL, url, translator="offline")
        first = spark_bi.ask(FIRST_QUESTION)
        out["spark_first_question_ms"] = round((time.perf_counter() - t) * 1000)
        out["spark_first_question_status"] = first.status
        duck_bi = ChatBI(TELECOM_MODEL, database, translator="offline")
        t = time.perf_counter()
        duck_bi.ask(FIRST_QUESTION)
        out["duckdb_first_question_ms"] = round((time.perf_counter() - t) * 1000)

        latest = spark_bi.metadata.latest_dates()
        out["spark_member_index_bounded_ms"] = round(_time(lambda: build_member_index(
            spark_bi.model, spark_bi.engine, latest=latest)))
        out["spark_member_index_whole_columns_ms"] = round(_time(lambda: build_member_index(
            spark_bi.model, spark_bi.engine, latest=latest, exact=True)))
        out["duckdb_member_index_bounded_ms"] = round(_time(lambda: build_member_index(
            duck_bi.model, duck_bi.engine, latest=latest)))
        out["duckdb_member_index_whole_columns_ms"] = round(_time(lambda: build_member_index(
            duck_bi.model, duck_bi.engine, latest=latest, exact=True)))

        per_query: dict[str, dict[str, float]] = {}
        for name, fields in _queries().items():
            query = SemanticQuery.model_validate(fields)
            timings: dict[str, list[float]] = {"spark": [], "duckdb": []}
            for engine, bi in (("spark", spark_bi), ("duckdb", duck_bi)):
                bi.run(query)  # first run: compile caches, Spark's plan
                for _ in range(RUNS):
                    t = time.perf_counter()
                    answer = bi.run(query)
                    timings[engine].append((time.perf_counter() - t) * 1000)
                    assert answer.status == "ok", (engine, name, answer.error)
            spark_ms, duck_ms = statistics.median(timings["spark"]), statistics.median(timings["duckdb"])
            per_query[name] = {"spark_ms": round(spark_ms, 1), "duckdb_ms": round(duck_ms, 1),
                               "ratio": round(spark_ms / max(duck_ms, 0.1), 1)}
        spark_bi.close()
        duck_bi.close()
    ratios = [q["ratio"] for q in per_query.values()]
    out["queries"] = per_query
    out["ratio_median"] = round(statistics.median(ratios), 1)
    out["ratio_p90"] = round(sorted(ratios)[int(0.9 * (len(ratios) - 1))], 1)
    out["spark_ms_median"] = round(statistics.median(q["spark_ms"] for q in per_query.values()), 1)
    out["duckdb_ms_median"] = round(statistics.median(q["duckdb_ms"] for q in per_query.values()), 1)
    summary = {k: v for k, v in out.items() if k != "queries"}
    print_table([{"figure": k, "value": v} for k, v in summary.items()], ["figure", "value"])
    print(f"wrote {write_result(f'spark_engine_{args.rows}', out)}")


if __name__ == "__main__":
    main()
