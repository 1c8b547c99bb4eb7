"""``detect_anomalies``: fetch a metric's series through the semantic layer and score it.

One aggregate query (metric by time bucket, and by the ``by`` dimensions) covers the window
plus enough history for the baseline; :mod:`.anomaly` does the scoring.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from semantic_layer.compiler.timeframe import add_units, unit_start

from ..errors import ConfigError
from ..messages import message
from ..values import is_missing
from .access import require_visible
from .anomaly import BASELINES, calendar_index, default_direction, expected_values, score
from .fetch import Fetcher, normalize_filters
from .periods import Period, PeriodLike, parse_period, period_label

if TYPE_CHECKING:
    from ..api import ChatBI

__all__ = ["AnomalyResult", "detect_anomalies"]

MAX_POINTS = 2_000_000


@dataclass(frozen=True)
class AnomalyResult:
    """Scored points: one row per (member of ``by``, time bucket) in the analysed window.

    ``frame`` columns: the ``by`` dimensions, the time bucket (``date__day``), ``actual``,
    ``expected``, ``lower``, ``upper``, ``score`` (signed robust z), ``severity`` (|z|),
    ``is_anomaly``, ``missing`` (no data for the bucket) and ``partial`` (bucket cut by the
    window or the data's end: not scored).
    """

    metric: str
    grain: str
    by: tuple[str, ...]
    direction: str
    sensitivity: float
    period: Period | None
    frame: pd.DataFrame
    method: str
    language: str = "en"
    text: str = ""
    figure: Any = None
    sql: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def time_column(self) -> str:
        return next(c for c in self.frame.columns if c.endswith(f"__{self.grain}"))

    @property
    def anomalies(self) -> pd.DataFrame:
        """Only the anomalous points, most severe first."""
        return self.frame[self.frame["is_anomaly"]].sort_values("severity", ascending=False)

    def ranking(self) -> pd.DataFrame:
        """Members of ``by`` by total severity of their anomalies (count, peak, first, last)."""
        flagged = self.frame[self.frame["is_anomaly"]]
        keys = list(self.by) or ["_all"]
        data = flagged.assign(_all="all") if not self.by else flagged
        t = self.time_column
        if data.empty:
            return pd.DataFrame(columns=[*keys, "anomalies", "total_severity", "max_severity", "first", "last"])
        g = data.groupby(keys, sort=False)
        out = pd.DataFrame({"anomalies": g.size(), "total_severity": g["severity"].sum(),
                            "max_severity": g["severity"].max(), "first": g[t].min(), "last": g[t].max()})
        out = out.sort_values(["total_severity", "anomalies"], ascending=False).reset_index()
        return out.drop(columns=["_all"]) if not self.by else out

    @property
    def top(self) -> dict[str, str] | None:
        """The member with the most severe anomalies (``{}`` without ``by``), None if none."""
        ranked = self.ranking()
        if ranked.empty:
            return None
        return {d: str(ranked.iloc[0][d]) for d in self.by}

    def series(self, members: dict[str, str] | None = None) -> pd.DataFrame:
        """The scored points of one member (all points without ``by``)."""
        mask = np.ones(len(self.frame), dtype=bool)
        for d, v in (members or {}).items():
            mask &= (self.frame[d] == v).to_numpy()
        return self.frame[mask]


def _by(bi: ChatBI, metric: str, by: str | Sequence[str] | None) -> tuple[str, ...]:
    dims = (by,) if isinstance(by, str) else tuple(by or ())
    tables = bi.model.metric_tables(metric)
    for d in dims:
        spec = bi.model.dimension(d)
        if spec.type == "time":
            raise ConfigError(f"{d!r} is the time dimension; choose the grain with grain=")
        if not all(bi.model.reachable(t, d) for t in tables):
            raise ConfigError(f"dimension {d!r} does not apply to metric {metric!r}")
    return dims


def detect_anomalies(bi: ChatBI, metric: str, grain: str = "day", time_range: PeriodLike | None = None,
                     by: str | Sequence[str] | None = None, filters: Any = None, sensitivity: float = 3.0,
                     direction: str | None = None, language: str | None = None) -> AnomalyResult:
    """Score ``metric`` per ``grain`` bucket over ``time_range`` (all data when None)."""
    started = time.perf_counter()
    model = bi.model
    spec = model.metric(metric)
    time_dim = model.time_dimension
    if grain not in BASELINES or grain not in model.dimension(time_dim).grains:
        raise ConfigError(f"unknown grain {grain!r}; use one of {', '.join(model.dimension(time_dim).grains)}")
    dims = _by(bi, metric, by)
    lang = language or bi.language
    require_visible(bi, "metric", [metric], lang)  # hidden names are refused with a sentence
    require_visible(bi, "dimension", dims, lang)
    direction = direction or default_direction(spec.favorable)
    period = parse_period(time_range) if time_range is not None else None
    end = min(period[1], bi.anchor) if period else bi.anchor
    history = BASELINES[grain].history
    fetch_from = add_units(unit_start(period[0], grain), grain, -history) if period else None
    fetch = Fetcher(bi, normalize_filters(filters))
    col = f"{time_dim}__{grain}"
    data = fetch.query([metric], [*dims, f"{time_dim}.{grain}"], (fetch_from, end) if fetch_from else None)
    fetched = time.perf_counter()
    frame = _score_frame(data, metric, dims, col, grain, period, end, sensitivity, direction,
                         additive=model.is_additive(metric))
    result = AnomalyResult(metric, grain, dims, direction, sensitivity, period, frame,
                           BASELINES[grain].description, lang, sql=tuple(fetch.sql))
    result = _with_story(bi, result)
    done = time.perf_counter()
    return _replace(result, timings={"fetch_ms": (fetched - started) * 1000, "total_ms": (done - started) * 1000})


def _replace(result: AnomalyResult, **changes: Any) -> AnomalyResult:
    return dataclasses.replace(result, **changes)


def _score_frame(data: pd.DataFrame, metric: str, dims: tuple[str, ...], col: str, grain: str,
                 period: Period | None, end: dt.date, sensitivity: float, direction: str,
                 additive: bool = False) -> pd.DataFrame:
    columns = [*dims, col, "actual", "expected", "lower", "upper", "score", "severity", "is_anomaly",
               "missing", "partial"]
    if data.empty:
        return pd.DataFrame(columns=columns)
    data = data.copy()
    data[col] = pd.to_datetime(data[col])
    for d in dims:
        data[d] = data[d].astype(object).where(data[d].notna(), "(null)").astype(str)
    first = data[col].min()
    buckets = calendar_index(first, pd.Timestamp(unit_start(end, grain)), grain)
    keys = data[list(dims)].drop_duplicates().sort_values(list(dims)) if dims else pd.DataFrame(index=[0])
    if len(keys) * len(buckets) > MAX_POINTS:
        raise ConfigError(f"{len(keys):,} series x {len(buckets):,} buckets is too many; use fewer dimensions "
                          "or a coarser grain")
    if dims:
        wide = data.pivot_table(index=list(dims), columns=col, values=metric, aggfunc="sum", dropna=False)
        wide = wide.reindex(index=pd.MultiIndex.from_frame(keys) if len(dims) > 1 else keys[dims[0]],
                            columns=buckets)
    else:
        wide = data.set_index(col)[[metric]].T.reindex(columns=buckets)
    values = wide.to_numpy(dtype=np.float64)
    bucket_end = np.array([add_units(b.date(), grain, 1) - dt.timedelta(days=1) for b in buckets])
    days = np.array([(e - b.date()).days + 1 for b, e in zip(buckets, bucket_end)], dtype=np.float64)
    expected = expected_values(values, grain, days if additive and grain != "day" else None,
                               sensitivity=sensitivity)
    scored = score(values, expected, sensitivity, direction)
    # a bucket the window or the data cuts short would read as a drop: keep it, never score it
    partial = bucket_end > end
    keep = buckets >= pd.Timestamp(unit_start(period[0], grain)) if period else np.ones(len(buckets), bool)
    n, _ = values.shape
    out = pd.DataFrame({col: np.tile(buckets[keep], n)})
    for d in dims:
        out.insert(len(out.columns) - 1, d, np.repeat(keys[d].to_numpy(), keep.sum()))
    out["actual"] = values[:, keep].ravel()
    out["expected"] = scored["expected"][:, keep].ravel()
    for name in ("lower", "upper", "score", "severity"):
        out[name] = scored[name][:, keep].ravel()
    flags = scored["is_anomaly"] & ~partial[None, :]
    out["is_anomaly"] = flags[:, keep].ravel().astype(bool)
    out["missing"] = np.isnan(out["actual"].to_numpy())
    out["partial"] = np.tile(partial[keep], n)
    return out[columns].reset_index(drop=True)


def _with_story(bi: ChatBI, result: AnomalyResult) -> AnomalyResult:
    """The summary sentence and the chart of the most anomalous series."""
    lang = result.language
    label = bi.model.label(result.metric, lang)
    where = period_label(result.period, lang) if result.period else message("detect.all_data", lang)
    flagged = result.frame["is_anomaly"]
    total = int(flagged.sum())
    ranked = result.ranking()
    text = message("detect.summary_one" if total == 1 else "detect.summary", lang, label=label, where=where,
                   grain=message(f"grain.{result.grain}", lang), total=total)
    top = result.top
    if total and top is not None:
        row = ranked.iloc[0]
        pts = result.series(top)
        peak = pts[pts["is_anomaly"]].sort_values("severity", ascending=False).iloc[0]
        # relative to the size of the expectation, so a negative expected value keeps the sign right
        deviation = (peak["actual"] - peak["expected"]) / abs(peak["expected"]) if peak["expected"] else float("nan")
        first, last = (pd.Timestamp(row["first"]).date().isoformat(), pd.Timestamp(row["last"]).date().isoformat())
        who = " × ".join(bi.members.label(d, v, lang) for d, v in top.items())
        span = first if first == last else message("detect.span", lang, first=first, last=last)
        known = not is_missing(deviation)  # NaN when nothing was expected: say nothing rather than "+nan%"
        text += message("detect.top_who" if who else "detect.top", lang, who=who, n=int(row["anomalies"]), span=span)
        if known:
            text += message("detect.peak", lang, deviation=f"{deviation:+.1%}")
    text += message("common.end", lang)
    figure = None
    try:
        from ..charts import anomaly_chart

        pts = result.series(top or {})
        title = message("detect.title", lang, label=label) + (f" · {' × '.join(top.values())}" if top else "")
        figure = anomaly_chart(pts, x=result.time_column, actual="actual", expected="expected", lower="lower",
                               upper="upper", is_anomaly="is_anomaly", title=title, language=lang,
                               value_format=bi.model.metric(result.metric).format)
    except Exception:
        logging.getLogger(__name__).warning("anomaly chart failed for %s", result.metric, exc_info=True)
    return _replace(result, text=text, figure=figure)
