"""Errors of ``chatbi.security``. Imports nothing internal but the package base."""

from __future__ import annotations

from ..errors import ChatBIError, ConfigError

__all__ = ["AccessDenied", "SecurityConfigError"]


class AccessDenied(ChatBIError, PermissionError):
    """A user may not do this (unknown user, wrong password, a closed table, free SQL not allowed)."""


class SecurityConfigError(ConfigError):
    """The security configuration (users, roles, policies) is invalid."""
