"""What a card shows for an answer, in the language the page is in.

An answer's text and chart are built in the question's language. After the user toggles the
language the thread is drawn again: an answer to a semantic query is re-presented from its own
result frame in the new language (the same ``chatbi.narrative`` and ``chatbi.charts`` that made
it, no new query); hand-written SQL results are read as a query and presented the same way
(``chatbi.charts.frames``). What cannot be re-presented without asking again (a root-cause
report, a clarification, an error message) keeps its words and is marked with the language it is
in, so chips in one language never sit silently on top of text in the other.
"""

from __future__ import annotations

import logging
import threading
import weakref
from dataclasses import dataclass
from typing import Any

from ..i18n import t

__all__ = ["Shown", "shown"]

log = logging.getLogger(__name__)
_CACHE_SIZE = 256


@dataclass(frozen=True)
class Shown:
    text: str
    figure: Any
    #: the language the shown words are in, when it is not the page's (the card says so)
    foreign: str | None = None


class _Cache:
    """Presentations per (answer, language); an entry dies with its answer (weak reference)."""

    def __init__(self) -> None:
        self._items: dict[tuple[int, str], tuple[weakref.ref[Any], Shown]] = {}
        self._lock = threading.Lock()

    def get(self, answer: Any, lang: str) -> Shown | None:
        with self._lock:
            item = self._items.get((id(answer), lang))
        return item[1] if item is not None and item[0]() is answer else None

    def put(self, answer: Any, lang: str, value: Shown) -> None:
        try:
            ref = weakref.ref(answer)
        except TypeError:
            return
        with self._lock:
            if len(self._items) >= _CACHE_SIZE:
                for key in [k for k, (r, _) in self._items.items() if r() is None] or list(self._items)[:32]:
                    self._items.pop(key, None)
            self._items[(id(answer), lang)] = (ref, value)


_cache = _Cache()


def _members(chatbi: Any) -> Any:
    try:
        return chatbi.members
    except Exception:  # noqa: BLE001 - member names only decorate labels
        return None


def _own(answer: Any) -> Any:
    report = getattr(answer, "report", None)
    figure = getattr(report, "figure", None) if report is not None else None
    return figure if figure is not None else answer.figure


def shown(chatbi: Any, answer: Any, lang: str) -> Shown:
    """The text and figure to show for ``answer`` on a page in ``lang``."""
    cached = _cache.get(answer, lang)
    if cached is not None:
        return cached
    value = _present(chatbi, answer, lang)
    _cache.put(answer, lang, value)
    return value


def _present(chatbi: Any, answer: Any, lang: str) -> Shown:
    same = (answer.language or lang) == lang
    if not answer.ok:
        return Shown(answer.text or answer.error or "", None, None if same else answer.language)
    if answer.report is not None:  # words and labels of the analysis are in its language
        return Shown(answer.text or "", _own(answer), None if same else answer.language)
    if answer.query is None:
        return _custom_sql(chatbi, answer, lang)
    if same:
        return Shown(answer.text or "", answer.figure)
    try:
        from chatbi.charts import build_figure
        from chatbi.charts.memo import memo_figure
        from chatbi.narrative import narrate

        context = {"language": lang, "members": _members(chatbi), "period": answer.period,
                   "intent": getattr(answer, "intent", None),
                   "compare_period": getattr(answer, "compare_period", None)}
        text = narrate(answer.query, answer.data, chatbi.model, **context)
        figure = memo_figure(answer.query, answer.data, chatbi.model, **context,
                             build=lambda: build_figure(answer.query, answer.data, chatbi.model, **context))
        return Shown(text, figure)
    except Exception:
        log.warning("re-presenting an answer in %s failed", lang, exc_info=True)
        return Shown(answer.text or "", answer.figure, answer.language)


def _custom_sql(chatbi: Any, answer: Any, lang: str) -> Shown:
    from chatbi.charts.frames import present_frame

    try:
        presented = present_frame(answer.data, chatbi.model, language=lang, members=_members(chatbi))
    except Exception:
        log.warning("presenting a custom SQL result failed", exc_info=True)
        presented = None
    if presented is None:
        return Shown(answer.text or "", answer.figure)
    return Shown(answer.text or presented.text, answer.figure or presented.figure)


def foreign_note(shown_: Shown, lang: str) -> str | None:
    """"(answered in Chinese)" when the words shown are not in the page's language."""
    if not shown_.foreign or shown_.foreign == lang:
        return None
    return t(f"card.in_{shown_.foreign}", lang)
