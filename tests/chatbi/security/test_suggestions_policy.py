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
    _, feedback, issues = tr._check(reply, view.model, members.as_sets(), frozenset(members.members.withheld))
    assert "complaint" in feedback and "'complaints'" not in feedback
