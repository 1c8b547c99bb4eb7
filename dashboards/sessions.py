"""Browser sessions in the shared state store: any worker process serves any request.

A session (keyed by the browser's session id, :mod:`dashboards.context`) is one record: its
conversation (what follow-ups build on), the ids of the answers in its thread (the last
``max_answers``) and the clicks its buttons have seen. Each answer is a record of its own
(:func:`chatbi.state.records.answer_record`: the query, the SQL, the text and a bounded result,
never a figure). Records expire ``ttl_s`` after their last write.

Writes are optimistic (:mod:`chatbi.state.store`): a change re-reads the session and retries when
another worker wrote it meanwhile, so two tabs or a double click never lose an answer. Within one
worker, requests of one session still run one after the other (a per-session lock), so a
follow-up always sees the turn before it.

Memory per worker is bounded: besides the store, a worker keeps only an LRU of the answers it
read or made lately, at most ``cache_bytes`` (result frames, figures and reports estimated).
"""

from __future__ import annotations

import threading
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from chatbi.state.frames import dumps, frame_bytes, loads
from chatbi.state.records import answer_record, conversation_from_record, conversation_record
from chatbi.state.store import StateStore

__all__ = ["SessionStore", "Session", "AnswerCache", "DEFAULT_TTL_S", "DEFAULT_CACHE_BYTES"]

#: a session (and its answers) is forgotten a week after its last change
DEFAULT_TTL_S = 7 * 24 * 3600.0
#: decoded answers a worker keeps in memory, in bytes
DEFAULT_CACHE_BYTES = 64 * 1024 * 1024
_SESSION, _ANSWER = "session", "answer"
#: what a figure or report object is charged on top of its frame (they are not measured exactly)
_OBJECT_BYTES = 96 * 1024


class AnswerCache:
    """A byte-bounded LRU of decoded answers (by session and answer id), shared by a worker's threads."""

    def __init__(self, max_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: str, answer: Any) -> None:
        weight = answer_weight(answer)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.bytes -= old[1]
            if weight > self.max_bytes:
                return
            self._items[key] = (answer, weight)
            self.bytes += weight
            while self.bytes > self.max_bytes and self._items:
                _, (_, dropped) = self._items.popitem(last=False)
                self.bytes -= dropped

    def drop(self, key: str) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.bytes -= old[1]

    def __len__(self) -> int:
        return len(self._items)


def answer_weight(answer: Any) -> int:
    """Bytes an answer holds in memory, estimated (its frame measured, figure and report charged)."""
    weight = 2048
    data = getattr(answer, "data", None)
    if data is not None:
        weight += frame_bytes(data)
    if getattr(answer, "report", None) is not None:
        weight += 4 * _OBJECT_BYTES
    if getattr(answer, "figure_factory", None) is not None:
        weight += _OBJECT_BYTES
    return weight


