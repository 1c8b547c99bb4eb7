"""Scan a question into tokens: model names, grammar keywords, times, top-N, thresholds, unknowns.

Passes run in a fixed order and each masks what it consumed, so later passes cannot misread
it: comparison phrases first ("比去年同期" must not become the time "去年"), then thresholds
("above 2000" is not the year 2000), times, top-N ("前十"), and finally the greedy longest
match over the lexicon. English words the lexicon does not know are corrected when a lexicon
word is one or two edits away, and the scan is repeated on the corrected text.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from functools import lru_cache

from .glossed import read_glosses
from .grammar import Grammar
from .lexicon import Lexicon, Target
from .normalize import detect_language, is_cjk, is_word_char, normalize, parse_number
from .timeparse import find_times
from .tokens import Scan, Token
from .typos import chinese_typos

__all__ = ["Token", "Scan", "scan"]  # Token and Scan live in tokens.py

_MASK = "\x01"
#: shift words that name their unit ("前一个月", "the quarter before"), read before times are ("前一个月"
#: is not "the last month"); "上一个" / "the one before" are plain keywords
_SHIFT_TAGS = ("shift_day", "shift_week", "shift_month", "shift_quarter", "shift_year_back", "shift_year")
_OPS = {"threshold_gt": ">", "threshold_ge": ">=", "threshold_lt": "<", "threshold_le": "<="}


def _alternation(phrases: tuple[str, ...]) -> str:
    parts = []
    for p in sorted(set(phrases), key=len, reverse=True):
        esc = re.escape(p)
        if p[:1].isascii() and p[:1].isalnum():
            esc = r"(?<![a-z0-9])" + esc
        if p[-1:].isascii() and p[-1:].isalnum():
            esc += r"(?![a-z0-9])"
        parts.append(esc)
    return "|".join(parts)


@lru_cache(maxsize=4)
def _patterns(grammar: Grammar) -> dict[str, re.Pattern[str]]:
    # comparison and shift phrases go first: "比上个月" / "前一个月" must not be read as times (but "the
    # month before last" is one)
    compare = _alternation(tuple(grammar.phrases.get("pop", ())) + tuple(grammar.phrases.get("yoy", ())))
    shifts = _alternation(tuple(phrase for tag in _SHIFT_TAGS for phrase in grammar.phrases.get(tag, ())))
    compare = "|".join(x for x in (compare, rf"(?:{shifts})(?!\s+last)" if shifts else "") if x)
    ops = {tag: _alternation(grammar.phrases.get(tag, ())) for tag in _OPS}
    op_any = "|".join(f"(?P<{tag}>{alt})" for tag, alt in ops.items() if alt)
    q = grammar.quantities
    words = "|".join(sorted((re.escape(w) for w in grammar.numbers), key=len, reverse=True))
    digits_or_words = rf"\d+|{words}" if words else r"\d+"
    unit = (rf"(?P<unit>{_longest_first(('%', *q.percent, *q.fractions, *q.scales))})?(?![a-z])"
            rf"(?:\s*(?:{_longest_first(q.units)})(?![a-z]))?")
    before = rf"(?:(?P<prefix>{_longest_first(tuple(q.fraction_prefixes))})\s*)?" if q.fraction_prefixes else ""
    money = rf"(?:(?:{_longest_first(q.currency_prefixes)})\s*)?" if q.currency_prefixes else ""
    num = rf"{before}{money}(?P<num>-?\d[\d,]*(?:\.\d+)?{''.join('|' + n for n in q.numerals)})"
    fillers = _longest_first(q.threshold_fillers)
    patterns = {
        "compare": re.compile(compare),
        "threshold": re.compile(rf"(?:{op_any})\s*(?:{fillers})?\s*{num}\s*{unit}"),
        "threshold_post": re.compile(rf"{num}\s*{unit}\s*(?P<post>{_alternation(tuple(q.after))})"),
        # a number no pass above read (a value to write, a count the grammar does not know): kept as a
        # token so it is accounted for, never silently dropped
        "number": re.compile(rf"(?<![a-z0-9.\-_])(?P<num>\d[\d,]*(?:\.\d+)?)\s*{unit}"),
        # "over 60 years old", "60岁以上": a number about something the question names no metric of
        "foreign": re.compile(rf"(?:(?:{op_any})\s*(?:{fillers})?\s*)?(?<![\d.])\d+(?:\.\d+)?\s*"
                              rf"(?:{_alternation(q.foreign_units) or '(?!)'})"
                              rf"(?:\s*(?:{_alternation(tuple(q.after)) or '(?!)'}))?"),
    }
    for i, top in enumerate(q.top_patterns):
        tags = {tag: _alternation(phrases) or "(?!)" for tag, phrases in top.keywords}
        patterns[f"top{i}"] = re.compile(top.template.format(number=top.count or digits_or_words, **tags))
    return patterns


def _longest_first(words: Sequence[str]) -> str:
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


def _number(text: str, decimal_marks: Sequence[str] = ()) -> float | None:
    """A number as written: digits with separators, or numerals with a decimal word ("一点五")."""
    text = text.replace(",", "")
    mark = next((m for m in decimal_marks if m in text), None)
    if mark is not None:
        whole, _, frac = text.partition(mark)
        w = parse_number(whole)
        f = "".join(str(int(parse_number(c) or 0)) for c in frac)
        return None if w is None else float(f"{int(w)}.{f}")
    return parse_number(text)


def scan(question: str, lexicon: Lexicon, anchor: dt.date) -> Scan:
    grammar = lexicon.grammar
    norm = normalize(question)
    text = norm.text
    result = Scan(norm, _language(question, text, grammar), anchor=anchor)
    chars = list(text)
    pats = _patterns(grammar)

    def mask(s: int, e: int) -> None:
        for k in range(s, e):
            chars[k] = _MASK

    def free(s: int, e: int) -> bool:
        return all(c != _MASK for c in chars[s:e])

    def add(tok: Token) -> None:
        result.tokens.append(Token(tok.start, tok.end, tok.kind, tok.name, tok.value, tok.targets, tok.plural,
                                   norm.original(tok.start, tok.end)))
        mask(tok.start, tok.end)

    for m in pats["compare"].finditer(text):
        if free(*m.span()):
            add(Token(m.start(), m.end(), "kw", grammar.keywords.get(m.group(0), "pop")))
    for m in pats["foreign"].finditer("".join(chars)):
        add(Token(m.start(), m.end(), "foreign", "quantity"))
    for name in ("threshold", "threshold_post"):
        for m in pats[name].finditer("".join(chars)):
            value = _number(m.group("num"), grammar.quantities.decimal_marks)
            if value is None:
                continue
            op = grammar.quantities.after[m.group("post")] if name == "threshold_post" else \
                next(_OPS[t] for t in _OPS if m.groupdict().get(t))
            q = grammar.quantities
            unit = m.group("unit") or ""
            fraction = q.fraction_prefixes.get(m.group("prefix") or "") or q.fractions.get(unit) or \
                (0.01 if unit == "%" or unit in q.percent else None)
            value *= q.scales.get(unit, 1.0)
            add(Token(m.start(), m.end(), "threshold", op, (value, fraction)))
    taken = [(i, i + 1) for i, c in enumerate(chars) if c == _MASK]
    for tm in find_times(text, anchor, grammar.months, grammar.numbers, taken):
        add(Token(tm.start, tm.end, "time", tm.kind, tm))
    for name in (n for n in pats if n.startswith("top")):
        for m in pats[name].finditer("".join(chars)):
            raw = m.group("n")
            n = grammar.numbers.get(raw) if raw in grammar.numbers else parse_number(raw)
            if n and n >= 1:
                g = m.groupdict()
                way = "desc" if g.get("d") else "best" if g.get("best") else "worst" if g.get("worst") else "asc"
                add(Token(m.start(), m.end(), "top", way, int(n)))
    masked = "".join(chars)
    for m in pats["number"].finditer(masked):
        if _in_a_name(lexicon, masked, m.start()):
            continue  # digits of a name ("5G", "1800M", "Beiling Block 2"), read by the lexicon
        value = _number(m.group("num"), grammar.quantities.decimal_marks)
        if value is not None:
            unit = m.group("unit") or ""
            add(Token(m.start(), m.end(), "number", unit, value * grammar.quantities.scales.get(unit, 1.0)))
    masked = "".join(chars)
    if any(is_cjk(c) for c in masked):  # 离网律 -> 离网率: same length, so every position stays
        for s, e, term in chinese_typos(lexicon).corrections(masked):
            result.corrections.append((norm.original(s, e), term))
            chars[s:e] = list(term)
    _scan_lexicon(result, lexicon, "".join(chars), None)
    result.tokens.sort(key=lambda t: t.start)
    read_glosses(result, lexicon)
    return result


def _in_a_name(lexicon: Lexicon, text: str, pos: int, reach: int = 40) -> bool:
    """Does a lexicon entry starting at most ``reach`` characters before ``pos`` cover ``pos``?"""
    for start in range(max(0, pos - reach), pos + 1):
        if text[start] == _MASK:
            continue
        match = lexicon.longest(text, start)
        if match is not None and match.end > pos:
            return True
    return False


def _language(question: str, text: str, grammar: Grammar) -> str | None:
    if detect_language(question) == "zh":
        return "zh"
    for word in re.findall(r"[a-z]+", text):
        if word in grammar.stopwords or word in grammar.keywords or word in grammar.grains or word in grammar.months:
            return "en"
    return None


def _scan_lexicon(result: Scan, lexicon: Lexicon, masked: str, origin: list[int] | None) -> None:
    """Longest-match scan; unknown English words are typo-corrected and rescanned once."""
    norm = result.norm
    n = len(masked)
    i = 0
    unknown_cjk_start = -1
    edits: list[tuple[int, int, str]] = []

    def pos(k: int) -> int:
        return origin[k] if origin is not None else k

    def flush(end: int) -> None:
        nonlocal unknown_cjk_start
        if 0 <= unknown_cjk_start < end:
            start = unknown_cjk_start
            start, end = _trim(masked, start, end, lexicon.grammar.stopwords)
            s, e = pos(start), pos(end - 1) + 1
            word = masked[start:end]
            if word and word not in lexicon.grammar.stopwords:
                result.tokens.append(Token(s, e, "unknown", word, targets=(), text=norm.original(s, e)))
        unknown_cjk_start = -1

    while i < n:
        ch = masked[i]
        if ch in (" ", _MASK):
            flush(i)
            i += 1
            continue
        match = lexicon.longest(masked, i)
        if match is not None:
            flush(i)
            s, e = pos(match.start), pos(match.end - 1) + 1
            result.tokens.append(_token(s, e, match.targets, norm.original(s, e)))
            i = match.end
            continue
        if is_word_char(ch):
            flush(i)
            j = i
            while j < n and (is_word_char(masked[j]) or masked[j] == "'"):
                j += 1
            word = masked[i:j]
            if origin is None and not word.isdigit():
                before = masked[:i].rstrip().rsplit(" ", 1)[-1] if masked[:i].strip() else ""
                after = masked[j:].lstrip().split(" ", 1)[0] if masked[j:].strip() else ""
                fixed = lexicon.correct(word, before, after)
                if fixed is not None:
                    edits.append((i, j, fixed))
                    result.corrections.append((norm.original(i, j), fixed))
            if not lexicon.function_word(word) and not word.isdigit() and not any(e[0] == i for e in edits):
                s, e = pos(i), pos(j - 1) + 1
                result.tokens.append(Token(s, e, "unknown", word, text=norm.original(s, e)))
            i = j
            continue
        if is_cjk(ch):
            filler = next((k for k in (3, 2) if masked[i:i + k] in lexicon.grammar.stopwords), 0)
            if filler:  # "怎么样", "一下": filler words end an unknown run and are dropped
                flush(i)
                i += filler
                continue
            if unknown_cjk_start < 0:
                unknown_cjk_start = i
            if ch in lexicon.grammar.stopwords:  # a particle ends an unknown run
                flush(i)
        else:
            flush(i)
        i += 1
    flush(n)
    if edits and origin is None:
        _rescan_with(result, lexicon, masked, edits)


def _trim(text: str, start: int, end: int, stopwords: frozenset[str]) -> tuple[int, int]:
    """Drop filler words ("统计", "一下") from both ends of an unknown run ("部门统计" -> "部门")."""
    changed = True
    while changed and start < end:
        changed = False
        for k in (3, 2):
            if end - start > k and text[end - k:end] in stopwords:
                end -= k
                changed = True
                break
            if end - start > k and text[start:start + k] in stopwords:
                start += k
                changed = True
                break
    return start, end


def _rescan_with(result: Scan, lexicon: Lexicon, masked: str, edits: list[tuple[int, int, str]]) -> None:
    """Apply typo corrections and scan again; tokens keep positions in the original text."""
    out: list[str] = []
    origin: list[int] = []
    last = 0
    for s, e, word in edits:
        out.append(masked[last:s])
        origin.extend(range(last, s))
        out.append(word)
        origin.extend(min(s + k, e - 1) for k in range(len(word)))
        last = e
    out.append(masked[last:])
    origin.extend(range(last, len(masked)))
    lexical = {"metric", "dimension", "member", "fragment", "kw", "grain", "unknown"}
    result.tokens = [t for t in result.tokens if t.kind not in lexical]
    _scan_lexicon(result, lexicon, "".join(out), origin)


def _token(start: int, end: int, targets: tuple[Target, ...], text: str) -> Token:
    model = [t for t in targets if t.kind in ("metric", "dimension", "member", "fragment")]
    first = model[0] if model else targets[0]
    if first.kind == "member":
        name, value = first.name, first.value
    elif first.kind == "fragment":
        name, value = first.name, first.options
    else:
        name, value = first.name, None
    return Token(start, end, first.kind, name, value, tuple(model) or targets, first.plural, text)
