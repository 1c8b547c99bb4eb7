"""Figure building latency (chart selection + Plotly figure) and narrative latency per result shape.

    python -m benchmarks.chart_latency [--repeat 30]

Each query runs once against the sample warehouse; its result is then charted ``--repeat`` times
per language. Target (issue #5): p50 <= 30 ms per figure. Wall-clock times are reported, and
CPU times next to them, since a shared machine's load inflates the former.
"""

from __future__ import annotations

import argparse
import time

from chatbi import ChatBI
from chatbi.charts import build_figure, select_chart
from chatbi.narrative import narrate

from ._common import print_table, summarise, write_result

Y2025 = ["2025-01-01", "2025-12-31"]
NOV = ["2025-11-01", "2025-11-30"]
SHAPES: list[tuple[str | None, dict]] = [
    (None, {"metrics": ["revenue"], "time_range": NOV, "compare": "previous_period",
            "filters": [{"op": "in", "dimension": "province", "values": ["广东"]}]}),
    (None, {"metrics": ["revenue", "churn_rate", "arpu"], "time_range": NOV}),
    (None, {"metrics": ["revenue"], "dimensions": ["date.month"], "time_range": Y2025}),
    (None, {"metrics": ["revenue"], "dimensions": ["date.day"], "time_range": ["2024-01-01", "2025-12-31"]}),
    (None, {"metrics": ["revenue"], "dimensions": ["date.quarter"], "time_range": ["2025-01-01", "2025-09-30"]}),
    (None, {"metrics": ["revenue"], "dimensions": ["date.month", "city"], "time_range": Y2025}),
    (None, {"metrics": ["arpu"], "dimensions": ["date.month", "plan_type"], "time_range": Y2025}),
    (None, {"metrics": ["revenue"], "dimensions": ["province"]}),
    (None, {"metrics": ["new_subscribers"], "dimensions": ["channel"]}),
    (None, {"metrics": ["revenue"], "dimensions": ["channel"], "share": True}),
    (None, {"metrics": ["revenue"], "dimensions": ["city"], "share": True}),
    (None, {"metrics": ["revenue"], "dimensions": ["channel", "segment"]}),
    (None, {"metrics": ["revenue"], "dimensions": ["city", "plan"]}),
    (None, {"metrics": ["churn_rate", "arpu"], "dimensions": ["plan_type"]}),
    ("relation", {"metrics": ["dou", "arpu"], "dimensions": ["city"]}),
    (None, {"metrics": ["revenue"], "dimensions": ["channel"], "compare": "year_over_year", "time_range": Y2025}),
    (None, {"metrics": ["revenue"], "dimensions": ["date.month"], "compare": "year_over_year", "time_range": Y2025}),
    ("root_cause", {"metrics": ["revenue"], "dimensions": ["province"], "compare": "previous_period",
                    "time_range": NOV}),
    (None, {"dimensions": ["province", "city"]}),
    (None, {"metrics": ["revenue", "new_subscribers", "churn_rate", "arpu", "dou"], "dimensions": ["city"]}),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=30, help="figures built per result and language")
    args = parser.parse_args()
    bi = ChatBI.sample()
    results = []
    for intent, shape in SHAPES:
        answer = bi.query(**shape)
        if not answer.ok:
            raise SystemExit(f"benchmark query failed: {shape}: {answer.error}")
        results.append((intent, answer))
    for intent, answer in results:  # warm-up: plotly validators and templates load on first use
        build_figure(answer.query, answer.data, bi.model, members=bi.members, intent=intent)
    by_kind: dict[str, list[float]] = {}
    figures: list[float] = []
    cpu: list[float] = []
    texts: list[float] = []
    rows = []
    for intent, answer in results:
        kind = select_chart(answer.query, answer.data, intent=intent, model=bi.model).kind
        samples, words, cpu_samples = [], [], []
        for _ in range(args.repeat):
            for lang in ("en", "zh"):
                t, c = time.perf_counter(), time.process_time()
                build_figure(answer.query, answer.data, bi.model, language=lang, members=bi.members, intent=intent)
                samples.append((time.perf_counter() - t) * 1000)
                cpu_samples.append((time.process_time() - c) * 1000)
                t = time.perf_counter()
                narrate(answer.query, answer.data, bi.model, language=lang, members=bi.members, intent=intent)
                words.append((time.perf_counter() - t) * 1000)
        by_kind.setdefault(kind, []).extend(samples)
        figures += samples
        cpu += cpu_samples
        texts += words
        rows.append({"kind": kind, "rows": len(answer.data), **{k: v for k, v in summarise(samples).items()
                                                                  if k in ("p50_ms", "p95_ms")},
                     "cpu_p50_ms": summarise(cpu_samples)["p50_ms"], "text_p50_ms": summarise(words)["p50_ms"]})
    print_table(rows, ["kind", "rows", "p50_ms", "p95_ms", "cpu_p50_ms", "text_p50_ms"])
    kinds = [{"kind": k, **summarise(v)} for k, v in sorted(by_kind.items())]
    overall, text_overall, cpu_overall = summarise(figures), summarise(texts), summarise(cpu)
    path = write_result("chart_latency", {"target_p50_ms": 30.0, "repeat": args.repeat, "shapes": rows,
                                          "per_kind": kinds, "overall": overall, "overall_cpu": cpu_overall,
                                          "narrative": text_overall})
    print(f"figure p50 {overall['p50_ms']:.1f} ms, p95 {overall['p95_ms']:.1f} ms (target p50 <= 30 ms); "
          f"CPU p50 {cpu_overall['p50_ms']:.1f} ms; "
          f"narrative p50 {text_overall['p50_ms']:.2f} ms; written to {path}")


if __name__ == "__main__":
    main()
