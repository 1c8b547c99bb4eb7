"""The offline translator reads an imported model's own words: "how many" for a "Number of X"
metric, the tail of a split identifier, a time column by its event, a column of its table's
thing, members in the plural -- and asks back when a word it does not know qualifies a name."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chatbi import ChatBI
from chatbi.modeling import import_metricflow
from semantic_layer import RangeFilter

PROJECT = Path(__file__).parent / "mf_project"
GOLDEN = Path(__file__).parent / "golden" / "duckdb"


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


# A period said of a named date column filters that column, not the metric's own time (created_at):
# in February 2025 two deals closed (d1, d2) but only one was created (d2).
@pytest.mark.parametrize(("question", "value", "closed"), [
    ("deals closed in February 2025", 2, ("2025-02-01", "2025-02-28")),
    ("how many deals closed last month", 2, ("2025-02-01", "2025-02-28")),  # the anchor is in March 2025
    ("number of deals with a close date in March 2025", 1, ("2025-03-01", "2025-03-31")),
    ("deals created in February 2025", 1, None),  # the deals' own created_at: the ordinary period
    ("deals in February 2025", 1, None),
])
def test_period_of_a_named_date_column(bi: ChatBI, question: str, value: int, closed: tuple[str, str] | None) -> None:
    answer = bi.ask(question)
    assert answer.status == "ok", answer.text
    assert answer.query.dimensions == ()  # the date column is no breakdown
    dated = [(f.low, f.high) for f in answer.query.filters if isinstance(f, RangeFilter) and f.dimension == "closed_at"]
    assert dated == ([closed] if closed else [])
    assert (answer.query.time_range is None) == bool(closed)
    assert int(answer.data["deals"].iloc[0]) == value
    if closed:
        assert "close date in" in answer.text, answer.text


def test_period_of_a_named_date_column_keeps_a_breakdown(bi: ChatBI) -> None:
    answer = bi.ask("deals closed in March 2025 by deal stage")
    assert answer.status == "ok", answer.text
    assert answer.query.dimensions == ("deal_stage",)
    assert dict(zip(answer.data["deal_stage"], answer.data["deals"], strict=True)) == {"won": 1}
    # "by close date": a breakdown, the period stays the metric's own
    grouped = bi.ask("pipeline value by close date month in 2025")
    assert grouped.query.dimensions == ("closed_at.month",) and grouped.query.time_range is not None


def test_golden_sql_of_closed_in(bi: ChatBI) -> None:
    sql = bi.ask("deals closed in February 2025").sql + "\n"
    path = GOLDEN / "mf_question_closed_in.sql"
    if os.environ.get("CHATBI_UPDATE_GOLDEN"):
        path.write_text(sql, encoding="utf-8")
    assert path.exists(), f"missing golden file {path.name}; run with CHATBI_UPDATE_GOLDEN=1"
    assert sql == path.read_text(encoding="utf-8")


def test_a_named_date_columns_period_is_the_questions_period(crm_db: Path) -> None:
    """With a default period (the latest complete month, February 2025 here), "closed in February"
    is the question's period: no default on top of it (which would count only d2, created then)."""
    model = import_metricflow(PROJECT).model
    model["default_period"] = "latest_complete_month"
    with ChatBI(model, crm_db) as bi:
        answer = bi.ask("deals closed in February 2025")
        assert answer.status == "ok", answer.text
        assert answer.query.time_range is None and int(answer.data["deals"].iloc[0]) == 2
        assert bi.ask("how many deals").query.time_range is not None  # no period named: the default


# "won" is a deal stage and the event of won_at: said right before a period it is the event's date
# (d1 won 2025-02-14, created in January; d3 won 2025-03-21, created in March)
@pytest.mark.parametrize(("question", "won"), [
    ("deals won in February 2025", ("2025-02-01", "2025-02-28")),
    ("how many deals were won in March 2025", ("2025-03-01", "2025-03-31")),
])
def test_a_member_that_is_also_an_event_dates_its_event(bi: ChatBI, question: str, won: tuple[str, str]) -> None:
    answer = bi.ask(question)
    assert answer.status == "ok", answer.text
    assert [(f.dimension, f.low, f.high) for f in answer.query.filters] == [("won_at", *won)]
    assert answer.query.time_range is None and int(answer.data["deals"].iloc[0]) == 1


def test_a_member_said_with_its_dimension_stays_the_member(bi: ChatBI) -> None:
    answer = bi.ask("deals in deal stage won in March 2025")
    assert answer.status == "ok" and [f.dimension for f in answer.query.filters] == ["deal_stage"]
    assert bi.ask("deals won").query.filters[0].dimension == "deal_stage"   # no period: the stage
