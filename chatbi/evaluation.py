"""Evaluation harness: run a question set through ``ChatBI.ask`` and score the answers.

A question set is YAML (``sample_data/telecom/questions/dev.yaml`` is the example)::

    items:
      - id: rev-province-2025
        category: group_by
        language: zh
        question: 2025年各省收入
        sql: SELECT r.province, SUM(f.revenue) FROM fact_daily f JOIN dim_region r USING (city_id) ...
      - id: users-ambiguous
        category: clarify
        language: en
        question: how many users in 2025
        expect: clarify
      - id: follow-5g
        category: followup
        language: zh
        turns:
          - {question: 2025年各省收入}
          - {question: 只看5G, sql: "SELECT ..."}

Each turn is judged by one of: ``sql`` -- gold SQL over the raw tables, compared *by
execution* (same rows and values; column order and names ignored; numbers equal within a
relative tolerance); ``query`` -- an expected ``SemanticQuery``, run and compared the same
way; ``expect`` -- the expected status: ``clarify`` (a clarification, optionally with
``options`` naming metrics/dimensions that must be offered) or ``out_of_scope`` (a polite
refusal: ``status == "clarify"`` with ``intent == "out_of_scope"``). Follow-up items share one
conversation across their turns and pass when every judged turn passes.

``mentions`` (optional, on a judged turn) lists what the answer's *text* must say: each entry is a
string, or a list of alternatives of which one must appear (case-insensitive) -- the winner of a
"which ... highest" question, the period of a question that named none. An answer whose numbers
are right but whose text does not say them is wrong for the user.

An item is **confident-wrong** when a judged turn came back ``ok`` and failed its judgement (other
numbers, a missing mention, or ``ok`` where a clarification or refusal was expected): the answer
looked sure and answered something else. The report counts them per category and language.

Result columns the semantic layer adds for ``compare`` (``<m>__previous``, ``__change``,
``__change_pct``), ``share`` (``__share``) and a single ranked row (the runner-up, ``__runner_up``)
may appear in the answer beyond the gold columns.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from semantic_layer import SemanticQuery

from .answer import Answer
from .conversation import Conversation
from .errors import ChatBIError, ConfigError
from .pipeline import NUMBERS_ONLY, AskOptions

if TYPE_CHECKING:
    from .api import ChatBI

__all__ = ["EvalItem", "EvalTurn", "ItemResult", "EvalReport", "load_items", "evaluate", "compare_frames",
           "DERIVED_SUFFIXES"]

DERIVED_SUFFIXES = ("__previous", "__change", "__change_pct", "__share", "__runner_up")
REL_TOL = 1e-6


class EvalTurn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    question: str
    sql: str | None = None
    query: SemanticQuery | None = None
    expect: Literal["ok", "clarify", "out_of_scope"] | None = None
    #: metric / dimension names some clarification option must resolve to
    options: tuple[str, ...] = ()
    #: what the answer text must say: strings, or lists of alternatives (one must appear)
    mentions: tuple[str | tuple[str, ...], ...] = ()

    @property
    def judged(self) -> bool:
        return self.sql is not None or self.query is not None or self.expect is not None


class EvalItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    category: str
    language: Literal["zh", "en", "mixed"]
    question: str | None = None
    sql: str | None = None
    query: SemanticQuery | None = None
    expect: Literal["ok", "clarify", "out_of_scope"] | None = None
    options: tuple[str, ...] = ()
    mentions: tuple[str | tuple[str, ...], ...] = ()
    turns: tuple[EvalTurn, ...] = ()
    note: str = ""

    @model_validator(mode="after")
    def _shape(self) -> EvalItem:
        if (self.question is None) == (not self.turns):
            raise ValueError("give either 'question' (with sql/query/expect) or 'turns'")
        if self.question is not None and self.sql is None and self.query is None and self.expect in (None, "ok"):
            # "expect: ok" alone would pass any answer; only a turn inside a sequence may just need to run
            raise ValueError("a question needs 'sql' or 'query' (or expect: clarify / out_of_scope)")
        if self.turns and not any(t.judged for t in self.turns):
            raise ValueError("at least one turn needs 'sql', 'query' or 'expect'")
        return self

    def all_turns(self) -> tuple[EvalTurn, ...]:
        if self.turns:
            return self.turns
        return (EvalTurn(question=self.question or "", sql=self.sql, query=self.query, expect=self.expect,
                         options=self.options, mentions=self.mentions),)

    @property
    def needs_text(self) -> bool:
        """True when judging reads the answer's text (``mentions``), so narratives must be built."""
        return any(t.mentions for t in self.all_turns())


