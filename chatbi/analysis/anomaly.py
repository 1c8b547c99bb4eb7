"""Anomaly detection on a metric's time series, optionally per member of some dimensions.

Baseline ("expected") per grain, built only from *earlier* points so an anomaly cannot hide
itself:

- day: the median of the same weekday over the previous six weeks (seasonal naive with a
  median, robust to holidays and to anomalies shorter than three weeks);
- week / month / quarter: the value one year earlier scaled by the recent year-over-year
  ratio (median of the last few periods) where a year of history exists, else the median of
  the last few periods;
- year: the median of the previous years.

Scoring: the relative residual ``(actual - expected) / expected``, after removing the
series' median residual (the lag a trailing baseline has behind a trend), divided by a robust
scale (1.4826 x MAD of the series' residuals), i.e. a robust z-score; series that cross zero are
scored on absolute residuals. A point is anomalous when its score exceeds ``sensitivity`` in
the watched direction -- by default the unfavourable one from the model (``favorable: up``
watches drops). Missing buckets stay missing (never scored, never used as a lag).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ConfigError

__all__ = ["BASELINES", "expected_values", "score", "default_direction", "calendar_index", "DIRECTIONS"]

DIRECTIONS = ("up", "down", "both")
_MAD_SCALE = 1.4826
#: a series whose residuals are this flat is not allowed a tighter band (relative units)
_MIN_SCALE = 1e-3
_FREQ = {"day": "D", "week": "W-MON", "month": "MS", "quarter": "QS", "year": "YS"}


@dataclass(frozen=True)
class Baseline:
    """How ``expected`` is built at one grain (see the module docstring)."""

    #: lag of the seasonal cycle used directly (7 days), or None
    season: int | None
    #: how many seasonal lags the median takes (day: six weeks)
    season_lags: int
    #: periods per year (yearly seasonality where the history allows), or None
    yearly: int | None
    #: how many recent periods the fallback median and the year-over-year ratio use
    recent: int
    #: history to fetch before the analysed window, in periods
    history: int
    description: str


BASELINES: dict[str, Baseline] = {
    "day": Baseline(7, 6, None, 0, 98, "median of the same weekday over the previous 6 weeks"),
    "week": Baseline(None, 0, 52, 6, 60, "last year's week x recent year-over-year ratio, else median of 6 weeks"),
    "month": Baseline(None, 0, 12, 3, 18, "last year's month x recent year-over-year ratio, else median of 3 months"),
    "quarter": Baseline(None, 0, 4, 2, 8, "last year's quarter x recent year-over-year ratio, else median of 2 quarters"),
    "year": Baseline(None, 0, None, 2, 4, "median of the previous 2 years"),
}


def default_direction(favorable: str) -> str:
    """The unfavourable direction: a metric where up is good is watched for drops."""
    return {"up": "down", "down": "up"}.get(favorable, "both")


def calendar_index(start: pd.Timestamp, end: pd.Timestamp, grain: str) -> pd.DatetimeIndex:
    """Every bucket start from ``start`` to ``end`` at ``grain`` (weeks start on Monday)."""
    if grain not in _FREQ:
        raise ConfigError(f"unknown grain {grain!r}; use one of {', '.join(_FREQ)}")
    return pd.date_range(start, end, freq=_FREQ[grain])


def _shift(values: np.ndarray, lag: int) -> np.ndarray:
    """``values`` moved ``lag`` columns to the right (time runs along axis 1), NaN-padded."""
    out = np.full(values.shape, np.nan)
    if lag < values.shape[1]:
        out[:, lag:] = values[:, : values.shape[1] - lag]
    return out


def _nanmedian(stack: list[np.ndarray], minimum: int) -> np.ndarray:
    data = np.stack(stack)
    count = np.sum(~np.isnan(data), axis=0)
    # Only points with enough history get a median: all-NaN columns (no history yet) would warn, and
    # silencing the warning with warnings.catch_warnings is not thread-safe (reports run in threads).
    enough = count >= max(minimum, 1)
    med = np.full(count.shape, np.nan)
    if enough.any():
        med[enough] = np.nanmedian(data[:, enough], axis=0)
    return med


def expected_values(values: np.ndarray, grain: str, days: np.ndarray | None = None,
                    *, sensitivity: float | None = None, passes: int = 3) -> np.ndarray:
    """Expected value of every point from earlier points only; ``values`` is series x time.

    ``days`` (days per bucket) puts sums on a per-day footing first, so February is not a
    drop; pass it only for additive metrics. With ``sensitivity``, points that score beyond
    it (either direction) are left out of the history of later points and the baseline is
    rebuilt (``passes`` times): a month-long anomaly must not become the next month's normal.
    """
    values = np.asarray(values, dtype=np.float64)
    if days is not None:
        values = values / days[None, :]
    history = values
    expected = _expected(history, grain)
    for _ in range(passes - 1 if sensitivity else 0):
        z = score(values, expected, sensitivity, "both")["score"]  # type: ignore[arg-type]
        cleaned = np.where(np.abs(np.nan_to_num(z)) > sensitivity, np.nan, values)  # type: ignore[operator]
        if np.array_equal(np.isnan(cleaned), np.isnan(history)):
            break
        history = cleaned
        expected = _expected(history, grain)
    return expected * days[None, :] if days is not None else expected


def _expected(values: np.ndarray, grain: str) -> np.ndarray:
    b = BASELINES[grain]
    if b.season:
        # the most recent ``season_lags`` same-weekday values that exist (missing or cleaned
        # ones are skipped by looking further back, up to twice as far)
        stack = np.stack([_shift(values, b.season * k) for k in range(1, 2 * b.season_lags + 1)])
        present = ~np.isnan(stack)
        stack[np.cumsum(present, axis=0) > b.season_lags] = np.nan
        return _nanmedian(list(stack), minimum=max(2, b.season_lags // 2))
    recent = _nanmedian([_shift(values, k) for k in range(1, b.recent + 1)], minimum=1)
    if b.yearly is None:
        return recent
    last_year = _shift(values, b.yearly)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = [_shift(values, k) / _shift(values, b.yearly + k) for k in range(1, b.recent + 1)]
    ratios = [np.where(np.isfinite(r) & (r > 0), r, np.nan) for r in ratios]
    growth = _nanmedian(ratios, minimum=1)
    seasonal = last_year * growth
    return np.where(np.isfinite(seasonal), seasonal, recent)


def score(values: np.ndarray, expected: np.ndarray, sensitivity: float, direction: str
          ) -> dict[str, np.ndarray]:
    """Robust z-scores, bands and flags for series x time arrays.

    ``expected`` in the result is the input corrected by each series' median residual (a
    lagged baseline trails a trend); bands and scores are around it.
    """
    if direction not in DIRECTIONS:
        raise ConfigError(f"direction must be one of {', '.join(DIRECTIONS)}, got {direction!r}")
    if sensitivity <= 0:
        raise ConfigError("sensitivity must be positive (a z-score threshold such as 3)")
    values = np.asarray(values, dtype=np.float64)
    expected = np.array(expected, dtype=np.float64)  # a copy: corrected for bias below
    n_series = values.shape[0]
    z = np.full(values.shape, np.nan)
    lower = np.full(values.shape, np.nan)
    upper = np.full(values.shape, np.nan)
    for i in range(n_series):
        v, e = values[i], expected[i]
        ok = np.isfinite(v) & np.isfinite(e)
        if ok.sum() < 3:
            continue
        relative = bool((e[ok] > 0).all() and (v[ok] >= 0).all())
        resid = (v - e) / np.abs(e) if relative else v - e
        with np.errstate(all="ignore"):
            # a lagged baseline trails a trend by a steady amount: remove the series' typical bias
            centre = float(np.median(resid[ok]))
            e = e * (1 + centre) if relative else e + centre
            expected[i] = e
            resid = (v - e) / np.abs(e) if relative else v - e
            mad = _MAD_SCALE * float(np.median(np.abs(resid[ok])))
        if relative:
            mad = max(mad, _MIN_SCALE)
            width = sensitivity * mad * np.abs(e)
        else:
            mad = max(mad, _MIN_SCALE * float(np.median(np.abs(v[ok]))) or 1e-12)
            width = sensitivity * mad * np.ones_like(e)
        z[i] = resid / mad
        lower[i], upper[i] = e - width, e + width
    with np.errstate(invalid="ignore"):
        if direction == "up":
            flag = z > sensitivity
        elif direction == "down":
            flag = z < -sensitivity
        else:
            flag = np.abs(z) > sensitivity
    severity = np.where(np.isfinite(z), np.abs(z), np.nan)
    return {"expected": expected, "lower": lower, "upper": upper, "score": z, "severity": severity,
            "is_anomaly": flag & np.isfinite(z)}
