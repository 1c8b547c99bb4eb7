"""The state store in Redis (``--state redis://host:6379/0``): for servers on several hosts.

A record is a hash ``chatbi:<kind>:<key>`` holding the value, its version and its size, with the
record's expiry as the key's TTL (Redis drops expired records itself). Conditional writes are one
Lua script each, so "replace only at version v" is atomic on the server. Size bounds of a kind
(:meth:`RedisStateStore.purge`) scan that kind's keys; for a cache-only Redis, its own
``maxmemory-policy volatile-lru`` is the better bound.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from ..errors import ConfigError
from .store import Entry

__all__ = ["RedisStateStore"]

_PREFIX = "chatbi"

# KEYS[1] record; ARGV: value, size, ttl ms (0 = none), expected version (-1: any, 0: absent only)
_PUT = """
local current = redis.call('HGET', KEYS[1], 'n')
local expected = tonumber(ARGV[4])
if expected == 0 and current then return nil end
if expected > 0 and (not current or tonumber(current) ~= expected) then return nil end
local version = 1
if current then version = tonumber(current) + 1 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'n', version, 's', ARGV[2], 'u', ARGV[5])
if tonumber(ARGV[3]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) else redis.call('PERSIST', KEYS[1]) end
return version
"""


class RedisStateStore:
    """:class:`~chatbi.state.store.StateStore` in Redis (see the module docstring)."""

    def __init__(self, url: str, *, client: Any = None) -> None:
        try:
            import redis
        except ImportError:
            raise ConfigError("a redis:// state store needs the redis package: pip install 'chatbi[redis]'") from None
        self.location = _without_password(url)
        self._errors = redis.RedisError
        self.client = client if client is not None else redis.Redis.from_url(url, socket_timeout=10,
                                                                              socket_connect_timeout=5)
        self._put = self.client.register_script(_PUT)
        self.ping()

    def __repr__(self) -> str:
        return f"RedisStateStore({self.location})"

    @staticmethod
    def _name(kind: str, key: str) -> str:
        return f"{_PREFIX}:{kind}:{key}"

    def get(self, kind: str, key: str) -> Entry | None:
        return self.get_many(kind, [key]).get(key)

    def get_many(self, kind: str, keys: Iterable[str]) -> dict[str, Entry]:
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        with self._guard():
            pipe = self.client.pipeline(transaction=False)
            for key in wanted:
                pipe.hmget(self._name(kind, key), "v", "n")
            rows = pipe.execute()
        return {key: Entry(bytes(v), int(n)) for key, (v, n) in zip(wanted, rows) if v is not None and n is not None}

    def put(self, kind: str, key: str, value: bytes, *, ttl_s: float | None = None,
            version: int | None = None) -> int | None:
        expected = -1 if version is None else version
        ttl_ms = int(ttl_s * 1000) if ttl_s else 0
        with self._guard():
            new = self._put(keys=[self._name(kind, key)], args=[value, len(value), ttl_ms, expected, time.time()])
        return None if new is None else int(new)

    def delete(self, kind: str, key: str) -> None:
        with self._guard():
            self.client.delete(self._name(kind, key))

    def purge(self, kind: str | None = None, *, max_bytes: int | None = None) -> int:
        """Redis expires records itself; past ``max_bytes`` of ``kind`` the oldest are dropped."""
        if not kind or max_bytes is None:
            return 0
        with self._guard():
            sizes = []
            for name in self.client.scan_iter(match=f"{_PREFIX}:{kind}:*", count=500):
                size, updated = self.client.hmget(name, "s", "u")
                if size is not None:
                    sizes.append((float(updated or 0), int(size), name))
            total = sum(s for _, s, _ in sizes)
            doomed = []
            for _, size, name in sorted(sizes):
                if total <= max_bytes:
                    break
                doomed.append(name)
                total -= size
            if doomed:
                self.client.delete(*doomed)
        return len(doomed)

    def ping(self) -> None:
        with self._guard():
            self.client.ping()

    def close(self) -> None:
        self.client.close()

    def _guard(self) -> Any:
        return _Guard(self)


class _Guard:
    """Redis failures leave as one :class:`ConfigError`-family error naming the store."""

    def __init__(self, store: RedisStateStore) -> None:
        self.store = store

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        if exc is not None and isinstance(exc, self.store._errors):
            from .sql import StateStoreError

            raise StateStoreError(f"app state store {self.store.location}: {exc}") from None


def _without_password(url: str) -> str:
    if "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{rest.rsplit('@', 1)[1]}"