class _QuestionSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = ""
    description: str = ""
    items: list[EvalItem] = Field(min_length=1)


def load_items(path: str | os.PathLike[str]) -> list[EvalItem]:
    """Read and check a question set; errors name the item and field."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read question set {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    try:
        items = _QuestionSet.model_validate(data).items
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path}: {where}: {first['msg']} ({len(exc.errors())} problem(s))") from None
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise ConfigError(f"{path}: duplicate item id {item.id!r}")
        seen.add(item.id)
    return items


# -- comparing results by execution ------------------------------------------------------

def _canon(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, (bool, int, float, Decimal)) or hasattr(value, "dtype"):
        try:
            number = float(value)
        except (TypeError, ValueError):
            return str(value)
        return None if math.isnan(number) else number
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return value.date().isoformat() if (value.hour, value.minute, value.second) == (0, 0, 0) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _same(a: Any, b: Any, rel_tol: float) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=rel_tol, abs_tol=1e-9)
    return a == b


def _key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    if isinstance(value, float):
        # the exact value: rounding (to 6 digits, say) ties distinct values of large results, which then
        # sort in any order and are compared with the wrong partner
        return (1, value)
    return (2, str(value))


def _columns(frame: pd.DataFrame) -> list[list[Any]]:
    return [[_canon(v) for v in frame.iloc[:, j].tolist()] for j in range(frame.shape[1])]


def _same_bag(a: list[Any], b: list[Any], rel_tol: float) -> bool:
    return all(_same(x, y, rel_tol) for x, y in zip(sorted(a, key=_key), sorted(b, key=_key)))


def compare_frames(gold: pd.DataFrame, pred: pd.DataFrame | None, rel_tol: float = REL_TOL) -> str | None:
    """``None`` when ``pred`` holds the same rows as ``gold``, else the reason it does not.

    >>> g = pd.DataFrame({"p": ["a", "b"], "s": [1.0, 2.0]})
    >>> compare_frames(g, pd.DataFrame({"revenue": [2.0000000001, 1.0], "province": ["b", "a"]})) is None
    True
    >>> compare_frames(g, pd.DataFrame({"province": ["a", "b"], "revenue": [1.0, 3.0]}))
    'no answer column matches gold column 2 (s)'
    """
    if pred is None:
        return "no result"
    if len(gold) != len(pred):
        return f"{len(pred)} rows, expected {len(gold)}"
    gcols, pcols = _columns(gold), _columns(pred)
    names = [str(c) for c in pred.columns]
    extra_ok = [any(n.endswith(s) for s in DERIVED_SUFFIXES) for n in names]
    candidates: list[list[int]] = []
    for j, g in enumerate(gcols):
        found = [i for i, p in enumerate(pcols) if _same_bag(g, p, rel_tol)]
        if not found:
            return f"no answer column matches gold column {j + 1} ({gold.columns[j]})"
        candidates.append(found)
    gold_rows = sorted(zip(*gcols), key=lambda r: tuple(map(_key, r))) if gcols else []

    def rows_match(assign: list[int]) -> bool:
        pred_rows = sorted(zip(*(pcols[i] for i in assign)), key=lambda r: tuple(map(_key, r)))
        return all(all(_same(a, b, rel_tol) for a, b in zip(gr, pr)) for gr, pr in zip(gold_rows, pred_rows))

    def search(j: int, used: list[int]) -> bool:
        if j == len(gcols):
            unused = [i for i in range(len(pcols)) if i not in used]
            return all(extra_ok[i] for i in unused) and rows_match(used)
        return any(search(j + 1, [*used, i]) for i in candidates[j] if i not in used)

    if not search(0, []):
        unused = [names[i] for i in range(len(pcols)) if not extra_ok[i] and all(i not in c for c in candidates)]
        if unused:
            return f"answer has extra columns {unused}"
        return "rows differ (columns match one by one, not as rows)"
    return None


# -- running -----------------------------------------------------------------------------

@dataclass
class ItemResult:
    id: str
    category: str
    language: str
    passed: bool
    reason: str = ""
    questions: tuple[str, ...] = ()
    queries: tuple[dict[str, Any] | None, ...] = ()
    statuses: tuple[str, ...] = ()
    translate_ms: tuple[float, ...] = ()
    kind: str = "execution"  # execution | clarify | out_of_scope
    #: a judged turn came back ``ok`` and was wrong: the worst outcome (see the module docstring)
    confident_wrong: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "category": self.category, "language": self.language, "passed": self.passed,
                "reason": self.reason, "kind": self.kind, "confident_wrong": self.confident_wrong,
                "questions": list(self.questions),
                "queries": list(self.queries), "statuses": list(self.statuses),
                "translate_ms": [round(x, 3) for x in self.translate_ms]}


def _rate(results: Sequence[ItemResult]) -> dict[str, float | int]:
    n = len(results)
    ok = sum(r.passed for r in results)
    wrong = sum(r.confident_wrong for r in results)
    return {"n": n, "passed": ok, "accuracy": round(ok / n, 4) if n else 0.0, "confident_wrong": wrong,
            "confident_wrong_rate": round(wrong / n, 4) if n else 0.0}


@dataclass
class EvalReport:
    results: list[ItemResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def accuracy(self) -> float:
        return float(_rate(self.results)["accuracy"])

    @property
    def execution_accuracy(self) -> float:
        return float(_rate([r for r in self.results if r.kind == "execution"])["accuracy"])

    @property
    def confident_wrong(self) -> int:
        """Items answered ``ok`` with something other than what was asked."""
        return sum(r.confident_wrong for r in self.results)

    @property
    def failures(self) -> list[ItemResult]:
        return [r for r in self.results if not r.passed]

    def breakdown(self, attr: str) -> dict[str, dict[str, float | int]]:
        groups: dict[str, list[ItemResult]] = {}
        for r in self.results:
            groups.setdefault(str(getattr(r, attr)), []).append(r)
        return {k: _rate(v) for k, v in sorted(groups.items())}

    def to_dict(self) -> dict[str, Any]:
        return {"overall": _rate(self.results),
                "execution": _rate([r for r in self.results if r.kind == "execution"]),
                "clarify_or_refuse": _rate([r for r in self.results if r.kind != "execution"]),
                "by_category": self.breakdown("category"), "by_language": self.breakdown("language"),
                "seconds": round(self.seconds, 2), "failures": [r.to_dict() for r in self.failures],
                "items": [r.to_dict() for r in self.results]}

    def format(self) -> str:
        d = self.to_dict()
        lines = [f"overall        {_fmt(d['overall'])}",
                 f"execution      {_fmt(d['execution'])}",
                 f"clarify/refuse {_fmt(d['clarify_or_refuse'])}", "", "by category:"]
        width = max([16, *(len(k) for k in d["by_category"])])
        lines += [f"  {k:<{width}} {_fmt(v)}" for k, v in d["by_category"].items()]
        lines += ["", "by language:"] + [f"  {k:<{width}} {_fmt(v)}" for k, v in d["by_language"].items()]
        if self.failures:
            lines += ["", f"failures ({len(self.failures)}; ! = confident-wrong, answered ok):"]
            for r in self.failures:
                lines.append(f"  {'!' if r.confident_wrong else ' '}[{r.id}] {' / '.join(r.questions)}")
                lines.append(f"      {r.reason}")
        return "\n".join(lines)


def _fmt(rate: dict[str, float | int]) -> str:
    return (f"{rate['passed']:>4}/{rate['n']:<4} {100 * float(rate['accuracy']):6.1f}%"
            f"   confident-wrong {rate['confident_wrong']:>3}")


def _judge(bi: ChatBI, turn: EvalTurn, answer: Answer, options: AskOptions) -> str | None:
    if turn.expect == "out_of_scope":
        if answer.status == "clarify" and answer.intent == "out_of_scope":
            return None
        return f"expected a refusal, got status={answer.status} intent={answer.intent}"
    if turn.expect == "clarify":
        if answer.status != "clarify" or answer.intent == "out_of_scope":
            return f"expected a clarification, got status={answer.status} intent={answer.intent}"
        offered = {n for o in answer.clarification if o.query is not None
                   for n in (*o.query.metrics, *o.query.dimensions)}
        offered |= {o.label for o in answer.clarification}
        missing = [n for n in turn.options if n not in offered]
        return f"options lack {missing}" if missing else None
    if answer.status != "ok":
        return f"status={answer.status}: {answer.error or answer.text}"
    if turn.sql is None and turn.query is None:
        return _missing_mentions(turn, answer)
    gold = _gold(bi, turn, answer.language, options)
    if isinstance(gold, str):
        return gold
    return compare_frames(gold, answer.data) or _missing_mentions(turn, answer)


def _gold(bi: ChatBI, turn: EvalTurn, language: str, options: AskOptions) -> pd.DataFrame | str:
    """The expected frame: the item's gold SQL, else its expected query run the same way; or why not."""
    if turn.sql is not None:
        try:
            return bi.engine.execute(turn.sql)
        except ChatBIError as exc:
            return f"gold SQL failed: {exc}"
    if turn.query is None:
        return "the item has neither gold SQL nor an expected query"
    expected = bi.run(turn.query, language=language, options=options)
    if not expected.ok or expected.data is None:
        return f"expected query failed: {expected.error}"
    return expected.data


