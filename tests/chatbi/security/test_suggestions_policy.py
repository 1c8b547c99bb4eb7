"""Nothing suggests a name the user may not see: "did you mean", the LLM's repair feedback, follow-ups."""

from __future__ import annotations

import pytest

from chatbi.security import Security
from semantic_layer import SemanticQuery

DOC = {"users": {"u": {"roles": ["r"]}},
       "roles": {"r": {"rows": [{"province": "广东"}], "columns": {"city": "hide", "complaints": "hide"}}}}


@pytest.fixture(scope="module")
def view(sample_bi):
    return sample_bi.for_user("u", security=Security.from_dict(DOC, model=sample_bi.model))


def test_did_you_mean_skips_hidden_names(view, sample_bi) -> None:
    everyone = sample_bi.query(metrics=["complaint"])
    assert "complaints" in everyone.text  # what everybody else is offered
    answer = view.query(metrics=["complaint"])
    assert answer.status == "error" and "complaints" not in answer.text
    assert all("complaints" not in i.candidates for i in answer.issues)
    cities = view.query(metrics=["revenue"], dimensions=["cty"])
    assert "city" not in " ".join(c for i in cities.issues for c in i.candidates)


def test_follow_up_suggestions_never_drill_into_hidden_levels(view, sample_bi) -> None:
    from dashboards.querytools import suggestions

    query = SemanticQuery(metrics=["revenue"], dimensions=["province"], time_range=("2025-11-01", "2025-11-30"))
    for_all = suggestions(query, sample_bi.model, "en", members=sample_bi.members, period=("2025-11-01", "2025-11-30"))
    assert any("city" in s.query.dimensions for s in for_all)
    mine = suggestions(query, view.model, "en", members=view.members, period=("2025-11-01", "2025-11-30"))
    assert mine and not any("city" in s.query.dimensions for s in mine)


def test_the_llm_repair_feedback_never_names_hidden_metrics(view) -> None:
    from chatbi.translate.llm import LLMTranslator, _Reply

    tr = LLMTranslator(base_url="http://127.0.0.1:9/v1", api_key="sk-x", model="m")
    reply = _Reply("semantic_query", '{"metrics": ["complaint"]}', "", {})
    members = view.members
    _, feedback, _issues = tr._check(reply, view.model, members.as_sets(), frozenset(members.members.withheld))
    assert "complaint" in feedback and "'complaints'" not in feedback


def test_naming_a_member_of_a_masked_field_is_refused_not_answered_as_the_total(sample_bi) -> None:
    """A declared member of a masked dimension cannot filter; the answer must not be everyone's total."""
    doc = {"users": {"m": {"roles": ["r"]}}, "roles": {"r": {"columns": {"province": {"mask": "mask_all"}}}}}
    view = sample_bi.for_user("m", security=Security.from_dict(doc, model=sample_bi.model))
    answer = view.ask("广东的收入")
    assert answer.status == "error" and "广东" in answer.text and "不能按它筛选" in answer.text
    assert view.ask("收入").status == "ok"  # the question without the member is answered


def test_a_restricted_users_total_says_it_is_within_their_access(view, sample_bi) -> None:
    wide = view.ask("全国收入")
    assert wide.status == "ok" and wide.text.endswith("（在您可查看的范围内：广东）")
    kept = view.ask("广东收入")
    assert kept.status == "ok" and "范围内" not in kept.text
    english = view.ask("revenue in November 2025")
    assert english.text.startswith("Within your access (广东): ")
    assert "范围内" not in sample_bi.ask("全国收入").text  # everyone else's answer is as it was
