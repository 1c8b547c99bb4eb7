"""The lexicon: every name a question may use, read from the semantic model and its member index.

Sources are the model only -- metric and dimension names, labels in every language, synonyms,
member values and their aliases (the label column's English name plus the YAML synonyms) --
merged with the grammar keywords of ``resources/*.yaml``. It is built once per (model, member
index) and cached, because building takes milliseconds and translation must not.

Chinese has no spaces, so questions are scanned greedily for the longest entry at each
position (a character trie); English entries must sit on word boundaries. Two extras make the
scan forgiving without guessing:

* **fragments** -- the head of several metrics' names that is no name itself ("用户" in
  在网用户 / 新增用户 / 流失用户, "users" in active/new/churned users). A fragment is
  recorded with all its metrics so the translator can ask which one is meant;
* **typo index** -- a symmetric-delete index over the English words of the lexicon, so
  "revnue" or "guangdogn" is read as the name at one or two edits, never as a random one.
"""

from __future__ import annotations

import re
import threading
import weakref
from dataclasses import dataclass, field

from semantic_layer import SemanticModel

from ..members import MemberIndex
from .grammar import Grammar, load_grammar
from .normalize import is_cjk, is_word_char, normalize_alias
from .terms import TermRules, derived_terms, event_words, member_heads
from .typos import common_english

__all__ = ["Target", "Match", "Lexicon", "lexicon_for"]

_END = ""  # trie key of the entry stored at a node (no character is the empty string)


@dataclass(frozen=True)
class Target:
    """What an entry means: ``kind`` is metric / dimension / member / fragment / kw / grain."""

    kind: str
    name: str  # metric or dimension name, keyword tag, grain
    value: str = ""  # member value
    plural: bool = False
    options: tuple[str, ...] = ()  # the metrics a fragment may mean


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    targets: tuple[Target, ...]


