"""Periods and conditions: which dates a rule looks at when it fires, and when it triggers."""

from __future__ import annotations

import datetime as dt

import pytest

from chatbi.alerts import evaluate_rule, resolve_period, rules_from_dict
from chatbi.alerts.evaluate import compare_period

from .conftest import GD_RULE, rules_doc

UTC = dt.UTC
D = dt.date


def _rule(model=None, **changes):  # type: ignore[no-untyped-def]
    return rules_from_dict(rules_doc(r={**GD_RULE, **changes}), model)["r"]


@pytest.mark.parametrize(("period", "fire", "expected"), [
    ({"unit": "month", "offset": 1}, dt.datetime(2025, 12, 1, 1, 0, tzinfo=UTC), (D(2025, 11, 1), D(2025, 11, 30))),
    # 00:30 on 1 December in Shanghai is still 30 November in UTC: the rule's zone decides
    ({"unit": "month", "offset": 1}, dt.datetime(2025, 11, 30, 16, 30, tzinfo=UTC), (D(2025, 11, 1), D(2025, 11, 30))),
    ({"unit": "day", "offset": 1}, dt.datetime(2025, 3, 1, 1, 0, tzinfo=UTC), (D(2025, 2, 28), D(2025, 2, 28))),
    ({"unit": "week", "offset": 1}, dt.datetime(2025, 12, 3, 1, 0, tzinfo=UTC), (D(2025, 11, 24), D(2025, 11, 30))),
    ({"unit": "quarter", "offset": 1}, dt.datetime(2025, 10, 1, 1, 0, tzinfo=UTC), (D(2025, 7, 1), D(2025, 9, 30))),
    ({"unit": "month", "offset": 0}, dt.datetime(2025, 12, 15, 1, 0, tzinfo=UTC), (D(2025, 12, 1), D(2025, 12, 31))),
    ({"unit": "year", "offset": 1}, dt.datetime(2026, 1, 1, 1, 0, tzinfo=UTC), (D(2025, 1, 1), D(2025, 12, 31))),
])
def test_period_relative_to_the_fire_time(period, fire, expected) -> None:  # type: ignore[no-untyped-def]
    assert resolve_period(_rule(period=period), fire, anchor=None) == expected


def test_period_relative_to_the_data_anchor() -> None:
    rule = _rule(period={"unit": "month", "offset": 1, "relative_to": "data"})
    late = dt.datetime(2026, 6, 1, 1, 0, tzinfo=UTC)
    # data ends 2025-12-31, a complete month: "the last complete month" is December
    assert resolve_period(rule, late, anchor=D(2025, 12, 31)) == (D(2025, 12, 1), D(2025, 12, 31))
    # data ends mid-month: the last complete month is the one before
    assert resolve_period(rule, late, anchor=D(2025, 12, 15)) == (D(2025, 11, 1), D(2025, 11, 30))


def test_baselines() -> None:
    nov = (D(2025, 11, 1), D(2025, 11, 30))
    assert compare_period(nov, "previous_period") == (D(2025, 10, 1), D(2025, 10, 31))
    assert compare_period(nov, "year_over_year") == (D(2024, 11, 1), D(2024, 11, 30))
    assert compare_period((D(2025, 3, 1), D(2025, 3, 31)), "previous_period") == (D(2025, 2, 1), D(2025, 2, 28))
    assert compare_period((D(2025, 11, 3), D(2025, 11, 9)), "previous_period") == (D(2025, 10, 27), D(2025, 11, 2))


def test_conditions_on_the_sample_warehouse(sample_bi) -> None:
    nov = (D(2025, 11, 1), D(2025, 11, 30))
    # Guangdong revenue fell 10.1% from October to November 2025
    fell = evaluate_rule(sample_bi, _rule(sample_bi.model), nov)
    assert fell.triggered and fell.headline.change_pct == pytest.approx(-0.1007, abs=1e-3)  # type: ignore[union-attr]
    assert not evaluate_rule(sample_bi, _rule(condition={"type": "change", "op": "<", "value": "-15%"}), nov).triggered
    both_ways = _rule(condition={"type": "change", "op": "abs>=", "value": 0.1})
    assert evaluate_rule(sample_bi, both_ways, nov).triggered
    # thresholds per member of a breakdown: only the members over the bound are flagged
    by_city = _rule(breakdown="city", condition={"type": "threshold", "op": ">", "value": 3e8})
    ev = evaluate_rule(sample_bi, by_city, nov)
    assert {r.member for r in ev.rows if r.triggered} == {"广州", "深圳"}
    assert {r.member for r in ev.rows if not r.triggered} == {"东莞"}
    # year over year
    yoy = evaluate_rule(sample_bi, _rule(condition={"type": "change", "compare": "yoy", "op": ">", "value": 0}), nov)
    assert yoy.baseline == (D(2024, 11, 1), D(2024, 11, 30))
    assert yoy.headline.previous is not None  # type: ignore[union-attr]


def test_anomaly_condition_finds_the_planted_dropped_calls_spike(sample_bi) -> None:
    """Story b of the sample: dropped calls in Zhejiang x4 on 10-20 August 2025 (``detect_anomalies``)."""
    rule = _rule(sample_bi.model, metric="dropped_calls", filters={"province": "浙江"},
                 period={"unit": "day", "offset": 1},
                 condition={"type": "anomaly", "grain": "day", "lookback": 90, "direction": "up"})
    spike = evaluate_rule(sample_bi, rule, (D(2025, 8, 15), D(2025, 8, 15)))
    assert spike.error is None, spike.error
    assert spike.triggered
    assert spike.headline.value > spike.headline.expected  # type: ignore[union-attr,operator]
    calm = evaluate_rule(sample_bi, rule, (D(2025, 6, 15), D(2025, 6, 15)))
    assert calm.error is None and not calm.triggered
