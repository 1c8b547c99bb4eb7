"""CSV / Parquet / JSON files as tables: drafted in memory and asked at once."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from chatbi import ChatBI, ConfigError
from chatbi.cli import main
from chatbi.modeling import draft_model, open_files
from semantic_layer import SemanticModel


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A small shop: a CSV of sales lines and a Parquet file of stores, written by the test."""
    root = tmp_path_factory.mktemp("shop")
    rng = np.random.default_rng(7)
    n = 3000
    stores = pd.DataFrame({
        "store_id": range(1, 9), "store_name": [f"S{i:02d}" for i in range(1, 9)],
        "city": ["杭州", "杭州", "宁波", "宁波", "广州", "广州", "深圳", "深圳"],
        "province": ["浙江", "浙江", "浙江", "浙江", "广东", "广东", "广东", "广东"]})
    sales = pd.DataFrame({
        "order_date": pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 730, n), unit="D"),
        "store_id": rng.integers(1, 9, n), "category": rng.choice(["饮料", "零食", "日用品"], n),
        "quantity": rng.integers(1, 10, n), "unit_price": rng.choice([3.5, 9.9, 12.0], n),
        "discount_rate": rng.choice([0.0, 0.05, 0.1], n)})
    sales["order_date"] = sales["order_date"].dt.date
    sales["amount"] = (sales.quantity * sales.unit_price).round(2)
    csv, parquet = root / "sales.csv", root / "stores.parquet"
    sales.to_csv(csv, index=False)
    with duckdb.connect() as con:  # no pyarrow needed: DuckDB writes the Parquet file
        con.register("stores_frame", stores)
        con.execute(f"COPY (SELECT * FROM stores_frame) TO '{parquet.as_posix()}' (FORMAT parquet)")
    return {"csv": csv, "parquet": parquet, "root": root}


def _sql(shop: dict[str, Path], sql: str) -> list[tuple]:
    with duckdb.connect() as con:
        con.execute(f"CREATE VIEW sales AS SELECT * FROM read_csv_auto('{shop['csv'].as_posix()}')")
        con.execute(f"CREATE VIEW stores AS SELECT * FROM read_parquet('{shop['parquet'].as_posix()}')")
        return con.execute(sql).fetchall()


def test_files_become_views_and_a_draft(shop: dict[str, Path]) -> None:
    opened = open_files([shop["csv"], shop["parquet"]])
    try:
        assert opened.paths == {"sales": str(shop["csv"]), "stores": str(shop["parquet"])}
        assert opened.original_names == {}
        draft = draft_model(opened.engine, name="shop")
    finally:
        opened.engine.close()
    model = draft.model
    assert model["tables"]["sales"]["time_column"] == "order_date"
    assert model["tables"]["sales"]["columns"]["order_date"] == "date"
    assert model["joins"] == [{"left": "sales", "right": "stores", "keys": {"store_id": "store_id"}}]
    assert model["metrics"]["amount"]["agg"] == "sum" and model["metrics"]["quantity"]["agg"] == "sum"
    assert model["metrics"]["unit_price"]["agg"] == "avg"
    assert model["metrics"]["discount_rate"]["agg"] == "avg" and model["metrics"]["discount_rate"]["format"] == "percent"
    assert ["province", "city", "store_name"] in [h["levels"] for h in model["hierarchies"].values()]
    assert "stores" in model["dimensions"]["store_name"]["synonyms"]
    SemanticModel.from_dict(model)


def test_from_files_answers_structured_and_natural_questions(shop: dict[str, Path]) -> None:
    with ChatBI.from_files(shop["csv"], shop["parquet"]) as bi:
        answer = bi.query(metrics=["amount"], dimensions=["province"], time_range=("2025-01-01", "2025-12-31"))
        assert answer.status == "ok", answer.error
        expected = dict(_sql(shop, "SELECT st.province, SUM(s.amount) FROM sales s JOIN stores st USING (store_id) "
                                   "WHERE s.order_date BETWEEN DATE '2025-01-01' AND DATE '2025-12-31' GROUP BY 1"))
        got = dict(zip(answer.data["province"], answer.data["amount"]))
        assert got.keys() == expected.keys() and all(got[k] == pytest.approx(v) for k, v in expected.items())

        asked = bi.ask("各城市的金额")
        assert asked.status == "ok", asked.text
        expected = dict(_sql(shop, "SELECT st.city, SUM(s.amount) FROM sales s JOIN stores st USING (store_id) GROUP BY 1"))
        got = dict(zip(asked.data["city"], asked.data["amount"]))
        assert got.keys() == expected.keys() and all(got[k] == pytest.approx(v) for k, v in expected.items())


def test_from_files_accepts_a_mapping_and_a_given_model(shop: dict[str, Path], tmp_path: Path) -> None:
    with ChatBI.from_files({"lines": shop["csv"]}) as bi:
        assert set(bi.model.tables) == {"lines"}
        path = tmp_path / "lines.yaml"
        from chatbi.modeling import write_model

        write_model(bi.model.spec.model_dump(exclude_defaults=True), path)
    with ChatBI.from_files({"lines": shop["csv"]}, model=path) as bi:
        total = bi.query(metrics=["quantity"]).data["quantity"].iloc[0]
    assert total == _sql(shop, "SELECT SUM(quantity) FROM sales")[0][0]


