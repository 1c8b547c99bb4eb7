"""Analyses on a user's view analyse what the user may see: hidden dimensions and sub-metrics are skipped,
a hidden metric the user names is refused with a sentence; nothing fails as a whole."""

from __future__ import annotations

import pytest

from chatbi.security import AccessDenied, Security

DOC = {
    "users": {"gd": {"roles": ["gd_no_channel"]}, "subs": {"roles": ["no_subscribers"]}},
    "roles": {
        "gd_no_channel": {"rows": [{"province": "广东"}], "columns": {"channel": "hide", "city": "hide",
                                                                     "complaints": "hide"}},
        # the average subscriber base is hidden, so ARPU (revenue / it) is too: revenue's tree is unusable
        "no_subscribers": {"columns": {"avg_active_subscribers": "hide"}},
    },
}


@pytest.fixture(scope="module")
def users(sample_bi):
    security = Security.from_dict(DOC, model=sample_bi.model)
    return {u: sample_bi.for_user(u, security=security) for u in ("gd", "subs")}


def test_root_cause_skips_hidden_dimensions(users) -> None:
    report = users["gd"].explain_change("revenue", "2025-11")
    analysed = {d.dimension for d in report.dimensions}
    assert analysed and not analysed & {"channel", "city"}
    assert {c.dimension for c in report.contributors} <= analysed
    sql = " ".join(report.sql)
    assert "channel" not in sql and "dim_region.city " not in sql and "AS city" not in sql


def test_root_cause_refuses_what_the_user_names_with_a_sentence(users) -> None:
    with pytest.raises(AccessDenied, match="The dimension 'channel' is not available to you"):
        users["gd"].explain_change("revenue", "2025-11", dimensions=["channel"], language="en")
    with pytest.raises(AccessDenied, match="指标complaints不在您可以查看的范围内"):
        users["gd"].explain_change("complaints", "2025-11", language="zh")


def test_a_metric_tree_through_a_hidden_sub_metric_is_not_taken(users) -> None:
    report = users["subs"].explain_change("revenue", "2025-11")
    assert report.text and "arpu" not in " ".join(report.sql).lower()
    assert "avg_active_subscribers" not in str(report.metric_tree or "")


def test_correlation_leaves_hidden_metrics_out(users) -> None:
    result = users["gd"].correlate("revenue", ("2025-01-01", "2025-12-31"))
    assert "complaints" not in " ".join(result.sql) and "complaints" not in result.text
    with pytest.raises(AccessDenied):
        users["gd"].correlate("revenue", ("2025-01-01", "2025-12-31"), candidates=["complaints"])


def test_anomalies_refuse_hidden_breakdowns(users) -> None:
    with pytest.raises(AccessDenied, match="'channel'"):
        users["gd"].detect_anomalies("revenue", grain="month", by="channel", language="en")
    assert users["gd"].detect_anomalies("revenue", grain="month").metric == "revenue"
