"""Running the app under a production WSGI server: gunicorn on POSIX, waitress elsewhere.

``serve(factory, ...)`` takes a *factory* rather than an app: every gunicorn worker is a process
of its own that opens its own warehouse connection, builds the app and warms it up (member index,
time anchor, one example question) **before** it accepts its first connection, so a request is
never served cold and a worker that is still warming up simply is not asked. Python modules are
imported once in the master process before the workers fork, so their memory is shared.

Workers and threads default to the machine: one worker process per CPU (several questions compute
in parallel; Python runs one thread at a time per process) and :data:`THREADS_PER_WORKER` threads
in each (a thread waiting on the warehouse or the network lets another run). Anything that must be
the same for every worker -- conversations, answers, progress of long work, the result cache's
shared tier -- lives in the app database (:mod:`dashboards.sessions`), never in one worker's memory.

waitress (Windows, or where gunicorn cannot be imported) runs one process with ``workers x
threads`` threads.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["ServerOptions", "serve", "default_workers", "default_threads", "server_kind", "preload_modules",
           "THREADS_PER_WORKER"]

log = logging.getLogger("chatbi.serve")

#: threads per worker process unless ``--threads`` says otherwise
THREADS_PER_WORKER = 4
#: most worker processes chosen automatically (each holds its own warehouse metadata and caches)
MAX_AUTO_WORKERS = 8
#: seconds a worker may be silent before the master replaces it; warm-up keeps it talking
WORKER_TIMEOUT_S = 120

WSGIApp = Callable[..., Any]


def default_workers() -> int:
    """One worker process per CPU this process may use (at most :data:`MAX_AUTO_WORKERS`)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_AUTO_WORKERS))


def default_threads() -> int:
    return THREADS_PER_WORKER


def server_kind() -> str:
    """``gunicorn`` on POSIX when it imports, else ``waitress``; raises ``ImportError`` with an
    install hint when neither is installed."""
    if os.name == "posix":
        try:
            import gunicorn  # noqa: F401

            return "gunicorn"
        except ImportError:
            pass
    try:
        import waitress  # noqa: F401

        return "waitress"
    except ImportError:
        raise ImportError("chatbi serve needs a WSGI server: pip install gunicorn (Linux, macOS) or "
                          "pip install waitress (Windows); `chatbi serve --dev` runs Flask's development "
                          "server instead") from None


@dataclass(frozen=True)
class ServerOptions:
    host: str
    port: int
    workers: int
    threads: int
    #: printed once the server listens (the "serving on" line)
    on_ready: Callable[[str], None] | None = None
    #: run in each worker process as it stops (closes its warehouse connection: DuckDB's threads
    #: must end before the interpreter does, else the process aborts instead of exiting)
    on_worker_exit: Callable[[], None] | None = None


def serve(factory: Callable[[], WSGIApp], options: ServerOptions) -> int:
    """Serve the WSGI app ``factory()`` builds until interrupted; returns the exit code."""
    kind = server_kind()
    if kind == "gunicorn":
        return _gunicorn(factory, options)
    return _waitress(factory, options)


def leave_forked_worker() -> None:
    """End a worker process now, with the exit code gunicorn chose, without the interpreter's exit
    handlers -- as a forked ``multiprocessing`` child leaves. DuckDB imported before the fork (the
    main process checks the warehouse) aborts a forked process that used it in those handlers
    ("terminate called without an active exception", SIGABRT on every reload or stop)."""
    exc = sys.exc_info()[1]  # gunicorn calls worker_exit while its SystemExit propagates
    code = exc.code if isinstance(exc, SystemExit) else 1
    _leave_now(code if isinstance(code, int) else (0 if code is None else 1))


def _leave_now(code: int) -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


# -- gunicorn ---------------------------------------------------------------------------------------
def _gunicorn(factory: Callable[[], WSGIApp], options: ServerOptions) -> int:
    from gunicorn.app.base import BaseApplication

    def when_ready(_server: Any) -> None:
        if options.on_ready is not None:
            options.on_ready(f"{options.workers} worker process{'es' if options.workers != 1 else ''} x "
                             f"{options.threads} thread{'s' if options.threads != 1 else ''}, gunicorn")

    def post_fork(_server: Any, worker: Any) -> None:
        # building the app and warming it up can take longer than the silence the master allows:
        # tell it the worker is alive until the worker starts serving
        def heartbeat() -> None:
            while not getattr(worker, "booted", False):
                if not getattr(worker, "alive", True):
                    # asked to stop (Ctrl+C, a reload) while still building: nothing is in flight,
                    # so leave now instead of finishing a warm-up nobody will use
                    _leave_now(0)
                try:
                    worker.notify()
                except (OSError, ValueError):
                    return
                time.sleep(0.25)

        threading.Thread(target=heartbeat, name="chatbi-boot-heartbeat", daemon=True).start()

    def worker_exit(_server: Any, _worker: Any) -> None:
        if options.on_worker_exit is not None:
            try:
                options.on_worker_exit()
            except Exception:  # the worker is leaving anyway; say why it did not close cleanly
                log.warning("a worker could not close its resources", exc_info=True)
        leave_forked_worker()

    settings = {
        "bind": [_bind(options.host, options.port)],
        "workers": options.workers,
        "threads": options.threads,
        "worker_class": "gthread" if options.threads > 1 else "sync",
        "timeout": WORKER_TIMEOUT_S,
        "graceful_timeout": 30,
        "keepalive": 5,
        "loglevel": "warning",
        "errorlog": "-",
        "accesslog": None,
        "proc_name": "chatbi",
        "when_ready": when_ready,
        "post_fork": post_fork,
        "worker_exit": worker_exit,
    }

    class Application(BaseApplication):
        def load_config(self) -> None:
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self) -> WSGIApp:
            return factory()

    # gunicorn parses sys.argv in some versions' config defaults: keep ours out of its way
    argv, sys.argv = sys.argv, sys.argv[:1]
    try:
        Application().run()
    finally:
        sys.argv = argv
    return 0


def _bind(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


# -- waitress -----------------------------------------------------------------------------------------
def _waitress(factory: Callable[[], WSGIApp], options: ServerOptions) -> int:
    from waitress import serve as waitress_serve

    app = factory()
    threads = max(1, options.workers * options.threads)
    if options.on_ready is not None:
        options.on_ready(f"1 process x {threads} threads, waitress")
    waitress_serve(app, host=options.host, port=options.port, threads=threads, ident="ChatBI",
                   clear_untrusted_proxy_headers=True)
    return 0


def preload_modules() -> None:
    """Import what every worker needs before the workers fork, so they share those pages of memory
    (pandas, plotly, Dash, sqlglot, the charts and the translator) instead of loading each a copy."""
    import importlib

    for name in ("pandas", "numpy", "plotly.graph_objects", "dash", "dash_bootstrap_components", "sqlglot",
                 "chatbi.charts", "chatbi.translate", "chatbi.analysis", "dashboards.app", "dashboards.pages"):
        try:
            importlib.import_module(name)
        except ImportError:  # an optional part: the worker imports it when it needs it
            log.debug("preload: %s not available", name)
