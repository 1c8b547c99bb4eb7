"""Correlation analysis (关联分析): which other metrics moved with a metric over a window.

Spearman rank correlation on series aligned by time bucket, optionally with a lag: at lag
``k > 0`` the candidate's value at ``t - k`` is paired with the metric's at ``t`` (the
candidate *leads* by ``k`` buckets); the best lag within ``max_lag`` is reported. The p-value
uses the Fisher z-transform with the Spearman variance ``1.06 / (n - 3)``.

>>> import pandas as pd
>>> x = pd.Series(range(20), dtype=float)
>>> round(spearman(x, x ** 2)[0], 6), round(spearman(x, -x)[0], 6)
(1.0, -1.0)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..messages import message
from .access import hidden_names, require_visible
from .fetch import Fetcher, normalize_filters
from .periods import Period, PeriodLike, parse_period, period_label

if TYPE_CHECKING:
    from ..api import ChatBI

__all__ = ["CorrelationResult", "spearman", "strength", "lagged_correlations", "correlate"]

MIN_POINTS = 5


def spearman(x: pd.Series, y: pd.Series) -> tuple[float, int]:
    """``(rho, n)`` over the pairs where both are present (ties get average ranks)."""
    pair = pd.DataFrame({"x": np.asarray(x, dtype=np.float64), "y": np.asarray(y, dtype=np.float64)}).dropna()
    n = len(pair)
    if n < 3:
        return float("nan"), n
    rx, ry = pair["x"].rank().to_numpy(), pair["y"].rank().to_numpy()
    if rx.std() == 0 or ry.std() == 0:
        return float("nan"), n
    return float(np.corrcoef(rx, ry)[0, 1]), n


def p_value(rho: float, n: int) -> float:
    """Two-sided p-value of a Spearman rho (Fisher z, variance 1.06 / (n - 3))."""
    if not math.isfinite(rho) or n <= 3:
        return float("nan")
    r = min(abs(rho), 1 - 1e-12)
    z = math.atanh(r) * math.sqrt((n - 3) / 1.06)
    return math.erfc(z / math.sqrt(2))


def strength(rho: float) -> str:
    """``strong`` (|rho| >= 0.7), ``moderate`` (>= 0.4), ``weak`` (>= 0.2) or ``negligible``."""
    r = abs(rho) if math.isfinite(rho) else 0.0
    return "strong" if r >= 0.7 else "moderate" if r >= 0.4 else "weak" if r >= 0.2 else "negligible"


def lagged_correlations(frame: pd.DataFrame, target: str, candidates: Sequence[str], max_lag: int = 0,
                        *, min_points: int = MIN_POINTS) -> pd.DataFrame:
    """Best-lag Spearman correlation of each candidate column with ``target`` (rows = buckets).

    Columns: candidate, rho, lag, n, p_value, strength, direction; sorted by |rho|.
    """
    if max_lag < 0:
        raise ConfigError("max_lag must be 0 or more")
    rows = []
    y = frame[target]
    for name in candidates:
        best: tuple[float, int, int] | None = None
        for lag in range(-max_lag, max_lag + 1):
            rho, n = spearman(frame[name].shift(lag), y)
            if n < min_points or not math.isfinite(rho):
                continue
            # prefer the smaller lag when two are (nearly) as strong: simpler story
            if best is None or abs(rho) > abs(best[0]) + 1e-9 or (abs(abs(rho) - abs(best[0])) <= 1e-9
                                                                 and abs(lag) < abs(best[1])):
                best = (rho, lag, n)
        if best is None:
            rows.append({"candidate": name, "rho": float("nan"), "lag": 0, "n": int(y.notna().sum()),
                         "p_value": float("nan"), "strength": "negligible", "direction": "none"})
            continue
        rho, lag, n = best
        rows.append({"candidate": name, "rho": rho, "lag": lag, "n": n, "p_value": p_value(rho, n),
                     "strength": strength(rho), "direction": "positive" if rho > 0 else "negative"})
    out = pd.DataFrame(rows, columns=["candidate", "rho", "lag", "n", "p_value", "strength", "direction"])
    order = out["rho"].abs().fillna(-1).sort_values(ascending=False).index
    return out.reindex(order).reset_index(drop=True)


@dataclass(frozen=True)
class CorrelationResult:
    metric: str
    grain: str
    period: Period
    max_lag: int
    #: one row per candidate: candidate, label, rho, lag, n, p_value, strength, direction
    frame: pd.DataFrame
    #: the aligned series (buckets x metrics) the correlations were computed on
    series: pd.DataFrame
    language: str = "en"
    text: str = ""
    sql: tuple[str, ...] = ()

    @property
    def top(self) -> dict[str, Any] | None:
        """The most strongly correlated candidate (a row as a dict)."""
        rows = self.frame.dropna(subset=["rho"])
        return None if rows.empty else rows.iloc[0].to_dict()


def _default_candidates(bi: ChatBI, metric: str) -> list[str]:
    hidden = hidden_names(bi)  # never a metric the user may not see
    return [m for m in bi.model.visible_metrics if m != metric and m not in hidden]


def correlate(bi: ChatBI, metric: str, time_range: PeriodLike, grain: str = "day",
              candidates: Sequence[str] | None = None, filters: Any = None, max_lag: int = 0,
              language: str | None = None, differences: bool = False) -> CorrelationResult:
    """Rank ``candidates`` (default: every other visible metric) by Spearman correlation with
    ``metric`` over ``time_range``; ``differences=True`` correlates bucket-to-bucket changes
    instead of levels (removes shared trends)."""
    model = bi.model
    model.metric(metric)
    names = list(candidates) if candidates is not None else _default_candidates(bi, metric)
    for name in names:
        model.metric(name)
    require_visible(bi, "metric", [metric, *names], language or bi.language)
    names = [n for n in dict.fromkeys(names) if n != metric]
    if not names:
        raise ConfigError("no candidate metrics to correlate with")
    time_dim = model.time_dimension
    if grain not in model.dimension(time_dim).grains:
        raise ConfigError(f"unknown grain {grain!r}; use one of {', '.join(model.dimension(time_dim).grains)}")
    period = parse_period(time_range)
    fetch = Fetcher(bi, normalize_filters(filters))
    col = f"{time_dim}__{grain}"
    data = fetch.query([metric, *names], [f"{time_dim}.{grain}"], period)
    series = data.set_index(col).sort_index()[[metric, *names]].astype(np.float64)
    used = series.diff() if differences else series
    table = lagged_correlations(used, metric, names, max_lag)
    lang = language or bi.language
    table.insert(1, "label", [model.label(n, lang) for n in table["candidate"]])
    result = CorrelationResult(metric, grain, period, max_lag, table, series, lang, sql=tuple(fetch.sql))
    return _with_text(bi, result)


def _with_text(bi: ChatBI, result: CorrelationResult) -> CorrelationResult:
    lang = result.language
    label = bi.model.label(result.metric, lang)
    where = period_label(result.period, lang)
    strong = result.frame[result.frame["strength"].isin(["strong", "moderate"])].head(3)
    parts = []
    for row in strong.to_dict("records"):
        lag = ""
        if row["lag"]:
            lag = message("correlation.leading" if row["lag"] > 0 else "correlation.lagging", lang, n=abs(row["lag"]))
        parts.append(message("correlation.item", lang, label=row["label"], rho=f"{row['rho']:.2f}", lag=lag,
                             strength=message(f"correlation.strength.{row['strength']}", lang),
                             direction=message(f"correlation.direction.{row['direction']}", lang)))
    text = message("correlation.head", lang, label=label, where=where) + (
        message("correlation.join", lang).join(parts) + message("common.end", lang) if parts
        else message("correlation.none", lang))
    return dataclasses.replace(result, text=text)
