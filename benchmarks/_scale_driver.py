"""One fresh process of the scale benchmark: start ChatBI, ask, query, measure; print JSON.

Run by ``benchmarks.scale_latency`` as ``python benchmarks/_scale_driver.py DATABASE``, with
``PYTHONPATH`` naming the source tree to measure (so an older checkout can be measured the same
way). Uses only the public API that every version has.

ChatBI's result cache (by data version) is switched off with the constructor's
``result_cache=False``: the timed repeats of a query must run it on the warehouse, as the
direct SQL does, or "ChatBI vs the same SQL" would compare a dictionary look-up with a query.
A version without that switch has no result cache. The driver checks that no run was answered
from a cache and fails otherwise.
"""

from __future__ import annotations

import inspect
import json
import resource
import statistics
import sys
import time

START = time.perf_counter()

FIRST_QUESTION = "2025年11月各省收入"
SECOND_QUESTION = "上个月各渠道的新增用户"
#: structured queries timed through ChatBI and as the same SQL run directly
QUERIES: dict[str, dict[str, object]] = {
    "province_month": {"metrics": ["revenue"], "dimensions": ["province"], "time_range": ("2025-11-01", "2025-11-30")},
    "arpu_monthly_2025": {"metrics": ["arpu"], "dimensions": ["date.month"], "time_range": ("2025-01-01", "2025-12-31")},
    "yoy_monthly": {"metrics": ["revenue"], "dimensions": ["date.month"], "compare": "year_over_year",
                    "time_range": ("2025-07-01", "2025-12-31")},
    "channel_share_last_month": {"metrics": ["new_subscribers"], "dimensions": ["channel"], "share": True,
                                 "filters": [{"op": "relative", "unit": "month", "n": 1, "offset": 1}]},
    "drop_rate_by_vendor_q4": {"metrics": ["call_drop_rate"], "dimensions": ["vendor"],
                               "time_range": ("2025-10-01", "2025-12-31")},
    "revenue_by_year_all_data": {"metrics": ["revenue"], "dimensions": ["date.year"]},
}
RUNS = 3


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def chatbi_options(chatbi_class: type) -> dict[str, object]:
    """Constructor options of the measured version: its result cache off where it has one."""
    if "result_cache" in inspect.signature(chatbi_class).parameters:
        return {"result_cache": False}  # timed repeats must reach the warehouse (see the docstring)
    return {}


def check_uncached(name: str, answer: object) -> None:
    """Fail the run when an answer came from a cache: its time would not be a query's."""
    data = getattr(answer, "data", None)
    if data is not None and data.attrs.get("cached"):
        raise SystemExit(f"{name}: answered from the result cache; the timing would not measure the query")


def main(database: str) -> dict[str, object]:
    import duckdb

    from chatbi import ChatBI
    from sample_data import TELECOM_MODEL

    out: dict[str, object] = {"import_ms": _ms(time.perf_counter() - START)}
    t = time.perf_counter()
    options = chatbi_options(ChatBI)
    bi = ChatBI(TELECOM_MODEL, database, translator="offline", **options)
    out["result_cache"] = "off" if options else "absent"
    out["construct_ms"] = _ms(time.perf_counter() - t)
    t = time.perf_counter()
    first = bi.ask(FIRST_QUESTION)
    out["first_question_ms"] = _ms(time.perf_counter() - t)
    out["first_question_status"] = first.status
    out["first_question_rows"] = 0 if first.data is None else len(first.data)
    t = time.perf_counter()
    second = bi.ask(SECOND_QUESTION)
    out["second_question_ms"] = _ms(time.perf_counter() - t)
    out["second_question_status"] = second.status
    out["start_to_first_answer_ms"] = _ms(time.perf_counter() - START)

    direct = duckdb.connect(database, read_only=True)
    per_query: dict[str, dict[str, float]] = {}
    for name, fields in QUERIES.items():
        answer = bi.query(**fields)  # type: ignore[arg-type]
        assert answer.status == "ok", (name, answer.error)
        chatbi_ms, direct_ms = [], []
        for _ in range(RUNS):
            t = time.perf_counter()
            timed = bi.query(**fields)  # type: ignore[arg-type]
            chatbi_ms.append(time.perf_counter() - t)
            check_uncached(name, timed)
            t = time.perf_counter()
            direct.execute(answer.sql).fetch_df()
            direct_ms.append(time.perf_counter() - t)
        per_query[name] = {"chatbi_ms": _ms(statistics.median(chatbi_ms)),
                           "direct_ms": _ms(statistics.median(direct_ms))}
    direct.close()
    out["queries"] = per_query
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    bi.close()
    return out


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
