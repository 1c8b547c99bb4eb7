"""Typos of the model's own terms, corrected only when nothing else could have been meant.

* **Chinese**: a character typed for a same-sounding one (离网律 for 离网率, 在往 for 在网) or for a
  similar-sounding one (收人 for 收入) is found by its pinyin (pypinyin, tones ignored). A stretch of the
  question is corrected when it differs from exactly one model term in exactly one character, that
  character is not itself part of any name the lexicon knows, and the two characters sound alike (the
  same reading, or the same initial and nearly the same final), and a typed character at either end of
  the stretch does not make a common word with its neighbour outside it (女性用户 is no typo of 新用户:
  性 belongs to 女性; wordfreq's Chinese list), nor is the stretch itself a common word (电话, "telephone", is
  typed as meant, whatever term it sounds like). Several candidate terms: no correction (the translator then asks).
* **English**: a word is corrected towards a model term (or a grain of its time dimension) only when it
  is not itself a common English word (wordfreq's frequency list, installed with the package: no download): "payment" stays
  "payment" and is asked about, "revenu" becomes "revenue".

Corrections are reported to the user (``understood`` entries of kind ``typo``, the app's chips).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from .normalize import is_cjk

if TYPE_CHECKING:
    from .lexicon import Lexicon

__all__ = ["ChineseTypos", "chinese_typos", "common_chinese", "common_english"]

#: zipf frequency (log10 per billion words) from which an English word is common: about three times
#: per million words ("payment" 4.7, "rat" 4.2, "cites" 3.6; "chanel" 3.5 -- a brand, not a word --,
#: "revenu" 1.5, "complants" 0)
COMMON_ZIPF = 3.5
_INITIALS = ("zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x", "r", "z", "c",
             "s", "y", "w")
_MODEL_KINDS = ("metric", "dimension", "member")


@lru_cache(maxsize=8192)
def common_english(word: str) -> bool:
    """Is ``word`` a common English word (so never a misspelling to correct)?"""
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en") >= COMMON_ZIPF


@lru_cache(maxsize=1)
def _chinese_words() -> dict[str, float]:
    from wordfreq import get_frequency_dict

    return get_frequency_dict("zh", wordlist="small")  # read only when a typed character borders a word


def common_chinese(word: str) -> bool:
    """Is ``word`` a common Chinese word (女性, 律师), by the same measure as :func:`common_english`?"""
    return _chinese_words().get(word, 0.0) >= 10 ** (COMMON_ZIPF - 9)


@lru_cache(maxsize=8192)
def _readings(char: str) -> frozenset[str]:
    from pypinyin import Style, pinyin

    return frozenset(r for group in pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore") for r in group)


def _split(reading: str) -> tuple[str, str]:
    initial = next((i for i in _INITIALS if reading.startswith(i)), "")
    return initial, reading[len(initial):]


def _near(a: str, b: str) -> bool:
    """Same final with at most two edits, or the same initial consonant with a close final."""
    if len(a) < len(b):
        a, b = b, a
    if a.startswith(b) or a.endswith(b):
        return len(a) - len(b) <= 2
    return sum(x != y for x, y in zip(a, b)) + len(a) - len(b) <= 2


def sounds_alike(typed: str, meant: str) -> bool:
    """Do two characters read the same (any reading) or nearly so (same initial, close final)?

    >>> sounds_alike("律", "率"), sounds_alike("往", "网"), sounds_alike("人", "入"), sounds_alike("费", "入")
    (True, True, True, False)
    """
    a, b = _readings(typed), _readings(meant)
    if a & b:
        return True
    for x in a:
        xi, xf = _split(x)
        for y in b:
            yi, yf = _split(y)
            if xi and xi == yi and _near(xf, yf):
                return True
    return False


@dataclass
class ChineseTypos:
    """Model terms written in Chinese, keyed by every one-character hole: 离网率 -> 离网?, 离?率, ?网率."""

    lexicon: Lexicon
    holes: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    lengths: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        lengths: set[int] = set()
        for key, targets in self.lexicon.entries.items():
            if len(key) < 2 or not all(is_cjk(c) for c in key):
                continue
            if not any(t.kind in _MODEL_KINDS for t in targets):
                continue
            lengths.add(len(key))
            for k in range(len(key)):
                self.holes.setdefault(f"{key[:k]}\x00{key[k + 1:]}", []).append((key, key[k]))
        self.lengths = tuple(sorted(lengths, reverse=True))

    def corrections(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, term) for each stretch of ``text`` to read as a model term; same length."""
        explained = self._explained(text)
        out: list[tuple[int, int, str]] = []
        i = 0
        while i < len(text):
            fixed = self._at(text, i, explained)
            if fixed is not None:
                out.append((i, i + len(fixed), fixed))
                i += len(fixed)
            else:
                i += 1
        return out

    def _explained(self, text: str) -> list[bool]:
        """Which characters a lexicon name (or a grammar word) covers: those are never typos."""
        covered = [False] * len(text)
        grammar = self.lexicon.grammar
        i = 0
        while i < len(text):
            match = self.lexicon.longest(text, i)
            if match is not None:
                for k in range(match.start, match.end):
                    covered[k] = True
                i = match.end
                continue
            if text[i] in grammar.stopwords or not is_cjk(text[i]):
                covered[i] = True
            i += 1
        return covered

    def _at(self, text: str, i: int, explained: list[bool]) -> str | None:
        for length in self.lengths:
            window = text[i:i + length]
            if len(window) < length or not all(is_cjk(c) for c in window) or window in self.lexicon.entries:
                continue
            if common_chinese(window):
                continue  # 电话 is a word of its own, not a misspelt 掉话: asked about, never changed
            found: dict[str, tuple[tuple[str, str, str], ...]] = {}
            for k, typed in enumerate(window):
                if explained[i + k]:
                    continue  # a character that is part of a known name is no typo
                if _in_a_word(text, i, i + length, k):
                    continue
                for term, meant in self.holes.get(f"{window[:k]}\x00{window[k + 1:]}", ()):
                    if sounds_alike(typed, meant):
                        found[term] = tuple((t.kind, t.name, t.value) for t in self.lexicon.entries[term]
                                            if t.kind in _MODEL_KINDS)
            if len(set(found.values())) == 1:
                return min(found, key=len)
            if found:
                return None  # two terms sound alike: leave it for the translator to ask
        return None


def _in_a_word(text: str, start: int, end: int, k: int) -> bool:
    """Does the typed character ``text[start + k]``, at an end of the stretch, make a common word with
    the character just outside it (女|性用户, 离网|律师)? Then it was typed as meant."""
    pos = start + k
    if pos == start and start > 0 and is_cjk(text[start - 1]) and common_chinese(text[start - 1:pos + 1]):
        return True
    return pos == end - 1 and end < len(text) and is_cjk(text[end]) and common_chinese(text[pos:end + 1])


_LOCK = threading.Lock()


def chinese_typos(lexicon: Lexicon) -> ChineseTypos:
    """The pinyin matcher of ``lexicon``, built on first use (pypinyin loads only when a question has
    Chinese words the lexicon does not know)."""
    with _LOCK:
        found = lexicon.__dict__.get("_chinese_typos")
        if found is None:
            found = lexicon.__dict__["_chinese_typos"] = ChineseTypos(lexicon)
        return found
