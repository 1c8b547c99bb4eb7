"""The tokens a scanned question is made of, and the scan that holds them (``scan.py`` builds it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from .lexicon import Target
from .normalize import Normalized

__all__ = ["Token", "Scan"]


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    kind: str  # metric dimension member fragment kw grain time top threshold number unknown
    name: str = ""
    value: Any = None
    targets: tuple[Target, ...] = ()
    plural: bool = False
    text: str = ""  # the user's own words
    #: the dictionary gloss a Chinese word was read through ("(retail) store" for 门店), when it was
    gloss: str = ""


@dataclass
class Scan:
    norm: Normalized
    #: zh / en, or None when the words decide nothing ("5G", "ARPU"): the conversation decides
    language: str | None
    tokens: list[Token] = field(default_factory=list)
    corrections: list[tuple[str, str]] = field(default_factory=list)
    #: the date relative periods are read against
    anchor: dt.date | None = None

    def of(self, kind: str, name: str | None = None) -> list[Token]:
        return [t for t in self.tokens if t.kind == kind and (name is None or t.name == name)]

    def has(self, kind: str, name: str | None = None) -> bool:
        return any(t.kind == kind and (name is None or t.name == name) for t in self.tokens)
