"""Long work off the request threads, with progress any worker can report, and per-user limits.

A "why" analysis or a dashboard of many cards can take seconds. Run inside a request it would hold
one of the server's few threads the whole time, and a user clicking around could hold them all.
Instead the request *submits* a job and returns at once with a progress card; the job runs on a
small pool of background threads in the worker that accepted it and writes its progress and its
answers to the shared state store; the page polls ``status`` (any worker can answer) and shows the
answers when they are there.

Limits, so one person cannot occupy every worker:

* **jobs**: at most ``per_user`` of one user's jobs are queued or running at once, counted across
  all workers (a record per user in the state store); one more is refused with a message;
* **questions**: at most ``per_user`` of one user's requests compute at once in a worker
  (:meth:`JobRunner.slot`); one more gets a "still working on your other questions" answer at once
  instead of a thread.

A job whose worker died is noticed by its silence (no progress for :data:`STALE_S`) and reported as
lost, so a page never waits forever.
"""

from __future__ import annotations

import contextvars
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from chatbi.state.frames import dumps, loads

__all__ = ["JobRunner", "Job", "Progress", "JobRefused", "STALE_S", "DEFAULT_THREADS", "DEFAULT_PER_USER",
           "user_key", "bound_chatbi"]

log = logging.getLogger("dashboards.jobs")

_JOB, _USER = "job", "jobs-of"
#: a running job that has not reported for this long is lost (its worker stopped)
STALE_S = 120.0
#: finished jobs are kept this long for pages still polling them
_JOB_TTL_S = 3600.0
DEFAULT_THREADS = int(os.environ.get("CHATBI_JOB_THREADS", "2"))
DEFAULT_PER_USER = int(os.environ.get("CHATBI_PER_USER_LIMIT", "2"))


class JobRefused(RuntimeError):
    """The user already has as many jobs running as allowed."""


@dataclass
class Job:
    """A job's record: what it is, how far it got, the answers it produced."""

    id: str
    kind: str
    session: str
    user: str
    state: str = "queued"  # queued | running | done | failed | lost
    done: int = 0
    total: int = 1
    #: results by part (a dashboard's card id, or "0"): answer ids in the session
    results: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    title: str = ""
    started: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed", "lost")

    @property
    def elapsed_s(self) -> float:
        return max(0.0, (self.updated if self.finished else time.time()) - self.started)

    def to_json(self) -> bytes:
        return dumps(self.__dict__)

    @classmethod
    def of(cls, raw: bytes) -> Job:
        return cls(**loads(raw))


class Progress:
    """What a job's work function reports through: one finished part (``add``) or a count."""

    def __init__(self, runner: JobRunner, job: Job) -> None:
        self._runner = runner
        self._job = job
        self._lock = threading.Lock()

    def add(self, part: str, answer: Any, *, thread: bool = False) -> None:
        """Keep ``answer`` in the job's session (also in its thread with ``thread=True``) and count
        ``part`` as done."""
        session = self._runner.ctx.session(self._job.session)
        answer_id = session.add(answer) if thread else session.keep(answer)
        with self._lock:
            self._job.results[str(part)] = answer_id
            self._job.done = len(self._job.results)
            self._runner._save(self._job)


Work = Callable[[Progress], None]


