"""Outbox + SMTP delivery against a real SMTP server on loopback: outages, retries, TLS, auth."""

from __future__ import annotations

import datetime as dt
import email.utils
from email.message import EmailMessage
from pathlib import Path

import pytest

from chatbi.alerts import MailerError, Outbox, OutboxEntry, SMTPMailer, SMTPSettings
from chatbi.errors import ConfigError

from .conftest import SMTPServer, VirtualClock

SENDER = "chatbi@example.com"
TO = ("a@example.com", "b@example.com")


def _entry(key: str = "k1") -> OutboxEntry:
    msg = EmailMessage()
    msg["Subject"] = "ChatBI 预警: 1 项指标异常"
    msg["From"] = SENDER
    msg["To"] = ", ".join(TO)
    msg["Message-ID"] = f"<chatbi-alert.{key}@example.com>"
    msg.set_content("广东收入环比 -10.1%")
    return OutboxEntry(key, msg["Message-ID"], SENDER, TO, msg["Subject"], msg.as_bytes(), ("gd_revenue",))


def _mailer(server: SMTPServer, **kw: object) -> SMTPMailer:
    return SMTPMailer(SMTPSettings(host="127.0.0.1", port=server.port, sender=SENDER, timeout=5, **kw))  # type: ignore[arg-type]


def test_delivers_stored_bytes_once(tmp_path: Path, smtp_server: SMTPServer, clock: VirtualClock) -> None:
    outbox = Outbox(tmp_path / "app.sqlite3", clock=clock)
    entry = _entry()
    assert outbox.put(entry) is True
    assert outbox.put(entry) is False  # same idempotency key: nothing added
    report = outbox.deliver(_mailer(smtp_server))
    assert report.sent == ["k1"]
    assert outbox.deliver(_mailer(smtp_server)).sent == []
    got = smtp_server.wait_for(1)
    assert len(got) == 1
    assert got[0].sender == SENDER and sorted(got[0].recipients) == sorted(TO)
    assert got[0].message["Message-ID"] == entry.message_id
    stored = outbox.get("k1")
    assert stored is not None and stored.status == "sent" and stored.attempts == 1 and stored.sent == clock.now


def test_smtp_down_then_up_delivers_exactly_once(tmp_path: Path, smtp_down: SMTPServer, clock: VirtualClock) -> None:
    outbox = Outbox(tmp_path / "app.sqlite3", clock=clock, backoff_base=60)
    outbox.put(_entry())
    mailer = _mailer(smtp_down)

    first = outbox.deliver(mailer)
    assert first.retrying == ["k1"] and not first.sent
    row = outbox.get("k1")
    assert row is not None and row.status == "pending" and row.attempts == 1 and "unreachable" in (row.last_error or "")
    assert outbox.next_attempt() == clock.now + dt.timedelta(seconds=60)

    smtp_down.start()  # the server comes back, but the retry is not due yet
    assert outbox.deliver(mailer).sent == []
    clock.advance(seconds=61)
    assert outbox.deliver(mailer).sent == ["k1"]
    clock.advance(hours=2)
    assert outbox.deliver(mailer).sent == []
    assert len(smtp_down.wait_for(1)) == 1
    assert outbox.get("k1").status == "sent"  # type: ignore[union-attr]


def test_backoff_doubles_then_gives_up_keeping_the_digest(tmp_path: Path, smtp_down: SMTPServer,
                                                          clock: VirtualClock) -> None:
    outbox = Outbox(tmp_path / "app.sqlite3", clock=clock, backoff_base=10, backoff_cap=25, max_attempts=4)
    outbox.put(_entry())
    mailer = _mailer(smtp_down)
    delays = []
    for _ in range(3):
        start = clock.now
        assert outbox.deliver(mailer).retrying == ["k1"]
        due = outbox.next_attempt()
        assert due is not None
        delays.append((due - start).total_seconds())
        clock.now = due
    assert delays == [10, 20, 25]  # base * 2**n, capped
    assert outbox.deliver(mailer).failed == ["k1"]
    assert outbox.get("k1").status == "failed"  # type: ignore[union-attr]
    assert outbox.next_attempt() is None

    smtp_down.start()
    assert outbox.deliver(mailer).sent == []  # failed rows wait for an operator
    assert outbox.requeue() == 1
    assert outbox.deliver(mailer).sent == ["k1"]
    assert len(smtp_down.wait_for(1)) == 1


