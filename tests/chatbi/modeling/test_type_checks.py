"""`model check --database` compares what the model reads with the warehouse's types (dates and
numbers stored as text), says how to fix it, and the fix (a computed column) works; the engine's
own error, when such a query still runs, reaches the user as a sentence."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from chatbi import ChatBI
from chatbi.cli import main
from chatbi.modeling import model_warnings
from chatbi.warehouse import connect
from semantic_layer import SemanticModel


def _model(time_column: str = "day", computed: dict[str, str] | None = None) -> dict:
    return {
        "name": "shop", "default_language": "en",
        "tables": {"sales": {"columns": {"day": "date", "city": "varchar", "amount": "double"},
                             "time_column": time_column, "computed": computed or {}},
                   "stores": {"columns": {"city": "varchar", "opened": "date"}, "primary_key": ["city"]}},
        "joins": [{"left": "sales", "right": "stores", "keys": {"city": "city"}}],
        "dimensions": {"date": {"type": "time", "grains": ["day", "month"]}, "city": {"table": "stores"}},
        "metrics": {"amount": {"table": "sales", "agg": "sum", "column": "amount"}},
    }


@pytest.fixture(scope="module")
def text_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("types") / "text.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("""
            CREATE TABLE sales (day VARCHAR, city VARCHAR, amount VARCHAR);
            INSERT INTO sales VALUES ('2025-01-03', 'Oslo', '10.5'), ('2025-02-01', 'Oslo', '4.5');
            CREATE TABLE stores (city VARCHAR);
            INSERT INTO stores VALUES ('Oslo');
        """)
    return path


def test_check_names_text_dates_and_numbers_and_missing_columns(text_db: Path) -> None:
    engine = connect(str(text_db))
    try:
        problems = {p.path: p.message for p in model_warnings(SemanticModel.from_dict(_model()), engine)}
    finally:
        engine.close()
    day = problems["tables.sales.columns.day"]
    assert "stores day as varchar" in day and "the time column" in day and "CAST(day AS DATE)" in day
    amount = problems["tables.sales.columns.amount"]
    assert "as a number" in amount and "metric amount (sum)" in amount and "CAST(amount AS DOUBLE)" in amount
    assert "no column 'opened'" in problems["tables.stores.columns.opened"]
    assert "tables.sales.columns.city" not in problems


def test_engine_error_is_a_sentence_and_the_computed_fix_works(text_db: Path) -> None:
    with ChatBI(_model(), text_db) as bi:
        answer = bi.query(metrics=["amount"], time_range=("2025-01-01", "2025-01-31"))
        assert answer.status == "error"
        assert answer.text.startswith("The data has a column stored as text where the model expects a date")
        assert "chatbi model check" in answer.text
    fixed = _model("day_date", {"day_date": "CAST(day AS DATE)", "amount_number": "CAST(amount AS DOUBLE)"})
    fixed["metrics"]["amount"]["column"] = "amount_number"
    with ChatBI(fixed, text_db) as bi:
        answer = bi.query(metrics=["amount"], time_range=("2025-01-01", "2025-01-31"))
        assert answer.status == "ok", answer.error
        assert float(answer.data["amount"].iloc[0]) == 10.5
        assert bi.anchor.isoformat() == "2025-02-01"  # the latest date reads the computed time column


def test_computed_columns_are_checked_like_any_sql() -> None:
    bad = _model("day", {"total": "SUM(amount)"})
    with pytest.raises(ValueError, match="aggregate"):
        SemanticModel.from_dict(bad)
    with pytest.raises(ValueError, match=r"read_csv|not allowed|unknown"):
        SemanticModel.from_dict(_model("day", {"x": "read_csv('secrets.csv')"}))
    with pytest.raises(ValueError, match=r"no column 'amout'|amout"):
        SemanticModel.from_dict(_model("day", {"x": "amout * 2"}))


def test_cli_model_check_with_database(text_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import yaml

    path = tmp_path / "model.yaml"
    path.write_text(yaml.safe_dump(_model()), encoding="utf-8")
    main(["model", "check", str(path), "--database", str(text_db)])
    out = capsys.readouterr()
    assert "stores day as varchar" in out.out + out.err
