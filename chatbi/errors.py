"""Errors of the ``chatbi`` package. Imports nothing internal.

Each error subclasses :class:`ChatBIError` and the matching built-in. The facade turns
them into ``Answer(status="error")``; the CLI prints their message, never a traceback.
"""

from __future__ import annotations

__all__ = ["ChatBIError", "EngineError", "QueryTimeout", "QueryTooCostly", "WithheldEngineError",
           "MissingDependencyError", "ConfigError"]


class ChatBIError(Exception):
    """Base of every error raised by ``chatbi``."""


class EngineError(ChatBIError, RuntimeError):
    """The warehouse failed to run a statement (down, bad credentials, missing table ...)."""


class QueryTimeout(EngineError, TimeoutError):
    """A statement ran longer than the configured timeout and was interrupted."""


class QueryTooCostly(EngineError):
    """The engine's plan of a statement is too costly to run (a product of large tables); nothing ran."""


class WithheldEngineError(EngineError):
    """A database error whose text a restricted user may not see: a sentence and ``reference`` instead
    (the full text is in the audit log under the reference). ``worded(language)`` says it."""

    def __init__(self, reference: str, language: str | None = None) -> None:
        self.reference = reference
        super().__init__(self.worded(language))

    def worded(self, language: str | None) -> str:
        from .messages import message  # the catalog imports this module: resolved at call time

        return message("engine.withheld", language, ref=self.reference)


class MissingDependencyError(ChatBIError, ImportError):
    """An optional package is needed; the message says which one to install."""


class ConfigError(ChatBIError, ValueError):
    """Invalid configuration given to ChatBI (arguments, settings, files)."""
