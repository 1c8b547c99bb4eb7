"""Interface strings (one catalog file per language in ``messages/``), and the browser-language choice.

Answer texts come from ChatBI in the question's language; only the app's own chrome lives here.
"""

from __future__ import annotations

import re
from pathlib import Path

from chatbi.messages import Catalog, MessageKeyError

__all__ = ["CATALOG", "LANGUAGES", "t", "preferred_language"]

#: The app's own words: ``dashboards/messages/<language>.yaml``, read once (chatbi's catalog mechanism).
CATALOG = Catalog(Path(__file__).with_name("messages"))
#: Languages the app can show: those with a catalog file.
LANGUAGES = CATALOG.languages


def t(key: str, lang: str, **values: object) -> str:
    """The string ``key`` in ``lang`` (English, then the key itself, when missing).

    >>> t("chip.top", "zh", n=5), t("chip.top", "en", n=5), t("no.such.key", "zh")
    ('前 5', 'top 5', 'no.such.key')
    """
    try:
        return CATALOG.message(key, lang, **values)
    except MessageKeyError:
        return key


_TAG = re.compile(r"^\s*([A-Za-z]{1,8})(?:-[A-Za-z0-9]{1,8})*\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*$")


def preferred_language(accept_language: str | None, default: str = "en") -> str:
    """The supported language the browser ranks highest.

    >>> preferred_language("zh-CN,zh;q=0.9,en;q=0.8")
    'zh'
    >>> preferred_language("en-US,en;q=0.9,zh-CN;q=0.8", default="zh")
    'en'
    >>> preferred_language(None, default="zh")
    'zh'
    """
    best: tuple[float, int, str] | None = None
    for position, part in enumerate((accept_language or "").split(",")):
        match = _TAG.match(part)
        if not match:
            continue
        primary = match.group(1).lower()
        if primary not in LANGUAGES:
            continue
        try:
            quality = float(match.group(2)) if match.group(2) else 1.0
        except ValueError:
            continue
        # higher quality first; among equals the header's order decides
        key = (quality, -position, primary)
        if quality > 0 and (best is None or key > best):
            best = key
    return best[2] if best else default
