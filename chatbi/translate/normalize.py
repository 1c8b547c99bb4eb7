"""Text normalisation for the offline translator: width, case, punctuation, numerals, language.

Normalisation works character by character and keeps, for every normalised character, the
index of the original character it came from: the "understood as" display quotes the user's
own spelling (``２０２５年``), not ours (``2025年``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["Normalized", "normalize", "normalize_alias", "detect_language", "parse_number",
           "is_cjk", "is_word_char"]

# Chinese punctuation that NFKC leaves alone; each becomes its ASCII counterpart or a space.
_PUNCT = str.maketrans({"。": ".", "；": ";", "：": ":", "“": '"', "”": '"', "‘": "'", "’": "'", "《": " ",
                        "》": " ", "【": " ", "】": " ", "「": " ", "」": " ", "—": "-", "–": "-", "～": "~",
                        "\u3000": " ", "·": " ", "…": " ", "﹖": "?"})



@dataclass(frozen=True)
class Normalized:
    """Normalised text and, per character, the index of its source character."""

    text: str
    origin: tuple[int, ...]
    source: str

    def original(self, start: int, end: int) -> str:
        """The user's own text behind ``text[start:end]``."""
        if start >= end or start >= len(self.origin):
            return ""
        first = self.origin[start]
        last = self.origin[min(end, len(self.origin)) - 1]
        return self.source[first:last + 1].strip()


def is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def is_word_char(ch: str) -> bool:
    """ASCII letters and digits: the characters that must not touch an English match."""
    return ch.isascii() and (ch.isalnum() or ch == "_")


def normalize(text: str) -> Normalized:
    """Half-width, lower-case, ASCII punctuation, single spaces, hyphens between words as spaces.

    >>> normalize("２０２５年ＡＲＰＵ？").text
    '2025年arpu?'
    >>> normalize("year-over-year  growth").text
    'year over year growth'
    """
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        norm = unicodedata.normalize("NFKC", ch).translate(_PUNCT).lower()
        for c in norm:
            if c.isspace():
                if not chars or chars[-1] == " ":
                    continue
                c = " "
            chars.append(c)
            origin.append(i)
    # "year-over-year", "drill-down": a hyphen between letters separates words; between digits
    # (dates) it is kept.
    for j in range(1, len(chars) - 1):
        if chars[j] == "-" and chars[j - 1].isalpha() and chars[j + 1].isalpha() and chars[j - 1].isascii():
            chars[j] = " "
    while chars and chars[-1] == " ":
        chars.pop()
        origin.pop()
    return Normalized("".join(chars), tuple(origin), text)


_SPACES = re.compile(r"\s+")
_WORD_HYPHEN = re.compile(r"(?<=[a-z])-(?=[a-z])")


def normalize_alias(text: str) -> str:
    """Normalise a lexicon entry exactly like questions are normalised (without the index map).

    >>> normalize_alias("Year-over-Year ＡＲＰＵ") == normalize("Year-over-Year ＡＲＰＵ").text
    True
    """
    norm = unicodedata.normalize("NFKC", text).translate(_PUNCT).lower()
    return _WORD_HYPHEN.sub(" ", _SPACES.sub(" ", norm)).strip()


def detect_language(text: str) -> str:
    """``zh`` when the text has Chinese characters, else ``en``.

    >>> detect_language("top 5 城市"), detect_language("top 5 cities")
    ('zh', 'en')
    """
    return "zh" if any(is_cjk(c) for c in text) else "en"


_NUMBER_RE = re.compile(r"^\d+(?:\.\d+)?$")


def _numerals() -> tuple[dict[str, int], dict[str, int]]:
    """Numeral characters -> digit, and -> unit (十 10 ... 亿 10^8): the grammar's ``quantities``."""
    from .grammar import load_grammar  # the grammar normalises its phrases with this module

    q = load_grammar().quantities
    return q.numeral_digits, q.numeral_units


def parse_number(text: str) -> float | None:
    """Arabic or Chinese numerals to a number; ``None`` when ``text`` is not a number.

    >>> [parse_number(s) for s in ("12", "3.5", "十", "十一", "二十三", "两", "一百零五", "二〇二五", "三千")]
    [12.0, 3.5, 10.0, 11.0, 23.0, 2.0, 105.0, 2025.0, 3000.0]
    """
    text = text.strip().replace(",", "")
    if not text:
        return None
    if _NUMBER_RE.match(text):
        return float(text)
    digits, units = _numerals()
    if any(c not in digits and c not in units for c in text):
        return None
    if all(c in digits for c in text):
        if len(text) == 1:
            return float(digits[text])
        return float("".join(str(digits[c]) for c in text))  # 二〇二五 -> 2025
    total, section, digit = 0, 0, 0
    for c in text:
        if c in digits:
            digit = digits[c]
            continue
        unit = units[c]
        if unit >= 10_000:
            total += (section + digit) * unit
            section = digit = 0
        else:
            section += (digit or 1) * unit  # "十一": a bare unit counts one of it
            digit = 0
    return float(total + section + digit)
