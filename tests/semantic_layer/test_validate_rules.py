"""Each validation rule on its own: the issues it yields, their codes and subjects, and nothing else."""

from __future__ import annotations

import pytest

from semantic_layer import IssueCode, SemanticModel, SemanticQuery, Subject, SubjectKind, validate_query
from semantic_layer import validate as v

#: two facts: ``sales`` (dated, by city) and ``stock`` (no time column, by store); ``store``
#: reaches ``sales`` only through nothing, so each fact has a dimension the other cannot use
SHOP = SemanticModel.from_dict({
    "name": "shop",
    "tables": {
        "sales": {"columns": {"day": "date", "city": "varchar", "amount": "double"}, "time_column": "day"},
        "stock": {"columns": {"store": "varchar", "units": "double"}},
    },
    "dimensions": {"date": {"type": "time", "grains": ["day", "month"]}, "city": {"table": "sales"},
                   "store": {"table": "stock"}},
    "metrics": {"amount": {"table": "sales", "agg": "sum", "column": "amount"},
                "units": {"table": "stock", "agg": "sum", "column": "units"}},
})


def run(rule: v.Rule, members: dict[str, frozenset[str]] | None = None, **query: object) -> list[v.Issue]:
    return list(rule(v.QueryContext(SHOP, SemanticQuery.model_validate(query), members)))


def test_rules_run_in_order_and_a_clean_query_has_no_issue():
    assert v.RULES[0] is v.unknown_metrics and v.RULES[-1] is v.share_needs_metric
    assert len(set(v.RULES)) == len(v.RULES)
    assert validate_query(SHOP, SemanticQuery(metrics=["amount"], dimensions=["city", "date.month"])) == []


def test_validate_query_is_the_rules_concatenated():
    query = SemanticQuery(metrics=["amout", "amount"], dimensions=["date", "store"], order_by=["-x"])
    expected = [i for rule in v.RULES for i in rule(v.QueryContext(SHOP, query))]
    assert validate_query(SHOP, query) == expected
    assert [i.code for i in expected] == ["unknown_metric", "missing_grain", "unreachable_dimension", "bad_order_by"]
    assert validate_query(SHOP, query, rules=(v.order_by,)) == expected[-1:]


def test_unknown_metrics():
    [issue] = run(v.unknown_metrics, metrics=["amount", "amout"])
    assert issue.code is IssueCode.UNKNOWN_METRIC and issue.candidates == ("amount",)
    assert issue.field == "metrics[1]" and issue.subject == Subject(SubjectKind.METRIC, "amout", part="metrics", index=1)


@pytest.mark.parametrize(("dimension", "code", "candidates"), [
    ("cty", IssueCode.UNKNOWN_DIMENSION, ("city",)),
    ("date", IssueCode.MISSING_GRAIN, ("date.day", "date.month")),
    ("date.year", IssueCode.BAD_GRAIN, ("date.day", "date.month")),
    ("city.month", IssueCode.BAD_GRAIN, ("city",)),
])
def test_dimension_names_and_grains(dimension, code, candidates):
    [issue] = run(v.dimension_names_and_grains, metrics=["amount"], dimensions=["city", dimension])
    assert (issue.code, issue.candidates, issue.field) == (code, candidates, "dimensions[1]")
    assert issue.subject == Subject(SubjectKind.DIMENSION, dimension.split(".")[0], part="dimensions", index=1)


def test_duplicate_dimensions_names_the_repeated_one():
    [issue] = run(v.duplicate_dimensions, metrics=["amount"], dimensions=["date.day", "city", "date.month"])
    assert issue.code is IssueCode.DUPLICATE_DIMENSION and issue.subject.name == "date"
    assert run(v.duplicate_dimensions, metrics=["amount"], dimensions=["date.day", "city"]) == []


def test_unreachable_dimensions_point_at_the_dimension():
    [issue] = run(v.unreachable_dimensions, metrics=["amount"], dimensions=["city", "store"])
    assert issue.code is IssueCode.UNREACHABLE_DIMENSION and issue.message == \
        "dimension 'store' does not apply to the data of amount"
    assert issue.subject == Subject(SubjectKind.DIMENSION, "store", part="dimensions", index=1)


