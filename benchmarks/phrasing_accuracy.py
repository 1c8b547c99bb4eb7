"""Accuracy and confident-wrong answers of the offline translator on every question set (issue 17).

    python -m benchmarks.phrasing_accuracy [--label after] [--sets phrasing_dev dev holdout oilfield]

Runs ``chatbi.evaluation.evaluate`` (numbers judged by executing hand-written gold SQL; texts judged
where an item says what they must mention) on the phrasing dev set, the telecom dev and hold-out sets
and the oil-field set, and writes ``benchmarks/results/phrasing_accuracy[.<label>].json``: overall and
per-category accuracy and confident-wrong counts (status ok, answering something else) per set.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from chatbi import ChatBI
from chatbi.evaluation import evaluate, load_items

from ._common import print_table, write_result

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "sample_data" / "telecom" / "questions"
SETS = {
    "phrasing_dev": QUESTIONS / "phrasing_dev.yaml",
    "dev": QUESTIONS / "dev.yaml",
    "holdout": QUESTIONS / "holdout.yaml",
    "oilfield": ROOT / "sample_data" / "oilfield" / "questions.yaml",
}


def _chatbi(name: str, scratch: Path) -> ChatBI:
    if name != "oilfield":
        return ChatBI.sample(translator="offline")
    from sample_data.oilfield import build_warehouse

    database = build_warehouse(scratch / "oilfield.duckdb")
    return ChatBI(ROOT / "sample_data" / "oilfield" / "model.yaml", database, translator="offline")


def run(names: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name in names:
            bi = _chatbi(name, Path(scratch))
            try:
                report = evaluate(bi, load_items(SETS[name]), workers=1).to_dict()
            finally:
                bi.close()
            out[name] = {"overall": report["overall"], "by_category": report["by_category"],
                         "by_language": report["by_language"],
                         "failures": [{k: f[k] for k in ("id", "questions", "reason", "confident_wrong")}
                                      for f in report["failures"]]}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", choices=sorted(SETS), default=list(SETS))
    parser.add_argument("--label", default="", help="suffix of the result file (e.g. before / after)")
    args = parser.parse_args(argv)
    results = run(args.sets)
    rows = []
    for name, result in results.items():
        rows.append({"set": name, "category": "(all)", **_cells(result["overall"])})
        rows += [{"set": name, "category": cat, **_cells(rate)} for cat, rate in result["by_category"].items()]
    print_table(rows, ["set", "category", "passed", "n", "accuracy", "confident_wrong"])
    path = write_result("phrasing_accuracy" + (f".{args.label}" if args.label else ""), {"sets": results})
    print(f"wrote {path}")
    return 0


def _cells(rate: dict[str, Any]) -> dict[str, Any]:
    return {"passed": rate["passed"], "n": rate["n"], "accuracy": float(rate["accuracy"]),
            "confident_wrong": rate["confident_wrong"]}


if __name__ == "__main__":
    raise SystemExit(main())
