"""Import of a hand-written dbt MetricFlow project (tests/chatbi/modeling/mf_project) covering each
element, checked both on the mapping and on the numbers the imported metrics compute."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from chatbi import ChatBI, ConfigError
from chatbi.cli import main
from chatbi.modeling import import_metricflow
from semantic_layer import SemanticModel

PROJECT = Path(__file__).parent / "mf_project"


@pytest.fixture(scope="module")
def report():
    return import_metricflow(PROJECT)


@pytest.fixture(scope="module")
def shop_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tables matching the MetricFlow project, with data small enough to check by hand."""
    path = tmp_path_factory.mktemp("mf") / "jaffle.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("""
            CREATE TABLE customers (customer_id VARCHAR, region VARCHAR, customer_type VARCHAR);
            INSERT INTO customers VALUES ('c1', 'EU', 'new'), ('c2', 'EU', 'returning'), ('c3', 'US', 'new');
            CREATE TABLE locations (location_id VARCHAR, location_name VARCHAR, store_code VARCHAR);
            INSERT INTO locations VALUES ('l1', 'Berlin', 'B'), ('l2', 'Austin', 'A');
            CREATE TABLE orders (order_id VARCHAR, customer_id VARCHAR, location_id VARCHAR, ordered_at DATE,
                                 status VARCHAR, is_food_order BOOLEAN, shipped_at DATE, order_total DOUBLE);
            INSERT INTO orders VALUES
              ('o1', 'c1', 'l1', DATE '2025-01-05', 'completed', true,  DATE '2025-01-06', 100),
              ('o2', 'c1', 'l1', DATE '2025-01-20', 'returned',  false, DATE '2025-01-21', 40),
              ('o3', 'c2', 'l1', DATE '2025-02-03', 'completed', true,  DATE '2025-02-04', 60),
              ('o4', 'c3', 'l2', DATE '2025-02-10', 'completed', false, DATE '2025-02-11', 200),
              ('o5', 'c3', 'l2', DATE '2025-02-25', 'placed',    true,  NULL,              30);
            CREATE TABLE account_balances (account_id VARCHAR, customer_id VARCHAR, balance_date DATE, balance DOUBLE);
            INSERT INTO account_balances VALUES
              ('a1', 'c1', DATE '2025-01-01', 10), ('a1', 'c1', DATE '2025-01-31', 15),
              ('a2', 'c3', DATE '2025-01-01', 100), ('a2', 'c3', DATE '2025-01-31', 80);
        """)
    return path


def test_semantic_models_become_tables_joins_and_time_columns(report) -> None:
    model = report.model
    assert model["name"] == "jaffle_shop"  # from dbt_project.yml
    shop = {"orders", "customers", "locations", "account_balances"}
    assert shop < set(model["tables"]) and "nothing" not in model["tables"]  # not target/
    orders = model["tables"]["orders"]
    assert orders["time_column"] == "ordered_at" and orders["primary_key"] == ["order_id"]
    assert orders["columns"]["status"] == "varchar" and orders["columns"]["ordered_at"] == "date"
    assert model["tables"]["account_balances"]["time_column"] == "balance_date"
    joins = {(j["left"], j["right"]): j["keys"] for j in model["joins"] if j["left"] in shop}
    assert joins == {("orders", "customers"): {"customer_id": "customer_id"},
                     ("orders", "locations"): {"location_id": "location_id"},
                     ("account_balances", "customers"): {"customer_id": "customer_id"}}


def test_dimensions_labels_and_synonyms(report) -> None:
    dims = report.model["dimensions"]
    assert dims["metric_time"]["type"] == "time" and report.model["time_dimension"] == "metric_time"
    assert dims["order_status"] == {**dims["order_status"], "table": "orders", "column": "status",
                                    "label": {"en": "Order status"}}
    assert dims["region"]["synonyms"] == ["area", "区域"]
    assert dims["shipped_at"]["type"] == "time" and dims["shipped_at"]["column"] == "shipped_at"
    assert dims["ordered_at"] == {**dims["ordered_at"], "type": "time", "table": "orders"}  # usable by name
    # a SQL expression becomes a computed column of its table
    assert dims["order_size"]["column"] == "order_size"
    assert report.model["tables"]["orders"]["computed"]["order_size"] == \
        "CASE WHEN order_total > 100 THEN 'large' ELSE 'small' END"


def test_metrics_of_each_type(report) -> None:
    m = report.model["metrics"]
    assert m["revenue"] == {**m["revenue"], "table": "orders", "agg": "sum", "column": "order_total",
                            "synonyms": ["sales", "收入"], "description": "Sum of order totals."}
    assert m["orders"]["agg"] == "count" and m["orders"]["column"] == "*" and m["orders"]["label"]["zh"] == "订单数"
    assert m["food_revenue"]["filters"] == [{"dimension": "is_food_order", "op": "in", "values": ["true"]}]
    assert m["completed_revenue"]["filters"] == [{"dimension": "order_status", "op": "in", "values": ["completed"]}]
    assert m["food_revenue_pct"] == {**m["food_revenue_pct"], "type": "ratio", "numerator": "food_revenue",
                                     "denominator": "revenue"}
    assert m[m["eu_revenue_share"]["numerator"]]["filters"] == [{"dimension": "region", "op": "in", "values": ["EU"]}]
    assert m[m["eu_revenue_share"]["numerator"]]["hidden"] is True
    assert m["revenue_per_order"]["formula"] == "revenue / orders"  # aliases resolved
    assert m["account_balance"]["type"] == "semi_additive" and m["account_balance"]["time_agg"] == "last"
    assert m["opening_balance"]["time_agg"] == "first"
    assert m["avg_order_value"]["agg"] == "avg"
    assert m["customers_with_orders"]["agg"] == "count_distinct"  # create_metric: true
    assert m["largest_order"]["agg"] == "max"
    SemanticModel.from_dict(report.model)


def test_unmapped_report_names_each_thing_and_why(report) -> None:
    reasons = {(u.kind, Path(u.name).name if u.kind == "file" else u.name.rsplit(".", 1)[-1]): u.reason
               for u in report.unmapped}
    expected = {
        ("file", "broken.yml"): "not valid YAML",
        ("measure", "balance_per_account"): "window_groupings",
        ("entity", "store_key"): "natural keys",
        ("measure", "broken_measure"): "Jinja",
        ("measure", "order_total_p90"): "percentile",
        ("measure", "shipped_total"): "one time column per table",
        ("metric", "revenue_growth_mom"): "offset_window",
        ("metric", "cumulative_revenue"): "cumulative",
        ("metric", "revenue_mtd"): "month-to-date",
        ("metric", "visit_to_buy"): "conversion",
        ("metric", "p90_order"): "was not imported",
        ("metric", "big_pipeline"): "not a conjunction",
    }
    assert set(reasons) == set(expected)
    for key, fragment in expected.items():
        assert fragment in reasons[key], (key, reasons[key])
    assert "ask 'revenue' with a to-date period" in reasons[("metric", "revenue_mtd")]
    assert "not mapped: metric visit_to_buy" in report.text()


def test_imported_metrics_compute_the_right_numbers(report, shop_db: Path) -> None:
    with ChatBI(report.model, shop_db) as bi:
        def one(metric: str, **kw) -> float:
            answer = bi.query(metrics=[metric], **kw)
            assert answer.status == "ok", answer.error
            return float(answer.data[metric].iloc[0])

        assert one("revenue") == 430
        assert one("food_revenue") == 190
        assert one("completed_revenue") == 360
        assert one("food_revenue_pct") == pytest.approx(190 / 430)
        assert one("eu_revenue_share") == pytest.approx(200 / 430)
        assert one("net_revenue") == 390  # revenue minus returned orders
        assert one("revenue_per_order") == pytest.approx(430 / 5)
        assert one("non_food_order_share") == pytest.approx(2 / 5)
        assert one("account_balance", time_range=("2025-01-01", "2025-01-31")) == 95  # last day
        assert one("opening_balance", time_range=("2025-01-01", "2025-01-31")) == 110  # first day
        assert one("largest_order") == 200 and one("customers_with_orders") == 3
        assert one("large_order_revenue") == 200  # a filter on an expression dimension (order_total > 100)
        assert one("recent_revenue") == 430  # a day-grain filter on metric_time (all orders are after it)
        by_region = bi.query(metrics=["revenue"], dimensions=["region"])
        assert dict(zip(by_region.data["region"], by_region.data["revenue"])) == {"EU": 200, "US": 230}
        monthly = bi.query(metrics=["orders"], dimensions=["metric_time.month"])
        assert monthly.data["orders"].tolist() == [2, 3]


@pytest.mark.parametrize(("question", "metric"), [
    # key phrases of descriptions: "Distict count of customers placing orders" (sic), "The % of order revenue from food"
    ("how many customers placed orders", "customers_with_orders"),
    ("number of customers who placed orders", "customers_with_orders"),
    ("share of revenue from food", "food_revenue_pct"),
    ("percentage of order revenue from food", "food_revenue_pct"),
])
def test_description_key_phrases(report, shop_db: Path, question: str, metric: str) -> None:
    with ChatBI(report.model, shop_db) as bi:
        answer = bi.ask(question)
    assert answer.status == "ok", answer.text
    assert answer.query.metrics == (metric,)


def test_cli_import_writes_yaml_and_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "mf.yaml"
    assert main(["model", "import-metricflow", str(PROJECT), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "not mapped: metric cumulative_revenue" in printed
    text = out.read_text(encoding="utf-8")
    assert "# - NOT MAPPED metric visit_to_buy" in text
    assert SemanticModel.from_yaml(out).name == "jaffle_shop"


def test_import_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        import_metricflow(tmp_path / "nothing")
    (tmp_path / "models.yml").write_text("models:\n  - name: x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="no MetricFlow semantic_models"):
        import_metricflow(tmp_path)
