"""Access control and data protection: users and roles, row-level security, masking, audit.

* :class:`Security` -- users (hashed passwords), roles and their policies from ``security.yaml``,
  the identity-provider hook (a trusted proxy header);
* ``ChatBI.for_user(principal)`` -- a :class:`ScopedChatBI`: the facade plus a principal, every
  per-user piece computed through the policy (``view``, ``scoped``; the policy itself is pure
  data: ``semantic_layer.policy``);
* :mod:`chatbi.security.masking` -- the masking operators;
* :class:`AuditLog` -- who asked what, the SQL, rows, denials (``chatbi audit``).
"""

from __future__ import annotations

from typing import Any

from semantic_layer.policy import AccessPolicy, ColumnRule, Principal

from .audit import AuditEvent, AuditLog
from .config import HeaderIdentityProvider, IdentityProvider, Security, load_security
from .errors import AccessDenied, SecurityConfigError
from .masking import OPERATORS, mask_series, mask_value
from .passwords import hash_password, verify_password

__all__ = ["Security", "load_security", "IdentityProvider", "HeaderIdentityProvider", "AccessPolicy", "ColumnRule",
           "Principal", "AuditLog", "AuditEvent", "AccessDenied", "SecurityConfigError", "OPERATORS", "mask_value",
           "mask_series", "hash_password", "verify_password", "ScopedChatBI"]


def __getattr__(name: str) -> Any:
    if name == "ScopedChatBI":  # imports the facade; loaded on use so `chatbi.api` can import this package
        from .view import ScopedChatBI

        return ScopedChatBI
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
