"""The translator on a different domain: a small retail model over a DuckDB file made here.

Nothing in the translator knows about shops, products or drinks; the same code that reads the
telecom sample must read this model from its YAML alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from chatbi import ChatBI, Conversation
from chatbi.evaluation import compare_frames

MODEL: dict[str, Any] = {
    "name": "shop",
    "label": {"en": "Retail shops", "zh": "零售门店"},
    "time_anchor": "latest",
    "time_dimension": "day",
    "default_language": "en",
    "tables": {
        "sales": {"time_column": "day", "columns": {"day": "date", "store_id": "integer", "product_id": "integer",
                                                   "amount": "double", "quantity": "integer", "returned": "integer"}},
        "stores": {"columns": {"store_id": "integer", "store_name": "varchar", "store_name_en": "varchar",
                               "city": "varchar"}},
        "products": {"columns": {"product_id": "integer", "product": "varchar", "product_en": "varchar",
                                 "category": "varchar"}},
    },
    "joins": [{"left": "sales", "right": "stores", "keys": {"store_id": "store_id"}},
              {"left": "sales", "right": "products", "keys": {"product_id": "product_id"}}],
    "dimensions": {
        "day": {"type": "time", "grains": ["day", "week", "month", "quarter", "year"], "label": {"en": "Day", "zh": "日期"}},
        "city": {"table": "stores", "column": "city", "label": {"en": "City", "zh": "城市"},
                 "members": {"上海": ["Shanghai"], "杭州": ["Hangzhou"]}},
        "store": {"table": "stores", "column": "store_name", "label_column": "store_name_en",
                  "label": {"en": "Store", "zh": "门店"}, "synonyms": ["outlet", "店铺"]},
        "category": {"table": "products", "column": "category", "label": {"en": "Category", "zh": "品类"},
                     "synonyms": ["categories", "类别"],
                     "members": {"饮料": ["drinks", "beverages"], "零食": ["snacks"]}},
        "product": {"table": "products", "column": "product", "label_column": "product_en",
                    "label": {"en": "Product", "zh": "商品"}, "synonyms": ["item", "产品"]},
    },
    "hierarchies": {"places": {"levels": ["city", "store"]}, "catalog": {"levels": ["category", "product"]}},
    "metrics": {
        "sales_amount": {"table": "sales", "agg": "sum", "column": "amount", "label": {"en": "Sales", "zh": "销售额"},
                         "synonyms": ["turnover", "sales amount", "营业额"]},
        "units_sold": {"table": "sales", "agg": "sum", "column": "quantity",
                       "label": {"en": "Sold units", "zh": "销售件数"}, "synonyms": ["units sold", "销量"]},
        "returned_units": {"table": "sales", "agg": "sum", "column": "returned", "favorable": "down",
                           "label": {"en": "Returned units", "zh": "退货件数"}, "synonyms": ["returns", "退货"]},
        "avg_price": {"type": "ratio", "numerator": "sales_amount", "denominator": "units_sold",
                      "label": {"en": "Average price", "zh": "平均单价"}, "synonyms": ["price per unit", "单价"]},
    },
    "examples": ["2024年3月各门店销售额", "top 2 products by sales in March 2024"],
}

STORES = [(1, "静安店", "Jing'an", "上海"), (2, "徐汇店", "Xuhui", "上海"), (3, "西湖店", "West Lake", "杭州")]
PRODUCTS = [(1, "可乐", "Cola", "饮料"), (2, "绿茶", "Green tea", "饮料"), (3, "薯片", "Chips", "零食"),
            (4, "饼干", "Cookies", "零食")]


@pytest.fixture(scope="module")
def shop_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("shop") / "shop.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE stores (store_id INTEGER, store_name VARCHAR, store_name_en VARCHAR, city VARCHAR)")
    con.execute("CREATE TABLE products (product_id INTEGER, product VARCHAR, product_en VARCHAR, category VARCHAR)")
    con.execute("CREATE TABLE sales (day DATE, store_id INTEGER, product_id INTEGER, amount DOUBLE, "
                "quantity INTEGER, returned INTEGER)")
    con.executemany("INSERT INTO stores VALUES (?, ?, ?, ?)", STORES)
    con.executemany("INSERT INTO products VALUES (?, ?, ?, ?)", PRODUCTS)
    rows = []
    day = dt.date(2024, 1, 1)
    while day <= dt.date(2024, 3, 31):
        for s, *_ in STORES:
            for p, *_rest in PRODUCTS:
                qty = (day.toordinal() * 7 + s * 13 + p * 5) % 20 + 1
                rows.append((day, s, p, qty * (2.5 + p), qty, (qty + s) % 3))
        day += dt.timedelta(days=1)
    con.executemany("INSERT INTO sales VALUES (?, ?, ?, ?, ?, ?)", rows)
    con.close()
    return path


@pytest.fixture(scope="module")
def shop(shop_db: Path) -> Iterator[ChatBI]:
    bi = ChatBI(MODEL, shop_db)
    yield bi
    bi.close()


def gold(shop_db: Path, sql: str) -> Any:
    con = duckdb.connect(str(shop_db), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


MARCH = "day BETWEEN DATE '2024-03-01' AND DATE '2024-03-31'"
JOIN = "FROM sales s JOIN stores st ON s.store_id = st.store_id JOIN products p ON s.product_id = p.product_id"

CASES = [
    ("2024年3月各门店销售额", f"SELECT st.store_name, SUM(s.amount) {JOIN} WHERE s.{MARCH} GROUP BY 1"),
    ("sales by store in March 2024", f"SELECT st.store_name, SUM(s.amount) {JOIN} WHERE s.{MARCH} GROUP BY 1"),
    ("monthly units sold by category in 2024",
     f"SELECT DATE_TRUNC('month', s.day), p.category, SUM(s.quantity) {JOIN} GROUP BY 1, 2"),
    ("2024年每月各品类的销量", f"SELECT DATE_TRUNC('month', s.day), p.category, SUM(s.quantity) {JOIN} GROUP BY 1, 2"),
    ("top 2 products by sales in March 2024",
     f"SELECT p.product, SUM(s.amount) AS v {JOIN} WHERE s.{MARCH} GROUP BY 1 ORDER BY v DESC LIMIT 2"),
    ("2024年3月销售额最高的门店",
     f"SELECT st.store_name, SUM(s.amount) AS v {JOIN} WHERE s.{MARCH} GROUP BY 1 ORDER BY v DESC LIMIT 1"),
    ("除了饮料以外的销量", f"SELECT SUM(s.quantity) {JOIN} WHERE p.category <> '饮料'"),
    ("snacks turnover last month",  # the anchor is the newest date, 2024-03-31
     f"SELECT SUM(s.amount) {JOIN} WHERE p.category = '零食' AND s.day BETWEEN DATE '2024-02-01' AND DATE '2024-02-29'"),
    ("average price of Cola and Chips in Q1 2024",
     f"SELECT p.product, SUM(s.amount) / SUM(s.quantity) {JOIN} WHERE p.product IN ('可乐', '薯片') GROUP BY 1"),
    ("上海的退货件数环比", f"SELECT c.v, b.v FROM (SELECT SUM(s.returned) AS v {JOIN} WHERE st.city = '上海' AND s.{MARCH}) c, "
                    f"(SELECT SUM(s.returned) AS v {JOIN} WHERE st.city = '上海' "
                    f"AND s.day BETWEEN DATE '2024-02-01' AND DATE '2024-02-29') b"),
    ("2024年3月各品类销售额占比",
     f"SELECT p.category, SUM(s.amount), SUM(s.amount) / SUM(SUM(s.amount)) OVER () {JOIN} WHERE s.{MARCH} GROUP BY 1"),
    ("stores with sales above 6510 in March 2024",
     f"SELECT st.store_name, SUM(s.amount) {JOIN} WHERE s.{MARCH} GROUP BY 1 HAVING SUM(s.amount) > 6510"),
    ("有哪些商品", "SELECT product FROM products"),
    ("杭州有哪些门店", "SELECT store_name FROM stores WHERE city = '杭州'"),
    ("turnovr by citty in March 2024", f"SELECT st.city, SUM(s.amount) {JOIN} WHERE s.{MARCH} GROUP BY 1"),
]


@pytest.mark.parametrize(("question", "sql"), CASES, ids=[c[0] for c in CASES])
def test_another_domain_answers_from_its_model_alone(shop: ChatBI, shop_db: Path, question: str, sql: str) -> None:
    answer = shop.ask(question, conversation=Conversation())
    assert answer.ok, (question, answer.text)
    assert compare_frames(gold(shop_db, sql), answer.data) is None, (question, answer.query)


def test_another_domain_clarifies_ambiguous_heads(shop: ChatBI) -> None:
    asked = shop.ask("how many units in March 2024", conversation=Conversation())
    assert asked.status == "clarify"
    assert [o.query.metrics[0] for o in asked.clarification if o.query] == ["units_sold", "returned_units"]
    asked_zh = shop.ask("2024年3月的件数", conversation=Conversation())
    assert asked_zh.status == "clarify" and asked_zh.language == "zh"
    assert {o.label for o in asked_zh.clarification} == {"销售件数", "退货件数"}


def test_another_domain_follow_ups_and_refusals(shop: ChatBI, shop_db: Path) -> None:
    conv = Conversation()
    assert shop.ask("sales by store in March 2024", conversation=conv).ok
    only = shop.ask("only Hangzhou", conversation=conv)
    expected = gold(shop_db, f"SELECT st.store_name, SUM(s.amount) {JOIN} WHERE st.city = '杭州' AND s.{MARCH} GROUP BY 1")
    assert compare_frames(expected, only.data) is None
    drilled = shop.ask("按商品拆分", conversation=conv)
    assert drilled.query is not None and drilled.query.dimensions == ("store", "product")
    refusal = shop.ask("讲个笑话", conversation=conv)
    assert refusal.intent == "out_of_scope" and "零售门店" in refusal.text
    assert [o.followup for o in refusal.clarification] == ["2024年3月各门店销售额"]