def _authenticator(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
    from aiosmtpd.smtp import AuthResult

    ok = auth_data.login == b"alerts" and auth_data.password == b"s3cret"
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535 itself


def test_starttls_with_authentication(tmp_path: Path, server_tls, client_tls, clock: VirtualClock) -> None:
    from .conftest import free_port

    server = SMTPServer(free_port(), {"tls_context": server_tls, "require_starttls": True,
                                      "authenticator": _authenticator, "auth_required": True,
                                      "auth_require_tls": True}).start()
    try:
        good = SMTPMailer(SMTPSettings(host="127.0.0.1", port=server.port, starttls=True, user="alerts",
                                       password="s3cret", sender=SENDER, timeout=5), ssl_context=client_tls)
        good.send(_entry().mime, SENDER, TO)
        assert len(server.wait_for(1)) == 1

        outbox = Outbox(tmp_path / "app.sqlite3", clock=clock)
        outbox.put(_entry("k2"))
        bad = SMTPMailer(SMTPSettings(host="127.0.0.1", port=server.port, starttls=True, user="alerts",
                                      password="wrong", sender=SENDER, timeout=5), ssl_context=client_tls)
        report = outbox.deliver(bad)
        # bad credentials: the digest waits (an operator fixes them), it is not given up
        assert report.retrying == ["k2"] and report.failed == []
        row = outbox.get("k2")
        assert row is not None and row.cause == "config" and "authentication failed" in (row.last_error or "")
        assert outbox.deliver(bad).sent == []  # same settings: nothing happens before the backoff
        # the credentials are fixed: the next pass sends at once, no requeue, no waiting for the backoff
        assert outbox.deliver(good).sent == ["k2"]
        assert len(server.wait_for(2)) == 2 and outbox.get("k2").status == "sent"  # type: ignore[union-attr]

        plain = SMTPMailer(SMTPSettings(host="127.0.0.1", port=server.port, sender=SENDER, timeout=5))
        with pytest.raises(MailerError):
            plain.send(_entry().mime, SENDER, TO)  # the server insists on STARTTLS
        assert len(server.received) == 2
    finally:
        server.stop()


def test_implicit_tls(server_tls, client_tls) -> None:
    from .conftest import free_port

    server = SMTPServer(free_port(), {"ssl_context": server_tls}).start()
    try:
        mailer = SMTPMailer(SMTPSettings(host="127.0.0.1", port=server.port, ssl=True, sender=SENDER, timeout=5),
                            ssl_context=client_tls)
        mailer.send(_entry().mime, SENDER, TO)
        assert len(server.wait_for(1)) == 1
        # the default context verifies certificates: a self-signed server is refused
        untrusting = SMTPMailer(SMTPSettings(host="127.0.0.1", port=server.port, ssl=True, sender=SENDER, timeout=5))
        with pytest.raises(MailerError, match="unreachable"):
            untrusting.send(_entry().mime, SENDER, TO)
    finally:
        server.stop()


def test_settings_from_environment() -> None:
    env = {"CHATBI_SMTP_HOST": "mail.example.com", "CHATBI_SMTP_PORT": "2525", "CHATBI_SMTP_USER": "u",
           "CHATBI_SMTP_PASSWORD": "p", "CHATBI_SMTP_STARTTLS": "yes", "CHATBI_MAIL_FROM": "bi@example.com"}
    s = SMTPSettings.from_env(env)
    assert (s.host, s.port, s.user, s.password, s.starttls, s.ssl, s.sender) == \
        ("mail.example.com", 2525, "u", "p", True, False, "bi@example.com")
    assert SMTPSettings.from_env(env, port=587, host=None).port == 587  # arguments win, None leaves env
    assert SMTPSettings.from_env({"CHATBI_SMTP_SSL": "1"}).effective_port == 465
    with pytest.raises(ConfigError, match="CHATBI_SMTP_STARTTLS"):
        SMTPSettings.from_env({"CHATBI_SMTP_STARTTLS": "maybe"})
    with pytest.raises(ConfigError, match="choose one"):
        SMTPSettings.from_env({"CHATBI_SMTP_STARTTLS": "1", "CHATBI_SMTP_SSL": "1"})
    with pytest.raises(ConfigError, match="both"):
        SMTPSettings.from_env({"CHATBI_SMTP_USER": "u"})
    assert email.utils.parseaddr(s.sender)[1] == "bi@example.com"
