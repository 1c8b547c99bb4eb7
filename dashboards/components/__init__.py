"""Reusable pieces of the app's pages (answer cards, chart boxes, tables, figures, the top bar)."""

from __future__ import annotations

from .answer_card import answer_card, error_card, turn
from .chart import chart_box
from .figures import fallback_figure
from .navbar import navbar
from .report import report_section

__all__ = ["answer_card", "chart_box", "error_card", "turn", "navbar", "report_section", "fallback_figure"]