@dataclass
class Lexicon:
    model: SemanticModel
    grammar: Grammar
    entries: dict[str, list[Target]] = field(default_factory=dict)
    trie: dict[str, object] = field(default_factory=dict)
    words: set[str] = field(default_factory=set)  # English words known to the lexicon or grammar
    typo_targets: set[str] = field(default_factory=set)  # words a typo may be corrected to
    deletes: dict[str, set[str]] = field(default_factory=dict)
    #: English words and Chinese character pairs inside the model's own names: a question using
    #: them is about the data even when no whole name matches ("how are our customers doing")
    model_words: set[str] = field(default_factory=set)
    #: display names for clarification options and suggestions, by kind
    aliases_of: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)
    #: event words of time columns that another entry took ("won" of won_at, also a deal stage):
    #: said right before a period they are the event's date ("deals won in March")
    events: dict[str, str] = field(default_factory=dict)

    # -- building ---------------------------------------------------------------------
    def add(self, alias: str, target: Target) -> None:
        key = normalize_alias(alias)
        if not key or key == "\x01":
            return
        bucket = self.entries.setdefault(key, [])
        if target not in bucket:
            bucket.append(target)
        if target.kind in ("metric", "dimension", "member"):
            self.aliases_of.setdefault((target.kind, target.name, target.value), []).append(key)

    def finish(self) -> None:
        for key, targets in self.entries.items():
            node = self.trie
            for ch in key:
                node = node.setdefault(ch, {})  # type: ignore[assignment]
            node[_END] = tuple(targets)  # type: ignore[index]
            if any(t.kind in ("metric", "dimension", "member") for t in targets):
                self.model_words.update(w for w in _english_words(key) if len(w) >= 4)
                self.model_words.update(key[k:k + 2] for k in range(len(key) - 1) if is_cjk(key[k]) and is_cjk(key[k + 1]))
            for word in _english_words(key):
                self.words.add(word)
                if len(word) >= 4 and any(t.kind in ("metric", "dimension", "member", "grain") for t in targets):
                    # the model's own terms (and the grains of its time dimension): other grammar is not guessed
                    self.typo_targets.add(word)
        self.words |= self.grammar.stopwords | set(self.grammar.months) | set(self.grammar.numbers)
        for phrases in self.grammar.phrases.values():
            for phrase in phrases:
                self.words.update(_english_words(phrase))
        for word in self.typo_targets:
            for d in _deletes(word, 2 if len(word) >= 7 else 1):
                self.deletes.setdefault(d, set()).add(word)

    # -- scanning ---------------------------------------------------------------------
    def longest(self, text: str, i: int) -> Match | None:
        """The longest entry starting at ``text[i]`` that respects English word boundaries."""
        if is_word_char(text[i]) and i > 0 and is_word_char(text[i - 1]):
            return None
        node = self.trie
        best: Match | None = None
        j = i
        n = len(text)
        while j < n:
            nxt = node.get(text[j])
            if nxt is None:
                break
            node = nxt  # type: ignore[assignment]
            j += 1
            found = node.get(_END)
            if found is not None and not (is_word_char(text[j - 1]) and j < n and is_word_char(text[j])):
                best = Match(i, j, found)  # type: ignore[arg-type]
        return best

    def correct(self, word: str, before: str = "", after: str = "") -> str | None:
        """The single lexicon word within one edit (two for long words) of ``word``, if unique.

        A tie ("cals": calls or call) is broken by the neighbours: the candidate that forms a
        lexicon name with the word before or after it ("dropped calls") wins.
        """
        if len(word) < 4 or word in self.words or not word.isascii() or common_english(word):
            return None  # "payment" is a word of its own, not a misspelt "parent": asked about, never changed
        limit = 2 if len(word) >= 7 else 1
        found: dict[str, int] = {}
        for d in _deletes(word, limit):
            for cand in self.deletes.get(d, ()):
                if cand[0] != word[0]:
                    continue  # typos rarely hit the first letter; requiring it avoids odd corrections
                dist = _osa(word, cand)
                if dist <= limit:
                    found[cand] = dist
        if not found:
            return None
        best = min(found.values())
        winners = [w for w, d in found.items() if d == best]
        if len(winners) > 1:
            meaning: dict[str, tuple[tuple[str, str, str], ...]] = {}
            for w in winners:
                for phrase in (f"{before} {w}" if before else "", f"{w} {after}" if after else ""):
                    if phrase in self.entries:
                        meaning[w] = tuple((t.kind, t.name, t.value) for t in self.entries[phrase])
            winners = sorted(meaning, key=len, reverse=True)
            if len(set(meaning.values())) == 1:
                winners = winners[:1]  # "dropped call" / "dropped calls": the same name either way
        return winners[0] if len(winners) == 1 else None

    def function_word(self, word: str) -> bool:
        """Is an English ``word`` plain language (a function word, month or number word of the grammar)?

        A word that only appears inside some longer name ("order" of "order by") is not: alone it
        names nothing, so it is accounted for as unknown rather than dropped.
        """
        g = self.grammar
        return word in g.stopwords or word in g.months or word in g.numbers or \
            (word in g.keywords and word in self.entries)

    def mentions_domain(self, text: str) -> bool:
        """Does normalised ``text`` use a word of the model's names (without naming anything whole)?"""
        if any(w in self.model_words for w in _english_words(text)):
            return True
        return any(text[k:k + 2] in self.model_words for k in range(len(text) - 1))

    def names(self, kind: str, name: str, value: str = "") -> list[str]:
        return self.aliases_of.get((kind, name, value), [])


_WORD = re.compile(r"[a-z][a-z']*")


def _english_words(text: str) -> list[str]:
    return _WORD.findall(text)


def _deletes(word: str, depth: int) -> set[str]:
    out = {word}
    frontier = {word}
    for _ in range(depth):
        nxt = set()
        for w in frontier:
            for i in range(len(w)):
                nxt.add(w[:i] + w[i + 1:])
        out |= nxt
        frontier = nxt
    return out


