"""``chatbi serve``: the web app under a production WSGI server (``dashboards.server``).

Everything a person can get wrong is checked in the main process, before any worker starts and
before anything says "serving": the port (busy, privileged, not this machine's), the model and the
warehouse, the security file, the state store URL and the URL prefix -- each a one-line error.
Then each worker process opens its own warehouse connection and builds and warms up its own app.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .cli_support import check_port_free, port_number
from .errors import ConfigError

__all__ = ["add_serve_command", "positive_int"]


def positive_int(text: str) -> int:
    """``--workers`` / ``--threads``: a whole number from 1 to 64."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError(f"{value} is out of range (1-64)")
    return value


def add_serve_command(sub: Any, add_source_args: Callable[[argparse.ArgumentParser], None]) -> None:
    serve = sub.add_parser("serve", help="start the web app (ask, dashboards, explorer, alerts)")
    add_source_args(serve)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=port_number, default=8050, help="port (default: 8050)")
    serve.add_argument("--app-db", type=Path, help="app database for dashboards, sessions and alerts "
                                                   "(default: app.sqlite3 in the ChatBI cache)")
    serve.add_argument("--state", help="where sessions, conversations, answers and the shared result cache live "
                                       "for all workers: the app database (default), postgresql://... or redis://...")
    serve.add_argument("--alert-rules", type=Path, help="alert rules YAML for the Alerts page "
                                                        "(default: $CHATBI_ALERT_RULES, or the sample's rules)")
    serve.add_argument("--workers", type=positive_int, help="worker processes (default: one per CPU)")
    serve.add_argument("--threads", type=positive_int, help="threads per worker (default: 4)")
    serve.add_argument("--root-path", default=os.environ.get("CHATBI_ROOT_PATH", ""),
                       help="URL prefix when a reverse proxy serves the app below a path, e.g. /bi")
    serve.add_argument("--dev", action="store_true", help="Flask's development server with the code reloader "
                                                          "(one process; not for production)")
    serve.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)  # the old name of --dev
    serve.set_defaults(func=cmd_serve)


def _root_path(text: str) -> str:
    clean = (text or "").strip()
    if clean in ("", "/"):
        return ""
    if not re.fullmatch(r"/?[A-Za-z0-9._~\-/]+", clean) or "//" in clean or ".." in clean:
        raise ConfigError(f"--root-path {clean!r} is not a URL path; use letters, digits and '/', e.g. --root-path /bi")
    return "/" + clean.strip("/")


def cmd_serve(args: argparse.Namespace) -> int:
    check_port_free(args.host, args.port)  # before minutes of warm-up, and before saying "serving"
    from .cli import open_chatbi
    from .state import state_url_problem

    prefix = _root_path(args.root_path)
    if args.state and state_url_problem(args.state):
        raise ConfigError(f"--state: {state_url_problem(args.state)}")
    from dashboards import create_app
    from dashboards.app import wsgi_app

    bi = open_chatbi(args)  # the model, the warehouse, the sample: checked here, once, with one-line errors
    rules = args.alert_rules or os.environ.get("CHATBI_ALERT_RULES")
    if rules is None and args.model is None and args.database is None:
        from sample_data import TELECOM_DIR

        rules = TELECOM_DIR / "alerts.yaml"  # the sample's rules go with the sample warehouse
    from .security.cli import open_security

    # --security / $CHATBI_SECRET_KEY: sign-in, each user sees their own rows and masked columns
    security = open_security(args.security, bi.model)
    _check_state(args.state, args.app_db)

    def build(chatbi: Any) -> Any:
        app = create_app(chatbi, app_db=args.app_db, state=args.state, warm=True, alert_rules=rules,
                         security=security, root_path=prefix)
        return wsgi_app(app)

    url = f"http://{_host_in_url(args.host)}:{args.port}{prefix}/"
    if args.dev or args.debug:
        app = create_app(bi, app_db=args.app_db, state=args.state, warm=True, alert_rules=rules, security=security,
                         root_path=prefix)
        check_port_free(args.host, args.port)  # still free after the warm-up?
        print(f"ChatBI is serving on {url} (development server with reloader; Ctrl+C to stop)", file=sys.stderr)
        if prefix:
            from werkzeug.serving import run_simple

            run_simple(args.host, args.port, wsgi_app(app), use_reloader=True, use_debugger=False, threaded=True)
        else:
            app.run(host=args.host, port=args.port, debug=True)
        return 0

    from dashboards.server import ServerOptions, default_threads, default_workers, preload_modules, serve, server_kind

    try:
        kind = server_kind()
    except ImportError as exc:
        raise ConfigError(str(exc)) from None
    opened: list[Any] = []  # in a worker process: the ChatBI it opened

    def close_worker() -> None:
        while opened:
            opened.pop().close()

    options = ServerOptions(args.host, args.port, args.workers or default_workers(),
                            args.threads or default_threads(),
                            on_ready=lambda how: print(f"ChatBI is serving on {url} ({how}; Ctrl+C to stop)",
                                                       file=sys.stderr, flush=True),
                            on_worker_exit=close_worker)
    if kind == "gunicorn":
        bi.close()  # each worker process opens its own connection after the fork
        preload_modules()

        def factory() -> Any:
            opened.append(open_chatbi(args))
            return build(opened[-1])
    else:
        def factory() -> Any:
            return build(bi)

    check_port_free(args.host, args.port)  # still free?
    return serve(factory, options)


def _check_state(state: str | None, app_db: Path | None) -> None:
    """Open the state store once here, so an unreachable one is a one-line error, not a worker crash."""
    from .state import open_state

    store = open_state(state or app_db) if state or app_db else open_state()
    try:
        store.ping()
    finally:
        store.close()


def _host_in_url(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
