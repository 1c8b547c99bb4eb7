"""``/healthz`` (the process answers) and ``/readyz`` (it can serve questions) for proxies and orchestrators.

``/healthz`` is liveness: 200 as long as the worker answers HTTP at all. ``/readyz`` is readiness:
200 only once the app was built and warmed up (member index, time anchor, a first question), the
shared state store answers and the warehouse's data version could be read; otherwise 503 with the
checks that failed, so a load balancer sends no traffic to a worker that would make people wait or
fail. Both answer without sign-in, never show data, and are also served at the root when the app
lives under a URL prefix (``--root-path``).
"""

from __future__ import annotations

from typing import Any

import flask

from .context import AppContext

__all__ = ["install_health", "root_app", "HEALTH_PATHS"]

HEALTH_PATHS = ("/healthz", "/readyz")


def _healthz() -> Any:
    return flask.jsonify(status="ok")


def readiness(ctx: AppContext) -> tuple[dict[str, Any], int]:
    """The readiness checks and the HTTP status they add up to."""
    checks: dict[str, str] = {"warm": "ok" if ctx.ready.is_set() else "starting"}
    try:
        ctx.sessions.state.ping()
        checks["state"] = "ok"
    except Exception as exc:  # noqa: BLE001 - reported, not raised: this is the health endpoint
        checks["state"] = f"unavailable: {type(exc).__name__}"
    probe = getattr(getattr(ctx.chatbi, "base", None) or ctx.chatbi, "data_version", None)
    if callable(probe):
        try:
            checks["warehouse"] = "unavailable" if probe() == "unavailable" else "ok"
        except Exception as exc:  # noqa: BLE001
            checks["warehouse"] = f"unavailable: {type(exc).__name__}"
    ok = all(v == "ok" for v in checks.values())
    return {"status": "ready" if ok else "not ready", "checks": checks}, 200 if ok else 503


def install_health(app: Any, ctx: AppContext) -> None:
    server = app.server
    server.add_url_rule("/healthz", "chatbi_healthz", _healthz)

    def readyz() -> Any:
        body, status = readiness(ctx)
        return flask.jsonify(body), status

    server.add_url_rule("/readyz", "chatbi_readyz", readyz)


def root_app(app: Any, ctx: AppContext) -> Any:
    """A tiny WSGI app for the root of a prefixed deployment: the probes, and a redirect from ``/``
    to the app's prefix; everything else is 404."""
    root = flask.Flask("chatbi_root")
    root.add_url_rule("/healthz", "healthz", _healthz)

    def readyz() -> Any:
        body, status = readiness(ctx)
        return flask.jsonify(body), status

    root.add_url_rule("/readyz", "readyz", readyz)
    root.add_url_rule("/", "home", lambda: flask.redirect(ctx.prefix + "/"))
    return root
