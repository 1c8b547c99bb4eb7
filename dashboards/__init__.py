"""The ChatBI web app (Dash): ask, see, drill, pin. ``dash`` is imported only inside this package."""

from __future__ import annotations

from .app import create_app

__all__ = ["create_app"]
