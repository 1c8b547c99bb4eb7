"""Leaf-level root-cause localization in the format of the multi-dimensional RCA literature.

A frame with one row per leaf (every combination of the attribute columns), a real value and
a predicted value -- the layout of the Squeeze / RiskLoc / PSqueeze datasets -- goes in; the
root-cause combinations come out as ``[{"a": "a1", "c": "c3"}, ...]``.

>>> import pandas as pd
>>> frame = pd.DataFrame({"a": ["a1", "a1", "a2", "a2"] * 25, "b": ["b1", "b2"] * 50,
...                       "predict": [100.0] * 100})
>>> frame["real"] = frame["predict"].where(frame["a"] != "a2", 40.0)
>>> localize(frame, ["a", "b"])
[{'a': 'a2'}]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import ConfigError
from .search import Element, LeafTable, search

__all__ = ["localize", "localize_elements", "expected_numerator"]

Measure = str | tuple[str, str] | Sequence[str]


def expected_numerator(real_num: np.ndarray, real_den: np.ndarray, predict_num: np.ndarray,
                       predict_den: np.ndarray) -> np.ndarray:
    """What the numerator would have been at the predicted rate with the real denominator.

    A derived measure ``num / den`` is localized as an additive one: the actual numerator
    against ``real_den * predict_num / predict_den``. A change in the denominator alone
    then deviates nothing (the rate held); a change in the rate shows up in full. Leaves
    without a predicted denominator keep their predicted numerator.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(predict_den != 0, predict_num / predict_den, np.nan)
    return np.where(np.isfinite(rate), real_den * rate, predict_num)


def _columns(frame: pd.DataFrame, measure: Measure, role: str) -> tuple[str, ...]:
    names = (measure,) if isinstance(measure, str) else tuple(measure)
    if len(names) not in (1, 2):
        raise ConfigError(f"{role} must be a column name or a (numerator, denominator) pair, got {measure!r}")
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise ConfigError(f"{role} column(s) {missing} not in the frame; columns: {list(frame.columns)}")
    return names


def localize_elements(frame: pd.DataFrame, dimensions: Sequence[str], actual: Measure = "real",
                      expected: Measure = "predict", max_results: int = 5, *, max_layer: int = 3,
                      groups: Sequence[str] | None = None, **options: float) -> list[Element]:
    """Like :func:`localize` but returns :class:`~chatbi.analysis.search.Element` objects with
    the actual and expected totals, the explained deviation and the signal-to-noise of each."""
    dims = list(dimensions)
    missing = [d for d in dims if d not in frame.columns]
    if missing:
        raise ConfigError(f"dimension column(s) {missing} not in the frame; columns: {list(frame.columns)}")
    real = _columns(frame, actual, "actual")
    predict = _columns(frame, expected, "expected")
    if len(real) != len(predict):
        raise ConfigError("actual and expected must both be single columns or both (numerator, denominator) pairs")
    values = [frame[c].to_numpy(dtype=np.float64, na_value=np.nan) for c in (*real, *predict)]
    if len(real) == 1:
        v, f = values
    else:
        v = values[0]
        f = expected_numerator(values[0], values[1], values[2], values[3])
    table = LeafTable.from_columns([frame[d].to_numpy() for d in dims], dims, groups)
    return search(table, v, f, max_layer=max_layer, max_results=max_results, **options)


def localize(frame: pd.DataFrame, dimensions: Sequence[str], actual: Measure = "real",
             expected: Measure = "predict", max_results: int = 5, **options: float) -> list[dict[str, str]]:
    """Root-cause combinations of a leaf table, strongest first.

    ``actual`` / ``expected`` name the real and predicted value columns, or for a derived
    measure (a rate) ``(numerator, denominator)`` column pairs, e.g.
    ``actual=("real_a", "real_b"), expected=("predict_a", "predict_b")``. ``options`` are
    passed to :func:`chatbi.analysis.search.search` (``max_layer``, ``min_explained``,
    ``min_z``, ``min_share``).
    """
    return [e.as_dict() for e in localize_elements(frame, dimensions, actual, expected, max_results, **options)]
