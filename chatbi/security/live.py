"""The security configuration of a running app, re-read when its file changes.

Disabling a user, removing one or changing a password hash in ``security.yaml`` takes effect
without a restart: the file is looked at (one ``stat``) at most once a second and loaded again
when it changed. A file that no longer loads keeps the last good configuration in force and is
reported on the ``chatbi.security`` logger, so a typo never opens or closes the app by itself.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from ..errors import ChatBIError
from .config import Security

__all__ = ["LiveSecurity"]

log = logging.getLogger("chatbi.security")


class LiveSecurity:
    """Hands out the current :class:`Security` of a file (or a fixed one made in Python)."""

    def __init__(self, security: Security, *, interval_s: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._security = security
        self._interval = interval_s
        self._clock = clock
        self._lock = threading.Lock()
        self._checked = clock()
        self._stamp = self._file_stamp()
        #: the last problem of the file (None while it loads)
        self.problem: str | None = None

    def _file_stamp(self) -> tuple[int, int] | None:
        source = self._security.source
        if not source:
            return None
        try:
            st = os.stat(source)
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size

    def current(self) -> Security:
        if self._security.source is None or self._clock() - self._checked < self._interval:
            return self._security
        with self._lock:
            if self._clock() - self._checked < self._interval:
                return self._security
            self._checked = self._clock()
            stamp = self._file_stamp()
            if stamp is None or stamp == self._stamp:
                return self._security
            old = self._security
            try:
                fresh = Security.load(old.source, old.model)  # type: ignore[arg-type]
            except (ChatBIError, OSError, ValueError) as exc:
                self.problem = str(exc)
                log.error("security file changed but does not load; the previous configuration stays in force: %s",
                          exc)
            else:
                if old.identity_provider is not None and old.spec.identity is None:
                    fresh.identity_provider = old.identity_provider  # one injected in Python stays
                self._security, self.problem = fresh, None
                log.info("security file %s reloaded", old.source)
            self._stamp = stamp
            return self._security
