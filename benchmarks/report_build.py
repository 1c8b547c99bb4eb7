"""Time to build a business report on the sample warehouses, and to render it.

Scenarios: the telecom model's default report (no spec) and the monthly business review spec for
November 2025 (for the whole business and for Guangdong only), and the oil field's daily production
report for 2025-07-12. "build" is
``ChatBI.report`` (every query, the anomaly scan, the root-cause analyses, the charts as Plotly
figures); "build cpu" is the CPU time of the build in every thread (on a shared machine the wall
time mostly measures the queue for a core); "html" renders the self-contained page; "pdf" prints
it with the system's Chromium (once per scenario: dominated by the browser loading plotly.js).

The first build of the process (imports, member index, plotly's template) is reported
separately as cold. Run ``python -m benchmarks.report_build [--repeat N] [--no-pdf]``; results
go to ``benchmarks/results/report_build.json``. Target: build <= 5 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import warnings
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import print_table, summarise, write_result
from chatbi import ChatBI

__all__ = ["main"]


def _scenarios() -> list[tuple[str, ChatBI, object, str, object]]:
    from sample_data.oilfield import MODEL, warehouse_path

    telecom = ChatBI.sample(translator="offline")
    oilfield = ChatBI(MODEL, warehouse_path(), translator="offline")
    return [("telecom default report, 2025-11", telecom, None, "2025-11", None),
            ("telecom monthly_review, 2025-11", telecom, "monthly_review", "2025-11", None),
            ("telecom monthly_review, Guangdong, 2025-11", telecom, "monthly_review", "2025-11", {"province": "广东"}),
            ("oilfield daily_production, 2025-07-12", oilfield, "daily_production", "2025-07-12", None)]


def _cpu() -> float:
    """CPU seconds of this process, every thread (DuckDB's included): a figure the machine's load
    does not inflate the way it inflates wall time."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-pdf", action="store_true", help="skip printing PDFs")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", "All-NaN slice encountered", RuntimeWarning)

    scenarios = _scenarios()
    start = time.perf_counter()
    scenarios[0][1].report(None, period="2025-11", language="zh")
    cold = (time.perf_counter() - start) * 1000

    rows, results = [], []
    for name, bi, spec, period, scope in scenarios:
        builds, htmls, cpus = [], [], []
        report = None
        for i in range(args.repeat):
            lang = "zh" if i % 2 == 0 else "en"
            c0, t0 = _cpu(), time.perf_counter()
            report = bi.report(spec, period=period, language=lang, scope=scope)
            t1 = time.perf_counter()
            cpus.append((_cpu() - c0) * 1000)
            report.to_html()
            builds.append((t1 - t0) * 1000)
            htmls.append((time.perf_counter() - t1) * 1000)
        pdf_ms = None
        if not args.no_pdf and report is not None:
            t0 = time.perf_counter()
            report.to_pdf()
            pdf_ms = (time.perf_counter() - t0) * 1000
        build, html, cpu = summarise(builds), summarise(htmls), summarise(cpus)
        results.append({"scenario": name, "build": build, "build_cpu": cpu, "html": html, "pdf_ms": pdf_ms,
                        "sections": len(report.sections) if report else 0, "sql": len(report.sql) if report else 0})
        rows.append({"scenario": name, "build p50 s": build["p50_ms"] / 1000, "build max s": build["max_ms"] / 1000,
                     "build cpu s": cpu["p50_ms"] / 1000,
                     "html p50 s": html["p50_ms"] / 1000, "pdf s": (pdf_ms or float("nan")) / 1000,
                     "sql": len(report.sql) if report else 0})
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"cold first build: {cold / 1000:.2f} s; load average {load:.1f} on {os.cpu_count()} cores")
    print_table(rows, ["scenario", "build p50 s", "build max s", "build cpu s", "html p50 s", "pdf s", "sql"])
    payload = {"cold_ms": cold, "repeat": args.repeat, "load_average": load, "cpus": os.cpu_count(),
               "scenarios": results, "target_build_ms": 5000}
    path = write_result("report_build", payload)
    print(f"results: {path}")
    return payload


if __name__ == "__main__":
    main()
