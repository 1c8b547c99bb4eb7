"""Request helpers shared by the pages' callback wrappers (never by the plain action functions)."""

from __future__ import annotations

from typing import Any

import dash
import flask

from ..context import SESSION_COOKIE, new_session_id, valid_session_id
from ..proxy import cookie_secure

__all__ = ["current_session_id", "triggered_value", "fresh_click", "ensure_session_cookie", "set_session_cookie"]


def current_session_id() -> str:
    """This browser's session id: the cookie, or a new one minted for this request."""
    if "chatbi_sid" not in flask.g:
        cookie = flask.request.cookies.get(SESSION_COOKIE)
        flask.g.chatbi_sid = cookie if valid_session_id(cookie) else new_session_id()
        flask.g.chatbi_sid_new = not valid_session_id(cookie)
    return str(flask.g.chatbi_sid)


def ensure_session_cookie() -> None:
    """``before_request`` hook: every request knows its session id."""
    current_session_id()


def set_session_cookie(response: flask.Response) -> flask.Response:
    """``after_request`` hook: hand a newly minted id to the browser (a session cookie, HttpOnly)."""
    if flask.g.get("chatbi_sid_new"):
        response.set_cookie(SESSION_COOKIE, flask.g.chatbi_sid, httponly=True, samesite="Lax", secure=cookie_secure())
    return response


def triggered_value() -> Any:
    """The new value of the input that fired (``None``/0 when a component merely appeared)."""
    triggered = dash.ctx.triggered
    return triggered[0].get("value") if triggered else None


def fresh_click(state: Any) -> bool:
    """Whether the input that fired is a new click (see ``SessionState.fresh_click``)."""
    triggered = dash.ctx.triggered
    if not triggered:
        return False
    first = triggered[0]
    return bool(state.fresh_click(str(first.get("prop_id")), first.get("value")))
