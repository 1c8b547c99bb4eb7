"""Shared state for servers with several worker processes: a small record store and exact JSON
records of frames, answers and conversations (see :mod:`chatbi.state.store`)."""

from __future__ import annotations

from .store import Entry, StateStore, default_app_db_path, open_state, state_url_problem

__all__ = ["Entry", "StateStore", "open_state", "state_url_problem", "default_app_db_path"]
