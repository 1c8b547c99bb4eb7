"""What a trusted reverse proxy may tell the app: the client's scheme (HTTPS) and address.

``X-Forwarded-Proto`` and ``X-Forwarded-For`` can be sent by anyone, so they count only on
requests whose peer is one of the configured ``trusted_proxies``. With them the app marks its
cookies ``Secure`` behind a TLS-terminating proxy, and counts failed sign-ins per real client,
not per proxy (behind a proxy every client has the proxy's address).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

import flask
from flask.sessions import SecureCookieSessionInterface

__all__ = ["Proxies", "ForwardedProto", "SessionInterface", "cookie_secure", "SECURE_COOKIES_KEY"]

#: Flask config key holding the cookie mode (auto / always / never)
SECURE_COOKIES_KEY = "CHATBI_SECURE_COOKIES"

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Proxies:
    """The trusted proxy networks."""

    def __init__(self, addresses: Iterable[str]) -> None:
        self.networks: tuple[_Network, ...] = tuple(ipaddress.ip_network(a, strict=False) for a in addresses)

    def trusted(self, addr: str | None) -> bool:
        try:
            ip = ipaddress.ip_address((addr or "").strip())
        except ValueError:
            return False
        return any(ip in net for net in self.networks)

    def client(self, peer: str | None, forwarded_for: str | None) -> str:
        """The client address: the last address in ``X-Forwarded-For`` no trusted proxy added."""
        if not forwarded_for or not self.trusted(peer):
            return peer or "?"
        hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
        for hop in reversed(hops):
            if not self.trusted(hop):
                return hop[:64]
        return hops[0][:64] if hops else (peer or "?")


class ForwardedProto:
    """WSGI middleware: ``X-Forwarded-Proto: https`` from a trusted proxy makes the request HTTPS."""

    def __init__(self, app: Callable[..., Any], proxies: Proxies) -> None:
        self.app = app
        self.proxies = proxies

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        proto = environ.get("HTTP_X_FORWARDED_PROTO", "")
        if proto and self.proxies.trusted(environ.get("REMOTE_ADDR")):
            # a chain of proxies lists one scheme each; the first is what the client used
            first = proto.split(",")[0].strip().lower()
            if first in ("http", "https"):
                environ["wsgi.url_scheme"] = first
        return self.app(environ, start_response)


def cookie_secure() -> bool:
    """Whether cookies set now get the ``Secure`` flag (the app's mode and this request's scheme)."""
    mode = flask.current_app.config.get(SECURE_COOKIES_KEY, "auto") if flask.has_app_context() else "auto"
    if mode in ("always", "never"):
        return mode == "always"
    return bool(flask.has_request_context() and flask.request.is_secure)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions with ``Secure`` decided per request (see :func:`cookie_secure`)."""

    def get_cookie_secure(self, app: flask.Flask) -> bool:
        return cookie_secure()
