"""Errors of ``chatbi.alerts``. Imports nothing internal but the package base.

Each error subclasses :class:`AlertError` (itself a :class:`chatbi.errors.ChatBIError`) and the
matching built-in, so the CLI prints its message and exits non-zero, never a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence

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
    """Sending failed. ``temporary`` is False when retrying cannot help (e.g. every recipient refused)."""

    def __init__(self, message: str, *, temporary: bool = True) -> None:
        self.temporary = temporary
        super().__init__(message)


class OutboxError(AlertError, RuntimeError):
    """The outbox (app database) cannot be opened or written."""
