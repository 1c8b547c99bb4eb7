"""The words of reports (titles, sentence templates), per language, from ``catalog.yaml``.

Templates only arrange numbers that were computed by the semantic layer and formatted by
``chatbi.charts.formatting``; nothing here computes.

>>> say("section.kpis", "zh"), say("section.kpis", "en")
('核心指标', 'Key metrics')
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from ..charts.formatting import lang_of

__all__ = ["say", "words"]

_CATALOG = Path(__file__).with_name("catalog.yaml")


@cache
def _table() -> dict[str, dict[str, str]]:
    data = yaml.safe_load(_CATALOG.read_text(encoding="utf-8"))
    return {lang: {str(k): str(v) for k, v in items.items()} for lang, items in data.items()}


def words(language: str) -> dict[str, str]:
    """The whole table of one language (templates pass it to Jinja)."""
    return _table()[lang_of(language)]


def say(key: str, language: str, **fields: Any) -> str:
    """The phrase ``key`` in ``language`` with ``fields`` filled in (English when a key is missing)."""
    table = _table()
    template = table[lang_of(language)].get(key)
    if template is None:
        template = table["en"][key]
    return template.format(**fields) if fields else template
