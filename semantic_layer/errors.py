"""Errors of the semantic layer and the one "did you mean" helper.

This module imports nothing internal so that every other module can depend on it.
Each error subclasses the package base *and* the matching built-in, so callers may
catch ``ValueError`` / ``KeyError`` without knowing ChatBI.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "SemanticLayerError",
    "ModelError",
    "InputFileError",
    "QueryError",
    "UnknownNameError",
    "SQLGuardError",
    "suggest",
    "did_you_mean",
]


class SemanticLayerError(Exception):
    """Base of every error raised by ``semantic_layer``."""


class ModelError(SemanticLayerError, ValueError):
    """A semantic model (YAML or Python) is invalid.

    ``source`` names the file, ``path`` the YAML path (``metrics.arpu.numerator``).
    """

    def __init__(self, message: str, *, source: str | None = None, path: str | None = None,
                 candidates: tuple[str, ...] = ()) -> None:
        self.source = source
        self.path = path
        self.candidates = candidates
        where = ": ".join(p for p in (source, path) if p)
        text = f"{where}: {message}" if where else message
        if candidates:
            text += f" {did_you_mean(candidates)}"
        super().__init__(text)


class InputFileError(SemanticLayerError, ValueError):
    """A YAML input file cannot be read as YAML (binary, not UTF-8, too large, nested too deeply ...)."""


class QueryError(SemanticLayerError, ValueError):
    """A semantic query cannot be compiled; ``issues`` holds the reasons as data."""

    def __init__(self, message: str, issues: tuple[object, ...] = ()) -> None:
        self.issues = issues
        super().__init__(message)


class UnknownNameError(SemanticLayerError, KeyError):
    """A metric, dimension or table name that the model does not define."""

    def __init__(self, kind: str, name: str, candidates: tuple[str, ...] = ()) -> None:
        self.kind = kind
        self.name = name
        self.candidates = candidates
        super().__init__(f"unknown {kind} {name!r}. {did_you_mean(candidates)}".strip())

    def __str__(self) -> str:  # KeyError would add quotes around the whole message
        return str(self.args[0])


class SQLGuardError(SemanticLayerError, ValueError):
    """SQL rejected by the guard; ``rule`` names the policy, ``fragment`` the offending SQL."""

    def __init__(self, rule: str, message: str, fragment: str = "") -> None:
        self.rule = rule
        self.fragment = fragment
        text = f"[{rule}] {message}"
        if fragment:
            text += f": {fragment[:200]}"
        super().__init__(text)


def suggest(word: str, choices: Iterable[str], *, n: int = 3, cutoff: float = 0.6) -> tuple[str, ...]:
    """Return up to ``n`` choices close to ``word`` (case-insensitive), best first.

    >>> suggest("revnue", ["revenue", "arpu", "churn_rate"])
    ('revenue',)
    """
    pool = {c.lower(): c for c in choices}
    found = difflib.get_close_matches(word.lower(), list(pool), n=n, cutoff=cutoff)
    return tuple(pool[f] for f in found)


def did_you_mean(candidates: Iterable[str]) -> str:
    """Render candidates as a sentence; empty when there are none.

    >>> did_you_mean(["revenue", "arpu"])
    "Did you mean 'revenue' or 'arpu'?"
    """
    items = [repr(c) for c in candidates]
    if not items:
        return ""
    if len(items) == 1:
        return f"Did you mean {items[0]}?"
    return f"Did you mean {', '.join(items[:-1])} or {items[-1]}?"
