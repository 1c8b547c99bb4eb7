"""Comprehension accounting: every word of a question is mapped, a function word, or accounted for.

The scan leaves three kinds of words: names of the model and readings of the grammar (tokens),
function words of the language (``stopwords`` of the grammar resources: dropped, they mean nothing of
the data) and the rest -- ``unknown`` words and ``number`` tokens no reading took. Those never vanish.
One rule decides what happens to each (README, "What ChatBI does with words it does not know"):

1. a word that is part of a name of the term right next to it is read as part of that name
   ("average *downlink* speed": *downlink throughput* is a name of the speed metric; "粤*公司*":
   *省公司* is a name of the province dimension);
2. an unaccounted word in a clause that names something of the data (a metric, dimension, member,
   period, ranking, threshold, negation ...) could change the answer: the question is asked back,
   naming the word ("数据模型里没有“年龄”" / "The model has no 'age'");
3. an unaccounted word in a clause of its own that names nothing of the data ("quick question:",
   "老板要的，", "FYI for the board deck,") is incidental: the answer is given and the word is listed
   as ignored.

Clauses end at punctuation (``，。,.;:!?``; not at ``、``, which lists members).
"""

from __future__ import annotations

from dataclasses import dataclass

from .lexicon import Lexicon
from .normalize import is_cjk
from .scan import Scan, Token
from .writes import clauses

__all__ = ["Accounting", "Unaccounted", "account"]

#: tokens that make a clause about the data
_ABOUT_DATA = frozenset({"metric", "dimension", "member", "fragment", "grain", "time", "top", "threshold", "number"})
#: grammar keywords that do too: they only make sense of something of the data ("excluding students")
_OPERATIVE_KEYWORDS = frozenset({"neg", "neg_after", "only", "highest", "lowest", "best", "worst", "rank", "share",
                                 "growth", "pop", "yoy", "vs", "report"})


@dataclass(frozen=True)
class Unaccounted:
    """Words the model does not have (the user's own spelling) and where the question says them.

    ``start``/``end`` index the normalised text, ``source`` the question as typed; ``number`` marks a
    bare number; ``qualifies`` a threshold the words qualify ("over 60 *years old*"): the threshold
    is theirs, not the metric's.
    """

    text: str
    start: int
    end: int
    source: tuple[int, int] = (0, 0)
    number: bool = False
    qualifies: bool = False


@dataclass(frozen=True)
class Accounting:
    #: words that could change the answer: the question must be asked back
    unaccounted: tuple[Unaccounted, ...] = ()
    #: incidental remarks (each the clause that holds them, as typed): listed with the answer, changing nothing
    ignored: tuple[str, ...] = ()
    #: words read as part of the name next to them (rule 1)
    named: tuple[str, ...] = ()


def account(scan: Scan, lex: Lexicon) -> Accounting:
    """Sort the words the scan did not map into part-of-a-name, could-change-the-answer and incidental."""
    tokens = sorted(scan.tokens, key=lambda t: t.start)
    text = scan.norm.text
    spans = clauses(text)
    loose = [t for t in tokens if t.kind in ("unknown", "number", "foreign")]
    if not loose:
        return Accounting()
    unaccounted: list[Unaccounted] = []
    ignored: list[Unaccounted] = []
    named: list[str] = []
    for t in loose:
        if t.kind == "unknown" and _part_of_a_name(t, tokens, lex):
            named.append(t.text)
            continue
        if t.kind == "foreign":  # "over 60 years old", "60岁以上" (scan.py): a condition the model cannot hold
            unaccounted.append(Unaccounted(t.text, t.start, t.end, qualifies=True))
            continue
        start, end = next(((s, e) for s, e in spans if s <= t.start < e), (0, len(text)))
        word = Unaccounted(t.text, t.start, t.end, number=t.kind == "number")
        if not any(_about_data(x) for x in tokens if start <= x.start < end):
            ignored.append(Unaccounted(scan.norm.original(start, end), start, end))  # the whole remark
            continue
        before = _previous(tokens, t)
        if t.kind == "unknown" and before is not None and before.kind == "threshold" and \
                not lex_gap(text[before.end:t.start], lex):
            # "over 60 years old": the number belongs to the unknown words, not to the metric
            word = Unaccounted(t.text, before.start, t.end, qualifies=True)
        unaccounted.append(word)
    covered = _model_spans(tokens)
    phrases = tuple(_located(_widened(w, text, covered, lex.grammar.stopwords), scan)
                   for w in _phrases(unaccounted, scan))
    return Accounting(phrases, tuple(dict.fromkeys(w.text for w in ignored if w.text)), tuple(named))


