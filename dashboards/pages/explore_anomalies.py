"""Reads ``ChatBI.detect_anomalies`` output into the explorer's trend overlay.

The overlay needs, per time bucket: ``actual``, ``expected``, ``lower``, ``upper``, ``is_anomaly``.
``chatbi.analysis.AnomalyResult.frame`` has them directly; a frame with ``<metric>__expected``
style columns (the charts contract) or a list of point records is accepted too.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
from collections.abc import Mapping
from typing import Any

import pandas as pd

__all__ = ["anomaly_frame", "normalise_points"]

log = logging.getLogger(__name__)
_FIELDS = ("actual", "expected", "lower", "upper", "is_anomaly")


def _params(func: Any) -> set[str]:
    try:
        return set(inspect.signature(func).parameters)
    except (TypeError, ValueError):
        return set()


def _record(item: Any) -> dict[str, Any]:
    if isinstance(item, Mapping):
        return dict(item)
    if dataclasses.is_dataclass(item) and not isinstance(item, type):
        return dataclasses.asdict(item)
    if hasattr(item, "model_dump"):
        return item.model_dump()
    return {k: v for k, v in vars(item).items() if not k.startswith("_")}


def normalise_points(result: Any, metric: str, x: str) -> pd.DataFrame | None:
    """A frame with columns ``x`` + ``actual, expected, lower, upper, is_anomaly``, or ``None``."""
    frame = result
    for name in ("frame", "data", "points"):  # AnomalyResult.frame; an Answer's data; a list of points
        if getattr(result, name, None) is not None:
            frame = getattr(result, name)
            break
    if frame is None:
        return None
    if not isinstance(frame, pd.DataFrame):
        frame = pd.DataFrame([_record(p) for p in frame])
    if frame.empty:
        return None
    renames = {f"{metric}__{f}": f for f in _FIELDS if f"{metric}__{f}" in frame.columns}
    if metric in frame.columns and "actual" not in frame.columns:
        renames[metric] = "actual"
    frame = frame.rename(columns=renames)
    if x not in frame.columns:
        time_like = [c for c in frame.columns
                     if c in {"date", "period", "time", "bucket"} or str(c).startswith(f"{x.split('__')[0]}__")]
        if not time_like:
            return None
        frame = frame.rename(columns={time_like[0]: x})
    if "is_anomaly" not in frame.columns:
        return None
    for col in ("expected", "lower", "upper"):
        if col not in frame.columns:
            frame[col] = float("nan")
    frame["is_anomaly"] = frame["is_anomaly"].fillna(False).astype(bool)
    return frame[[x, *_FIELDS]].sort_values(x).reset_index(drop=True)


def anomaly_frame(bi: Any, metric: str, grain: str, trend: pd.DataFrame, x: str, period: tuple[str, str] | None,
                  path: list[list[str]]) -> pd.DataFrame | None:
    """Anomalies of ``metric`` aligned to the trend's buckets (``None`` when they cannot be had)."""
    func = bi.detect_anomalies
    params = _params(func)
    kwargs: dict[str, Any] = {}
    if "grain" in params:
        kwargs["grain"] = grain
    if period and "time_range" in params:
        kwargs["time_range"] = tuple(period)
    if path:
        if "filters" not in params:
            return None  # anomalies of the whole metric would mislead on a drilled-down trend
        kwargs["filters"] = [{"op": "in", "dimension": d, "values": [m]} for d, m in path]
    try:
        result = func(metric, **kwargs)
    except Exception:
        log.exception("detect_anomalies failed")
        return None
    frame = normalise_points(result, metric, x)
    if frame is None:
        return None
    # align labels with the trend's x values (dates vs strings)
    frame[x] = frame[x].astype(str)
    wanted = set(trend[x].astype(str))
    aligned = frame[frame[x].isin(wanted)]
    return aligned if not aligned.empty else None
