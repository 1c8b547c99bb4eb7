"""`chatbi model check` warnings (unused/unreachable objects, fan-out risks, governance gaps) and
`chatbi model docs` (Markdown and one-file HTML)."""

from __future__ import annotations

import html
from pathlib import Path

import duckdb
import pytest
import yaml

from chatbi.cli import main
from chatbi.modeling import model_docs_html, model_docs_markdown, model_warnings, write_docs
from chatbi.warehouse import DuckDBEngine
from sample_data import TELECOM_MODEL
from sample_data.oilfield import MODEL as OIL_MODEL
from semantic_layer import SemanticModel

SHOP = {
    "name": "shop",
    "default_language": "zh",
    "tables": {
        "sales": {"time_column": "day", "columns": {"day": "date", "store_id": "integer", "amount": "double",
                                                    "margin_pct": "double"}},
        "stores": {"columns": {"store_id": "integer", "city": "varchar"}},  # no primary key
        "returns": {"time_column": "day", "columns": {"day": "date", "amount": "double"}},
        "suppliers": {"columns": {"supplier_id": "integer", "country": "varchar"}},
        "orphan": {"columns": {"x": "integer"}},
    },
    "joins": [{"left": "sales", "right": "stores", "keys": {"store_id": "store_id"}}],
    "dimensions": {
        "date": {"type": "time", "grains": ["day", "month"]},
        "city": {"table": "stores"},
        "country": {"table": "suppliers"},
    },
    "hierarchies": {"geo": {"levels": ["country", "city"]}},
    "metrics": {
        "amount": {"table": "sales", "agg": "sum", "column": "amount", "label": {"zh": "金额"},
                   "description": "Sales amount.", "synonyms": ["sales", "销售额"]},
        "margin": {"table": "sales", "agg": "sum", "column": "margin_pct"},
        "returned": {"table": "returns", "agg": "sum", "column": "amount", "hidden": True},
        "supplier_count": {"table": "suppliers", "agg": "count", "column": "*"},
    },
}


def _messages(problems) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in problems:
        assert p.severity == "warning"
        out.setdefault(p.path, []).append(p.message)
    return out


def test_warnings_name_each_risk() -> None:
    found = _messages(model_warnings(SemanticModel.from_dict(SHOP)))
    assert found["tables.orphan"] == ["table is not used by any metric, dimension or join"]
    assert any("hidden metric is not used" in m for m in found["metrics.returned"])
    assert any("no time_column" in m for m in found["metrics.supplier_count"])
    assert "dimensions.country" not in found  # supplier_count reads its table
    assert any("cannot be reached from level 'city'" in m for m in found["hierarchies.geo"])
    assert any("fan-out risk" in m and "no primary_key" in m for m in found["joins[0]"])
    margin = found["metrics.margin"]
    assert "metric has no description" in margin and any("sums 'margin_pct'" in m for m in margin)
    assert any("no synonyms" in m for m in margin) and any("default language (zh)" in m for m in margin)
    assert "metrics.amount" not in found  # described, with synonyms and a Chinese label


def test_unreachable_dimension_and_data_fan_out(tmp_path: Path) -> None:
    spec = {**SHOP, "metrics": {k: v for k, v in SHOP["metrics"].items() if k != "supplier_count"}}
    found = _messages(model_warnings(SemanticModel.from_dict(spec)))
    assert any("not reachable from any metric's table" in m for m in found["dimensions.country"])
    path = tmp_path / "shop.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE stores (store_id INTEGER, city VARCHAR)")
        con.execute("INSERT INTO stores VALUES (1, 'a'), (1, 'b'), (2, 'c'), (3, 'd'), (3, 'e')")
        for t in ("sales", "returns", "suppliers", "orphan"):
            cols = ", ".join(f"{c} {ty}" for c, ty in SHOP["tables"][t]["columns"].items())
            con.execute(f"CREATE TABLE {t} ({cols})")
    engine = DuckDBEngine(path)
    try:
        found = _messages(model_warnings(SemanticModel.from_dict(spec), engine))
    finally:
        engine.close()
    assert any("fan-out: 2 values of stores(store_id) occur more than once" in m for m in found["joins[0]"])


def test_sample_models_have_no_structural_warnings(sample_db_path: Path, oil_db_path: Path) -> None:
    for path, db in ((TELECOM_MODEL, sample_db_path), (OIL_MODEL, oil_db_path)):
        engine = DuckDBEngine(db)
        try:
            found = model_warnings(SemanticModel.from_yaml(path), engine)
        finally:
            engine.close()
        structural = [p for p in found if not p.path.startswith("metrics.") or "time_column" in p.message]
        assert structural == [], (path, structural)
    oil = model_warnings(SemanticModel.from_yaml(OIL_MODEL))
    assert [p for p in oil if "description" in p.message or "synonyms" in p.message] == []


def test_cli_check_prints_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str], oil_db_path: Path) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text(yaml.safe_dump(SHOP, allow_unicode=True), encoding="utf-8")
    assert main(["model", "check", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"warning: {path}: tables.orphan: table is not used" in out
    assert f"warning: {path}: joins[0]: fan-out risk" in out
    assert out.strip().splitlines()[-1].startswith(f"ok: {path}: model 'shop'")
    assert main(["model", "check", str(OIL_MODEL), "--database", str(oil_db_path)]) == 0
    assert capsys.readouterr().out.startswith(f"ok: {OIL_MODEL}")  # no warning at all
    assert main(["model", "check", str(OIL_MODEL), "--database", str(tmp_path / "missing.duckdb")]) == 1
    assert "not found" in capsys.readouterr().err


def test_docs_contain_every_metric_dimension_and_tree(tmp_path: Path) -> None:
    model = SemanticModel.from_yaml(OIL_MODEL)
    md, page = model_docs_markdown(model), model_docs_html(model)
    for name, metric in model.metrics.items():
        assert f"| {name}" in md and f"<td>{name}" in page
        for label in metric.label.values():
            assert label in md and html.escape(label) in page
    for name in model.dimensions:
        assert f"| {name} |" in md
    assert "water_cut = water_output / liquid_output" in md
    assert "| asset | Field > Block > Well / 油田 > 区块 > 油井 | field > block > well |" in md
    assert "2025年各油田的产油量" in md and "SUM(daily_production.oil_t)" in md
    assert page.startswith("<!DOCTYPE html>") and "<script>" in page and "http" not in page.split("<body>")[1]
    assert "油田 &gt; 区块 &gt; 油井" in page  # escaped, not markup


def test_docs_escape_html_in_model_text(tmp_path: Path) -> None:
    spec = {**SHOP, "metrics": {"amount": {**SHOP["metrics"]["amount"], "description": "<script>x()</script> & co"}}}
    page = model_docs_html(SemanticModel.from_dict(spec))
    assert "<script>x()" not in page and "&lt;script&gt;x()&lt;/script&gt; &amp; co" in page


def test_cli_docs_writes_both_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["model", "docs", str(TELECOM_MODEL), "--out", str(tmp_path / "docs")]) == 0
    md, page = (tmp_path / "docs" / "telecom.md"), (tmp_path / "docs" / "telecom.html")
    assert md.exists() and page.exists() and str(md) in capsys.readouterr().out
    text = md.read_text(encoding="utf-8")
    assert all(f"| {name}" in text for name in SemanticModel.from_yaml(TELECOM_MODEL).metrics)
    assert write_docs(SemanticModel.from_yaml(TELECOM_MODEL), tmp_path / "again")[0].name == "telecom.md"