def test_chinese_headers_and_no_date_column(tmp_path: Path) -> None:
    path = tmp_path / "产品.csv"
    pd.DataFrame({"品类": ["饮料", "零食", "饮料", "零食"], "销售额": [10.0, 20.0, 30.5, 5.0],
                  "单价": [2.5, 3.0, 2.5, 4.0]}).to_csv(path, index=False)
    # the SQL guard accepts plain ASCII names only: the view renames, labels keep the file's names
    with ChatBI.from_files(path) as bi:
        assert set(bi.model.tables) == {"data1"}
        assert set(bi.model.tables["data1"].columns) == {"col1", "col2", "col3"}
        assert bi.model.metrics["col2"].agg == "sum" and bi.model.metrics["col3"].agg == "avg"  # type: ignore[union-attr]
        assert bi.model.label("col1", "zh") == "品类" and bi.model.label("col2", "zh") == "销售额"
        assert "销售额" in bi.model.metrics["col2"].synonyms
        answer = bi.query(metrics=["col2"], dimensions=["col1"])
        assert answer.status == "ok", answer.error
        assert dict(zip(answer.data["col1"], answer.data["col2"])) == {"饮料": 40.5, "零食": 25.0}
        asked = bi.ask("各品类的销售额")
        assert asked.status == "ok", asked.text
        assert dict(zip(asked.data["col1"], asked.data["col2"])) == {"饮料": 40.5, "零食": 25.0}
        # no date column: the model still loads; the time dimension is a documented placeholder
        assert "not in the data" in bi.model.label("date", "en")


@pytest.mark.parametrize(("name", "content", "message"), [
    ("missing.csv", None, "file not found"),
    ("notes.docx", "x", "unknown file type"),
    ("broken.parquet", "not a parquet file", "cannot read"),
])
def test_bad_files_are_clear_errors(tmp_path: Path, name: str, content: str | None, message: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        ChatBI.from_files(path)


def test_cli_draft_files_then_ask_with_data(shop: dict[str, Path], tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "shop.yaml"
    assert main(["model", "draft", "--files", str(shop["csv"]), str(shop["parquet"]), "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Drafted by: chatbi model draft --files sales.csv stores.parquet")
    assert "join sales.store_id = stores.store_id" in text
    SemanticModel.from_yaml(out)
    capsys.readouterr()
    assert main(["ask", "--data", str(shop["csv"]), "--data", str(shop["parquet"]), "--model", str(out),
                 "--format", "csv", "amount by province"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "province,amount" and len(lines) == 3
    assert main(["ask", "--data", str(tmp_path / "nope.csv"), "amount"]) == 1
    assert "file not found" in capsys.readouterr().err


# -- CSV files as people have them (encodings, broken structure) ------------------------------
def test_excel_encodings_are_read_and_named(tmp_path) -> None:
    from chatbi.modeling import open_files
    from chatbi.modeling.csvread import prepare_csv

    text = "省份,金额\n广东,1.5\n浙江,2\n"
    for encoding, bom, expected in [("utf-8", b"", "utf-8"), ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"),
                                    ("gb18030", b"", "gb18030"), ("utf-16", b"", "utf-16")]:
        path = tmp_path / f"sales-{expected}.csv"
        path.write_bytes(bom + text.encode(encoding))
        prepared = prepare_csv(path, cache_dir=tmp_path / "cache")
        assert prepared.encoding == expected
        opened = open_files([path])
        view = next(iter(opened.paths))
        frame = opened.engine.execute(f"SELECT * FROM {view} ORDER BY 2")
        assert set(opened.original_names.values()) >= {"省份", "金额"}
        assert list(frame.iloc[:, 0]) == ["广东", "浙江"] and list(frame.iloc[:, 1]) == [1.5, 2.0]
    # a non-UTF-8 file is copied once per version, as UTF-8, into the cache
    gbk = tmp_path / "sales-gb18030.csv"
    first = prepare_csv(gbk, cache_dir=tmp_path / "cache")
    assert first.path.read_text(encoding="utf-8") == text and prepare_csv(gbk, cache_dir=tmp_path / "cache") == first


def test_broken_csv_errors_name_the_file_the_encoding_and_the_line(tmp_path) -> None:
    from chatbi.errors import ConfigError
    from chatbi.modeling.csvread import prepare_csv

    path = tmp_path / "sales.csv"
    path.write_bytes("省份,金额\n广东,1\n\"浙江,2\n".encode("gb18030"))
    with pytest.raises(ConfigError, match=r"^sales.csv \(read as GB18030\): line 3: a quote opened here is never"):
        prepare_csv(path, cache_dir=tmp_path)
    path.write_bytes(b"a,b\n\n1,2\n\n3,4\n")  # blank lines are not rows
    assert prepare_csv(path, cache_dir=tmp_path).encoding == "utf-8"
    path.write_bytes(b"   \n\n")
    with pytest.raises(ConfigError, match=r"sales\.csv is empty"):
        prepare_csv(path, cache_dir=tmp_path)