def _osa(a: str, b: str) -> int:
    """Optimal string alignment distance (Levenshtein plus adjacent transpositions)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def _inflections(alias: str, *, singular: bool) -> list[tuple[str, bool]]:
    """English plural (and, for names of things, singular) forms: grammar, not vocabulary."""
    if not alias or not alias[-1].isascii() or not alias[-1].isalpha():
        return []
    out: list[tuple[str, bool]] = []
    if alias.endswith("ies"):
        if singular:
            out.append((alias[:-3] + "y", False))
    elif alias.endswith("s") and not alias.endswith("ss"):
        if singular and len(alias) > 3:
            out.append((alias[:-1], False))
    elif alias.endswith("y") and len(alias) > 2 and alias[-2] not in "aeiou":
        out.append((alias[:-1] + "ies", True))
    elif alias.endswith(("ch", "sh", "x")):
        out.append((alias + "es", True))
    else:
        out.append((alias + "s", True))
    return out


def _is_plural(alias: str) -> bool:
    return alias.isascii() and alias.endswith("s") and not alias.endswith("ss") and len(alias) > 3


def _build(model: SemanticModel, members: MemberIndex | None, grammar: Grammar) -> Lexicon:
    lex = Lexicon(model, grammar)
    metric_aliases: dict[str, set[str]] = {}
    dimension_names = {normalize_alias(a) for name, dim in model.dimensions.items()
                       for a in (name, name.replace("_", " "), *dim.label.values(), *dim.synonyms) if a}
    for name, metric in model.metrics.items():
        if metric.hidden:
            continue
        names = {name, name.replace("_", " "), *metric.label.values(), *metric.synonyms}
        keys = {normalize_alias(a) for a in names if a}
        metric_aliases[name] = set(keys)  # fragments come from the names as written
        for key in list(keys):
            for form, _ in _inflections(key, singular=True):
                # "drops" must not make "drop" a metric: a grammar word stays grammar; nor may
                # "companies" take "company" from the dimension that is named so
                if form not in grammar.stopwords and form not in grammar.keywords and form not in dimension_names:
                    keys.add(form)
        for key in keys:
            lex.add(key, Target("metric", name, plural=_is_plural(key)))
    for name, dim in model.dimensions.items():
        names = {name, name.replace("_", " "), *dim.label.values(), *dim.synonyms}
        keys = {normalize_alias(a) for a in names if a}
        for key in list(keys):
            keys.update(form for form, _ in _inflections(key, singular=True))
        for key in keys:
            lex.add(key, Target("dimension", name, plural=_is_plural(key) and key != normalize_alias(name)))
    for dim_name, items in (members.members.items() if members else ()):
        for m in items:
            keys = {normalize_alias(a) for a in (m.value, *m.aliases) if a}
            for key in list(keys):
                if " " in key or _is_plural(key):
                    keys.update(form for form, plural in _inflections(key, singular=True) if not plural)
                elif key.isascii() and key.isalpha() and len(key) > 3:
                    keys.update(form for form, plural in _inflections(key, singular=False) if plural)  # jaffles
            for key in keys:
                if key in grammar.stopwords or key in grammar.keywords:
                    continue
                lex.add(key, Target("member", dim_name, m.value))
    if members:
        named = {d: [(m.value, m.aliases) for m in items] for d, items in members.members.items()}
        for key, dim_name, value in member_heads(model, named, lex.entries):
            if key not in grammar.stopwords and key not in grammar.keywords:
                lex.add(key, Target("member", dim_name, value))  # "Xihe" for Xihe Field
    rules = _term_rules(grammar)
    lex.events = event_words(model, rules)
    for key, kind, name in derived_terms(model, rules, lex.entries):
        lex.add(key, Target(kind, name, plural=kind == "dimension" and _is_plural(key)))
    _add_roles(lex)
    _add_fragments(lex, metric_aliases)
    _add_prefixes(lex)
    for phrase, tag in grammar.keywords.items():
        lex.add(phrase, Target("kw", tag))
    for phrase, grain in grammar.grains.items():
        lex.add(phrase, Target("grain", grain))
    lex.finish()
    return lex


def _add_roles(lex: Lexicon) -> None:
    """Everyday words of the metrics' declared roles ("赚了多少钱" -> the ``role: revenue`` metric).

    A word the model already uses, or a grammar word, keeps its meaning; a role several visible
    metrics declare makes its words ambiguous (the translator asks which one)."""
    by_role: dict[str, list[str]] = {}
    for name, metric in lex.model.metrics.items():
        if metric.role and not metric.hidden:
            by_role.setdefault(metric.role, []).append(name)
    for role, metrics in by_role.items():
        for phrase in lex.grammar.roles.get(role, ()):
            if phrase in lex.entries or phrase in lex.grammar.keywords or phrase in lex.grammar.stopwords:
                continue
            if len(metrics) == 1:
                lex.add(phrase, Target("metric", metrics[0], plural=_is_plural(phrase)))
            else:
                lex.add(phrase, Target("fragment", phrase, options=tuple(metrics)))


def _add_fragments(lex: Lexicon, metric_aliases: dict[str, set[str]]) -> None:
    """Heads shared by several metrics' names ("用户", "users", "rate") that name none of them."""
    heads: dict[str, set[str]] = {}
    for metric, keys in metric_aliases.items():
        for key in keys:
            if " " in key:
                heads.setdefault(key.rsplit(" ", 1)[1], set()).add(metric)
            elif len(key) >= 3 and is_cjk(key[-1]):
                for k in range(2, len(key)):
                    suffix = key[-k:]
                    if all(is_cjk(c) for c in suffix):
                        heads.setdefault(suffix, set()).add(metric)
            if key.count(" ") >= 2:  # "revenue per user" -> "per user"
                heads.setdefault(" ".join(key.split(" ")[-2:]), set()).add(metric)
    for head in list(heads):
        for form, _ in _inflections(head, singular=True):
            if form not in heads:
                heads[form] = heads[head]
    for head, metrics in heads.items():
        if len(metrics) < 2 or head in lex.entries or head in lex.grammar.keywords:
            continue
        options = tuple(m for m in lex.model.metrics if m in metrics)  # model order
        lex.add(head, Target("fragment", head, options=options))


