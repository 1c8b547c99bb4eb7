"""The evaluation harness: result comparison by execution, question-set files, the dev-set accuracy, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from chatbi import ChatBI
from chatbi.cli import main as cli_main
from chatbi.errors import ConfigError
from chatbi.evaluation import compare_frames, evaluate, load_items

DEV_SET = Path(__file__).resolve().parents[2] / "sample_data" / "telecom" / "questions" / "dev.yaml"


# -- comparing results -------------------------------------------------------------------
def test_column_order_names_and_row_order_are_ignored() -> None:
    gold = pd.DataFrame({"p": ["a", "b", "c"], "v": [1.0, 2.0, 3.0]})
    pred = pd.DataFrame({"revenue": [3.0, 1.0, 2.0], "province": ["c", "a", "b"]})
    assert compare_frames(gold, pred) is None


def test_numbers_match_within_a_relative_tolerance_only() -> None:
    gold = pd.DataFrame({"v": [1_000_000.0]})
    assert compare_frames(gold, pd.DataFrame({"x": [1_000_000.5]})) is None  # 5e-7 relative
    assert compare_frames(gold, pd.DataFrame({"x": [1_000_002.0]})) is not None  # 2e-6 relative


def test_rows_must_pair_up_not_just_columns() -> None:
    gold = pd.DataFrame({"p": ["a", "b"], "v": [1.0, 2.0]})
    swapped = pd.DataFrame({"p": ["a", "b"], "v": [2.0, 1.0]})  # same column bags, wrong pairs
    assert compare_frames(gold, swapped) == "rows differ (columns match one by one, not as rows)"


def test_missing_rows_columns_and_extra_columns_are_reported() -> None:
    gold = pd.DataFrame({"p": ["a", "b"], "v": [1.0, 2.0]})
    assert compare_frames(gold, pd.DataFrame({"p": ["a"], "v": [1.0]})) == "1 rows, expected 2"
    assert compare_frames(gold, pd.DataFrame({"p": ["a", "b"]})).startswith("no answer column matches")
    extra = pd.DataFrame({"p": ["a", "b"], "v": [1.0, 2.0], "other": [5, 6]})
    assert compare_frames(gold, extra) == "answer has extra columns ['other']"
    assert compare_frames(gold, None) == "no result"


def test_comparison_and_share_columns_may_come_along() -> None:
    gold = pd.DataFrame({"v": [10.0], "prev": [8.0]})
    pred = pd.DataFrame({"revenue": [10.0], "revenue__previous": [8.0], "revenue__change": [2.0],
                         "revenue__change_pct": [0.25]})
    assert compare_frames(gold, pred) is None


def test_dates_and_timestamps_compare_as_days() -> None:
    gold = pd.DataFrame({"m": pd.to_datetime(["2025-01-01", "2025-02-01"]), "v": [1, 2]})
    pred = pd.DataFrame({"date__month": [pd.Timestamp("2025-02-01").date(), pd.Timestamp("2025-01-01").date()],
                         "revenue": [2.0, 1.0]})
    assert compare_frames(gold, pred) is None


# -- question-set files -------------------------------------------------------------------
def test_question_set_errors_name_the_item(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("items:\n  - id: a\n    category: metric\n    language: zh\n    question: 收入\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"items\.0.*sql"):
        load_items(bad)
    dup = tmp_path / "dup.yaml"
    dup.write_text("items:\n" + "  - {id: a, category: c, language: en, question: q, expect: clarify}\n" * 2,
                   encoding="utf-8")
    with pytest.raises(ConfigError, match="duplicate item id 'a'"):
        load_items(dup)
    with pytest.raises(ConfigError, match="cannot read"):
        load_items(tmp_path / "missing.yaml")


def test_dev_set_shape() -> None:
    items = load_items(DEV_SET)
    assert len(items) >= 200
    assert sum(i.language == "zh" for i in items) >= len(items) / 2
    categories = {i.category for i in items}
    assert {"followup", "clarify", "out_of_scope", "why", "threshold", "share", "list", "drilldown",
            "compare_pop", "compare_yoy", "member_compare", "relative_time", "absolute_time", "top_n"} <= categories
    assert all(i.turns for i in items if i.category == "followup")


# -- the development set, for real ----------------------------------------------------------
@pytest.fixture(scope="module")
def dev_report(sample_bi: ChatBI):
    return evaluate(sample_bi, load_items(DEV_SET))


def test_dev_set_execution_accuracy_is_at_least_95_percent(dev_report) -> None:
    assert dev_report.execution_accuracy >= 0.95, dev_report.format()
    assert dev_report.accuracy >= 0.95


def test_every_ambiguous_or_out_of_scope_item_is_clarified_or_refused(dev_report) -> None:
    asked = [r for r in dev_report.results if r.kind in ("clarify", "out_of_scope")]
    assert len(asked) >= 30
    assert all(r.passed for r in asked), [(r.id, r.reason) for r in asked if not r.passed]
    assert all(q is None for r in asked for q in r.queries)  # no guessed query was run


def test_report_breaks_accuracy_down_and_serialises(dev_report) -> None:
    data = dev_report.to_dict()
    assert set(data["by_language"]) >= {"zh", "en"}
    assert data["by_category"]["followup"]["n"] >= 10
    json.dumps(data, ensure_ascii=False, default=str)
    assert "by category:" in dev_report.format()


def test_a_wrong_answer_is_a_failure_with_its_reason(sample_bi: ChatBI, tmp_path: Path) -> None:
    path = tmp_path / "set.yaml"
    path.write_text("""
