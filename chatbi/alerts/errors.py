"""Errors of ``chatbi.alerts``. Imports nothing internal but the package base.

Each error subclasses :class:`AlertError` (itself a :class:`chatbi.errors.ChatBIError`) and the
matching built-in, so the CLI prints its message and exits non-zero, never a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from semantic_layer.errors import did_you_mean

from ..errors import ChatBIError

__all__ = ["AlertError", "RuleError", "RuleProblem", "MailerError", "OutboxError"]


class AlertError(ChatBIError):
    """Base of every error raised by ``chatbi.alerts``."""


class RuleProblem(tuple):  # type: ignore[type-arg]
    """``(path, message, candidates, line)`` of one problem in a rules file."""

    __slots__ = ()

    def __new__(cls, path: str, message: str, candidates: Sequence[str] = (), line: int | None = None) -> RuleProblem:
        return super().__new__(cls, (path, message, tuple(candidates), line))

    path = property(lambda self: self[0])
    message = property(lambda self: self[1])
    candidates = property(lambda self: self[2])
    line = property(lambda self: self[3])

    def render(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        text = f"{where}{self.path}: {self.message}" if self.path else f"{where}{self.message}"
        hint = did_you_mean(self.candidates)
        return f"{text} {hint}" if hint else text


class RuleError(AlertError, ValueError):
    """An alert rules file (or a rule given from Python) is invalid.

    ``source`` names the file and ``problems`` lists every problem found, each with the YAML
    path (``rules.gd_revenue.metric``), the line when known and "did you mean" candidates.
    """

    def __init__(self, problems: Sequence[RuleProblem], *, source: str | None = None) -> None:
        self.problems = tuple(problems)
        self.source = source
        prefix = f"{source}: " if source else ""
        if len(self.problems) == 1:
            text = prefix + self.problems[0].render()
        else:
            text = f"{prefix}{len(self.problems)} problems:\n  " + "\n  ".join(p.render() for p in self.problems)
        super().__init__(text)


class MailerError(AlertError, RuntimeError):
    """Sending failed.

    ``kind`` says what would fix it: ``transient`` (the server is down or busy: retry later),
    ``config`` (credentials, TLS, the sender address: retried with backoff, and at once when the
    settings change), ``rejected`` (the server refused the message itself: retrying cannot help),
    ``refused`` (every recipient was refused; ``refused`` maps each to ``(code, message)``).
    ``temporary`` is False when retrying the same thing cannot help.
    """

    def __init__(self, message: str, *, temporary: bool = True, kind: str | None = None,
                 refused: Mapping[str, tuple[int, str | bytes]] | None = None) -> None:
        self.kind = kind or ("transient" if temporary else "rejected")
        self.temporary = self.kind in ("transient", "config") if kind else temporary
        self.refused = dict(refused or {})
        super().__init__(message)


class OutboxError(AlertError, RuntimeError):
    """The outbox (app database) cannot be opened or written. ``retryable``: a full disk, a lock
    or an I/O error (try again later), as opposed to a file that is not a database."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        self.retryable = retryable
        super().__init__(message)
