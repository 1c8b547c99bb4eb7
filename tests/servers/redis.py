"""A real, throwaway Redis server for the tests of the ``redis://`` state store.

It runs Debian's ``redis-server`` (installed by ``bash .ci/setup``) on a free port of 127.0.0.1,
without persistence, in a temporary directory, for the test session. ``redis_url`` is the
session-scoped fixture (re-exported by ``tests/conftest.py``); like PostgreSQL it fails rather than
skips when the server is missing, unless ``CHATBI_SKIP_REDIS=1``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator

import pytest

__all__ = ["redis_url", "running_redis"]

SKIP_ENV = "CHATBI_SKIP_REDIS"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def running_redis() -> Iterator[str]:
    """Start redis-server; yield its URL; stop it and remove its directory."""
    binary = shutil.which("redis-server") or ("/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server")
                                              else None)
    if binary is None:
        pytest.fail(f"redis-server not found; run `bash .ci/setup` (or set {SKIP_ENV}=1)", pytrace=False)
    port = _free_port()
    workdir = tempfile.mkdtemp(prefix="chatbi-redis-")
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", workdir, "--protected-mode", "yes"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("redis-server did not start", pytrace=False)
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    if os.environ.get(SKIP_ENV) == "1":
        pytest.skip(f"{SKIP_ENV}=1: tests needing a Redis server are skipped")
    yield from running_redis()