_FUNCTION_WORDS = frozenset({"per", "of", "and", "or", "the", "a", "an", "in", "on", "for", "to", "with"})


def _add_prefixes(lex: Lexicon) -> None:
    """Leading words of long English names ("complaint rate" of "complaint rate per 10k")."""
    found: dict[str, set[Target]] = {}
    for key, targets in list(lex.entries.items()):
        words = key.split(" ")
        if len(words) < 3 or not key.isascii():
            continue
        for k in range(2, len(words)):
            if words[k - 1] in _FUNCTION_WORDS:
                continue
            found.setdefault(" ".join(words[:k]), set()).update(
                t for t in targets if t.kind in ("metric", "dimension", "member"))
    for prefix, targets in found.items():
        if len(targets) == 1 and prefix not in lex.entries and prefix not in lex.grammar.keywords:
            lex.add(prefix, next(iter(targets)))


def _term_rules(grammar: Grammar) -> TermRules:
    t = grammar.terms
    return TermRules(
        count_of=tuple(normalize_alias(x) for x in t.get("count_of", ())),
        how_many=tuple(normalize_alias(x) for x in t.get("how_many", ())),
        cut_words=frozenset(normalize_alias(x) for x in t.get("cut_words", ())),
        date_words=frozenset(normalize_alias(x) for x in t.get("date_words", ())),
        date_forms=tuple(str(x) for x in t.get("date_forms", ())),
        event_marks=frozenset(normalize_alias(x) for x in t.get("event_marks", ())),
        qualifier_forms=tuple(str(x) for x in t.get("qualifier_forms", ())),
        percent_words=tuple(normalize_alias(x) for x in t.get("percent_words", ())),
        articles=frozenset(normalize_alias(x) for x in t.get("articles", ())),
        abbreviations={normalize_alias(k): normalize_alias(v) for k, v in (t.get("abbreviations") or {}).items()},
        table_prefixes=tuple(str(x).lower() for x in t.get("table_prefixes", ())),
        quantity_nouns=tuple(normalize_alias(x) for x in t.get("quantity_nouns", ())),
        stopwords=grammar.stopwords | frozenset(grammar.keywords))


_CACHE: weakref.WeakKeyDictionary[SemanticModel, dict[int, tuple[MemberIndex | None, Lexicon]]] = \
    weakref.WeakKeyDictionary()


_CACHE_LOCK = threading.Lock()


def lexicon_for(model: SemanticModel, members: MemberIndex | None) -> Lexicon:
    """The lexicon of ``model`` + ``members``, built on first use and cached (thread-safe)."""
    with _CACHE_LOCK:  # app threads ask at once; build once, and WeakKeyDictionary is not thread-safe
        per_model = _CACHE.setdefault(model, {})
        key = id(members)
        hit = per_model.get(key)
        if hit is not None and hit[0] is members:
            return hit[1]
        lex = _build(model, members, load_grammar())
        per_model[key] = (members, lex)
        return lex


