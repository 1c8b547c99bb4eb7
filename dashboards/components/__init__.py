"""Reusable pieces of the app's pages (answer cards, tables, figures, the top bar)."""

from __future__ import annotations

from .answer_card import answer_card, error_card, turn
from .figures import drill_figure, fallback_figure, trend_figure
from .navbar import navbar
from .report import report_section

__all__ = ["answer_card", "error_card", "turn", "navbar", "report_section", "fallback_figure", "trend_figure",
           "drill_figure"]
