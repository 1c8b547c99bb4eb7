"""Translation latency of the offline translator over the development question set.

    python -m benchmarks.translate_latency [--repeat 5] [--questions sample_data/telecom/questions/dev.yaml]

Times ``OfflineTranslator.translate`` alone (question -> SemanticQuery or clarification; no SQL
runs), follow-up turns with their conversation context, after one warm-up pass that builds the
lexicon (reported separately: it is paid once per model and member index). Target (issue #3):
p50 <= 20 ms.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from chatbi import ChatBI
from chatbi.evaluation import load_items
from chatbi.translate import OfflineTranslator, TranslationContext
from chatbi.translate.base import Draft
from chatbi.translate.grammar import load_grammar
from chatbi.translate.lexicon import _build

from ._common import print_table, summarise, write_result

DEV_SET = Path(__file__).resolve().parent.parent / "sample_data" / "telecom" / "questions" / "dev.yaml"


def _pass(bi: ChatBI, conversations: list[list[str]], translator: OfflineTranslator) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"zh": [], "en": []}
    for questions in conversations:
        previous: Draft | None = None
        pending: Draft | None = None
        kind = ""
        for q in questions:
            ctx = TranslationContext(model=bi.model, members=bi.members, anchor=bi.anchor, previous=previous,
                                     pending=pending, pending_kind=kind)
            start = time.perf_counter()
            t = translator.translate(q, ctx)
            elapsed = (time.perf_counter() - start) * 1000
            times["zh" if any("\u4e00" <= c <= "\u9fff" for c in q) else "en"].append(elapsed)
            if t.status == "ok":
                previous, pending, kind = t.draft, None, ""
            elif t.pending is not None:
                pending, kind = t.pending, t.pending_kind
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5, help="timed passes over the question set")
    parser.add_argument("--questions", type=Path, default=DEV_SET)
    args = parser.parse_args()
    bi = ChatBI.sample()
    conversations = [[t.question for t in item.all_turns()] for item in load_items(args.questions)]
    builds = []
    for _ in range(3):  # the first build in a process also pays one-time imports and regex compiles
        start = time.perf_counter()
        _build(bi.model, bi.members, load_grammar())
        builds.append((time.perf_counter() - start) * 1000)
    build_ms = builds[0]
    translator = OfflineTranslator()
    _pass(bi, conversations, translator)  # warm-up: lexicon cache, compiled patterns
    zh: list[float] = []
    en: list[float] = []
    for _ in range(args.repeat):
        times = _pass(bi, conversations, translator)
        zh += times["zh"]
        en += times["en"]
    rows = [{"questions": "all", **summarise(zh + en)}, {"questions": "zh", **summarise(zh)},
            {"questions": "en", **summarise(en)}]
    print(f"lexicon build (once per model and member index): first {build_ms:.1f} ms, then {min(builds[1:]):.1f} ms; "
          f"{len(conversations)} items, {args.repeat} passes")
    print_table(rows, ["questions", "n", "p50_ms", "p95_ms", "mean_ms", "max_ms"])
    path = write_result("translate_latency", {"target_p50_ms": 20.0, "lexicon_build_ms": build_ms,
                                              "lexicon_rebuild_ms": min(builds[1:]),
                                              "question_set": str(args.questions.name), "repeat": args.repeat,
                                              "rows": rows})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
