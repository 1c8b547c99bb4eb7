"""``chatbi alerts daemon``: run the schedule, and keep running through what can be retried.

Each cycle reloads the rules file if it changed, runs one pass (:meth:`AlertRunner.run`) and
sleeps until the next fire, the next outbox retry or the next retry of a failing rule.

Failures of the whole pass are sorted in two kinds:

* **retryable** -- the app database cannot be written (a full disk, a lock, an I/O error), the
  network or SMTP fails in a way the outbox did not absorb: logged as one clear ERROR line with
  the attempt number, retried with exponential backoff (5 s doubling up to 5 minutes), for as
  long as it takes. Nothing is lost meanwhile: fires stay due, digests stay in the outbox.
* **not retryable** -- the app database is not a database, or an unexpected error repeats
  ``max_failures`` times in a row: logged as CRITICAL with what to do, and the daemon stops with
  a non-zero exit code so a supervisor (systemd, Kubernetes) restarts it and someone notices.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

from .errors import MailerError, OutboxError
from .report import RunReport
from .schedule import UTC

__all__ = ["run_daemon", "EXIT_STOPPED", "retryable"]

log = logging.getLogger("chatbi.alerts")

#: the daemon stopped because it cannot continue (see the CRITICAL log line)
EXIT_STOPPED = 1
_BACKOFF_BASE, _BACKOFF_CAP = 5.0, 300.0


def retryable(exc: BaseException) -> bool:
    """Whether waiting and trying the same pass again can succeed."""
    if isinstance(exc, OutboxError):
        return exc.retryable
    return isinstance(exc, (sqlite3.OperationalError, OSError, MailerError, TimeoutError))


def run_daemon(runner: Any, *, stop: threading.Event | None = None, max_sleep: float = 60.0,
               on_cycle: Callable[[RunReport], None] | None = None,
               wait: Callable[[float], bool] | None = None, max_failures: int = 5) -> int:
    """Run the schedule until ``stop`` is set; returns 0, or :data:`EXIT_STOPPED` when it cannot go on.

    ``wait(seconds)`` sleeps and returns True to stop (default: ``stop.wait``); tests drive a
    virtual clock with it. Fire state lives in the app database, so stopping and starting the
    daemon neither loses nor repeats a fire.
    """
    stop = stop or threading.Event()
    wait = wait or stop.wait
    failures = 0
    unexpected = 0
    while not stop.is_set():
        now = runner.clock().astimezone(UTC)
        try:
            runner.reload_rules()
            report = runner.run(now)
            if report.due or report.delivery.sent or report.delivery.retrying or report.delivery.failed \
                    or report.exit_code:
                (log.warning if report.exit_code else log.info)("%s", report.summary())
            for error in report.errors:
                log.warning("rule %s", error)
            if on_cycle is not None:
                on_cycle(report)
            later = runner.next_wakeup(now)
            if failures:
                log.info("alert pass succeeded again after %d failed attempt(s)", failures)
            failures = unexpected = 0
        except Exception as exc:  # sorted below: retry, or stop loudly
            failures += 1
            delay = min(_BACKOFF_CAP, _BACKOFF_BASE * 2 ** (failures - 1))
            if retryable(exc):
                log.error("alert pass failed (attempt %d): %s; retrying in %.0f s", failures, exc, delay)
            elif isinstance(exc, OutboxError):
                log.critical("alerts daemon stopping: %s. Fix or restore the app database, then start it again.",
                             exc)
                return EXIT_STOPPED
            else:
                unexpected += 1
                log.exception("alert pass failed unexpectedly (%d in a row): %s; retrying in %.0f s",
                              unexpected, exc, delay)
                if unexpected >= max_failures:
                    log.critical("alerts daemon stopping after %d unexpected failures in a row (last: %s: %s)",
                                 unexpected, type(exc).__name__, exc)
                    return EXIT_STOPPED
            later = now + dt.timedelta(seconds=delay)
        if later is None:
            later = now + dt.timedelta(seconds=max_sleep)
        seconds = (later - runner.clock().astimezone(UTC)).total_seconds()
        if wait(min(max(seconds, 0.5), max_sleep)):
            return 0
    return 0
