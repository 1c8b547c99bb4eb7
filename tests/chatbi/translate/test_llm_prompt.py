"""The LLM prompt: built from the semantic model, retrieval for large models, tool schemas."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

from chatbi.translate.prompt import (
    Turn,
    build_messages,
    char_ngrams,
    select_context,
    semantic_query_tool,
    strict_schema,
    system_prompt,
)
from sample_data import TELECOM_MODEL
from semantic_layer import SemanticModel, SemanticQuery

TOPICS = [("Widget output of plant {i}", "工厂{i}产量"), ("Boiler temperature {i}", "锅炉{i}温度"),
          ("Sediment load at station {i}", "站点{i}输沙量"), ("Passenger flow of line {i}", "线路{i}客流"),
          ("Steel defects batch {i}", "钢材批次{i}缺陷")]


@pytest.fixture(scope="module")
def big_model() -> SemanticModel:
    """The telecom model plus 300 unrelated metrics and 40 unrelated dimensions."""
    data = yaml.safe_load(Path(TELECOM_MODEL).read_text(encoding="utf-8"))
    for i in range(300):
        en, zh = TOPICS[i % len(TOPICS)]
        data["metrics"][f"kpi_{i:03d}"] = {"table": "fact_daily", "agg": "sum", "column": "voice_minutes",
                                           "label": {"en": en.format(i=i), "zh": zh.format(i=i)},
                                           "description": f"Synthetic indicator number {i}."}
    for i in range(40):
        data["dimensions"][f"attr_{i:02d}"] = {"table": "fact_daily", "column": "segment",
                                               "label": {"en": f"Attribute {i}", "zh": f"属性{i}"},
                                               "index_members": False}
    return SemanticModel.from_dict(data)


def test_cjk_and_latin_ngrams() -> None:
    assert {"离网", "网率", "离", "率"} <= set(char_ngrams("离网率"))
    assert {"#re", "rev", "ven", "nu#"} <= set(char_ngrams("Revenu"))  # survives a typo


def test_small_model_is_shown_whole(sample_model: SemanticModel) -> None:
    sel = select_context(sample_model, "各省收入")
    assert sel.complete and set(sel.metrics) == set(sample_model.visible_metrics)
    assert "active_subscriber_days" not in sel.metrics  # hidden metrics stay hidden


@pytest.mark.parametrize(("question", "metrics", "dimensions"), [
    ("各省的离网率", {"churn_rate"}, {"province"}),
    ("monthly ARPU by plan type", {"arpu"}, {"plan_type"}),
    ("revenu by provnce", {"revenue"}, {"province"}),
    ("掉话率按厂商", {"call_drop_rate"}, {"vendor"}),
    ("户均流量", {"dou"}, set()),
])
def test_large_model_shows_the_relevant_part(big_model: SemanticModel, question: str, metrics: set[str],
                                             dimensions: set[str]) -> None:
    sel = select_context(big_model, question, top_k=10)
    assert not sel.complete
    assert metrics <= set(sel.metrics) and dimensions <= set(sel.dimensions)
    assert "date" in sel.dimensions  # time always available
    assert len(sel.metrics) <= 14 and len(sel.dimensions) <= 12
    assert sum(m.startswith("kpi_") for m in sel.metrics) <= 6


def test_large_model_prompt_is_much_smaller(big_model: SemanticModel) -> None:
    anchor = dt.date(2025, 12, 31)
    part = system_prompt(big_model, select_context(big_model, "各省收入", top_k=10), anchor=anchor)
    whole = system_prompt(big_model, select_context(big_model, "各省收入", full_items=10_000), anchor=anchor)
    assert "- revenue" in part and "- province" in part
    assert len(part) * 5 < len(whole)


def test_conversation_keeps_its_metrics_in_view(big_model: SemanticModel) -> None:
    turn = Turn("2025年各省收入", SemanticQuery(metrics=["revenue"], dimensions=["province"]))
    sel = select_context(big_model, "那浙江呢？", conversation=[turn], top_k=5)
    assert "revenue" in sel.metrics and "province" in sel.dimensions


def test_mentioned_members_with_their_spelling(sample_bi) -> None:
    members = sample_bi.members.members
    sel = select_context(sample_bi.model, "Guangdong and 浙江 revenue via online channel, 5G only",
                         members=members)
    assert sel.members == {"province": ("广东", "浙江"), "channel": ("线上",), "plan_type": ("5G",)}
    text = system_prompt(sample_bi.model, sel, anchor=sample_bi.anchor, members=members)
    assert "- province: 广东, 浙江" in text and "- channel: 线上" in text
    assert "Today is 2025-12-31" in text
    # short words do not match inside longer ones: "app" must not fire on "apple"
    assert select_context(sample_bi.model, "apple revenue", members=members).members == {}


def test_messages_hold_the_conversation_and_never_rows() -> None:
    q = SemanticQuery(metrics=["revenue"], dimensions=["province"])
    turns = [Turn("各省收入", q), Turn("hello", None, "I can answer data questions.")]
    msgs = build_messages("SYSTEM", "换成ARPU", turns)
    assert [m["role"] for m in msgs] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert json.loads(msgs[2]["content"].split(" ", 1)[1]) == {"metrics": ["revenue"], "dimensions": ["province"]}
    assert msgs[-1]["content"] == "换成ARPU"


def test_tool_schema_is_the_pydantic_schema() -> None:
    tool = semantic_query_tool()
    assert tool["type"] == "function" and tool["function"]["parameters"] == SemanticQuery.model_json_schema()


def test_strict_schema_rules() -> None:
    schema = strict_schema(SemanticQuery.model_json_schema())

    def walk(node: object) -> None:
        if isinstance(node, dict):
            assert "default" not in node and "oneOf" not in node and "discriminator" not in node
            if "properties" in node:
                assert set(node["required"]) == set(node["properties"])
                assert node["additionalProperties"] is False
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(schema)
    # optional fields became nullable, required ones did not
    assert {"type": "null"} in schema["properties"]["limit"]["anyOf"]
    assert {"type": "null"} in schema["properties"]["metrics"]["anyOf"]
    assert schema["$defs"]["MemberFilter"]["properties"]["dimension"] == {
        "description": "dimension name, e.g. 'province'", "title": "Dimension", "type": "string"}
