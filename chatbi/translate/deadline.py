"""A wall-clock limit for one call to the model endpoint.

HTTP clients time out on *silence*: a read timeout restarts with every byte, so a server that
drips one byte a second holds a request for as long as it likes. Two things make the question's
deadline real:

* :func:`call_before` runs the call in a worker thread and stops waiting at the deadline: the
  user gets the timeout answer then, whatever the connection does;
* :class:`DeadlineTransport` (in the client ChatBI builds) checks the deadline between the chunks
  of a response body and abandons the response once it has passed, so the worker thread and its
  connection are freed about one chunk after the deadline instead of when the server stops.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import httpx

__all__ = ["DeadlineExceeded", "DeadlineTransport", "call_before"]

T = TypeVar("T")

#: monotonic time by which the current call must have its answer (set for the worker thread)
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("chatbi_llm_deadline", default=None)


class DeadlineExceeded(TimeoutError):
    """The call did not finish before the deadline."""


def call_before(seconds: float, fn: Callable[[], T]) -> T:
    """``fn()`` if it returns within ``seconds`` (wall clock); :class:`DeadlineExceeded` otherwise.

    ``fn`` keeps running in a daemon thread after a timeout; the deadline is visible to
    :class:`DeadlineTransport` there, which cuts its response short.
    """
    if seconds <= 0:
        raise DeadlineExceeded("no time left")
    deadline = time.monotonic() + seconds
    done = threading.Event()
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            outcome["error"] = exc
        finally:
            done.set()

    context = contextvars.copy_context()
    context.run(_DEADLINE.set, deadline)
    worker = threading.Thread(target=context.run, args=(run,), name="chatbi-llm-call", daemon=True)
    worker.start()
    if not done.wait(max(0.0, deadline - time.monotonic())):
        raise DeadlineExceeded(f"no answer within {seconds:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


class DeadlineTransport(httpx.BaseTransport):
    """Wraps a transport: response bodies stop at the deadline of :func:`call_before` (if any)."""

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        self.inner = inner if inner is not None else httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        deadline = _DEADLINE.get()
        response = self.inner.handle_request(request)
        if deadline is not None and isinstance(response.stream, httpx.SyncByteStream):
            response.stream = _DeadlineStream(response.stream, deadline)
        return response

    def close(self) -> None:
        self.inner.close()


class _DeadlineStream(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, deadline: float) -> None:
        self.inner = inner
        self.deadline = deadline

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.inner:
            if time.monotonic() > self.deadline:
                raise httpx.ReadTimeout("the question's deadline passed while the answer was still arriving")
            yield chunk

    def close(self) -> None:
        self.inner.close()
