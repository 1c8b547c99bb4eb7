"""Charts: a deterministic Plotly figure for every result, labelled in the question's language.

Plotly is imported only here (and in ``dashboards/``). Nothing here runs model-written code: the
chart is chosen by :func:`select_chart` from the query's shape and the result frame.
"""

from __future__ import annotations

from .export import export_image, export_session, find_browser
from .figures import build_figure
from .formatting import format_bucket, format_change, format_period, format_value
from .selection import ChartKind, ChartSpec, select_chart
from .special import anomaly_chart, waterfall

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
