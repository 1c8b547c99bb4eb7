"""The one way the app puts a figure on a page: a chart box with an explicit height.

Why a box: ``dcc.Graph`` with a responsive config fills its parent and ignores the figure's own
height, so a graph in a container without a height collapses (dashboard cards drew 53 px tall
charts that spilled onto the card below). Every chart therefore sits in a box whose height is
fixed in pixels from the figure's height (every figure from ``chatbi.charts`` carries one), capped
per container; a taller figure (one row per member of a long ranking) keeps its full height and
the box scrolls. Width stays responsive, so a resize or a phone only changes the width.

Until plotly has drawn the figure the box shows a spinner (pure CSS: ``.chart-box`` without an
``svg.main-svg`` inside), so a first chart that waits for plotly.js is never a blank gap.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from dash import dcc, html

from ..i18n import t

__all__ = ["CAPS", "GRAPH_CONFIG", "MIN_HEIGHT", "box_class", "box_styles", "chart_box", "figure_height", "preload"]

GRAPH_CONFIG = {"displaylogo": False, "responsive": True,
                "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d", "toggleSpikelines"]}
#: a figure never gets less than this (a KPI included): the layout tests hold every chart to 250 px
MIN_HEIGHT = 280
DEFAULT_HEIGHT = 400
#: the most a container shows before its chart box scrolls (None: the figure's full height)
CAPS: dict[str, int | None] = {"ask": 640, "card": 460, "explore": None, "report": 560}


def figure_height(figure: Any) -> int:
    """The figure's own height in pixels (``DEFAULT_HEIGHT`` when it names none), at least ``MIN_HEIGHT``."""
    height = None
    if isinstance(figure, go.Figure):
        height = figure.layout.height
    elif isinstance(figure, dict):
        height = (figure.get("layout") or {}).get("height")
    try:
        value = int(height) if height is not None else DEFAULT_HEIGHT
    except (TypeError, ValueError):
        value = DEFAULT_HEIGHT
    return max(MIN_HEIGHT, value)


def box_styles(figure: Any, container: str = "ask") -> tuple[dict[str, str], dict[str, str]]:
    """(the box's style, the graph's style) for ``figure`` in ``container``; a callback that replaces a
    figure sends both, so the box always has the height of what it shows."""
    height = figure_height(figure)
    if isinstance(figure, go.Figure) and figure.layout.height != height:
        figure.update_layout(height=height)
    cap = CAPS.get(container)
    shown = height if cap is None else min(height, cap)
    return ({"height": f"{shown}px", "overflowY": "auto" if shown < height else "hidden"},
            {"height": f"{height}px"})


def box_class(container: str, *, loading: bool = False) -> str:
    return f"chart-box chart-{container}" + (" chart-loading" if loading else "")


def chart_box(figure: Any, lang: str, *, container: str = "ask", graph_id: Any = None, box_id: Any = None,
              class_name: str = "", config: dict[str, Any] | None = None, loading: bool = False) -> html.Div:
    """``figure`` in a box of explicit height for ``container`` (``ask``, ``card``, ``explore``, ``report``).

    ``loading`` marks a placeholder that a callback will replace (the box shows the spinner until
    the callback sets its class to :func:`box_class` without it)."""
    box_style, graph_style = box_styles(figure, container)
    graph_kwargs: dict[str, Any] = {"figure": figure, "config": config or GRAPH_CONFIG, "responsive": True,
                                    "style": graph_style, "className": class_name or "chart-graph"}
    if graph_id is not None:
        graph_kwargs["id"] = graph_id
    box_kwargs: dict[str, Any] = {"id": box_id} if box_id is not None else {}
    box_kwargs["data-loading"] = t("chart.loading", lang)  # data-* attributes are keyword arguments
    return html.Div(dcc.Graph(**graph_kwargs), className=box_class(container, loading=loading), style=box_style,
                    **box_kwargs)


def preload() -> Any:
    """An invisible graph in the page shell: the browser fetches and parses plotly.js while the user
    reads the page and types, instead of after the first answer has arrived."""
    return html.Div(dcc.Graph(id="plotly-preload", figure={"data": [], "layout": {"height": 10, "width": 10}},
                              config={"staticPlot": True}, style={"height": "10px", "width": "10px"}),
                    className="plotly-preload", **_HIDDEN)


#: an HTML attribute whose name is no Python identifier goes in as ``**`` (typed loosely, as dash's are)
_HIDDEN: dict[str, Any] = {"aria-hidden": "true"}