class JobRunner:
    """The background threads of one app in one worker (see the module docstring)."""

    def __init__(self, ctx: Any, *, threads: int = DEFAULT_THREADS, per_user: int = DEFAULT_PER_USER,
                 state: Any = None) -> None:
        self.ctx = ctx
        self._state = state
        self.per_user = max(1, per_user)
        self._pool = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="chatbi-job")
        self._slots: dict[str, int] = {}
        self._slots_lock = threading.Lock()

    @property
    def state(self) -> Any:
        """Where jobs are recorded: the app's state store (shared by the server's workers)."""
        return self._state if self._state is not None else self.ctx.sessions.state

    # -- jobs ----------------------------------------------------------------------------------
    def submit(self, session_id: str, user: str, kind: str, work: Work, *, total: int = 1, title: str = "") -> Job:
        """Queue ``work``; raises :class:`JobRefused` when ``user`` has ``per_user`` jobs going."""
        job = Job(uuid.uuid4().hex[:16], kind, session_id, user or session_id, total=max(1, total), title=title)
        self._claim(job)
        self._save(job)
        context = contextvars.copy_context()  # the request's user: views resolve them from it
        self._pool.submit(context.run, self._run, job, work)
        return job

    def status(self, job_id: str) -> Job | None:
        entry = self.state.get(_JOB, job_id)
        if entry is None:
            return None
        job = Job.of(entry.value)
        if not job.finished and time.time() - job.updated > STALE_S:
            job.state, job.error = "lost", "the server stopped while this was running"
        return job

    def wait(self, job_id: str, timeout: float = 60.0) -> Job | None:
        """The job once it finished (or as it is after ``timeout`` seconds): for tests and scripts."""
        deadline = time.monotonic() + timeout
        job = self.status(job_id)
        while job is not None and not job.finished and time.monotonic() < deadline:
            time.sleep(0.05)
            job = self.status(job_id)
        return job

    def _run(self, job: Job, work: Work) -> None:
        job.state, job.updated = "running", time.time()
        self._save(job)
        try:
            work(Progress(self, job))
            job.state = "done"
        except Exception as exc:  # the page shows a message; the worker goes on
            log.exception("job %s (%s) failed", job.id, job.kind)
            job.state, job.error = "failed", f"{type(exc).__name__}: {exc}"[:300]
        finally:
            job.updated = time.time()
            try:
                self._save(job)
            finally:
                self._release(job)

    def _save(self, job: Job) -> None:
        job.updated = time.time()
        self.state.put(_JOB, job.id, job.to_json(), ttl_s=_JOB_TTL_S)

    # -- the per-user count across workers ---------------------------------------------------------
    def _claim(self, job: Job) -> None:
        for _ in range(50):
            entry = self.state.get(_USER, job.user)
            active = loads(entry.value) if entry is not None else []
            active = [j for j in active if self._still_active(j)]
            if len(active) >= self.per_user:
                raise JobRefused(f"{len(active)} of this user's jobs are running")
            active.append(job.id)
            if self.state.put(_USER, job.user, dumps(active), ttl_s=_JOB_TTL_S,
                              version=entry.version if entry is not None else 0) is not None:
                return
        raise JobRefused("too many requests at once")

    def _still_active(self, job_id: str) -> bool:
        job = self.status(job_id)
        return job is not None and not job.finished

    def _release(self, job: Job) -> None:
        for _ in range(50):
            entry = self.state.get(_USER, job.user)
            if entry is None:
                return
            active = [j for j in loads(entry.value) if j != job.id]
            if self.state.put(_USER, job.user, dumps(active), ttl_s=_JOB_TTL_S, version=entry.version) is not None:
                return

    # -- the per-user limit of questions in this worker --------------------------------------------
    @contextmanager
    def slot(self, user: str) -> Iterator[bool]:
        """Whether ``user`` may start one more computation in this worker now (yields False when
        they already have ``per_user`` going; nothing is taken then)."""
        with self._slots_lock:
            taken = self._slots.get(user, 0)
            allowed = taken < self.per_user
            if allowed:
                self._slots[user] = taken + 1
        try:
            yield allowed
        finally:
            if allowed:
                with self._slots_lock:
                    left = self._slots.get(user, 1) - 1
                    if left > 0:
                        self._slots[user] = left
                    else:
                        self._slots.pop(user, None)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def user_key(ctx: Any, session_id: str) -> str:
    """Whom a limit counts: the signed-in user, or the browser session without sign-in."""
    try:
        owner = ctx.owner()
    except PermissionError:
        owner = ""
    return f"user:{owner}" if owner else f"session:{session_id}"


def bound_chatbi(ctx: Any) -> Any:
    """The ChatBI a job should use: the signed-in user's own view, resolved now (a job outlives the
    request it came from), or the app's ChatBI without sign-in."""
    current = getattr(ctx.chatbi, "current", None)
    return current() if callable(current) else ctx.chatbi


def parts_done(job: Job, parts: Sequence[str]) -> dict[str, str]:
    """The answer ids of ``parts`` the job has finished."""
    return {p: job.results[p] for p in parts if p in job.results}
