"""The Reports page's server side: built reports cached per viewer, the preview and download routes,
and pinned report cards on dashboards.

Routes (under the app's sign-in, so every report is built with the signed-in user's view):
``/reports/view`` (the HTML shown in the preview frame, plotly.js from ``/reports/plotly.js``) and
``/reports/download?format=html|pdf`` (a self-contained file). A report takes seconds to build;
the cache keeps the last few per viewer, spec, period, language and data date.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from typing import Any
from urllib.parse import urlencode

import flask

from chatbi.reports.catalog import say

from ..context import AppContext

__all__ = ["ReportCache", "cache_for", "install_routes", "report_query", "run_report_card", "is_report_card",
           "pin_json", "PLOTLY_URL"]

PLOTLY_URL = "/reports/plotly.js"
_TTL_S = 600.0


class ReportCache:
    """The last ``size`` reports built, by (viewer, spec, period, language, data date); one build per key."""

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, ...], tuple[float, Any]] = OrderedDict()
        self._building: dict[tuple[str, ...], threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, ctx: AppContext, spec: str | None, period: str | None, lang: str, scope: str | None = None) -> Any:
        """``scope``: the report's members as :func:`chatbi.reports.scope.scope_text` writes them."""
        from chatbi.reports.scope import parse_scope_text

        bi = ctx.chatbi  # the signed-in user's view under sign-in
        key = (ctx.owner(), spec or "default", period or "latest", lang, str(bi.anchor), scope or "")
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and time.monotonic() - hit[0] < _TTL_S:
                self._items.move_to_end(key)
                return hit[1]
            building = self._building.setdefault(key, threading.Lock())
        with building:  # a second request for the same report waits for the first build
            with self._lock:
                hit = self._items.get(key)
                if hit is not None and time.monotonic() - hit[0] < _TTL_S:
                    return hit[1]
            report = bi.report(spec or None, period=period or None, language=lang,
                               scope=parse_scope_text(scope) or None)
            with self._lock:
                self._items[key] = (time.monotonic(), report)
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
                self._building.pop(key, None)
        return report


def report_query(spec: str | None, period: str | None, lang: str, scope: str | None = None, **extra: str) -> str:
    args = {"spec": spec or "default", "period": period or "latest", "lang": lang}
    if scope:
        args["scope"] = scope
    return urlencode({**args, **extra})


def _args() -> tuple[str | None, str | None, str, str | None]:
    args = flask.request.args
    spec = args.get("spec") or None
    period = args.get("period") or None
    lang = "en" if args.get("lang") == "en" else "zh"
    return (None if spec == "default" else spec), (None if period == "latest" else period), lang, args.get("scope")


def _error_page(message: str, lang: str) -> flask.Response:
    from markupsafe import escape

    body = (f'<!doctype html><html lang="{lang}"><meta charset="utf-8"><body style="font-family:sans-serif;'
            f'padding:2rem;color:#c0392b">{escape(message)}</body></html>')
    return flask.Response(body, status=400, mimetype="text/html")


def install_routes(app: Any, ctx: AppContext) -> None:
    from chatbi.errors import ChatBIError
    from chatbi.reports.html import plotly_js, render_html
    from semantic_layer import SemanticLayerError

    cache = cache_for(ctx)
    server = app.server
    expected = (ChatBIError, SemanticLayerError, ValueError, PermissionError)

    def plotly() -> flask.Response:
        response = flask.Response(plotly_js(), mimetype="application/javascript")
        response.headers["Cache-Control"] = "public, max-age=86400"
        return response

    def view() -> flask.Response:
        spec, period, lang, scope = _args()
        try:
            report = cache.get(ctx, spec, period, lang, scope)
        except expected as exc:
            return _error_page(str(exc), lang)
        return flask.Response(render_html(report, plotlyjs=PLOTLY_URL), mimetype="text/html")

    def download() -> flask.Response:
        spec, period, lang, scope = _args()
        kind = flask.request.args.get("format", "html")
        if kind not in ("html", "pdf"):
            return _error_page(f"format must be html or pdf, not {kind!r}", lang)
        try:
            report = cache.get(ctx, spec, period, lang, scope)
            data = report.to_pdf() if kind == "pdf" else report.to_html().encode("utf-8")
        except expected as exc:
            return _error_page(str(exc), lang)
        name = f"{report.name}-{report.period[0].isoformat()}.{kind}"
        response = flask.Response(data, mimetype="application/pdf" if kind == "pdf" else "text/html")
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    server.add_url_rule(PLOTLY_URL, "chatbi_report_plotly", plotly)
    server.add_url_rule("/reports/view", "chatbi_report_view", view)
    server.add_url_rule("/reports/download", "chatbi_report_download", download)


# -- report cards on dashboards ---------------------------------------------------------------------
def pin_json(spec: str | None, period: str | None, scope: str | None = None) -> str:
    """What a pinned report card stores: which report, which period ("latest" follows the data), whose members."""
    pinned = {"report": spec or "default", "period": period or "latest"}
    if scope:
        pinned["scope"] = scope
    return json.dumps(pinned, ensure_ascii=False)


def cache_for(ctx: AppContext) -> ReportCache:
    """The app's report cache (one per app: nothing is shared between two apps in one process)."""
    cache = getattr(ctx, "_report_cache", None)
    if cache is None:
        cache = ReportCache()
        setattr(ctx, "_report_cache", cache)  # noqa: B010 - AppContext is the app's state holder
    return cache


def is_report_card(card: Any) -> bool:
    return bool(card.query_json) and card.query_json.lstrip().startswith('{"report"')


def run_report_card(ctx: AppContext, card: Any) -> Any:
    """A pinned report as a dashboard card: its highlights and its first chart."""
    from chatbi import Answer

    pinned = json.loads(card.query_json)
    spec = None if pinned.get("report") == "default" else pinned.get("report")
    period = None if pinned.get("period") == "latest" else pinned.get("period")
    lang = card.language if card.language in ("zh", "en") else "zh"
    report = cache_for(ctx).get(ctx, spec, period, lang, pinned.get("scope"))
    charts = [c for s in report.sections for c in s.charts()]
    first = charts[0].figure if charts else None
    return Answer(status="ok", question=card.title, language=lang, intent="report",
                  text=say("ask.text", lang, title=report.title, period=report.period_label,
                           summary=say("ask.sep", lang).join(report.summary[:3])),
                  figure_factory=(lambda: first) if first is not None else None)
