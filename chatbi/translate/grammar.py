"""Language grammar of the offline translator, read from ``resources/<lang>.yaml``.

The files hold only language: keyword phrases per tag (group-by, top, 同比, negation ...),
time-grain words, English month and number words, function words (``stopwords``: everything a
question may say that means nothing of the data), writing verbs (``writes``), everyday words per metric
*role* ("赚了多少钱" for whichever metric a model marks ``role: revenue``), the time expressions
(patterns and their words, see :class:`TimeGrammar`) and the message templates of clarifications and
refusals. Nothing about any business domain lives here. Every ``*.yaml`` file there is a language: a
third language is one more file (its ``order`` says which language wins a phrase both claim).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import yaml

from ..errors import ConfigError

__all__ = ["Grammar", "LANGUAGES", "QuantityGrammar", "TimeGrammar", "TimePattern", "TopPattern", "load_grammar",
           "THRESHOLD_TAGS"]
#: comparison words are read by a pattern together with their number, never as lone keywords
THRESHOLD_TAGS = ("threshold_gt", "threshold_ge", "threshold_lt", "threshold_le")


@dataclass(frozen=True)
class TimePattern:
    """One time-expression pattern of a language: ``template`` is a regular expression whose
    ``{name}`` fields are the language's ``fragments`` (already resolved) plus ``{month_word}`` and
    ``{count}``, which the time parser fills from the month and number words."""

    rank: int
    kind: str
    template: str
    fragments: tuple[tuple[str, str], ...]
    language: str


@dataclass(frozen=True, eq=False)
class TimeGrammar:
    """The words of time expressions, all languages merged (``time:`` in the resource files)."""

    patterns: tuple[TimePattern, ...]  # in rank order
    units: dict[str, str]
    year_offsets: dict[str, int]
    halves: dict[str, int]
    ordinals: dict[str, int]
    first_units: dict[str, str]
    ambiguous_months: dict[str, frozenset[str]]
    #: phrase -> (unit, n, offset) of a relative period
    fixed: dict[str, tuple[str, int, int]]
    range_words: tuple[str, ...]
    conjunctions: tuple[str, ...]
    range_start: tuple[str, ...]
    since: tuple[str, ...]
    open_end: tuple[str, ...]


@dataclass(frozen=True)
class TopPattern:
    """A top-N pattern of one language; ``template``'s ``{number}`` is ``count`` (or digits and number
    words when the language defines no count) and ``{highest}`` ... are its keyword alternations."""

    rank: int
    template: str
    count: str | None
    keywords: tuple[tuple[str, tuple[str, ...]], ...]  # tag -> this language's phrases


@dataclass(frozen=True, eq=False)
class QuantityGrammar:
    """Numbers with a scale and unit, threshold words and top-N patterns (``quantities:``), merged."""

    numerals: tuple[str, ...]  # regex pieces for numbers written without digits
    scales: dict[str, float]
    percent: tuple[str, ...]
    units: tuple[str, ...]
    threshold_fillers: tuple[str, ...]
    after: dict[str, str]  # "以上" / "or more" -> operator
    top_patterns: tuple[TopPattern, ...]  # in rank order
    decimal_marks: tuple[str, ...]  # a decimal point written as a word ("一点五")
    #: numerals: character -> digit (一 1, 两 2) and -> unit (十 10 ... 亿 10^8; from 10^4 up a unit
    #: closes a group of four digits, as 万 and 亿 do)
    numeral_digits: dict[str, int]
    numeral_units: dict[str, int]
    #: a unit that makes the number a fraction ("‰" 0.001, "个百分点" 0.01), after or before it ("千分之")
    fractions: dict[str, float] = field(default_factory=dict)
    fraction_prefixes: dict[str, float] = field(default_factory=dict)
    currency_prefixes: tuple[str, ...] = ()
    #: words after a number that make it about something else ("years old", "岁")
    foreign_units: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)  # hashed by identity: compiled patterns are cached per grammar
class Grammar:
    """Both languages merged: questions may mix them (``top 5 城市 by 收入``)."""

    #: normalised phrase -> tag
    keywords: dict[str, str]
    #: normalised phrase -> grain
    grains: dict[str, str]
    #: tag -> phrases (threshold words, compare phrases: used to build patterns)
    phrases: dict[str, tuple[str, ...]]
    months: dict[str, int]
    numbers: dict[str, int]
    stopwords: frozenset[str]
    messages: dict[str, dict[str, str]]
    time: TimeGrammar
    quantities: QuantityGrammar
    #: how the lexicon derives names from a model (``terms`` of each language, lists merged)
    terms: dict[str, Any] = field(default_factory=dict)
    #: writing verbs and the words that stand for a value (``writes`` of each language, merged):
    #: a verb with a value after it asks to change data
    writes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: everyday words per metric role (``roles`` of each language): "赚了多少钱" -> the model's revenue metric
    roles: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def message(self, key: str, language: str, **values: Any) -> str:
        table = self.messages.get(language) or self.messages["en"]
        template = table.get(key) or self.messages["en"][key]
        return template.format(**values)


@cache
def _read(language: str) -> dict[str, Any]:
    try:
        text = resources.files("chatbi.translate.resources").joinpath(f"{language}.yaml").read_text(encoding="utf-8")
    except OSError as exc:  # pragma: no cover - a broken installation
        raise ConfigError(f"missing grammar file for language {language!r}: {exc}") from None
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or "keywords" not in data:
        raise ConfigError(f"grammar file {language}.yaml must have a 'keywords' mapping")
    return data


_TOP_TAGS = ("highest", "best", "worst", "lowest")


def _quantity_grammar(files: dict[str, dict[str, Any]], normalize: Callable[[str], str]) -> QuantityGrammar:
    numerals: list[str] = []
    scales: dict[str, float] = {}
    after: dict[str, str] = {}
    lists: dict[str, list[str]] = {"percent": [], "units": [], "threshold_fillers": [], "currency_prefixes": [],
                                   "foreign_units": []}
    fractions: dict[str, float] = {}
    prefixes: dict[str, float] = {}
    marks: list[str] = []
    digits: dict[str, int] = {}
    units: dict[str, int] = {}
    tops: list[TopPattern] = []
    for data in files.values():
        q = data.get("quantities") or {}
        if q.get("numeral"):
            numerals.append(str(q["numeral"]))
        for word, scale in (q.get("scales") or {}).items():
            scales.setdefault(str(word), float(scale))
        for word, op in (q.get("after") or {}).items():
            after.setdefault(str(word), str(op))
        for word, factor in (q.get("fractions") or {}).items():
            fractions.setdefault(normalize(str(word)), float(factor))
        for word, factor in (q.get("fraction_prefixes") or {}).items():
            prefixes.setdefault(normalize(str(word)), float(factor))
        for key, words in lists.items():
            words.extend(str(w) for w in q.get(key) or ())
        marks.extend(str(w) for w in q.get("decimal_marks") or ())
        for char, value in (q.get("numeral_digits") or {}).items():
            digits.setdefault(str(char), int(value))
        for char, value in (q.get("numeral_units") or {}).items():
            units.setdefault(str(char), int(value))
        keywords = tuple((tag, tuple(normalize(str(p)) for p in (data.get("keywords") or {}).get(tag) or ()))
                         for tag in _TOP_TAGS)
        tops += [TopPattern(int(t["rank"]), str(t["regex"]), q.get("count"), keywords) for t in q.get("top_patterns") or ()]
    unique = {key: tuple(dict.fromkeys(words)) for key, words in lists.items()}
    return QuantityGrammar(tuple(numerals), scales, unique["percent"], unique["units"], unique["threshold_fillers"],
                           after, tuple(sorted(tops, key=lambda t: t.rank)), tuple(dict.fromkeys(marks)), digits, units,
                           fractions, prefixes, tuple(normalize(w) for w in unique["currency_prefixes"]),
                           tuple(normalize(w) for w in unique["foreign_units"]))


def _languages() -> tuple[str, ...]:
    """Every resource file, by its ``order`` (then name): earlier languages win shared phrases."""
    names = [p.name.removesuffix(".yaml") for p in resources.files("chatbi.translate.resources").iterdir()
             if p.name.endswith(".yaml")]
    return tuple(sorted(names, key=lambda lang: (int(_read(lang).get("order", 100)), lang)))


def _time_grammar(files: dict[str, dict[str, Any]]) -> TimeGrammar:
    patterns: list[TimePattern] = []
    merged: dict[str, dict[str, Any]] = {}
    lists: dict[str, list[str]] = {}
    for lang, data in files.items():
        time = data.get("time") or {}
        fragments: dict[str, str] = {}
        for name, text in (time.get("fragments") or {}).items():
            fragments[name] = str(text).format(**fragments)  # a fragment may use the ones above it
        for item in time.get("patterns") or ():
            patterns.append(TimePattern(int(item["rank"]), str(item["kind"]), str(item["regex"]),
                                        tuple(fragments.items()), lang))
        for key in ("units", "year_offsets", "halves", "ordinals", "first_units", "ambiguous_months", "fixed"):
            for phrase, value in (time.get(key) or {}).items():
                merged.setdefault(key, {}).setdefault(str(phrase), value)
        for key in ("range_words", "conjunctions", "range_start", "since", "open_end"):
            lists.setdefault(key, []).extend(str(w) for w in time.get(key) or ())
    m = merged
    return TimeGrammar(
        tuple(sorted(patterns, key=lambda p: p.rank)),
        {k: str(v) for k, v in m.get("units", {}).items()}, {k: int(v) for k, v in m.get("year_offsets", {}).items()},
        {k: int(v) for k, v in m.get("halves", {}).items()}, {k: int(v) for k, v in m.get("ordinals", {}).items()},
        {k: str(v) for k, v in m.get("first_units", {}).items()},
        {k: frozenset(str(w) for w in v) for k, v in m.get("ambiguous_months", {}).items()},
        {k: (str(v[0]), int(v[1]), int(v[2])) for k, v in m.get("fixed", {}).items()},
        *(tuple(dict.fromkeys(lists.get(key, ()))) for key in ("range_words", "conjunctions", "range_start", "since",
                                                                 "open_end")))


@lru_cache(maxsize=1)
def load_grammar() -> Grammar:
    from .normalize import normalize_alias

    keywords: dict[str, str] = {}
    grains: dict[str, str] = {}
    phrases: dict[str, list[str]] = {}
    months: dict[str, int] = {}
    numbers: dict[str, int] = {}
    stop: set[str] = set()
    messages: dict[str, dict[str, str]] = {}
    terms: dict[str, Any] = {}
    writes: dict[str, list[str]] = {}
    roles: dict[str, list[str]] = {}
    files = {lang: _read(lang) for lang in LANGUAGES}
    for lang, data in files.items():
        for key, items in (data.get("writes") or {}).items():
            writes.setdefault(str(key), []).extend(normalize_alias(str(x)) for x in items or ())
        for role, items in (data.get("roles") or {}).items():
            roles.setdefault(str(role), []).extend(normalize_alias(str(x)) for x in items or ())
        for key, value in (data.get("terms") or {}).items():
            if isinstance(value, dict):
                for k, v in value.items():  # mappings merge; a list value (unit_words) extends
                    if isinstance(v, list):
                        terms.setdefault(key, {}).setdefault(str(k), []).extend(normalize_alias(str(x)) for x in v)
                    else:
                        terms.setdefault(key, {})[str(k)] = str(v)
            else:
                terms[key] = [*terms.get(key, []), *(str(v) for v in value or ())]
        for tag, items in data["keywords"].items():
            for item in items or ():
                phrase = normalize_alias(str(item))
                phrases.setdefault(tag, []).append(phrase)
                if tag not in THRESHOLD_TAGS:
                    keywords.setdefault(phrase, tag)
        for grain, items in (data.get("grains") or {}).items():
            for item in items or ():
                grains.setdefault(normalize_alias(str(item)), grain)
        months.update({normalize_alias(k): int(v) for k, v in (data.get("months") or {}).items()})
        numbers.update({normalize_alias(k): int(v) for k, v in (data.get("numbers") or {}).items()})
        stop.update(normalize_alias(str(w)) for w in data.get("stopwords") or ())
        messages[lang] = {k: str(v) for k, v in (data.get("messages") or {}).items()}
    return Grammar(keywords, grains, {k: tuple(v) for k, v in phrases.items()}, months, numbers,
                   frozenset(stop), messages, _time_grammar(files), _quantity_grammar(files, normalize_alias), terms,
                   {k: tuple(v) for k, v in writes.items()}, {k: tuple(dict.fromkeys(v)) for k, v in roles.items()})


#: the languages of the resource files, in precedence order
LANGUAGES = _languages()