def lex_gap(gap: str, lex: Lexicon) -> bool:
    """Does ``gap`` (text between two tokens) hold anything but spaces and function words?"""
    return any(not lex.function_word(w) for w in gap.split() if w.isascii() and w.isalpha()) or \
        any(is_cjk(c) and c not in lex.grammar.stopwords for c in gap if c != "的")


def _model_spans(tokens: list[Token]) -> set[int]:
    """Positions that name something (model tokens, and grammar phrases of two or more characters)."""
    out: set[int] = set()
    for t in tokens:
        if t.kind in _ABOUT_DATA or (t.kind == "kw" and t.end - t.start > 1):
            out.update(range(t.start, t.end))
    return out


def _widened(w: Unaccounted, text: str, covered: set[int], function_words: frozenset[str]) -> Unaccounted:
    """A Chinese unknown word with the characters around it that name nothing, so the user sees the
    word they wrote ("年龄分布", not "龄": 年 is a function character, 分 a one-character keyword)."""
    if w.number or not is_cjk(text[w.start]):
        return w
    start, end = w.start, w.end
    while start > 0 and is_cjk(text[start - 1]) and start - 1 not in covered and text[start - 1] not in _PARTICLES \
            and not any(len(f) > 1 and text.endswith(f, 0, start) for f in function_words):  # "一份关于|年龄"
        start -= 1
    while end < len(text) and is_cjk(text[end]) and end not in covered and text[end] not in _PARTICLES \
            and not any(len(f) > 1 and text.startswith(f, end) for f in function_words):
        end += 1
    return Unaccounted(w.text, start, end, number=w.number, qualifies=w.qualifies)


#: characters that end a Chinese word for the purpose of naming it back to the user
_PARTICLES = frozenset("的和与及或、")


def _previous(tokens: list[Token], t: Token) -> Token | None:
    at = tokens.index(t)
    return tokens[at - 1] if at > 0 else None


def _located(w: Unaccounted, scan: Scan) -> Unaccounted:
    """``w`` with the text and offsets of the question as the user typed it."""
    origin = scan.norm.origin
    first, last = origin[w.start], origin[min(w.end, len(origin)) - 1] + 1
    return Unaccounted(scan.norm.original(w.start, w.end), w.start, w.end, (first, last), w.number, w.qualifies)


def _about_data(t: Token) -> bool:
    return t.kind in _ABOUT_DATA or (t.kind == "kw" and t.name in _OPERATIVE_KEYWORDS)


def _part_of_a_name(t: Token, tokens: list[Token], lex: Lexicon) -> bool:
    """Rule 1: is the unknown word inside a name of the mapped token right before or after it?"""
    word = t.text.lower()
    if len(word) < 2 or (word.isascii() and len(word) < 3):
        return False
    at = tokens.index(t)
    for k in (at - 1, at + 1):
        if not 0 <= k < len(tokens):
            continue
        near = tokens[k]
        if near.kind not in ("metric", "dimension", "member"):
            continue
        for alias in _names_of(near, lex):
            if (word.isascii() and word in alias.split()) or (not word.isascii() and is_cjk(word[0]) and word in alias
                                                                and word != alias):
                return True
    return False


def _names_of(token: Token, lex: Lexicon) -> list[str]:
    """Every name of what ``token`` mapped to; for a member also its dimension's names."""
    out: list[str] = []
    for target in token.targets or ():
        if target.kind in ("metric", "dimension"):
            out += lex.names(target.kind, target.name)
        elif target.kind == "member":
            out += lex.names("member", target.name, target.value) + lex.names("dimension", target.name)
    return out


def _phrases(words: list[Unaccounted], scan: Scan) -> list[Unaccounted]:
    """Neighbouring unaccounted words as one phrase ("profit margin", "board deck")."""
    text = scan.norm.text
    out: list[Unaccounted] = []
    for w in words:
        if out and not out[-1].number and not w.number and _adjacent(text, out[-1].end, w.start):
            prev = out[-1]
            out[-1] = Unaccounted(scan.norm.original(prev.start, w.end), prev.start, w.end,
                                  qualifies=prev.qualifies or w.qualifies)
        else:
            out.append(w)
    return out


def _adjacent(text: str, end: int, start: int) -> bool:
    gap = text[end:start]
    return len(gap) <= 1 and not gap.strip()
