"""The ask pipeline: each query compiles once, every stage is timed, the answer is built once."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from chatbi import Answer, ChatBI, Conversation, narrative
from chatbi.pipeline import NUMBERS_ONLY, AskOptions, Pipeline
from semantic_layer import RangeFilter, SemanticQuery
from semantic_layer.compiler.builder import Builder

WHY = "为什么2025年11月广东的收入下降了？"


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, Counter[str]]:
    """How often each query was compiled and how often a narrative was written (real calls, counted)."""
    seen: dict[str, Counter[str]] = {"compiled": Counter(), "narrated": Counter()}
    build, narrate = Builder.build, narrative.narrate

    def counted_build(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen["compiled"][self.query.model_dump_json()] += 1
        return build(self, *args, **kwargs)

    def counted_narrate(query, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen["narrated"][query.model_dump_json()] += 1
        return narrate(query, *args, **kwargs)

    monkeypatch.setattr(Builder, "build", counted_build)
    monkeypatch.setattr(narrative, "narrate", counted_narrate)
    return seen


def test_a_why_question_compiles_each_query_once_and_narrates_once(sample_bi: ChatBI, counted) -> None:
    answer = sample_bi.ask(WHY)
    assert answer.ok and answer.intent == "why" and answer.report is not None
    own = answer.query.model_dump_json()
    assert counted["compiled"][own] == 1
    assert max(counted["compiled"].values()) == 1  # the analysis' own queries too
    assert len(counted["compiled"]) > 1  # ... and there were several of them
    assert counted["narrated"] == Counter({own: 1})
    assert answer.text == answer.report.text  # the root cause answers the "why"


def test_timings_cover_every_stage_including_the_analysis(sample_bi: ChatBI) -> None:
    t = sample_bi.ask(WHY).timings
    stages = ["translate_ms", "resolve_ms", "compile_ms", "guard_ms", "execute_ms", "present_ms", "explain_ms"]
    assert set(stages) <= set(t)
    assert sum(t[s] for s in stages) <= t["total_ms"]  # how much they cover is measured by benchmarks


def test_the_answer_is_frozen_and_variants_share_the_chart(sample_bi: ChatBI) -> None:
    answer = sample_bi.query(metrics=["revenue"], dimensions=["province"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        answer.text = "changed"  # type: ignore[misc]
    titled = dataclasses.replace(answer, question="Revenue by province")
    assert titled.question == "Revenue by province" and answer.question is None
    assert titled.figure is answer.figure is not None  # built once, shared by the derived answer


def test_numbers_only_skips_chart_text_and_analysis_but_not_the_numbers(sample_bi: ChatBI) -> None:
    full = sample_bi.ask(WHY)
    bare = sample_bi.ask(WHY, options=NUMBERS_ONLY)
    assert bare.ok and bare.sql == full.sql and bare.data.equals(full.data)
    assert bare.text == "" and bare.figure is None and bare.report is None
    assert "present_ms" not in bare.timings and "explain_ms" not in bare.timings
    no_why = sample_bi.ask(WHY, options=AskOptions(explain=False))
    assert no_why.report is None and no_why.text and no_why.text != full.text


def test_every_outcome_is_recorded_with_its_real_status(sample_bi: ChatBI) -> None:
    conv = Conversation()
    sample_bi.ask("2025年11月各省收入", conversation=conv)
    sample_bi.ask("今天天气怎么样", conversation=conv)
    sample_bi.ask("收入", conversation=Conversation())  # another conversation: not recorded here
    assert [(t.status, t.intent) for t in conv.turns] == [("ok", "query"), ("clarify", "out_of_scope")]


def test_errors_of_each_stage_end_the_run_as_answers(sample_bi: ChatBI) -> None:
    pipeline = Pipeline(sample_bi)
    compile_failed = pipeline.run(SemanticQuery(metrics=["revnue"]))
    assert compile_failed.status == "error" and compile_failed.issues[0].code == "unknown_metric"
    refused = pipeline.run_sql("DELETE FROM dim_region")
    assert refused.status == "error" and refused.text.startswith("SQL rejected") and not refused.governed
    assert refused.issues[0].field == "read_only" and refused.sql == "DELETE FROM dim_region"
    failed = pipeline.run_sql("SELECT CAST(province AS INTEGER) AS p FROM dim_region")
    assert failed.status == "error" and failed.sql and "execute_ms" in failed.timings
    empty = pipeline.ask("  ")
    assert empty.status == "error" and empty.text


def test_the_facade_language_answers_queries_and_sql(sample_model, sample_db_path) -> None:
    with ChatBI(sample_model, sample_db_path, language="zh") as bi:
        assert bi.query(metrics=["revenue"]).language == "zh"
        assert "收入" in bi.query(metrics=["revenue"]).text
        assert bi.run_sql("SELECT 1 AS x").language == "zh"
        assert bi.query(metrics=["revenue"], language="en").language == "en"
    with ChatBI(sample_model, sample_db_path) as bi:  # no language given: structured queries answer in English
        assert bi.query(metrics=["revenue"]).language == "en"


def test_remember_reads_the_period_of_any_time_dimension() -> None:
    """A MetricFlow model calls its time dimension ``metric_time``; a range on it is the draft's period."""
    query = SemanticQuery(metrics=["revenue"], filters=[RangeFilter(op="between", dimension="metric_time",
                                                                    low="2025-01-01", high="2025-03-31")])
    conv = Conversation()
    conv.remember(Answer(status="ok", query=query), "revenue in Q1", time_dimension="metric_time")
    assert conv.previous is not None and conv.previous.time_range is not None
    assert str(conv.previous.time_range.start) == "2025-01-01"
    other = Conversation()
    # not the model's time dimension: a range on another date column, kept as that column's filter
    other.remember(Answer(status="ok", query=query), time_dimension="date")
    assert other.previous is not None and other.previous.time_range is None
    assert [(f.dimension, str(f.low), str(f.high)) for f in other.previous.dated] == [
        ("metric_time", "2025-01-01", "2025-03-31")]
