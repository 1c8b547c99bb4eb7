"""The oil-field sample: a deterministic warehouse, its drafted and refined models, and the
bilingual question set answered through the offline translator."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import yaml

from chatbi import ChatBI
from chatbi.modeling import draft_model
from chatbi.warehouse import DuckDBEngine
from sample_data.oilfield import DRAFTED_MODEL, MODEL, QUESTIONS, build_warehouse
from semantic_layer import SemanticModel


def test_warehouse_is_deterministic_and_tells_its_stories(oil_db_path: Path, tmp_path: Path) -> None:
    again = build_warehouse(tmp_path / "again.duckdb")
    # an order-independent fingerprint (float sums vary with DuckDB's parallel summation order)
    check = ("SELECT COUNT(*), SUM(hash(prod_date, well_id, oil_t, gas_km3, water_t, operating_hours)::HUGEINT) "
             "FROM daily_production")
    with duckdb.connect(str(oil_db_path), read_only=True) as a, duckdb.connect(str(again), read_only=True) as b:
        assert a.execute(check).fetchone() == b.execute(check).fetchone()
        counts = {t: a.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                  for t in ("blocks", "wells", "daily_production", "downtime_events")}
        assert counts["blocks"] == 12 and counts["wells"] == 240
        assert 150_000 < counts["daily_production"] < 200_000 and counts["downtime_events"] > 1000
        assert a.execute("SELECT MIN(prod_date), MAX(prod_date) FROM daily_production").fetchone() == (
            __import__("datetime").date(2024, 1, 1), __import__("datetime").date(2025, 12, 31))
        # the July 2025 outage in 北岭二区 dominates that month's downtime there
        outage = dict(a.execute(
            "SELECT e.reason, SUM(e.downtime_hours) FROM downtime_events e JOIN wells w USING (well_id) "
            "JOIN blocks b USING (block_id) WHERE b.block_name = '北岭二区' "
            "AND e.event_date BETWEEN DATE '2025-07-01' AND DATE '2025-07-31' GROUP BY 1").fetchall())
        assert max(outage, key=outage.get) == "停电" and outage["停电"] > 3 * sum(
            v for k, v in outage.items() if k != "停电")
        # water breakthrough in 南湖三区 from September 2025
        wc = dict(a.execute(
            "SELECT p.prod_date >= DATE '2025-09-01', SUM(water_t) / (SUM(oil_t) + SUM(water_t)) FROM daily_production p "
            "JOIN wells w USING (well_id) JOIN blocks b USING (block_id) WHERE b.block_name = '南湖三区' "
            "AND p.prod_date >= DATE '2025-06-01' GROUP BY 1").fetchall())
        assert wc[True] - wc[False] > 0.05


def test_committed_draft_is_what_the_drafter_writes(oil_db_path: Path) -> None:
    engine = DuckDBEngine(oil_db_path)
    try:
        draft = draft_model(engine, name="oilfield", source="oilfield.duckdb")
    finally:
        engine.close()
    committed = yaml.safe_load(DRAFTED_MODEL.read_text(encoding="utf-8"))
    assert draft.model == committed
    assert ["field_name", "block_name", "well_name"] in [h["levels"] for h in committed["hierarchies"].values()]


def test_refined_model_adds_what_the_data_cannot_say() -> None:
    drafted, refined = SemanticModel.from_yaml(DRAFTED_MODEL), SemanticModel.from_yaml(MODEL)
    assert set(refined.tables) == set(drafted.tables)
    assert refined.hierarchies["asset"].levels == ("field", "block", "well")
    water_cut = refined.metric("water_cut")
    assert (water_cut.type, water_cut.numerator, water_cut.denominator) == ("ratio", "water_output", "liquid_output")
    assert refined.metric("liquid_output").formula == "oil_output + water_output"
    for word in ("产油量", "日产油", "含水率", "开井时率"):
        assert any(word in m.synonyms for m in refined.metrics.values()), word
    assert "油井" in refined.dimension("well").synonyms
    assert all(m.synonyms and m.description and "zh" in m.label for m in refined.metrics.values() if not m.hidden)
    assert not any(m.synonyms for m in drafted.metrics.values())


def test_refined_model_numbers(oil_db_path: Path) -> None:
    with ChatBI(MODEL, oil_db_path) as bi:
        answer = bi.query(metrics=["oil_output", "water_cut", "uptime_rate", "gas_oil_ratio"], dimensions=["field"],
                          time_range=("2025-01-01", "2025-12-31"))
        assert answer.status == "ok", answer.error
    with duckdb.connect(str(oil_db_path), read_only=True) as con:
        rows = con.execute(
            "SELECT b.field_name, SUM(oil_t), SUM(water_t) / (SUM(oil_t) + SUM(water_t)), "
            "SUM(operating_hours) / (COUNT(*) * 24), 1000 * SUM(gas_km3) / SUM(oil_t) FROM daily_production p "
            "JOIN wells w USING (well_id) JOIN blocks b USING (block_id) "
            "WHERE prod_date BETWEEN DATE '2025-01-01' AND DATE '2025-12-31' GROUP BY 1").fetchall()
    got = {r.field: (r.oil_output, r.water_cut, r.uptime_rate, r.gas_oil_ratio) for r in answer.data.itertuples()}
    assert {r[0]: pytest.approx(r[1:]) for r in rows} == got


def _questions() -> list[dict]:
    return yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))["items"]


def test_question_set_shape_and_gold_sql_runs(oil_db_path: Path) -> None:
    items = _questions()
    assert len(items) >= 40 and len({q["id"] for q in items}) == len(items)
    langs = [q["language"] for q in items]
    assert langs.count("zh") >= 20 and langs.count("en") >= 20
    with duckdb.connect(str(oil_db_path), read_only=True) as con:
        for q in items:
            assert con.execute(q["sql"]).fetchall(), q["id"]


def test_question_set_accuracy_with_chatbi_eval(oil_db_path: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """`chatbi eval` on the question set: the refined model answers it; the raw draft answers less of it
    (Chinese words only through dictionary glosses) and asks back the rest, never answering another question."""
    from chatbi.cli import main

    report = tmp_path / "eval.json"
    assert main(["eval", str(QUESTIONS), "--model", str(MODEL), "--database", str(oil_db_path),
                 "--json", str(report), "--min-accuracy", "0.9"]) == 0
    out = capsys.readouterr().out
    assert "by language:" in out and " zh " in out and " en " in out
    with ChatBI(DRAFTED_MODEL, oil_db_path) as bi:
        from chatbi.evaluation import evaluate, load_items

        drafted = evaluate(bi, load_items(QUESTIONS)[:10])
    with ChatBI(MODEL, oil_db_path) as bi:
        refined = evaluate(bi, load_items(QUESTIONS)[:10])
    assert drafted.accuracy < refined.accuracy == 1.0  # the domain's words (含水率, GOR) are only in the refined model
    assert not any(r.confident_wrong for r in drafted.results)


@pytest.mark.parametrize(("question", "op"), [
    ("oil output of Xihe in 2025", "in"),  # the member labelled "Xihe Field" of the dimension named "field"
    ("oil output by block excluding Xihe in 2025", "not_in"),
])
def test_drafted_model_knows_a_member_by_its_own_name(oil_db_path: Path, question: str, op: str) -> None:
    with ChatBI(DRAFTED_MODEL, oil_db_path) as bi:
        answer = bi.ask(question)
    assert answer.status == "ok", answer.text
    assert [(f.op, f.dimension, f.values) for f in answer.query.filters] == [(op, "field_name", ("西河油田",))]
