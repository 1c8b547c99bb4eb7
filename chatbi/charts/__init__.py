"""Charts: a deterministic Plotly figure for every result, labelled in the question's language.

Plotly is imported only here (and in ``dashboards/``), and only when a figure is asked for: the
number layer (:mod:`.numbers`) and the labels (:mod:`.formatting`) serve the CLI, the narrative
and the mailer without loading plotly. Nothing here runs model-written code: the chart is chosen
by :func:`select_chart` from the query's shape and the result frame.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .formatting import format_bucket, format_change, format_period, format_value
from .selection import ChartKind, ChartSpec, select_chart

__all__ = [
    "ChartKind",
    "ChartSpec",
    "anomaly_chart",
    "build_figure",
    "export_image",
    "export_session",
    "find_browser",
    "format_bucket",
    "format_change",
    "format_period",
    "format_value",
    "select_chart",
    "waterfall",
]

_LAZY = {"build_figure": ".figures", "anomaly_chart": ".special", "waterfall": ".special",
         "export_image": ".export", "export_session": ".export", "find_browser": ".export"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value
