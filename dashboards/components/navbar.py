"""The top bar: brand, page links and the 中文 / EN toggle. Collapses into a menu on a phone."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from ..i18n import t

__all__ = ["navbar"]


def navbar(pages: list[tuple[str, str]], lang: str, pathname: str | None, *, brand: str, extra: Any = None,
           home: str = "/") -> Any:
    """``pages`` are ``(path, i18n key)`` pairs; the current one is highlighted. ``extra`` goes last
    (the signed-in user and the sign-out button); ``home`` is the app's root (under its URL prefix)."""
    current = pathname or home
    links = [dbc.NavItem(dbc.NavLink(t(key, lang), href=path, active=_is_current(path, current, home),
                                     className="nav-page", id=f"nav-{key.split('.')[-1]}"))
             for path, key in pages]
    toggle = dbc.Button(t("lang.toggle", lang), id="lang-toggle", size="sm", color="light", outline=True,
                        title=t("lang.toggle.title", lang), className="lang-toggle ms-lg-3", n_clicks=0)
    return dbc.Navbar(dbc.Container([
        dbc.NavbarBrand([html.Span("◆", className="brand-mark"), brand], href=home, className="brand"),
        dbc.NavbarToggler(id="nav-toggler", n_clicks=0),
        dbc.Collapse(dbc.Nav([*links, dbc.NavItem(toggle, className="d-flex align-items-center"),
                              *([dbc.NavItem(extra)] if extra is not None else [])],
                             className="ms-auto align-items-lg-center", navbar=True),
                     id="nav-collapse", is_open=False, navbar=True),
    ], fluid="lg"), color="dark", dark=True, className="app-navbar mb-3", sticky="top")


def _is_current(path: str, current: str, home: str = "/") -> bool:
    if path == home:
        return current.rstrip("/") == home.rstrip("/")
    return current.startswith(path)
