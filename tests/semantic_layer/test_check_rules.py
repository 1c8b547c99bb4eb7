"""Each rule of ``check_spec`` on its own: a correct spec passes every rule; each mistake is reported
by its rule, with the YAML path and "did you mean" candidates."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from semantic_layer import checks as c
from semantic_layer.spec import ModelSpec

SHOP: dict[str, Any] = {
    "name": "shop",
    "tables": {
        "sales": {"columns": {"day": "date", "store_id": "integer", "amount": "double", "units": "integer"},
                  "time_column": "day", "computed": {"big": "amount > 100"}},
        "stores": {"columns": {"store_id": "integer", "city": "varchar", "city_en": "varchar"},
                   "primary_key": ["store_id"]},
    },
    "joins": [{"left": "sales", "right": "stores", "keys": {"store_id": "store_id"}}],
    "dimensions": {"date": {"type": "time", "grains": ["day", "month"]},
                   "city": {"table": "stores", "label_column": "city_en"}},
    "hierarchies": {"geo": {"levels": ["city"]}},
    "metrics": {"amount": {"table": "sales", "agg": "sum", "column": "amount",
                           "filters": [{"dimension": "city", "op": "in", "values": ["Paris"]}]},
                "orders": {"table": "sales", "agg": "count", "column": "*"},
                "per_order": {"type": "ratio", "numerator": "amount", "denominator": "orders"},
                "net": {"type": "derived", "formula": "amount - orders"}},
    "metric_trees": {"amount_tree": {"metric": "amount", "op": "product", "children": ["orders", "per_order"]}},
}


def spec(**changes: Any) -> ModelSpec:
    data = copy.deepcopy(SHOP)
    for path, value in changes.items():
        node = data
        keys = path.split("__")
        for key in keys[:-1]:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[keys[-1]] = value
    return ModelSpec.model_validate(data)


def found(rule: c.SpecRule, s: ModelSpec) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(p.path, p.message, p.candidates) for p in rule(s)]


def test_a_correct_spec_passes_every_rule_and_the_rules_are_ordered():
    assert c.check_spec(spec()) == []
    assert c.SPEC_RULES[0] is c.table_columns and c.SPEC_RULES[-1] is c.metric_trees
    broken = spec(time_anchor="soon", metrics__orders__column="nope")
    assert c.check_spec(broken) == [p for rule in c.SPEC_RULES for p in rule(broken)]
    assert [p.path for p in c.check_spec(broken, rules=(c.time_anchor,))] == ["time_anchor"]


def test_table_columns():
    s = spec(tables__stores__primary_key=["id"], tables__sales__time_column="dy",
             tables__sales__computed={"amount": "units * 2", "bad": "SUM(units)"})
    assert [p[0] for p in found(c.table_columns, s)] == [
        "tables.sales.time_column", "tables.sales.computed.amount", "tables.sales.computed.bad",
        "tables.stores.primary_key"]
    assert found(c.table_columns, s)[0][2] == ("day",)
    assert "aggregate" in found(c.table_columns, s)[2][1]


def test_joins():
    s = spec(joins=[{"left": "sale", "right": "stores", "keys": {"store_id": "shop_id"}}])
    assert found(c.joins, s) == [("joins[0].left", "unknown table 'sale'", ("sales",)),
                                  ("joins[0].on", "table 'stores' has no column 'shop_id'", ("store_id",))]


@pytest.mark.parametrize(("changes", "path", "message"), [
    ({"dimensions__date__grains": []}, "dimensions.date.grains", "a time dimension needs at least one grain"),
    ({"dimensions__city__table": "store"}, "dimensions.city.table", "unknown table 'store'"),
    ({"dimensions__city__label_column": "town"}, "dimensions.city.label_column", "has no column 'town'"),
    ({"dimensions__city__table": None}, "dimensions.city.table", "a categorical dimension needs a table"),
])
def test_dimensions(changes, path, message):
    [(where, text, _)] = found(c.dimensions, spec(**changes))
    assert where == path and message in text


def test_time_dimension_and_anchor():
    assert found(c.time_dimension, spec(time_dimension="city")) == [
        ("time_dimension", "'city' is not a time dimension", ("date",))]
    assert found(c.time_anchor, spec(time_anchor="2025-12-31")) == []
    assert found(c.time_anchor, spec(time_anchor="soon"))[0][2] == ("latest", "today")


def test_metrics_by_kind():
    s = spec(metrics__amount__column="amout", metrics__amount__filters=[{"dimension": "cty", "op": ">", "values": []}],
             metrics__orders__agg="sum", metrics__per_order__denominator="order", metrics__net__formula="amount - ordrs")
    assert [(p[0], p[1]) for p in found(c.metrics, s)] == [
        ("metrics.amount.column", "table 'sales' has no column 'amout'"),
        ("metrics.amount.filters[0].dimension", "unknown dimension 'cty'"),
        ("metrics.amount.filters[0].values", "op '>' takes 1 value(s), not 0"),
        ("metrics.orders.column", "'*' is only allowed with agg: count"),
        ("metrics.per_order.denominator", "unknown metric 'order'"),
        ("metrics.net.formula", "unknown metric 'ordrs'"),
    ]
    assert "cannot parse formula" in found(c.metrics, spec(metrics__net__formula="amount -"))[0][1]


def test_metric_cycles():
    s = spec(metrics__net__formula="amount - net2", metrics__net2={"type": "derived", "formula": "net + 1"})
    assert [p[1] for p in found(c.metric_cycles, s)] == ["metric refers to itself: net -> net2 -> net",
                                                         "metric refers to itself: net2 -> net -> net2"]


def test_hierarchies_and_metric_trees():
    s = spec(hierarchies__geo__levels=["cty", "date.year"])
    assert [p[1] for p in found(c.hierarchies, s)] == ["unknown dimension 'cty'", "'date' has no grain 'year'"]
    s = spec(metric_trees__amount_tree={"metric": "amount", "op": "ratio", "children": ["orders", "per_ordr", "net"]})
    assert [p[0] for p in found(c.metric_trees, s)] == ["metric_trees.amount_tree", "metric_trees.amount_tree.children"]
