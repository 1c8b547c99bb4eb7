"""What one app instance holds: the injected ChatBI, the app database and per-browser sessions.

Nothing here is module-global, so two apps in one process (tests, several models) never share
state. A browser session is keyed by a random id in a cookie; its conversation and recent
answers live in the shared state store (:mod:`dashboards.sessions`), so every worker process of
the server sees them and a worker's memory stays bounded however many people visit.
"""

from __future__ import annotations

import re
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .appdb import DashboardStore
from .sessions import Session, SessionStore

__all__ = ["AppContext", "SESSION_COOKIE", "new_session_id", "valid_session_id"]

SESSION_COOKIE = "chatbi_sid"
_SID = re.compile(r"^[0-9a-f]{32}$")


def new_session_id() -> str:
    return secrets.token_hex(16)


def valid_session_id(value: str | None) -> bool:
    return bool(value) and bool(_SID.match(value or ""))


@dataclass
class AppContext:
    """The services one app's callbacks use; passed explicitly to every page function."""

    chatbi: Any
    store: DashboardStore
    sessions: SessionStore
    default_language: str = "zh"
    #: the alert rules YAML shown on the Alerts page (None: no rules configured)
    alert_rules: Path | None = None
    #: sign-in (``dashboards.auth.Auth``) when the app runs with a security configuration
    auth: Any = None

    #: long work off the request threads (``dashboards.jobs.JobRunner``)
    jobs: Any = None
    #: the URL prefix the app is served under ("" at the root; "/bi" behind a proxy's /bi/)
    prefix: str = ""
    #: set once the app is built and warmed up (``/readyz``)
    ready: threading.Event = field(default_factory=threading.Event)

    def session(self, session_id: str) -> Session:
        return self.sessions.get(session_id)

    def href(self, path: str) -> str:
        """``path`` of the app (``/dashboards/3``) as the browser addresses it, under the prefix."""
        return (self.prefix + path) if path != "/" else (self.prefix + "/" if self.prefix else "/")

    def strip(self, pathname: str | None) -> str:
        """The browser's pathname without the prefix (``/bi/alerts`` -> ``/alerts``)."""
        path = pathname or "/"
        if self.prefix and (path == self.prefix or path.startswith(self.prefix + "/")):
            path = path[len(self.prefix):] or "/"
        return path

    def owner(self) -> str:
        """Whose dashboards this request may see: the signed-in user, or ``''`` without sign-in.

        Read from the principal of ``chatbi`` (as the Alerts page does); with sign-in on and no
        signed-in user that raises ``PermissionError`` rather than falling back to a shared owner.
        """
        principal = getattr(self.chatbi, "principal", None)
        return str(principal.user) if principal is not None else ""
