"""The offline translator reads an imported model's own words: "how many" for a "Number of X"
metric, the tail of a split identifier, a time column by its event, a column of its table's
thing, members in the plural -- and asks back when a word it does not know qualifies a name."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatbi import ChatBI
from chatbi.modeling import import_metricflow

PROJECT = Path(__file__).parent / "mf_project"


@pytest.fixture(scope="module")
def bi(crm_db: Path):
    with ChatBI(import_metricflow(PROJECT).model, crm_db) as bi:
        yield bi


@pytest.mark.parametrize(("question", "metrics", "dimensions"), [
    ("how many deals do we have", ("deals",), ()),  # label "Number of deals"
    ("number of companies by industry", ("companies",), ("industry",)),
    ("deals by deal number", ("deals",), ("company_deal_number",)),  # company_deal_number <- "deal number"
    ("deals by close date month", ("deals",), ("closed_at.month",)),  # closed_at <- "close date"
    ("pipeline value by company state code", ("pipeline_value",), ("company_state_code",)),
    ("deals by sector", ("deals",), ("industry",)),  # meta synonyms
    ("deals by company", ("deals",), ("company_name",)),  # the entity names its name dimension
])
def test_model_words(bi: ChatBI, question: str, metrics: tuple[str, ...], dimensions: tuple[str, ...]) -> None:
    answer = bi.ask(question)
    assert answer.status == "ok", answer.text
    assert answer.query.metrics == metrics and answer.query.dimensions == dimensions


@pytest.mark.parametrize("question", ["deal velocity by industry", "pipeline value excluding zorblax",
                                      "median pipeline value"])
def test_unknown_qualifiers_are_asked_about(bi: ChatBI, question: str) -> None:
    answer = bi.ask(question)
    assert answer.status == "clarify", answer.text
