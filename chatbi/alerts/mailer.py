"""Sending mail: the ``Mailer`` protocol and its SMTP implementation (STARTTLS / implicit TLS, auth).

The outbox hands a mailer the stored MIME bytes, never a message object, so what is sent is
byte-for-byte what was stored (and a resend carries the same Message-ID).

Settings come from arguments or the environment: ``CHATBI_SMTP_HOST``, ``CHATBI_SMTP_PORT``,
``CHATBI_SMTP_USER``, ``CHATBI_SMTP_PASSWORD``, ``CHATBI_SMTP_STARTTLS`` (1/0),
``CHATBI_SMTP_SSL`` (1/0, implicit TLS, usually port 465), ``CHATBI_SMTP_TIMEOUT`` and
``CHATBI_MAIL_FROM``.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol, runtime_checkable

from ..errors import ConfigError
from .errors import MailerError

__all__ = ["Mailer", "SMTPSettings", "SMTPMailer"]

log = logging.getLogger("chatbi.alerts")


@runtime_checkable
class Mailer(Protocol):
    """Anything that can deliver a rendered message.

    Returns the recipients the server refused while accepting the message for the others
    (``{address: (code, message)}``, as :meth:`smtplib.SMTP.sendmail`; None or empty: all
    accepted). Raises :class:`MailerError` when nothing was accepted, with its ``kind``. An optional
    ``fingerprint`` attribute identifies the settings: rows that failed on the settings are retried
    at once when it changes.
    """

    def send(self, message: bytes, sender: str, recipients: Sequence[str]) -> Mapping[str, tuple[int, str]] | None: ...


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name}={raw!r}: expected 1/0, true/false, yes/no or on/off")


@dataclass(frozen=True)
class SMTPSettings:
    host: str = "localhost"
    port: int | None = None
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    ssl: bool = False
    timeout: float = 30.0
    sender: str = "chatbi@localhost"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> SMTPSettings:
        """Settings from ``CHATBI_SMTP_*`` / ``CHATBI_MAIL_FROM``; non-None ``overrides`` win."""
        env = os.environ if env is None else env
        port_text = env.get("CHATBI_SMTP_PORT")
        try:
            port = int(port_text) if port_text else None
            timeout = float(env.get("CHATBI_SMTP_TIMEOUT") or 30)
        except ValueError:
            raise ConfigError(f"CHATBI_SMTP_PORT={port_text!r} / CHATBI_SMTP_TIMEOUT must be numbers") from None
        settings = cls(host=env.get("CHATBI_SMTP_HOST") or "localhost", port=port,
                       user=env.get("CHATBI_SMTP_USER") or None, password=env.get("CHATBI_SMTP_PASSWORD") or None,
                       starttls=_flag(env, "CHATBI_SMTP_STARTTLS", False), ssl=_flag(env, "CHATBI_SMTP_SSL", False),
                       timeout=timeout, sender=env.get("CHATBI_MAIL_FROM") or "chatbi@localhost")
        settings = replace(settings, **{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
        settings.check()
        return settings

    def check(self) -> None:
        if self.ssl and self.starttls:
            raise ConfigError("choose one of SMTP over TLS (CHATBI_SMTP_SSL) and STARTTLS (CHATBI_SMTP_STARTTLS)")
        if bool(self.user) != bool(self.password):
            raise ConfigError("SMTP authentication needs both CHATBI_SMTP_USER and CHATBI_SMTP_PASSWORD")
        if "@" not in self.sender:
            raise ConfigError(f"CHATBI_MAIL_FROM={self.sender!r} is not an email address")

    @property
    def effective_port(self) -> int:
        return self.port or (465 if self.ssl else 587 if self.starttls else 25)


class SMTPMailer:
    """Delivers over SMTP; one connection per message (digests are few and far between).

    ``ssl_context`` defaults to the system's verified context; pass your own for a private CA.
    """

    def __init__(self, settings: SMTPSettings | None = None, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.settings = settings or SMTPSettings.from_env()
        self.settings.check()
        self.ssl_context = ssl_context

    @property
    def fingerprint(self) -> str:
        """The settings that decide whether sending can work (hashed by the outbox before storing)."""
        s = self.settings
        return repr((s.host, s.effective_port, s.user, s.password, s.starttls, s.ssl, id(self.ssl_context)
                     if self.ssl_context is not None else None))

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = self.ssl_context or ssl.create_default_context()
        if s.ssl:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.effective_port, timeout=s.timeout, context=context)
        else:
            smtp = smtplib.SMTP(s.host, s.effective_port, timeout=s.timeout)
        try:
            smtp.ehlo()
            if s.starttls:
                smtp.starttls(context=context)
                smtp.ehlo()
            if s.user:
                smtp.login(s.user, s.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, message: bytes, sender: str, recipients: Sequence[str]) -> dict[str, tuple[int, str]]:
        """Send; the recipients refused while others accepted are returned (see :class:`Mailer`)."""
        where = f"{self.settings.host}:{self.settings.effective_port}"
        try:
            smtp = self._connect()
        except smtplib.SMTPAuthenticationError as exc:
            # wrong credentials: retrying the same ones will not help, fixing the settings will
            raise MailerError(f"SMTP {where}: authentication failed ({exc.smtp_code})", kind="config") from None
        except smtplib.SMTPNotSupportedError as exc:
            raise MailerError(f"SMTP {where}: {exc}", kind="config") from None
        except ssl.SSLError as exc:
            raise MailerError(f"SMTP {where} unreachable: TLS failed: {exc}", kind="config") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise MailerError(f"SMTP {where} unreachable: {type(exc).__name__}: {exc}") from None
        try:
            refused = smtp.sendmail(sender, list(recipients), message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise MailerError(f"SMTP {where} refused every recipient: {_describe(exc.recipients)}", kind="refused",
                              refused=exc.recipients) from None
        except smtplib.SMTPSenderRefused as exc:
            # 5xx on MAIL FROM: the sender address (CHATBI_MAIL_FROM) or a missing login
            raise MailerError(f"SMTP {where} refused the sender {sender!r}: {exc.smtp_code} {_text(exc.smtp_error)}",
                              kind="transient" if exc.smtp_code < 500 else "config") from None
        except smtplib.SMTPResponseException as exc:
            raise MailerError(f"SMTP {where}: {exc.smtp_code} {_text(exc.smtp_error)}",
                              kind="transient" if exc.smtp_code < 500 else "rejected") from None
        except smtplib.SMTPNotSupportedError as exc:
            raise MailerError(f"SMTP {where}: {exc}", kind="rejected") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise MailerError(f"SMTP {where}: {type(exc).__name__}: {exc}") from None
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
        if refused:
            log.warning("SMTP %s refused some recipients: %s", where, _describe(refused))
        return {a: (code, _text(msg)) for a, (code, msg) in refused.items()}


def _text(message: bytes | str) -> str:
    return message.decode(errors="replace") if isinstance(message, bytes) else str(message)


def _describe(refused: Mapping[str, tuple[int, bytes | str]]) -> str:
    return "; ".join(f"{a}: {code} {_text(msg)}" for a, (code, msg) in refused.items())
