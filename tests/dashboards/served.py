"""``chatbi serve`` started for real, on a free loopback port, and a client that talks to it as the
browser's Dash renderer does (the same JSON requests to ``/_dash-update-component``)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

__all__ = ["Served", "DashClient", "free_port", "texts"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Served:
    """``python -m chatbi serve ARGS`` until the context ends; ``url`` is its root (with any prefix)."""

    def __init__(self, args: Sequence[str], *, cache_dir: Path, prefix: str = "", env: dict[str, str] | None = None,
                 timeout: float = 180.0) -> None:
        self.port = free_port()
        self.root = f"http://127.0.0.1:{self.port}"
        self.url = self.root + prefix
        self.args = [*args, "--port", str(self.port), "--host", "127.0.0.1"]
        self.env = {**os.environ, "CHATBI_CACHE_DIR": str(cache_dir), **(env or {})}
        self.timeout = timeout
        self.log = cache_dir / f"serve-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Served:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = open(self.log, "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "chatbi", "serve", *self.args], stdout=out,
                                     stderr=subprocess.STDOUT, env=self.env)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                if httpx.get(self.root + "/readyz", timeout=5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                pytest.fail(f"chatbi serve did not become ready:\n{self.output()[-3000:]}")
            time.sleep(0.3)

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


class DashClient:
    """One browser: a cookie jar and the app's callbacks (from ``/_dash-dependencies``).

    ``fresh_connections`` opens a new TCP connection per request, so the server's workers take
    turns (a kept-alive connection would stay with one worker).
    """

    def __init__(self, url: str, *, lang: str = "zh", fresh_connections: bool = False) -> None:
        headers = {"Accept-Language": lang}
        if fresh_connections:
            headers["Connection"] = "close"
        self.http = httpx.Client(base_url=url, timeout=60, headers=headers)
        self.lang = lang
        self.clicks = 0
        page = self.http.get("/")
        page.raise_for_status()
        self.deps = self.http.get("/_dash-dependencies").json()

    def close(self) -> None:
        self.http.close()

    def _dep(self, ident: str, prop: str) -> dict[str, Any]:
        return next(d for d in self.deps if any(i["id"] == ident and i["property"] == prop for i in d["inputs"]))

    @staticmethod
    def _outputs(dep: dict[str, Any]) -> list[dict[str, str]]:
        return [dict(zip(("id", "property"), part.split(".", 1))) for part in dep["output"].strip(".").split("...")]

    def ask(self, question: str) -> httpx.Response:
        self.clicks += 1
        dep = self._dep("ask-send", "n_clicks")
        body = {"output": dep["output"], "outputs": self._outputs(dep),
                "inputs": [{"id": "ask-send", "property": "n_clicks", "value": self.clicks},
                           {"id": "ask-input", "property": "n_submit", "value": 0}],
                "changedPropIds": ["ask-send.n_clicks"],
                "state": [{"id": "ask-input", "property": "value", "value": question},
                          {"id": "lang", "property": "data", "value": self.lang}]}
        response = self.http.post("/_dash-update-component", json=body)
        response.raise_for_status()
        return response

    def route(self, path: str) -> httpx.Response:
        dep = self._dep("url", "pathname")
        body = {"output": dep["output"], "outputs": self._outputs(dep),
                "inputs": [{"id": "url", "property": "pathname", "value": path},
                           {"id": "lang", "property": "data", "value": self.lang}],
                "changedPropIds": ["url.pathname"], "state": [{"id": "url", "property": "search", "value": ""}]}
        response = self.http.post("/_dash-update-component", json=body)
        response.raise_for_status()
        return response

    def __enter__(self) -> DashClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def texts(payload: Any) -> Iterator[str]:
    """Every string inside a Dash response (component children, labels), decoded."""
    if isinstance(payload, (bytes, str)) and not isinstance(payload, str):
        payload = json.loads(payload)
    if isinstance(payload, str):
        yield payload
    elif isinstance(payload, dict):
        for value in payload.values():
            yield from texts(value)
    elif isinstance(payload, list):
        for value in payload:
            yield from texts(value)
