"""Dimension decomposition on constructed leaf frames: exact additivity, rate / mix, surprise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chatbi.analysis import LeafFrame, adtributor, breakdown, common_factor, js_surprise
from chatbi.analysis.decompose import drill


def _additive(churn: bool = True) -> LeafFrame:
    rng = np.random.default_rng(1)
    rows = [(p, c, ch) for p, cities in {"P1": ["c1", "c2"], "P2": ["c3", "c4", "c5"], "P3": ["c6"]}.items()
            for c in cities for ch in ("on", "off")]
    frame = pd.DataFrame(rows, columns=["province", "city", "channel"])
    frame["base"] = rng.uniform(50, 150, len(frame))
    frame["cur"] = frame["base"] * 1.05 * rng.normal(1.0, 0.005, len(frame))
    frame.loc[(frame.city == "c3") & (frame.channel == "on"), "cur"] *= 3.0   # the cause
    if churn:
        frame.loc[frame.province == "P3", "cur"] = 0.0                       # a member that vanished
        frame.loc[len(frame)] = ["P4", "c7", "on", 0.0, 40.0]                 # and one that is new
    return LeafFrame(frame, ("province", "city", "channel"), "additive")


def _ratio() -> LeafFrame:
    frame = pd.DataFrame({
        "segment": ["a", "b", "c", "d"],
        "num_base": [10.0, 40.0, 5.0, 0.0], "den_base": [100.0, 200.0, 100.0, 0.0],
        "num_cur": [12.0, 30.0, 9.0, 3.0], "den_cur": [100.0, 100.0, 150.0, 50.0],
    })
    return LeafFrame(frame, ("segment",), "ratio", scale=100.0)


@pytest.mark.parametrize("dimension", ["province", "city", "channel"])
def test_additive_contributions_sum_exactly_to_the_total_change(dimension: str) -> None:
    leaves = _additive()
    table = breakdown(leaves, dimension, common_factor(leaves.actual, leaves.reference))
    total = leaves.value("cur") - leaves.value("base")
    assert table["change"].sum() == pytest.approx(total, rel=1e-12)
    assert table["share"].sum() == pytest.approx(1.0, rel=1e-12)
    assert set(table["member"]) == set(leaves.frame[dimension])
    # expected + excess is the current value, member by member
    assert (table["expected"] + table["excess"]).to_numpy() == pytest.approx(table["current"].to_numpy())


def test_common_factor_ignores_the_anomaly_and_the_outliers() -> None:
    leaves = _additive()
    assert common_factor(leaves.actual, leaves.reference) == pytest.approx(1.05, abs=0.01)


def test_rate_and_mix_effects_sum_to_the_change_of_the_ratio() -> None:
    leaves = _ratio()
    table = breakdown(leaves, "segment", 1.0).set_index("member")
    r0 = leaves.value("base")
    r1 = leaves.value("cur")
    assert r0 == pytest.approx(100 * 55 / 400) and r1 == pytest.approx(100 * 54 / 400)
    assert (table["rate_effect"] + table["mix_effect"]).sum() == pytest.approx(r1 - r0, abs=1e-12)
    assert table["change"].sum() == pytest.approx(r1 - r0, abs=1e-12)
    # d is new: no rate of its own to change, only mix; b's rate rose (20% -> 30%) while its weight fell
    assert table.loc["d", "rate_effect"] == 0.0 and table.loc["d", "mix_effect"] != 0.0
    assert table.loc["b", "rate_effect"] > 0 and table.loc["b", "mix_effect"] < 0
    assert table.loc["b", "baseline"] == pytest.approx(20.0) and table.loc["b", "current"] == pytest.approx(30.0)


def test_mix_only_change_has_no_rate_effect() -> None:
    frame = pd.DataFrame({"s": ["x", "y"], "num_base": [10.0, 40.0], "den_base": [100.0, 100.0],
                          "num_cur": [5.0, 60.0], "den_cur": [50.0, 150.0]})
    table = breakdown(LeafFrame(frame, ("s",), "ratio"), "s", 1.0)
    assert table["rate_effect"].abs().max() == pytest.approx(0.0, abs=1e-15)
    assert table["mix_effect"].sum() == pytest.approx(65 / 200 - 50 / 200)


def test_surprise_is_zero_for_unchanged_shares_and_grows_with_the_shift() -> None:
    p = np.array([0.5, 0.3, 0.2])
    assert js_surprise(p, p) == pytest.approx(np.zeros(3))
    small = js_surprise(p, np.array([0.45, 0.33, 0.22]))
    big = js_surprise(p, np.array([0.2, 0.5, 0.3]))
    assert big.sum() > small.sum() > 0


def test_adtributor_picks_the_dimension_and_member_that_moved() -> None:
    leaves = _additive(churn=False)
    factor = common_factor(leaves.actual, leaves.reference)
    tables = {d: breakdown(leaves, d, factor) for d in leaves.dimensions}
    ranked = adtributor(tables)
    by_dim = {e.dimension: e for e in ranked}
    assert by_dim["city"].members == ("c3",)
    assert by_dim["province"].members == ("P2",)
    # everyone sells on both channels alike except c3's online: channel explains too, with less surprise
    assert ranked[0].dimension in ("city", "province") and ranked[-1].dimension == "channel"


def test_drill_down_finds_the_child_that_explains_its_parent() -> None:
    leaves = _additive(churn=False)
    factor = common_factor(leaves.actual, leaves.reference)
    child = drill(leaves, [("province", "P2")], "city", factor)
    assert child is not None and child.iloc[0]["member"] == "c3" and child.iloc[0]["excess_share"] > 0.9
    # P1 moved with the market: no child stands out
    assert drill(leaves, [("province", "P1")], "city", factor) is None
