"""The app's pages, as an explicit registry instead of ``dash.register_page``.

Why not ``use_pages=True``: Dash pages register callbacks through the global ``dash.callback``
list, which the *first* app to start consumes; a second app in the same process (tests, two
models on one server) would silently get none, and page modules would have to reach the
ChatBI through a global. Here each page exposes a ``layout(ctx, lang, session_id, params)``
and a ``register(app, ctx)`` that binds its callbacks to one app instance, so the service is
injected and nothing is shared between apps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Page", "pages", "resolve"]


@dataclass(frozen=True)
class Page:
    path: str
    #: i18n key of the page's name (navbar, document title)
    title_key: str
    layout: Callable[[Any, str, str, Mapping[str, str]], Any]
    register: Callable[[Any, Any], None]
    #: also serve paths below ``path`` (``/dashboards/3``)
    prefix: bool = False


def pages() -> tuple[Page, ...]:
    from . import alerts, ask, dashboards, explore, reports

    return (ask.PAGE, dashboards.PAGE, explore.PAGE, reports.PAGE, alerts.PAGE)


def resolve(pathname: str | None, registry: tuple[Page, ...]) -> tuple[Page | None, str]:
    """The page serving ``pathname`` and the rest of the path below it (``"3"`` for ``/dashboards/3``)."""
    path = (pathname or "/").rstrip("/") or "/"
    for page in registry:
        if path == page.path:
            return page, ""
        if page.prefix and page.path != "/" and path.startswith(page.path + "/"):
            return page, path[len(page.path) + 1:]
    return None, ""
