"""``create_app(chatbi)``: the Dash app around one injected ChatBI.

The shell is a top bar, a language store and a page container; a router callback renders the
page for the URL in the chosen language. Pages come from the explicit registry in
:mod:`dashboards.pages` (see there why not ``use_pages``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import dash
import dash_bootstrap_components as dbc
import flask
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from .appdb import DashboardStore
from .components.chart import preload
from .components.navbar import navbar
from .context import AppContext
from .health import install_health
from .i18n import LANGUAGES, preferred_language, t
from .pages import Page, pages, resolve
from .pages._session import ensure_session_cookie, set_session_cookie
from .sessions import DEFAULT_CACHE_BYTES, SessionStore

__all__ = ["create_app", "shell", "render", "warm_up", "wsgi_app", "ASSETS_DIR", "MAX_REQUEST_BYTES"]

ASSETS_DIR = Path(__file__).resolve().parent / "assets"
#: the largest request body the app reads (Dash callbacks send a few kilobytes; SQL is at most 100 000 characters)
MAX_REQUEST_BYTES = 2 * 1024 * 1024


def create_app(chatbi: Any, *, app_db: str | os.PathLike[str] | DashboardStore | None = None,
               state: Any = None, title: str | None = None, warm: bool = False,
               alert_rules: str | os.PathLike[str] | None = None, security: Any = None,
               audit: Any = None, root_path: str = "/", answer_cache_bytes: int = DEFAULT_CACHE_BYTES,
               max_request_bytes: int = MAX_REQUEST_BYTES) -> dash.Dash:
    """A Dash app serving ``chatbi``.

    ``app_db`` is the app database (dashboards) — a path, a ``DashboardStore``, or ``None`` for
    ``app.sqlite3`` in the ChatBI cache directory. ``state`` is where browser sessions, their
    conversations and answers, and the progress of long work are kept so that every worker process
    sees them: a ``chatbi.state.StateStore``, a ``postgresql://`` or ``redis://`` URL, or ``None``
    for the app database (SQLite, WAL mode). ``answer_cache_bytes`` bounds the answers a worker
    keeps decoded in memory. ``warm`` reads the warehouse metadata and answers one example now, so
    the first visitor does not wait for it (``/readyz`` says ready once it is done).
    ``alert_rules`` is the alert rules YAML listed on the Alerts page (default: $CHATBI_ALERT_RULES).
    ``security`` (a ``chatbi.security.Security``) requires sign-in and shows each user their own rows
    and masked columns (:mod:`dashboards.auth`); ``audit`` is the ``chatbi.security.AuditLog``
    (default: the app database's when ``security`` is given). ``root_path`` is the URL prefix the
    app is served under behind a reverse proxy (``/bi``); serve :func:`wsgi_app` of the result.
    A request body larger than ``max_request_bytes`` is refused (413) before it is read.
    """
    from chatbi.state import open_state
    from chatbi.state.records import answer_from_record

    from .jobs import JobRunner

    store = app_db if isinstance(app_db, DashboardStore) else DashboardStore(app_db)
    default_language = getattr(chatbi.model.spec, "default_language", "en")
    rules = alert_rules if alert_rules is not None else os.environ.get("CHATBI_ALERT_RULES") or None
    shared = state if state is not None and not isinstance(state, (str, os.PathLike)) else \
        open_state(state if state is not None else store.path)
    prefix = "/" + root_path.strip("/") if root_path and root_path.strip("/") else ""
    ctx = AppContext(chatbi=chatbi, store=store, default_language=default_language,
                     sessions=SessionStore(shared, rehydrate=lambda record: answer_from_record(record, chatbi),
                                           cache_bytes=answer_cache_bytes),
                     alert_rules=Path(rules) if rules else None, prefix=prefix)
    ctx.jobs = JobRunner(ctx)
    registry = pages()
    app = dash.Dash(
        __name__, assets_folder=str(ASSETS_DIR), suppress_callback_exceptions=True, update_title=None,
        title=title or t("app.title", default_language), serve_locally=True,
        requests_pathname_prefix=prefix + "/", routes_pathname_prefix="/",
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    # werkzeug refuses a larger body (413) from its Content-Length, or stops reading a chunked one
    app.server.config["MAX_CONTENT_LENGTH"] = max_request_bytes
    app.server.before_request(ensure_session_cookie)
    app.server.after_request(set_session_cookie)
    app.server.after_request(_worker_header)
    install_health(app, ctx)
    if security is not None:
        from chatbi.security import AuditLog

        from .auth import install_auth

        install_auth(app, ctx, security, audit if audit is not None else AuditLog(store.path))
    app.layout = lambda: shell(ctx)
    _register_shell(app, ctx, registry)
    for page in registry:
        page.register(app, ctx)
    app.chatbi_context = ctx  # type: ignore[attr-defined]  # for tests and embedding
    if warm:
        warm_up(chatbi)
    ctx.ready.set()
    return app


def _worker_header(response: flask.Response) -> flask.Response:
    """Which worker process answered (operators reading logs and the multi-worker tests)."""
    response.headers["X-ChatBI-Worker"] = str(os.getpid())
    return response


def wsgi_app(app: dash.Dash) -> Any:
    """The WSGI callable to serve: the Flask server, mounted under the app's prefix when it has one
    (``/healthz`` and ``/readyz`` answer at the root too, for the proxy's and orchestrator's probes)."""
    ctx: AppContext = app.chatbi_context
    if not ctx.prefix:
        return app.server
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from .health import root_app

    return DispatcherMiddleware(root_app(app, ctx), {ctx.prefix: app.server})


def warm_up(chatbi: Any) -> None:
    """Load what the first question would otherwise load (member index, time anchor, translator)."""
    try:
        chatbi.members, chatbi.anchor  # noqa: B018 - cached properties, read for their side effect
        examples = getattr(chatbi.model.spec, "examples", ())
        if examples and hasattr(chatbi, "ask"):
            chatbi.ask(examples[0])
    except Exception:  # noqa: BLE001 - a cold start is slower, not broken; the first question reports errors
        pass


def shell(ctx: AppContext) -> Any:
    """The page frame. The initial language comes from the browser's Accept-Language header;
    the stored choice (local storage) wins once the user has toggled."""
    header = flask.request.headers.get("Accept-Language") if flask.has_request_context() else None
    lang = preferred_language(header, default=ctx.default_language)
    return html.Div([
        dcc.Location(id="url", refresh=False),
        dcc.Store(id="lang", storage_type="local", data=lang),
        dcc.Store(id="lang-sink"),
        html.Div(id="navbar"),
        dbc.Container(id="page", fluid="lg", className="page-container pb-5"),
        preload(),
    ], className="app-root")


def render(ctx: AppContext, registry: tuple[Page, ...], pathname: str | None, search: str | None, lang: str,
           session_id: str) -> tuple[Any, Any]:
    """The navbar and the page for a URL (a plain function: the router callback and tests call it)."""
    lang = lang if lang in LANGUAGES else ctx.default_language
    path = ctx.strip(pathname)
    page, rest = resolve(path, registry)
    nav_pages = [(ctx.href(p.path), p.title_key) for p in registry]
    brand = t("app.title", lang)
    bar = navbar(nav_pages, lang, ctx.href(path), brand=brand, home=ctx.href("/"),
                 extra=ctx.auth.user_menu(lang) if getattr(ctx, "auth", None) is not None else None)
    if page is None:
        return bar, html.Div(t("notfound", lang), className="text-muted p-4")
    params = dict(parse_qsl((search or "").lstrip("?")))
    params["rest"] = rest
    return bar, page.layout(ctx, lang, session_id, params)


def _register_shell(app: dash.Dash, ctx: AppContext, registry: tuple[Page, ...]) -> None:
    from .pages._session import current_session_id

    @app.callback(Output("navbar", "children"), Output("page", "children"),
                  Input("url", "pathname"), Input("lang", "data"), State("url", "search"))
    def _route(pathname: str | None, lang: str | None, search: str | None) -> tuple[Any, Any]:
        return render(ctx, registry, pathname, search, lang or ctx.default_language, current_session_id())

    @app.callback(Output("lang", "data"), Input("lang-toggle", "n_clicks"), State("lang", "data"),
                  prevent_initial_call=True)
    def _toggle_language(clicks: int | None, lang: str | None) -> str:
        if not clicks:
            raise PreventUpdate
        return "en" if lang == "zh" else "zh"

    @app.callback(Output("nav-collapse", "is_open"), Input("nav-toggler", "n_clicks"),
                  State("nav-collapse", "is_open"), prevent_initial_call=True)
    def _toggle_menu(clicks: int | None, is_open: bool | None) -> bool:
        if not clicks:
            raise PreventUpdate
        return not is_open

    # keep <html lang> in step so screen readers and fonts pick the right language
    app.clientside_callback(
        "function(lang) { document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';"
        " return window.dash_clientside.no_update; }",
        Output("lang-sink", "data"), Input("lang", "data"))
