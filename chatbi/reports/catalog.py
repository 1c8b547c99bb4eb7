"""The words of reports: the ``reports`` section of ChatBI's message catalogs (``chatbi/messages``).

Templates only arrange numbers that were computed by the semantic layer and formatted by
``chatbi.charts.numbers``; nothing here computes.

>>> say("section.kpis", "zh"), say("section.kpis", "en")
('核心指标', 'Key metrics')
>>> words("en")["html.summary"]
'Highlights'
"""

from __future__ import annotations

from typing import Any

from ..messages import message, phrases

__all__ = ["say", "words"]


def say(key: str, language: str, **fields: Any) -> str:
    """The phrase ``reports.<key>`` in ``language`` with ``fields`` filled in (English when missing)."""
    return message(f"reports.{key}", language, **fields)


def words(language: str) -> dict[str, str]:
    """Every report phrase of a language, for the HTML and mail templates (English filling the gaps)."""
    return phrases("reports", language)
