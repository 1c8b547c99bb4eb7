"""Write requests however they are phrased: a writing verb with a value after it, in one clause.

ChatBI only reads. "删除" or "truncate" are refused by the grammar's ``destructive`` words; people
also ask softly -- "把广东的收入改成50万", "将ARPU设为100元", "set Guangdong revenue to zero",
"change the churn rate of Sichuan to 1%", "make December revenue 10 million". The rule: a clause
that holds a writing verb (``writes.verbs`` of the grammar resources) followed by a value -- a
number no other reading took (not a period, a top-N or a threshold) or a value word (``writes.values``:
zero, 零, null ...) -- asks to change data. Reading questions use the same verbs without a value
("换成ARPU", "change to monthly", "how did revenue change in 2025") and stay questions.

>>> from chatbi.translate.grammar import load_grammar
>>> from chatbi.translate.scan import Token
>>> g = load_grammar()
>>> asks_to_write("set guangdong revenue to zero", [], g)
True
>>> asks_to_write("how did revenue change in 2025", [Token(27, 31, "time")], g)
False
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from .grammar import Grammar
from .scan import Token

__all__ = ["asks_to_write", "clauses"]

#: where one clause of a question ends: sentence and clause punctuation (not "、", which lists members,
#: and not a decimal point)
_CLAUSE_END = re.compile(r"[,，。;；:：!！?？\n]|\.(?!\d)")


def clauses(text: str) -> list[tuple[int, int]]:
    """(start, end) of each clause of a normalised question.

    >>> clauses("quick question: revenue in 2025?")
    [(0, 14), (15, 31)]
    """
    out: list[tuple[int, int]] = []
    start = 0
    for m in _CLAUSE_END.finditer(text):
        if text[start:m.start()].strip():
            out.append((start, m.start()))
        start = m.end()
    if text[start:].strip():
        out.append((start, len(text)))
    return out


@lru_cache(maxsize=4)
def _patterns(grammar: Grammar) -> tuple[re.Pattern[str], re.Pattern[str]]:
    def alternation(words: Sequence[str]) -> str:
        parts = []
        for w in sorted(set(words), key=len, reverse=True):
            esc = re.escape(w)
            if w[:1].isascii() and w[:1].isalnum():
                esc = r"(?<![a-z0-9])" + esc + r"(?![a-z0-9])"
            parts.append(esc)
        return "|".join(parts) or "(?!)"

    return (re.compile(alternation(grammar.writes.get("verbs", ()))),
            re.compile(alternation(grammar.writes.get("values", ()))))


def asks_to_write(text: str, tokens: Sequence[Token], grammar: Grammar) -> bool:
    """Does a clause of the normalised ``text`` hold a writing verb followed by a value?

    ``tokens`` are the scan's: a verb inside a name ("设备厂商") is no verb, and a number is a value
    only when no other reading took it (a ``number`` token, or digits outside every token).
    """
    verbs, values = _patterns(grammar)
    # a verb or value word inside a name of the model is part of that name ("设备厂商"); grammar keywords
    # do not count (改成 is also a follow-up's "replace", change also a growth word)
    spans = [(t.start, t.end) for t in tokens if t.kind in _NAMES]

    def inside(pos: int) -> bool:
        return any(s <= pos < e for s, e in spans)

    numbers = [t.start for t in tokens if t.kind == "number"]
    for start, end in clauses(text):
        verb = next((m for m in verbs.finditer(text, start, end) if not inside(m.start())), None)
        if verb is None:
            continue
        if any(verb.end() <= n < end for n in numbers):
            return True
        if any(not inside(m.start()) for m in values.finditer(text, verb.end(), end)):
            return True
    return False


#: token kinds that name something of the model or a reading of the question
_NAMES = frozenset({"metric", "dimension", "member", "fragment", "time", "top", "threshold", "grain"})
