"""What one question costs inside the ask pipeline: compile calls, narratives built, stage timings.

    python -m benchmarks.pipeline_stages [--repeat 5]

For each question (a plain query, a follow-up and two "why" questions on the telecom sample):

* ``compiles``: calls of the compiler (``Builder.build``) during one ``ChatBI.ask``, all queries;
* ``same_query``: the most times one and the same semantic query was compiled in that ask (1 means
  every query compiled once: the question's own and each query of the root-cause analysis);
* ``narratives``: how often the one-line answer text was built;
* the answer's ``timings`` (median over ``--repeat`` asks), and how much of the wall time they cover.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ._common import print_table, write_result

QUESTIONS = [
    ("query", "2025年11月各省收入", None),
    ("follow-up", "只看5G", "2025年11月各省收入"),
    ("why zh", "为什么2025年11月广东的收入下降了？", None),
    ("why en", "why did revenue change in November 2025?", None),
]


@contextmanager
def _counting() -> Iterator[dict[str, Any]]:
    """Count compiler and narrative calls (wrapping the module attributes every caller goes through)."""
    from chatbi import narrative
    from semantic_layer.compiler.builder import Builder

    seen: dict[str, Any] = {"queries": Counter(), "narratives": 0}
    build, narrate = Builder.build, narrative.narrate

    def counted_build(self: Any, *args: Any, **kwargs: Any) -> Any:
        seen["queries"][self.query.model_dump_json()] += 1
        return build(self, *args, **kwargs)

    def counted_narrate(*args: Any, **kwargs: Any) -> Any:
        seen["narratives"] += 1
        return narrate(*args, **kwargs)

    Builder.build = counted_build  # type: ignore[method-assign]
    narrative.narrate = counted_narrate
    try:
        yield seen
    finally:
        Builder.build = build  # type: ignore[method-assign]
        narrative.narrate = narrate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from chatbi import ChatBI, Conversation

    bi = ChatBI.sample(translator="offline")
    bi.ask("2025年11月各省收入")  # warm-up: anchor, member index, lexicon
    rows, stages = [], {}
    for label, question, before in QUESTIONS:
        conv = Conversation()
        if before:
            bi.ask(before, conversation=conv)
        with _counting() as seen:
            answer = bi.ask(question, conversation=conv)
        assert answer.status == "ok", (question, answer.text)
        timings: dict[str, list[float]] = {}
        walls = []
        for _ in range(args.repeat):
            conv = Conversation()
            if before:
                bi.ask(before, conversation=conv)
            t = time.perf_counter()
            answer = bi.ask(question, conversation=conv)
            walls.append((time.perf_counter() - t) * 1000)
            for key, value in answer.timings.items():
                if key.endswith("_ms"):
                    timings.setdefault(key, []).append(value)
        median = {k: statistics.median(v) for k, v in timings.items()}
        wall = statistics.median(walls)
        stage_sum = sum(v for k, v in median.items() if k != "total_ms")
        queries: Counter[str] = seen["queries"]
        rows.append({"question": label, "compiles": sum(queries.values()), "distinct": len(queries),
                     "same_query": max(queries.values(), default=0), "narratives": seen["narratives"],
                     "wall_ms": wall, "total_ms": median.get("total_ms", float("nan")),
                     "stages_ms": stage_sum})
        stages[label] = median
    print_table(rows, ["question", "compiles", "distinct", "same_query", "narratives", "wall_ms", "total_ms",
                       "stages_ms"])
    for label, median in stages.items():
        if label.startswith("why"):
            print(f"\nstage timings of '{label}' (median ms):")
            print_table([{"stage": k, "ms": v} for k, v in median.items()], ["stage", "ms"])
    path = write_result("pipeline_stages", {"repeat": args.repeat, "rows": rows, "timings": stages})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
