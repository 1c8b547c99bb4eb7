"""Metric-tree attribution: LMDI sums to the change and to the log change; exact splits."""

from __future__ import annotations

import math

import pytest

from chatbi.analysis import decompose_tree, lmdi, shapley_product


def test_lmdi_sums_to_the_change_and_log_shares_to_the_log_change() -> None:
    b, c = [1200.0, 85.0, 0.97], [1150.0, 91.0, 1.02]
    parts = lmdi(b, c, [1, 1, 1])
    m0, m1 = math.prod(b), math.prod(c)
    assert sum(parts) == pytest.approx(m1 - m0, rel=1e-12)
    weight = (m1 - m0) / (math.log(m1) - math.log(m0))
    logs = [p / weight for p in parts]
    assert sum(logs) == pytest.approx(math.log(m1 / m0), rel=1e-12)


def test_lmdi_for_a_ratio_uses_negative_exponents() -> None:
    parts = lmdi([50.0, 10_000.0], [80.0, 12_000.0], [1, -1])
    assert sum(parts) == pytest.approx(80 / 12_000 - 50 / 10_000, rel=1e-12)
    assert parts[0] > 0 > parts[1]


def test_shapley_is_exact_for_any_sign() -> None:
    parts = shapley_product([-2.0, 3.0], [4.0, 5.0], [1, 1])
    assert sum(parts) == pytest.approx(4 * 5 - (-2 * 3))
    assert parts == pytest.approx([6.0 * 4.0, 2.0 * 1.0])  # Δa * mean(b), Δb * mean(a)


def test_revenue_tree_is_lmdi_and_exact(sample_model) -> None:
    base = {"revenue": 1000.0 * 80.0, "avg_active_subscribers": 1000.0, "arpu": 80.0}
    cur = {"revenue": 1100.0 * 70.0, "avg_active_subscribers": 1100.0, "arpu": 70.0}
    tree = decompose_tree(sample_model, "revenue", base, cur)
    assert tree is not None and tree.op == "product" and tree.method == "lmdi"
    assert sum(t.contribution for t in tree.terms) == pytest.approx(cur["revenue"] - base["revenue"])
    assert sum(t.log_share for t in tree.terms) == pytest.approx(1.0)
    assert tree.residual == pytest.approx(0.0, abs=1e-6)
    assert tree.top.metric == "arpu"


def test_net_adds_tree_is_an_exact_difference(sample_model) -> None:
    base = {"net_adds": 300.0, "new_subscribers": 1000.0, "churned_subscribers": 700.0}
    cur = {"net_adds": 100.0, "new_subscribers": 1050.0, "churned_subscribers": 950.0}
    tree = decompose_tree(sample_model, "net_adds", base, cur)
    assert tree.method == "exact"
    assert [t.contribution for t in tree.terms] == [50.0, -250.0]
    assert tree.residual == 0.0 and tree.top.metric == "churned_subscribers"


def test_call_drop_rate_tree_and_implicit_ratio_tree(sample_model) -> None:
    base = {"call_drop_rate": 50 / 10_000, "dropped_calls": 50.0, "call_attempts": 10_000.0}
    cur = {"call_drop_rate": 90 / 12_000, "dropped_calls": 90.0, "call_attempts": 12_000.0}
    tree = decompose_tree(sample_model, "call_drop_rate", base, cur)
    assert tree.op == "ratio" and sum(t.contribution for t in tree.terms) == pytest.approx(90 / 12_000 - 50 / 10_000)
    # complaint_rate has no explicit tree: it splits into numerator and (scaled) denominator
    base = {"complaint_rate": 10_000 * 5 / 1000, "complaints": 5.0, "avg_active_subscribers": 1000.0}
    cur = {"complaint_rate": 10_000 * 9 / 1200, "complaints": 9.0, "avg_active_subscribers": 1200.0}
    tree = decompose_tree(sample_model, "complaint_rate", base, cur)
    assert [t.metric for t in tree.terms] == ["complaints", "avg_active_subscribers"]
    assert sum(t.contribution for t in tree.terms) == pytest.approx(cur["complaint_rate"] - base["complaint_rate"])


def test_no_tree_and_missing_values(sample_model) -> None:
    assert decompose_tree(sample_model, "complaints", {"complaints": 1.0}, {"complaints": 2.0}) is None
    assert decompose_tree(sample_model, "revenue", {"revenue": 1.0}, {"revenue": 2.0}) is None
