"""Correlation analysis on constructed series and on the sample warehouse."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chatbi.analysis import lagged_correlations, spearman
from chatbi.analysis.correlation import p_value, strength


def _frame(n: int = 120, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = np.cumsum(rng.normal(0, 1, n))
    return pd.DataFrame({
        "target": x,
        "leader": np.roll(x, -2) + rng.normal(0, 0.01, n),   # moves two buckets earlier
        "mirror": -np.exp(x / 5),                             # monotone decreasing transform
        "noise": rng.normal(0, 1, n),
    })


def test_spearman_is_rank_based() -> None:
    x = pd.Series(np.arange(30, dtype=float))
    assert spearman(x, x ** 3)[0] == pytest.approx(1.0)
    assert spearman(x, np.exp(-x))[0] == pytest.approx(-1.0)
    assert spearman(x, pd.Series([np.nan] * 30))[1] == 0


def test_lags_strength_and_direction() -> None:
    table = lagged_correlations(_frame(), "target", ["leader", "mirror", "noise"], max_lag=3).set_index("candidate")
    assert table.loc["leader", "lag"] == 2 and table.loc["leader", "rho"] > 0.95
    assert table.loc["mirror", "rho"] == pytest.approx(-1.0) and table.loc["mirror", "lag"] == 0
    assert table.loc["mirror", "direction"] == "negative" and table.loc["mirror", "strength"] == "strong"
    assert table.loc["noise", "strength"] in ("negligible", "weak")
    assert table.loc["noise", "p_value"] > 0.01 and table.loc["leader", "p_value"] < 1e-10
    without_lag = lagged_correlations(_frame(), "target", ["leader"], max_lag=0)
    assert without_lag.iloc[0]["lag"] == 0


def test_strength_bands_and_p_values() -> None:
    assert [strength(r) for r in (0.9, -0.5, 0.25, 0.05)] == ["strong", "moderate", "weak", "negligible"]
    assert p_value(0.0, 50) == pytest.approx(1.0)
    assert p_value(0.5, 100) < p_value(0.5, 20)


def test_correlate_on_the_warehouse(sample_bi) -> None:
    result = sample_bi.correlate("net_adds", ("2025-04-01", "2025-06-30"), grain="day",
                                 candidates=["new_subscribers", "churned_subscribers", "dl_throughput_mbps"],
                                 max_lag=2, language="en")
    table = result.frame.set_index("candidate")
    # net adds = new - churned and new subscribers carry most of the day-to-day movement
    assert result.top["candidate"] == "new_subscribers"
    assert table.loc["new_subscribers", "rho"] > 0.7 and table.loc["new_subscribers", "lag"] == 0
    assert len(result.series) == 91 and next(iter(result.series.columns)) == "net_adds"
    assert "New subscribers" in result.text
