"""Fixtures of the alerts tests: a real SMTP server (aiosmtpd) on loopback, a virtual clock, rules files."""

from __future__ import annotations

import copy
import datetime as dt
import email
import email.policy
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import yaml

UTC = dt.UTC


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    sender: str
    recipients: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)  # type: ignore[return-value]


@dataclass
class SMTPServer:
    """An aiosmtpd server on 127.0.0.1 that records what it accepts. ``start``/``stop`` simulate outages."""

    port: int
    kwargs: dict[str, Any] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    controller: Any = None
    #: address -> SMTP reply to RCPT TO (e.g. "550 5.1.1 no such user"); others are accepted
    refuse: dict[str, str] = field(default_factory=dict)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:  # aiosmtpd handler hook
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd handler hook
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content
                                      or envelope.content))
        return "250 OK"

    def start(self) -> SMTPServer:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, **self.kwargs)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.received


@pytest.fixture
def smtp_server() -> Iterator[SMTPServer]:
    server = SMTPServer(free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def smtp_down() -> Iterator[SMTPServer]:
    """A server object on a free port that is NOT started yet (the test starts it)."""
    server = SMTPServer(free_port())
    yield server
    server.stop()


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl CLI)."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    root = tmp_path_factory.mktemp("tls")
    cert, key = root / "cert.pem", root / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


@pytest.fixture
def client_tls(tls_files: tuple[Path, Path]) -> ssl.SSLContext:
    """A client context that trusts only the test certificate (verification stays on)."""
    return ssl.create_default_context(cafile=str(tls_files[0]))


@pytest.fixture
def server_tls(tls_files: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(tls_files[0]), str(tls_files[1]))
    return context


class VirtualClock:
    """A clock tests move by hand (the outbox and runner take any ``() -> datetime``)."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(dt.datetime(2025, 12, 1, 1, 0, tzinfo=UTC))  # 09:00 in Shanghai


@pytest.fixture
def write_rules(tmp_path: Path) -> Callable[..., Path]:
    """Write a rules document (dict or YAML text) to a temporary file."""
    counter = iter(range(10_000))

    def write(doc: dict[str, Any] | str, name: str | None = None) -> Path:
        path = tmp_path / (name or f"alerts{next(counter)}.yaml")
        text = doc if isinstance(doc, str) else yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path

    return write


#: a rule on revenue in 广东 for November 2025 (the month of the sample's planted 5G-online drop)
GD_RULE: dict[str, Any] = {
    "name": {"zh": "广东收入", "en": "Guangdong revenue"},
    "metric": "revenue",
    "filters": {"province": "广东"},
    "period": {"unit": "month", "offset": 1},
    "condition": {"type": "change", "compare": "previous_period", "op": "<", "value": "-5%"},
    "schedule": {"cron": "0 9 1 * *", "timezone": "Asia/Shanghai"},
    "recipients": ["managers"],
}
QUIET_RULE: dict[str, Any] = {
    "metric": "churn_rate",
    "filters": {"province": "江苏"},
    "period": {"unit": "month", "offset": 1},
    "condition": {"type": "threshold", "op": ">", "value": 0.5},
    "schedule": "0 9 1 * *",
    "recipients": ["managers"],
}
MANAGERS = ["gd-manager@example.com", "cfo@example.com"]


def rules_doc(language: str = "zh", **rules: dict[str, Any]) -> dict[str, Any]:
    """A rules document; deep copies, so a test that edits it cannot leak into another."""
    chosen = rules or {"gd_revenue": GD_RULE, "js_churn": QUIET_RULE}
    return {"defaults": {"timezone": "Asia/Shanghai", "language": language},
            "recipient_lists": {"managers": list(MANAGERS)},
            "rules": copy.deepcopy(chosen)}
