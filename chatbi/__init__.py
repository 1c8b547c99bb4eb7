"""ChatBI: ask a warehouse questions in Chinese or English through a governed semantic layer."""

from __future__ import annotations

from .answer import Answer, ClarifyOption
from .api import ChatBI
from .conversation import Conversation
from .errors import ChatBIError, ConfigError, EngineError, MissingDependencyError, QueryTimeout

__all__ = [
    "ChatBI",
    "Answer",
    "ClarifyOption",
    "Conversation",
    "ChatBIError",
    "ConfigError",
    "EngineError",
    "QueryTimeout",
    "MissingDependencyError",
]