items:
  - id: right
    category: metric
    language: zh
    question: 2025年收入
    sql: SELECT SUM(revenue) FROM fact_daily WHERE date BETWEEN DATE '2025-01-01' AND DATE '2025-12-31'
  - id: wrong-gold
    category: metric
    language: en
    question: revenue in 2025
    sql: SELECT SUM(revenue) FROM fact_daily
  - id: by-query
    category: group_by
    language: en
    question: revenue by channel in 2025
    query: {metrics: [revenue], dimensions: [channel], time_range: [2025-01-01, 2025-12-31]}
  - id: refused
    category: out_of_scope
    language: en
    question: tell me a joke
    expect: out_of_scope
""", encoding="utf-8")
    report = evaluate(sample_bi, load_items(path))
    outcome = {r.id: r.passed for r in report.results}
    assert outcome == {"right": True, "wrong-gold": False, "by-query": True, "refused": True}
    assert "no answer column matches" in report.failures[0].reason


def test_confident_wrong_counts_ok_answers_that_fail_their_judgement(sample_bi: ChatBI, tmp_path: Path) -> None:
    path = tmp_path / "set.yaml"
    path.write_text("""
items:
  - id: wrong-numbers
    category: metric
    language: en
    question: revenue in 2025
    sql: SELECT SUM(revenue) FROM fact_daily
  - id: should-ask
    category: clarify
    language: en
    question: revenue in 2025
    expect: clarify
  - id: asked
    category: clarify
    language: en
    question: tell me a joke
    expect: clarify
  - id: mentions-ok
    category: metric
    language: zh
    question: 2025年收入
    sql: SELECT SUM(revenue) FROM fact_daily WHERE date BETWEEN DATE '2025-01-01' AND DATE '2025-12-31'
    mentions: [["2025年", "2025"]]
  - id: mentions-missing
    category: metric
    language: zh
    question: 2025年收入
    sql: SELECT SUM(revenue) FROM fact_daily WHERE date BETWEEN DATE '2025-01-01' AND DATE '2025-12-31'
    mentions: [广东]
""", encoding="utf-8")
    report = evaluate(sample_bi, load_items(path))
    by_id = {r.id: r for r in report.results}
    assert {k: (r.passed, r.confident_wrong) for k, r in by_id.items()} == {
        "wrong-numbers": (False, True),    # answered ok, other numbers
        "should-ask": (False, True),       # answered ok where it should have asked
        "asked": (False, False),           # a refusal instead of a clarification: wrong, but not confident
        "mentions-ok": (True, False),
        "mentions-missing": (False, True),  # right numbers, but the text does not say what was asked
    }
    assert "does not mention '广东'" in by_id["mentions-missing"].reason
    assert report.confident_wrong == 3
    assert report.to_dict()["by_category"]["metric"]["confident_wrong"] == 2
    assert "confident-wrong" in report.format()


def test_cli_eval_prints_accuracy_and_writes_json(sample_db_path: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from sample_data import TELECOM_MODEL

    questions = tmp_path / "q.yaml"
    questions.write_text("items:\n  - {id: a, category: metric, language: zh, question: 2025年收入, "
                         "sql: \"SELECT SUM(revenue) FROM fact_daily WHERE year(date) = 2025\"}\n"
                         "  - {id: b, category: clarify, language: en, question: users, expect: clarify}\n",
                         encoding="utf-8")
    out = tmp_path / "report.json"
    code = cli_main(["eval", str(questions), "--model", str(TELECOM_MODEL), "--database", str(sample_db_path),
                     "--json", str(out), "--min-accuracy", "1.0"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "overall" in printed and "2/2" in printed
    assert json.loads(out.read_text(encoding="utf-8"))["overall"]["accuracy"] == 1.0


def test_cli_ask_runs_a_conversation(sample_db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sample_data import TELECOM_MODEL

    code = cli_main(["ask", "2025年各省收入", "--then", "只看华东", "--then", "top 1 only",
                     "--model", str(TELECOM_MODEL), "--database", str(sample_db_path), "--format", "csv"])
    assert code == 0
    lines = capsys.readouterr().out.strip().splitlines()
    # the East's largest province, alone after "top 1", with the one that came second
    assert lines[-2] == "province,revenue,revenue__runner_up,province__runner_up"
    assert lines[-1].startswith("江苏,") and lines[-1].endswith(",山东")