class SessionStore:
    """The sessions of one app, in ``state`` (see the module docstring)."""

    def __init__(self, state: StateStore, *, rehydrate: Callable[[dict[str, Any]], Any],
                 ttl_s: float = DEFAULT_TTL_S, max_answers: int = 30, cache_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self.state = state
        self.rehydrate = rehydrate
        self.ttl_s = ttl_s
        self.max_answers = max_answers
        self.answers = AnswerCache(cache_bytes)
        self._locks: weakref.WeakValueDictionary[str, threading.RLock] = weakref.WeakValueDictionary()
        self._locks_lock = threading.Lock()

    def get(self, session_id: str) -> Session:
        return Session(self, session_id)

    def lock_of(self, session_id: str) -> threading.RLock:
        with self._locks_lock:
            lock = self._locks.get(session_id)
            if lock is None:
                lock = threading.RLock()
                self._locks[session_id] = lock
            return lock

    # -- the session record ----------------------------------------------------------------------
    def read(self, session_id: str) -> tuple[dict[str, Any], int]:
        entry = self.state.get(_SESSION, session_id)
        if entry is None:
            return {"conversation": None, "answers": [], "clicks": {}}, 0
        return loads(entry.value), entry.version

    def change(self, session_id: str, edit: Callable[[dict[str, Any]], Any]) -> Any:
        """Apply ``edit`` to the session record until it is written without a conflict; returns what
        the last ``edit`` returned."""
        for _ in range(50):
            record, version = self.read(session_id)
            result = edit(record)
            if self.state.put(_SESSION, session_id, dumps(record), ttl_s=self.ttl_s, version=version) is not None:
                return result
        raise RuntimeError(f"session {session_id[:8]}... is being changed by too many requests at once")


class Session:
    """One browser session: a cheap handle, every read and write goes to the store."""

    def __init__(self, store: SessionStore, session_id: str) -> None:
        self.store = store
        self.id = session_id
        self.max_answers = store.max_answers

    @property
    def lock(self) -> threading.RLock:
        """Serialises this session's requests within the worker."""
        return self.store.lock_of(self.id)

    @property
    def conversation(self) -> Any:
        """The conversation as stored now (a copy: change it through :meth:`turn`)."""
        return conversation_from_record(self.store.read(self.id)[0].get("conversation"))

    @contextmanager
    def turn(self) -> Iterator[Any]:
        """The conversation for one question; what the question added to it is stored at the end.

        Another worker may have recorded a turn meanwhile (two tabs of one session): both turns are
        kept, and the last one to finish decides what the next follow-up builds on.
        """
        with self.lock:
            record, _ = self.store.read(self.id)
            conversation = conversation_from_record(record.get("conversation"))
            before = len(conversation.turns)
            yield conversation

            def save(current: dict[str, Any]) -> None:
                stored = conversation_from_record(current.get("conversation"))
                if len(stored.turns) != before or stored.turns[:before] != conversation.turns[:before]:
                    stored.turns.extend(conversation.turns[before:])
                    stored.previous, stored.pending = conversation.previous, conversation.pending
                    stored.pending_kind, stored.language = conversation.pending_kind, conversation.language
                    current["conversation"] = conversation_record(stored)
                else:
                    current["conversation"] = conversation_record(conversation)

            self.store.change(self.id, save)

    def add(self, answer: Any) -> str:
        """Keep ``answer`` in the thread (the oldest dropped past ``max_answers``); returns its id."""
        answer_id = uuid.uuid4().hex[:12]
        key = f"{self.id}:{answer_id}"
        self.store.state.put(_ANSWER, key, dumps(answer_record(answer)), ttl_s=self.store.ttl_s)
        self.store.answers.put(key, answer)
        limit = self.max_answers

        def append(record: dict[str, Any]) -> list[str]:
            ids = [*record.get("answers", []), answer_id]
            record["answers"] = ids[-limit:]
            return ids[:-limit]

        for old in self.store.change(self.id, append):
            self.store.state.delete(_ANSWER, f"{self.id}:{old}")
            self.store.answers.drop(f"{self.id}:{old}")
        return answer_id

    def keep(self, answer: Any) -> str:
        """Store ``answer`` for this session without adding it to the thread (a dashboard card);
        returns its id for :meth:`get`."""
        answer_id = uuid.uuid4().hex[:12]
        key = f"{self.id}:{answer_id}"
        self.store.state.put(_ANSWER, key, dumps(answer_record(answer)), ttl_s=self.store.ttl_s)
        self.store.answers.put(key, answer)
        return answer_id

    def get(self, answer_id: str | None) -> Any:
        if not answer_id:
            return None
        key = f"{self.id}:{answer_id}"
        found = self.store.answers.get(key)
        if found is not None:
            return found
        entry = self.store.state.get(_ANSWER, key)
        if entry is None:
            return None
        answer = self.store.rehydrate(loads(entry.value))
        self.store.answers.put(key, answer)
        return answer

    def history(self) -> list[tuple[str, Any]]:
        ids = self.store.read(self.id)[0].get("answers", [])
        missing = [i for i in ids if self.store.answers.get(f"{self.id}:{i}") is None]
        entries = self.store.state.get_many(_ANSWER, [f"{self.id}:{i}" for i in missing])
        out = []
        for answer_id in ids:
            key = f"{self.id}:{answer_id}"
            answer = self.store.answers.get(key)
            if answer is None and key in entries:
                answer = self.store.rehydrate(loads(entries[key].value))
                self.store.answers.put(key, answer)
            if answer is not None:
                out.append((answer_id, answer))
        return out

    # -- long work of this session (``dashboards.jobs``) -------------------------------------------
    def add_job(self, job_id: str) -> None:
        """Remember a running job, so the thread shows its progress when drawn again."""
        def add(record: dict[str, Any]) -> None:
            record["jobs"] = [*record.get("jobs", [])[-9:], job_id]

        self.store.change(self.id, add)

    def drop_job(self, job_id: str) -> None:
        def drop(record: dict[str, Any]) -> None:
            record["jobs"] = [j for j in record.get("jobs", []) if j != job_id]

        if job_id in self.pending_jobs():
            self.store.change(self.id, drop)

    def pending_jobs(self) -> list[str]:
        return list(self.store.read(self.id)[0].get("jobs", []))

    def reset(self) -> None:
        """A new conversation: the thread, its answers and its buttons' clicks are forgotten."""
        def clear(record: dict[str, Any]) -> list[str]:
            ids = list(record.get("answers", []))
            record.update(conversation=None, answers=[], clicks={}, jobs=[])
            return ids

        with self.lock:
            for old in self.store.change(self.id, clear):
                self.store.state.delete(_ANSWER, f"{self.id}:{old}")
                self.store.answers.drop(f"{self.id}:{old}")

    def fresh_click(self, key: str, n_clicks: Any) -> bool:
        """True once per real click of the button ``key`` (see ``dashboards.pages._session.fresh_click``):
        Dash replays old clicks when new buttons appear; the clicks seen are kept per session, in the
        store, so a replay is recognised whichever worker receives it."""
        if not isinstance(n_clicks, int) or isinstance(n_clicks, bool) or n_clicks <= 0:
            return False

        def seen(record: dict[str, Any]) -> bool:
            clicks = record.setdefault("clicks", {})
            if n_clicks <= clicks.get(key, 0):
                return False
            clicks[key] = n_clicks
            return True

        return bool(self.store.change(self.id, seen))

    def forget_clicks(self) -> None:
        """The thread was rendered afresh: its buttons start counting from zero again."""
        def forget(record: dict[str, Any]) -> None:
            record["clicks"] = {}

        self.store.change(self.id, forget)