def _missing_mentions(turn: EvalTurn, answer: Answer) -> str | None:
    text = (answer.text or "").casefold()
    for entry in turn.mentions:
        options = (entry,) if isinstance(entry, str) else entry
        if not any(o.casefold() in text for o in options):
            return f"text does not mention {' or '.join(map(repr, options))}: {answer.text!r}"
    return None


def evaluate(bi: ChatBI, items: Sequence[EvalItem], *, progress: Callable[[ItemResult], None] | None = None,
             full: bool = False, workers: int | None = None) -> EvalReport:
    """Ask every item (follow-ups in one conversation each) and judge the answers.

    ``full=True`` also builds charts, narratives and root-cause reports (slower, same numbers).
    Items run on ``workers`` threads (default: the CPU count, at most 4): each has its own
    conversation, and the warehouse engine gives every thread its own cursor.
    """
    # charts, narratives and root-cause reports never change an answer's numbers and cost several
    # times the query itself: skipped unless asked for or an item checks the text
    options = AskOptions() if full or any(item.needs_text for item in items) else NUMBERS_ONLY
    report = EvalReport()
    started = time.perf_counter()
    count = workers or min(4, os.cpu_count() or 1)
    _ = (bi.anchor, bi.members)  # read once here, not raced by the worker threads
    if count <= 1:
        results = [_run_item(bi, item, options) for item in items]
    else:
        with ThreadPoolExecutor(max_workers=count) as pool:
            results = list(pool.map(lambda item: _run_item(bi, item, options), items))
    for result in results:
        report.results.append(result)
        if progress:
            progress(result)
    report.seconds = time.perf_counter() - started
    return report


def _run_item(bi: ChatBI, item: EvalItem, options: AskOptions) -> ItemResult:
    conv = Conversation()
    reasons, questions, queries, statuses, times = [], [], [], [], []
    confident_wrong = False
    turns = item.all_turns()
    for k, turn in enumerate(turns):
        answer = bi.ask(turn.question, conversation=conv, options=options)
        questions.append(turn.question)
        queries.append(answer.query.model_dump(mode="json", exclude_defaults=True) if answer.query else None)
        statuses.append(answer.status)
        times.append(answer.timings.get("translate_ms", 0.0))
        if turn.judged:
            reason = _judge(bi, turn, answer, options)
            if reason:
                reasons.append(f"turn {k + 1}: {reason}" if len(turns) > 1 else reason)
                confident_wrong = confident_wrong or answer.status == "ok"
    judged = [t for t in turns if t.judged]
    if any(t.sql is not None or t.query is not None for t in judged):
        kind = "execution"
    else:
        kind = "out_of_scope" if any(t.expect == "out_of_scope" for t in judged) else "clarify"
    return ItemResult(item.id, item.category, item.language, not reasons, "; ".join(reasons),
                      tuple(questions), tuple(queries), tuple(statuses), tuple(times), kind, confident_wrong)