def test_unrelated_dimensions_only_for_a_clean_member_listing():
    [issue] = run(v.unrelated_dimensions, dimensions=["city", "store"])
    assert issue.code is IssueCode.UNRELATED_DIMENSIONS and "city, store" in issue.message
    assert run(v.unrelated_dimensions, dimensions=["city", "date.day"]) == []
    assert run(v.unrelated_dimensions, dimensions=["city", "store", "cty"]) == []  # the unknown name is reported first
    assert run(v.unrelated_dimensions, metrics=["amount"], dimensions=["city", "store"]) == []


def test_time_column_needed_for_periods():
    [issue] = run(v.time_column, metrics=["units"], time_range=("2025-01-01", "2025-01-31"))
    assert issue.code is IssueCode.NO_TIME_COLUMN and issue.subject == Subject(SubjectKind.TABLE, "stock", part="time_range")
    assert run(v.time_column, metrics=["units"]) == []
    assert run(v.time_column, metrics=["amount"], compare="previous_period") == []
    assert [i.code for i in run(v.time_column, metrics=["units"], filters=[{"op": "relative", "unit": "month"}])] \
        == [IssueCode.NO_TIME_COLUMN]


def test_filters_in_order_with_their_subjects():
    members = {"city": frozenset({"Paris", "Lyon"})}
    issues = run(v.filters, members, metrics=["amount"], filters=[
        {"op": ">", "metric": "units", "value": 1},
        {"op": "in", "dimension": "cty", "values": ["Paris"]},
        {"op": "in", "dimension": "store", "values": ["A"]},
        {"op": "in", "dimension": "city", "values": ["Paris", "Pari"]},
        {"op": "relative", "unit": "month"},
        {"op": ">", "metric": "amont", "value": 1},
    ])
    assert [(i.code, i.field) for i in issues] == [
        (IssueCode.FILTER_METRIC_NOT_SELECTED, "filters[0]"), (IssueCode.UNKNOWN_DIMENSION, "filters[1]"),
        (IssueCode.UNREACHABLE_DIMENSION, "filters[2]"), (IssueCode.UNKNOWN_MEMBER, "filters[3]"),
        (IssueCode.UNKNOWN_METRIC, "filters[5]")]
    assert issues[3].subject == Subject(SubjectKind.MEMBER, "city", "Pari", part="filters", index=3)
    assert issues[3].candidates == ("Paris",)
    assert issues[2].subject == Subject(SubjectKind.DIMENSION, "store", part="filters", index=2)


def test_members_are_checked_only_when_given():
    query = {"metrics": ["amount"], "filters": [{"op": "in", "dimension": "city", "values": ["Nowhere"]}]}
    assert run(v.filters, **query) == []


def test_order_by_must_be_selected():
    [issue] = run(v.order_by, metrics=["amount"], dimensions=["date.month"], order_by=["date.month", "-units"])
    assert issue.code is IssueCode.BAD_ORDER_BY and issue.subject == Subject(SubjectKind.FIELD, "units", part="order_by", index=1)


def test_compare_and_share_need_a_metric():
    assert [i.code for i in run(v.compare_needs_metric, dimensions=["city"], compare="previous_period")] \
        == [IssueCode.COMPARE_NEEDS_METRIC]
    assert [i.code for i in run(v.share_needs_metric, dimensions=["city"], share=True)] == [IssueCode.SHARE_NEEDS_METRIC]
    assert run(v.compare_needs_metric, metrics=["amount"], compare="previous_period") == []
    assert run(v.share_needs_metric, metrics=["amount"], share=True) == []


def test_issue_codes_are_a_closed_set_that_compares_as_text():
    from semantic_layer import Issue

    assert Issue("unknown_metric", "m").code is IssueCode.UNKNOWN_METRIC
    assert IssueCode.UNKNOWN_METRIC == "unknown_metric"
    with pytest.raises(ValueError, match="not_a_code"):
        Issue("not_a_code", "m")
