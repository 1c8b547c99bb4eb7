"""The report as one self-contained HTML page: styles, charts and plotly.js inline, no network.

Charts are Plotly figures drawn in the browser from their JSON (each interactive, crisp in the PDF
that Chromium prints from the same page). ``plotlyjs="inline"`` embeds plotly.js once (about
4.6 MB, the price of a file that opens anywhere offline); the app passes a URL instead.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from .catalog import words
from .result import Bullets, Chart, Report, Table, Text, Tiles

__all__ = ["render_html", "figure_json", "plotly_js", "TEMPLATES"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
#: a chart's layout in the report: its own title stays, the size follows the page
_CHART_LAYOUT = {"autosize": True, "width": None, "paper_bgcolor": "rgba(0,0,0,0)"}
#: legends go under the plot: at the top right they collide with the title on a phone
_LEGEND = {"orientation": "h", "x": 0, "xanchor": "left", "yref": "container", "y": 0.01, "yanchor": "bottom"}


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """plotly.js as shipped with the installed plotly package (never fetched from a CDN)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined, autoescape=True,
                      trim_blocks=True, lstrip_blocks=True)
    env.globals.update(is_text=lambda b: isinstance(b, Text), is_bullets=lambda b: isinstance(b, Bullets),
                       is_tiles=lambda b: isinstance(b, Tiles), is_chart=lambda b: isinstance(b, Chart),
                       is_table=lambda b: isinstance(b, Table), ref_ranges=ref_ranges)
    return env


def ref_ranges(ids: Any) -> list[tuple[int, int]]:
    """Cited SQL numbers as runs: ``(8, 9, 10, 12)`` -> ``[(8, 10), (12, 12)]`` ([8–10] [12]).

    >>> ref_ranges((8, 9, 10, 12))
    [(8, 10), (12, 12)]
    """
    runs: list[tuple[int, int]] = []
    for i in sorted(set(ids)):
        if runs and i == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def figure_json(chart: Chart, height: int | None = None) -> Markup:
    """The figure as JSON safe inside ``<script type="application/json">`` (no ``</script>`` in it)."""
    import plotly.io as pio

    figure = chart.figure
    layout = {**_CHART_LAYOUT, "height": height or chart.height}
    if hasattr(figure, "to_plotly_json"):
        spec = json.loads(pio.to_json(figure, validate=False, engine="json"))
    else:
        spec = dict(figure)
    spec["layout"] = {**spec.get("layout", {}), **layout}
    spec["layout"].pop("width", None)
    if spec["layout"].get("showlegend") is not False and len(spec.get("data", [])) > 1:
        spec["layout"]["legend"] = {**spec["layout"].get("legend", {}), **_LEGEND}
        margin = spec["layout"].get("margin") or {}
        # room under the plot for the (rotated) tick labels and then the legend
        spec["layout"]["margin"] = {**margin, "b": max(int(margin.get("b", 50)), 110),
                                    "t": min(int(margin.get("t", 70)), 60)}
    text = json.dumps({"data": spec.get("data", []), "layout": spec["layout"]}, ensure_ascii=False,
                      separators=(",", ":"))
    return Markup(re.sub(r"</", r"<\\/", text))


def render_html(report: Report, *, plotlyjs: str = "inline", app_url: str | None = None,
                chart_scale: float = 1.0) -> str:
    """The page (see the module docstring); ``plotlyjs`` is ``"inline"`` or the URL of plotly.js.

    ``chart_scale`` shrinks chart heights (the PDF prints them smaller: fewer, fuller pages).
    """
    charts = [c for s in report.sections for c in s.charts()]
    script: Any
    if not charts:
        script = ""
    elif plotlyjs == "inline":
        script = Markup("<script>") + Markup(plotly_js().replace("</script", "<\\/script")) + Markup("</script>")
    else:
        script = Markup('<script src="{}"></script>').format(plotlyjs)
    css = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    heights = {c.key: max(200, round(c.height * chart_scale)) for c in charts}
    return _env().get_template("report.html.j2").render(
        report=report, w=words(report.language), css=Markup(css), plotly_script=script,
        figures={c.key: figure_json(c, heights[c.key]) for c in charts}, heights=heights,
        generated=report.generated.astimezone().strftime("%Y-%m-%d %H:%M"), app_url=app_url)
