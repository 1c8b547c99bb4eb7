"""What one app instance holds: the injected ChatBI, the app database and per-browser sessions.

Nothing here is module-global, so two apps in one process (tests, several models) never share
state. A browser session is keyed by a random id in a cookie; its conversation and recent
answers live server-side in a bounded LRU so memory stays flat however many people visit.
"""

from __future__ import annotations

import re
import secrets
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .appdb import DashboardStore

__all__ = ["AppContext", "SessionState", "SessionStore", "SESSION_COOKIE", "new_session_id", "valid_session_id",
           "new_conversation"]

SESSION_COOKIE = "chatbi_sid"
_SID = re.compile(r"^[0-9a-f]{32}$")


def new_session_id() -> str:
    return secrets.token_hex(16)


def valid_session_id(value: str | None) -> bool:
    return bool(value) and bool(_SID.match(value or ""))


def new_conversation() -> Any:
    """A ``chatbi.Conversation`` when the translator provides one, else ``None``."""
    import chatbi

    factory = getattr(chatbi, "Conversation", None)
    return factory() if factory is not None else None


@dataclass
class SessionState:
    """One browser session: its conversation and the answers shown in its thread.

    ``lock`` serialises requests of the same session (a double click must not interleave two
    follow-ups on one conversation); different sessions run in parallel.
    """

    conversation: Any = None
    answers: OrderedDict[str, Any] = field(default_factory=OrderedDict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    #: answers kept per session (each holds its result frame; older ones show as "expired")
    max_answers: int = 30
    clicks: dict[str, int] = field(default_factory=dict)

    def add(self, answer: Any) -> str:
        """Keep ``answer`` (oldest dropped past ``max_answers``) and return its id."""
        answer_id = uuid.uuid4().hex[:12]
        with self.lock:
            self.answers[answer_id] = answer
            while len(self.answers) > self.max_answers:
                self.answers.popitem(last=False)
        return answer_id

    def get(self, answer_id: str | None) -> Any:
        with self.lock:
            return self.answers.get(answer_id or "")

    def fresh_click(self, key: str, n_clicks: Any) -> bool:
        """True once per real click of the button ``key``.

        Dash re-fires a callback with ``ALL`` inputs whenever matching buttons are added to the
        page, reporting buttons that were clicked long ago as triggered; counting the clicks
        seen per button tells a new click from such a replay.
        """
        if not isinstance(n_clicks, int) or n_clicks <= 0:
            return False
        with self.lock:
            if n_clicks <= self.clicks.get(key, 0):
                return False
            self.clicks[key] = n_clicks
            return True

    def forget_clicks(self) -> None:
        """The thread was rendered afresh: its buttons start counting from zero again."""
        with self.lock:
            self.clicks.clear()

    def history(self) -> list[tuple[str, Any]]:
        with self.lock:
            return list(self.answers.items())

    def reset(self) -> None:
        with self.lock:
            self.answers.clear()
            self.clicks.clear()
            self.conversation = new_conversation()


class SessionStore:
    """A bounded, thread-safe LRU of ``SessionState`` by session id."""

    def __init__(self, capacity: int = 200) -> None:
        self.capacity = capacity
        self._sessions: OrderedDict[str, SessionState] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session_id: str) -> SessionState:
        with self._lock:
            state = self._sessions.get(session_id)
            if state is None:
                state = SessionState(conversation=new_conversation())
                self._sessions[session_id] = state
                while len(self._sessions) > self.capacity:
                    self._sessions.popitem(last=False)
            else:
                self._sessions.move_to_end(session_id)
            return state

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)

    def __contains__(self, session_id: object) -> bool:
        with self._lock:
            return session_id in self._sessions


@dataclass
class AppContext:
    """The services one app's callbacks use; passed explicitly to every page function."""

    chatbi: Any
    store: DashboardStore
    sessions: SessionStore = field(default_factory=SessionStore)
    default_language: str = "zh"
    #: the alert rules YAML shown on the Alerts page (None: no rules configured)
    alert_rules: Path | None = None
    #: sign-in (``dashboards.auth.Auth``) when the app runs with a security configuration
    auth: Any = None

    def session(self, session_id: str) -> SessionState:
        return self.sessions.get(session_id)

    def owner(self) -> str:
        """Whose dashboards this request may see: the signed-in user, or ``''`` without sign-in.

        Read from the principal of ``chatbi`` (as the Alerts page does); with sign-in on and no
        signed-in user that raises ``PermissionError`` rather than falling back to a shared owner.
        """
        principal = getattr(self.chatbi, "principal", None)
        return str(principal.user) if principal is not None else ""
