"""Errors of ``chatbi.reports``. Imports nothing internal but the package base.

Each error subclasses :class:`ReportError` (a :class:`chatbi.errors.ChatBIError`) and the matching
built-in, so the CLI prints its message and exits non-zero, and the app shows it, never a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from semantic_layer.errors import did_you_mean

from ..errors import ChatBIError

__all__ = ["ReportError", "SpecError", "SpecProblem", "RenderError"]


class ReportError(ChatBIError):
    """Base of every error raised by ``chatbi.reports``."""


@dataclass(frozen=True)
class SpecProblem:
    """One problem of a report spec: where (YAML path, line) and what, with "did you mean" candidates."""

    path: str
    message: str
    candidates: tuple[str, ...] = ()
    line: int | None = None

    def render(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        text = f"{where}{self.path}: {self.message}" if self.path else f"{where}{self.message}"
        hint = did_you_mean(self.candidates)
        return f"{text} {hint}" if hint else text


class SpecError(ReportError, ValueError):
    """A report spec (YAML file or mapping) is invalid; ``problems`` lists every problem found.

    >>> str(SpecError([SpecProblem("sections[0].metrics[1]", "unknown metric 'revnue'", ("revenue",), 9)],
    ...               source="review.yaml"))
    "review.yaml: line 9: sections[0].metrics[1]: unknown metric 'revnue' Did you mean 'revenue'?"
    """

    def __init__(self, problems: Sequence[SpecProblem], *, source: str | None = None) -> None:
        self.problems = tuple(problems)
        self.source = source
        prefix = f"{source}: " if source else ""
        if len(self.problems) == 1:
            text = prefix + self.problems[0].render()
        else:
            text = f"{prefix}{len(self.problems)} problems:\n  " + "\n  ".join(p.render() for p in self.problems)
        super().__init__(text)


class RenderError(ReportError, RuntimeError):
    """The report could not be written as PDF/HTML (no browser, the browser failed, a bad path)."""
