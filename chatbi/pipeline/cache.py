"""The result cache of the ``execute`` stage: one warehouse round trip per distinct question and data.

A result is cached under a key made of

* the **SQL** that ran (after the guard: row filters and secure views of the user are in it),
* the user's **access policy** (its full content, canonically serialised: masking happens when the
  frame leaves the user's engine, and policy views can make one SQL text read different rows), and
* the warehouse's **data version** (``ChatBI.data_version()``: a cheap probe per engine; a new
  version is a new key, so loading data invalidates every entry at once),

plus the warehouse and the model it belongs to. Two people whose policies differ in anything never
share an entry; two whose policies are identical see the same rows anyway. Without a data version
(an engine that cannot tell) nothing is cached: a stale number is worse than a slow one.

Two tiers: an in-memory LRU per process, bounded in **bytes** (frames measured with their
strings), and optionally a **shared** tier in the state store (:mod:`chatbi.state`) so the worker
processes of a server reuse each other's results; entries there are bounded in size, expire and
are dropped oldest first past a total. Callers get a copy of a cached frame (frames are mutable).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import threading
from collections import OrderedDict
from typing import Any

import pandas as pd

from ..state.frames import decode_frame, dumps, encode_frame, frame_bytes, loads

__all__ = ["ResultCache", "policy_fingerprint", "data_version_of", "DEFAULT_MAX_BYTES"]

log = logging.getLogger(__name__)

#: the in-memory tier per process (``$CHATBI_RESULT_CACHE_MB``; 0 switches the cache off)
DEFAULT_MAX_BYTES = int(float(os.environ.get("CHATBI_RESULT_CACHE_MB", "64")) * 1024 * 1024)
_KIND = "result"


def _canonical(value: Any) -> Any:
    """A JSON-able form of policy data that does not depend on set order or object identity."""
    if hasattr(value, "model_dump"):
        return _canonical(value.model_dump(mode="json"))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (set, frozenset)):
        return sorted((_canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True, default=str))
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return repr(value)


def policy_fingerprint(policy: Any) -> str:
    """A digest of everything an access policy says (rows, columns, masks and their parameters,
    small-cell rules, open tables). Equal digests mean equal policies.

    >>> from semantic_layer.policy import AccessPolicy
    >>> policy_fingerprint(AccessPolicy()) == policy_fingerprint(AccessPolicy())
    True
    """
    text = json.dumps(_canonical(policy), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def data_version_of(scope: Any) -> str | None:
    """The scope's data version, or None when its engine cannot tell (then nothing is cached)."""
    probe = getattr(scope, "data_version", None)
    if not callable(probe):
        return None
    try:
        token = probe()
    except Exception:  # noqa: BLE001 - a probe that fails means: do not trust a cache now
        return None
    return None if not token or token == "unavailable" else str(token)


class ResultCache:
    """Result frames by (SQL, policy, data version); see the module docstring."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES, *, shared: Any = None, shared_ttl_s: float = 900.0,
                 shared_max_bytes: int = 256 * 1024 * 1024, max_entry_bytes: int = 4 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        #: a :class:`chatbi.state.StateStore` shared by the server's workers, or None
        self.shared = shared
        self.shared_ttl_s = shared_ttl_s
        self.shared_max_bytes = shared_max_bytes
        self.max_entry_bytes = max_entry_bytes
        self.bytes = 0
        self.hits = self.misses = self.shared_hits = 0
        self._items: OrderedDict[str, tuple[pd.DataFrame, int, str]] = OrderedDict()
        self._version: str | None = None
        self._lock = threading.Lock()
        self._shared_puts = 0

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def key(self, sql: str, policy: Any, version: str, source: str) -> str:
        """The entry's name: ``source`` identifies the warehouse and the model."""
        parts = [source, version, policy_fingerprint(policy), sql]
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()

    def get(self, key: str, version: str) -> pd.DataFrame | None:
        """A copy of the cached frame, or None."""
        with self._lock:
            self._follow(version)
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return item[0].copy(deep=True)
        frame = self._shared_get(key)
        with self._lock:
            if frame is None:
                self.misses += 1
                return None
            self.shared_hits += 1
        self._local_put(key, frame, version)
        return frame.copy(deep=True)

    def put(self, key: str, frame: pd.DataFrame, version: str) -> None:
        stored = frame.copy(deep=True)  # the caller's frame may be changed after this
        self._local_put(key, stored, version)
        self._shared_put(key, stored)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.bytes = 0

    def __len__(self) -> int:
        return len(self._items)

    # -- the tiers --------------------------------------------------------------------------------
    def _follow(self, version: str) -> None:
        """A new data version makes every entry of the old one unreachable: free their memory now."""
        if version != self._version:
            self._items.clear()
            self.bytes = 0
            self._version = version

    def _local_put(self, key: str, frame: pd.DataFrame, version: str) -> None:
        weight = frame_bytes(frame) + 512
        with self._lock:
            self._follow(version)
            if weight > self.max_bytes:
                return
            old = self._items.pop(key, None)
            if old is not None:
                self.bytes -= old[1]
            self._items[key] = (frame, weight, version)
            self.bytes += weight
            while self.bytes > self.max_bytes and self._items:
                _, (_, dropped, _) = self._items.popitem(last=False)
                self.bytes -= dropped

    def _shared_get(self, key: str) -> pd.DataFrame | None:
        if self.shared is None:
            return None
        try:
            entry = self.shared.get(_KIND, key)
            return decode_frame(loads(entry.value)) if entry is not None else None
        except Exception:  # the shared tier is an optimisation: the warehouse still answers
            log.warning("shared result cache unavailable", exc_info=True)
            return None

    def _shared_put(self, key: str, frame: pd.DataFrame) -> None:
        if self.shared is None:
            return
        try:
            payload = dumps(encode_frame(frame))
            if len(payload) > self.max_entry_bytes:
                return
            self.shared.put(_KIND, key, payload, ttl_s=self.shared_ttl_s)
            with self._lock:
                self._shared_puts += 1
                due = self._shared_puts % 200 == 0
            if due:
                self.shared.purge(_KIND, max_bytes=self.shared_max_bytes)
        except Exception:  # as above: a failed write only costs a later query
            log.warning("shared result cache unavailable", exc_info=True)
