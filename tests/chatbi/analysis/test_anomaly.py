"""Anomaly detection: constructed series with known anomalies, then story (b) in the sample warehouse."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from chatbi.analysis.anomaly import default_direction, expected_values, score
from chatbi.errors import ConfigError


def _weekly(days: int = 140, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    season = np.where(t % 7 >= 5, 0.7, 1.1)
    return 1000.0 * season * (1 + 0.001 * t) * rng.normal(1.0, 0.01, days)


def test_weekly_baseline_ignores_the_weekend_and_flags_the_spike() -> None:
    y = _weekly()
    y[100] *= 1.3   # a Tuesday-ish spike
    y[103] *= 0.8
    values = y[None, :]
    exp = expected_values(values, "day", sensitivity=3.0)
    flags = score(values, exp, 3.0, "both")["is_anomaly"][0]
    assert set(np.flatnonzero(flags)) == {100, 103}
    up = score(values, exp, 3.0, "up")["is_anomaly"][0]
    down = score(values, exp, 3.0, "down")["is_anomaly"][0]
    assert list(np.flatnonzero(up)) == [100] and list(np.flatnonzero(down)) == [103]


def test_a_month_long_shift_stays_anomalous_and_does_not_poison_what_follows() -> None:
    y = _weekly(200, seed=1)
    y[100:130] *= 1.5
    values = y[None, :]
    exp = expected_values(values, "day", sensitivity=3.0)
    flags = score(values, exp, 3.0, "both")["is_anomaly"][0]
    assert flags[100:130].all()
    assert not flags[130:].any()          # the return to normal is not a "drop"


def test_missing_days_are_neither_scored_nor_used() -> None:
    y = _weekly(seed=2)
    y[60:64] = np.nan
    y[90] *= 1.4
    values = y[None, :]
    exp = expected_values(values, "day")
    out = score(values, exp, 3.0, "both")
    assert not out["is_anomaly"][0, 60:64].any() and np.isnan(out["score"][0, 60:64]).all()
    assert np.isfinite(exp[0, 64:]).all()
    assert out["is_anomaly"][0, 90]


def test_monthly_baseline_uses_last_year_and_day_counts() -> None:
    months = pd.date_range("2023-01-01", periods=36, freq="MS")
    days = months.days_in_month.to_numpy().astype(float)
    seasonal = 1 + 0.2 * np.sin(np.arange(36) * 2 * np.pi / 12)
    y = 100.0 * days * seasonal * (1.01 ** np.arange(36))
    y[30] *= 0.85
    values = y[None, :]
    exp = expected_values(values, "month", days, sensitivity=3.0)
    # one year in, the seasonal baseline is close to exact
    rel = np.abs(exp[0, 15:] / y[15:] - 1)
    assert np.delete(rel, 30 - 15).max() < 0.01
    flags = score(values, exp, 3.0, "down")["is_anomaly"][0]
    assert list(np.flatnonzero(flags[12:]) + 12) == [30]


def test_direction_defaults_and_bad_arguments() -> None:
    assert default_direction("up") == "down"
    assert default_direction("down") == "up"
    assert default_direction("none") == "both"
    v = _weekly()[None, :]
    with pytest.raises(ConfigError):
        score(v, v, 3.0, "sideways")
    with pytest.raises(ConfigError):
        score(v, v, 0.0, "up")


# -- the sample warehouse: story (b) -------------------------------------------------------
STORY_B = (dt.date(2025, 8, 10), dt.date(2025, 8, 20))


def test_story_b_by_province(sample_bi) -> None:
    result = sample_bi.detect_anomalies("dropped_calls", grain="day", time_range=("2025-07-01", "2025-09-30"),
                                        by="province")
    assert result.direction == "up"        # dropped calls: favorable down, so rises are anomalies
    assert result.top == {"province": "浙江"}
    zhejiang = result.anomalies[result.anomalies["province"] == "浙江"]
    days = {d.date() for d in zhejiang["date__day"]}
    window = {STORY_B[0] + dt.timedelta(days=i) for i in range(11)}
    assert days <= window and len(days) >= 9
    ranking = result.ranking()
    assert ranking.iloc[0]["total_severity"] > 10 * ranking.iloc[1]["total_severity"]
    assert "浙江" in result.text
    assert result.figure is not None
    assert {"actual", "expected", "lower", "upper", "is_anomaly", "severity", "score", "missing"} <= set(result.frame)
    # only the requested window is reported, history is used but not returned
    assert result.frame["date__day"].min() == pd.Timestamp("2025-07-01")


def test_story_b_by_the_combination(sample_bi) -> None:
    result = sample_bi.detect_anomalies("dropped_calls", grain="day", time_range=("2025-07-01", "2025-09-30"),
                                        by=["province", "vendor", "band"], language="en")
    assert result.top == {"province": "浙江", "vendor": "厂商B", "band": "n78"}
    top = result.ranking().iloc[0]
    assert top["first"].date() == STORY_B[0] and top["last"].date() == STORY_B[1] and top["anomalies"] == 11
    assert "Zhejiang" in result.text


def test_partial_buckets_are_not_scored(sample_bi) -> None:
    result = sample_bi.detect_anomalies("revenue", grain="month", time_range=("2025-01-01", "2025-11-15"))
    last = result.frame.iloc[-1]
    assert last["partial"] and not last["is_anomaly"]


def test_bad_arguments_are_clear(sample_bi) -> None:
    with pytest.raises(ConfigError, match="grain"):
        sample_bi.detect_anomalies("revenue", grain="hour")
    with pytest.raises(ConfigError, match="does not apply"):
        sample_bi.detect_anomalies("revenue", by="vendor")
    with pytest.raises(KeyError, match="revenue"):
        sample_bi.detect_anomalies("revenu")


def test_missing_dates_in_a_real_warehouse(tmp_path) -> None:
    """A small warehouse whose feed skipped four days: they come back as missing, never anomalous."""
    import duckdb

    from chatbi import ChatBI

    rng = np.random.default_rng(0)
    days = pd.date_range("2025-01-01", periods=120, freq="D")
    frame = pd.DataFrame({"day": days, "shop": "s1",
                          "sales": 100 * np.where(days.dayofweek >= 5, 0.6, 1.2) * rng.normal(1, 0.01, 120)})
    frame.loc[90, "sales"] *= 1.5
    frame = frame.drop(index=range(50, 54))
    path = tmp_path / "shop.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE sales AS SELECT CAST(day AS DATE) AS day, shop, sales FROM frame")
    model = {"name": "shop", "tables": {"sales": {"columns": {"day": "date", "shop": "varchar", "sales": "double"},
                                                  "time_column": "day"}},
             "dimensions": {"date": {"type": "time", "grains": ["day", "week", "month"]}, "shop": {"table": "sales"}},
             "metrics": {"sales": {"table": "sales", "agg": "sum", "column": "sales"}}}
    with ChatBI(model, path) as bi:
        result = bi.detect_anomalies("sales", time_range=("2025-02-01", "2025-04-30"), direction="both",
                                     language="en")
    gap = result.frame[result.frame["missing"]]
    assert [d.date() for d in gap["date__day"]] == [dt.date(2025, 2, 20) + dt.timedelta(days=i) for i in range(4)]
    assert not gap["is_anomaly"].any()
    assert [d.date() for d in result.anomalies["date__day"]] == [dt.date(2025, 4, 1)]
    assert result.top == {}
