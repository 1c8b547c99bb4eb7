"""User-facing words, one catalog file per language, looked up by key.

``chatbi/messages/<language>.yaml`` holds every sentence ChatBI says to a person (answers,
clarifications, errors, chart labels) as nested mappings; a key is the dotted path
(``period.range``). Each file is read once. A language is supported when its file exists: a third
language needs one more YAML file here (and in the translator's ``resources/``), not edits in Python.

A key missing in a language falls back to English; a key missing in English is a programming error
(:class:`MessageKeyError`). Placeholders are ``str.format`` fields (``{n}``), filled by keyword.

>>> message("grain.quarter", "zh")
'季度'
>>> message("period.range", "en-GB", start="2025-11-01", end="2025-11-15")
'2025-11-01 to 2025-11-15'
>>> language_of("zh-Hans"), language_of("fr"), language_of(None)
('zh', 'en', 'en')
"""

from __future__ import annotations

from pathlib import Path

from .catalog import Catalog, MessageKeyError

__all__ = ["CATALOG", "Catalog", "MessageKeyError", "language_of", "languages", "message", "phrases"]

#: The catalogs of the ``chatbi`` package (other packages build their own :class:`Catalog`).
CATALOG = Catalog(Path(__file__).parent)


def message(key: str, language: str | None, /, **params: object) -> str:
    """The sentence ``key`` in ``language`` (English when missing) with ``params`` filled in."""
    return CATALOG.message(key, language, **params)


def phrases(prefix: str, language: str | None) -> dict[str, str]:
    """Every message under ``prefix`` (without it) in ``language``, English filling the gaps."""
    return CATALOG.phrases(prefix, language)


def language_of(language: str | None) -> str:
    """The supported language closest to ``language`` (``zh-CN`` -> ``zh``); English otherwise."""
    return CATALOG.language_of(language)


def languages() -> tuple[str, ...]:
    """The languages that have a catalog file, English first."""
    return CATALOG.languages
