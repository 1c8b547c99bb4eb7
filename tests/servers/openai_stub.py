"""A real HTTP server speaking the OpenAI chat-completions protocol, scripted per test.

It listens on 127.0.0.1 (an ephemeral port) and answers ``POST /v1/chat/completions`` with
the replies a test queued, in order, recording every request (headers and JSON body) so the
test can check what the client actually sent over the wire. A reply can be a completion
with a tool call or plain content, an HTTP error with headers (429 + ``Retry-After``), a
delay longer than the client's timeout, a body dripped one byte at a time (never silent long
enough for a read timeout), or a body that is not JSON at all. When the script
runs out the server answers 500, which makes an unexpected extra request visible.

``openai_stub`` is the function-scoped pytest fixture; the server starts in ~1 ms.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

__all__ = ["OpenAIStub", "Reply", "Recorded", "completion", "tool_reply", "content_reply", "error_reply",
           "openai_stub", "clean_llm_env", "LLM_ENV_VARS"]


@dataclass(frozen=True)
class Reply:
    """One scripted HTTP response."""

    status: int = 200
    body: Any = None  # dict -> JSON, str/bytes -> sent as is
    headers: Mapping[str, str] = field(default_factory=dict)
    #: seconds to wait before answering (a slow model)
    delay: float = 0.0
    #: seconds between bytes of the body (a server that drips its answer, never silent for long)
    drip: float = 0.0


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    at: float

    @property
    def text(self) -> str:
        """The whole request body as text (for "this must not have been sent" checks)."""
        return json.dumps(self.body, ensure_ascii=False)


def completion(message: dict[str, Any], *, prompt_tokens: int = 100, completion_tokens: int = 20,
               model: str = "stub-model", finish_reason: str = "stop") -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{time.monotonic_ns()}", "object": "chat.completion", "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": None}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }


def tool_reply(name: str, arguments: dict[str, Any] | str, **kw: Any) -> Reply:
    """A completion whose message calls ``name`` with ``arguments`` (a dict, or raw text)."""
    args = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
    message = {"role": "assistant", "content": None, "tool_calls": [
        {"id": f"call_{time.monotonic_ns()}", "type": "function", "function": {"name": name, "arguments": args}}]}
    return Reply(body=completion(message, finish_reason="tool_calls", **kw))


def content_reply(text: str, **kw: Any) -> Reply:
    return Reply(body=completion({"role": "assistant", "content": text}, **kw))


def error_reply(status: int, message: str = "error", *, headers: Mapping[str, str] | None = None) -> Reply:
    body = {"error": {"message": message, "type": "server_error" if status >= 500 else "invalid_request_error",
                      "code": None, "param": None}}
    return Reply(status=status, body=body, headers=dict(headers or {}))


class OpenAIStub:
    """The server; ``base_url`` is what ``OPENAI_BASE_URL`` would be."""

    def __init__(self) -> None:
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.requests: list[Recorded] = []
        #: bodies being dripped right now, and dripped bodies that ended (finished or cut by the client)
        self.dripping = 0
        self.drips_cut = 0
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out as separate writes

            def log_message(self, *args: Any) -> None:  # keep pytest output clean
                pass

            def do_GET(self) -> None:
                stub._handle(self, None)

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                stub._handle(self, body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="openai-stub", daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def script(self, *replies: Reply) -> OpenAIStub:
        with self._lock:
            self._script.extend(replies)
        return self

    @property
    def completions(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def _handle(self, handler: BaseHTTPRequestHandler, body: Any) -> None:
        with self._lock:
            self.requests.append(Recorded(handler.command, handler.path, dict(handler.headers.items()), body,
                                          time.monotonic()))
            reply = self._script.popleft() if self._script else error_reply(500, "stub: no scripted reply left")
        if reply.delay and self._stop.wait(reply.delay):
            return  # server shutting down
        payload = reply.body
        if isinstance(payload, (dict, list)):
            data = json.dumps(payload, ensure_ascii=False).encode()
            ctype = "application/json"
        else:
            data = payload.encode() if isinstance(payload, str) else (payload or b"")
            ctype = "text/plain; charset=utf-8"
        try:
            handler.send_response(reply.status)
            handler.send_header("content-type", ctype)
            handler.send_header("content-length", str(len(data)))
            for k, v in reply.headers.items():
                handler.send_header(k, v)
            handler.end_headers()
            if reply.drip:
                with self._lock:
                    self.dripping += 1
                try:
                    for i in range(len(data)):
                        handler.wfile.write(data[i:i + 1])
                        handler.wfile.flush()
                        if self._stop.wait(reply.drip):
                            return
                finally:
                    with self._lock:
                        self.dripping -= 1
                        self.drips_cut += 1
                return
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (its timeout) before the answer came

    def close(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def openai_stub() -> Iterator[OpenAIStub]:
    stub = OpenAIStub()
    try:
        yield stub
    finally:
        stub.close()


#: every environment variable the LLM settings read; cleared so a developer's own key never leaks in
LLM_ENV_VARS = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "CHATBI_LLM_MODEL", "CHATBI_LLM_TIMEOUT",
                "CHATBI_LLM_TOTAL_TIMEOUT", "CHATBI_LLM_MAX_RETRIES", "CHATBI_LLM_MAX_REPAIRS", "CHATBI_LLM_STRICT",
                "CHATBI_LLM_SHARE_DATA", "CHATBI_LLM_FREE_SQL", "CHATBI_TRANSLATOR")


@pytest.fixture
def clean_llm_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in LLM_ENV_VARS:
        monkeypatch.delenv(var, raising=False)
