"""More ways to name what a model holds, read from the model itself with generic grammar only.

The lexicon's exact entries are names, labels and synonyms. People also say:

* **how many X** for a count metric labelled or described "Number of X" / "Count of X" / "Orders"
  (the count phrases are grammar: ``terms.count_of`` and ``terms.how_many`` in ``resources``);
* **key phrases of a description**: "customers who placed orders" for a metric described "Count of
  customers placing orders", "share of revenue from food" for "The % of order revenue from food";
* the **tail** of a long name -- "gross profit" for *Order Gross Profit*, "order number" for the
  split identifier ``company_order_number`` -- when no other name ends the same way;
* a time dimension by its **event**: *closed_at* is "closed", "close date"; *first_ordered_at* is
  "first order", "first order date" (the date words are grammar: ``terms.date_words``);
* a column **of its table's thing**: "customer first order" for *first_ordered_at* of ``customers``;
* a member in the **plural** ("jaffles" for the product type *jaffle*);
* a member by its **own name** without its dimension's word: "Xihe" for the field labelled
  *Xihe Field* (``member_heads``).

Every derived name is added only when it is not already a name and exactly one object claims it:
a derived name never shadows a real one and never guesses between two.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from semantic_layer import SemanticModel
from semantic_layer.spec import SemiAdditiveMetricSpec, SimpleMetricSpec

from .normalize import normalize_alias

__all__ = ["TermRules", "derived_terms", "event_words", "member_heads"]

_WORD = re.compile(r"[a-z][a-z0-9']*")
_UNIT = re.compile(r"\s*[\(（][^\)）]{1,12}[\)）]\s*$")  # a unit in brackets at the end of a label


@dataclass(frozen=True)
class TermRules:
    """The generic words the derivations use (from the grammar resources)."""

    count_of: tuple[str, ...]
    how_many: tuple[str, ...]
    cut_words: frozenset[str]
    date_words: frozenset[str]
    date_forms: tuple[str, ...]
    event_marks: frozenset[str]
    qualifier_forms: tuple[str, ...]
    percent_words: tuple[str, ...]
    articles: frozenset[str]
    abbreviations: dict[str, str]
    table_prefixes: tuple[str, ...]
    quantity_nouns: tuple[str, ...]
    stopwords: frozenset[str]


def _expand(text: str, rules: TermRules) -> str:
    out = normalize_alias(text)
    for short, long in rules.abbreviations.items():
        out = re.sub(rf"(?<![a-z0-9]){re.escape(short)}(?![a-z0-9])", long, out)
    return " ".join(out.replace("_", " ").split())


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def _bases(word: str) -> list[str]:
    """Base forms of an English past participle: ``closed`` -> close, ``shipped`` -> ship."""
    if not word.endswith("ed") or len(word) < 5:
        return []
    stem = word[:-2]
    out = [stem, word[:-1]]
    if len(stem) > 2 and stem[-1] == stem[-2]:
        out.append(stem[:-1])
    return out


def _count_phrase(text: str, rules: TermRules) -> tuple[str, list[str]] | None:
    """(X, the words after it) in "Number of X ...", X cut before the first word that starts a qualifier.

    One word the count phrases do not know may come first ("Distict count of ...", a typo in a
    description is still a description)."""
    words = text.split()
    for skip in (0, 1):
        rest_text = " ".join(words[skip:])
        for phrase in sorted(rules.count_of, key=len, reverse=True):
            if rest_text.startswith(phrase + " "):
                rest = _words(rest_text[len(phrase):])
                subject: list[str] = []
                for w in rest:
                    if w in rules.cut_words:
                        break
                    subject.append(w)
                return (" ".join(subject), rest[len(subject):]) if 0 < len(subject) <= 3 else None
    return None


def _count_subject(text: str, rules: TermRules) -> str | None:
    found = _count_phrase(text, rules)
    return found[0] if found else None


def _qualified(text: str, rules: TermRules) -> Iterator[str]:
    """Key phrases of "Count of customers placing orders": customers placing orders, customers who
    placed orders, ... (``terms.qualifier_forms``): the qualifier is a verb in -ing and its object."""
    found = _count_phrase(text, rules)
    if not found or len(found[1]) < 2 or not found[1][0].endswith("ing") or len(found[1][0]) < 6:
        return
    verb, rest = found[1][0], found[1][1:]
    obj: list[str] = []
    for w in rest[:2]:
        if w in rules.cut_words:
            break
        obj.append(w)
    if not obj:
        return
    stem = verb[:-3]
    past = stem + ("d" if stem.endswith("e") else "ed")  # placing -> placed, ordering -> ordered
    for form in rules.qualifier_forms:
        yield form.format(subject=found[0], verb=verb, past=past, object=" ".join(obj))


def _percent_of(text: str, rules: TermRules) -> Iterator[str]:
    """Key phrases of "The % of order revenue from food": share of order revenue from food and
    share of revenue from food (``terms.percent_words``)."""
    words = text.split()
    if words and words[0] in rules.articles:
        words = words[1:]
    if len(words) < 3 or words[0] not in rules.percent_words or words[1] != "of":
        return
    tails = [words[2:]] + ([words[3:]] if len(words) >= 5 else [])  # "revenue from food" too
    for tail in tails:
        if len(tail) > 5:
            continue
        for pw in rules.percent_words:
            if pw.isalpha():
                yield f"{pw} of {' '.join(tail)}"


def _metric_terms(model: SemanticModel, rules: TermRules) -> Iterator[tuple[str, str, str, bool]]:
    """(alias, metric, kind, preferred): count phrases and name tails of visible metrics."""
    for name, m in model.metrics.items():
        if m.hidden:
            continue
        texts = [_expand(t, rules) for t in (name, *m.label.values(), *m.synonyms) if t]
        sentence = m.description.split(".")[0] if m.description else ""
        subjects: dict[str, bool] = {}
        for t in [*texts, _expand(sentence, rules)] if sentence else texts:
            found = _count_subject(t, rules)
            if found:
                subjects.setdefault(found, False)
        counting = isinstance(m, (SimpleMetricSpec, SemiAdditiveMetricSpec)) and m.agg in ("count", "count_distinct")
        if counting:
            for t in texts:
                head = []
                for w in _words(t):
                    if w in rules.cut_words:
                        break
                    head.append(w)
                if 0 < len(head) <= 3 and head[-1].endswith("s"):
                    subjects[" ".join(head)] = " ".join(head) == t  # the label itself: preferred
        if sentence:
            described = _expand(sentence, rules)
            for phrase in _qualified(described, rules):
                subjects.setdefault(phrase, False)
            for phrase in _percent_of(described, rules):
                yield phrase, name, "metric", False
        for subject, preferred in subjects.items():
            yield subject, name, "metric", preferred  # "downtime events" counts them
            for how in rules.how_many:
                yield f"{how} {subject}", name, "metric", preferred
        for t in texts:
            words = _words(t)
            if len(words) >= 3 and words[-2] not in rules.stopwords:
                yield " ".join(words[-2:]), name, "metric", False
        for label in m.label.values():
            bare = _UNIT.sub("", label).strip()
            if bare and bare != label and bare.isascii():
                yield bare, name, "metric", True  # "Oil (t)" is oil
                if isinstance(m, (SimpleMetricSpec, SemiAdditiveMetricSpec)) and m.agg == "sum" and \
                        len(_words(bare.lower())) <= 2:
                    for noun in rules.quantity_nouns:
                        yield f"{bare} {noun}", name, "metric", False  # oil output


def _dimension_terms(model: SemanticModel, rules: TermRules) -> Iterator[tuple[str, str, str, bool]]:
    """(alias, dimension, kind, preferred): tails, event names of time columns, table-thing prefixes."""
    for name, dim in model.dimensions.items():
        texts = [_expand(t, rules) for t in (name, *dim.label.values()) if t and t.isascii()]
        forms: set[str] = set()
        for t in texts:
            words = _words(t)
            if len(words) >= 3 and words[-2] not in rules.stopwords:
                forms.add(" ".join(words[-2:]))  # company order number -> order number
            if dim.type == "time" and len(words) >= 2 and words[-1] in rules.date_words:
                event = words[:-1]
                if event[-1].endswith("ed") or words[-1] in rules.event_marks:
                    forms.add(" ".join(event))  # closed, first ordered; won_at: won
                for base in _bases(event[-1]):
                    verb = " ".join([*event[:-1], base])
                    forms.update(f.format(verb=verb) for f in rules.date_forms)
                    if len(event) >= 2:
                        forms.add(verb)  # first order
        thing = _table_thing(dim.table, rules) if dim.table else None
        if thing:
            for t in [*texts, *forms]:
                if not t.startswith(thing):
                    forms.add(f"{thing} {t}")
        for form in forms:
            yield form, name, "dimension", False


def _table_thing(table: str, rules: TermRules) -> str | None:
    """What one row of a table is about: ``stg_customers`` -> customer."""
    base = table.lower()
    for prefix in rules.table_prefixes:
        if base.startswith(prefix):
            base = base[len(prefix):]
            break
    words = [w for w in base.split("_") if w]
    if not words or not all(w.isascii() and w.isalpha() for w in words):
        return None
    return " ".join([*words[:-1], _singular(words[-1])])


def event_words(model: SemanticModel, rules: TermRules) -> dict[str, str]:
    """The one-word event names of time columns other than the model's own time ("won" of won_at),
    each claimed by one column."""
    claims: dict[str, set[str]] = {}
    for alias, name, _, _ in _dimension_terms(model, rules):
        key = normalize_alias(alias)
        if name != model.time_dimension and model.dimensions[name].type == "time" and key and " " not in key:
            claims.setdefault(key, set()).add(name)
    return {key: next(iter(names)) for key, names in claims.items() if len(names) == 1}


def derived_terms(model: SemanticModel, rules: TermRules, taken: Iterable[str]) -> list[tuple[str, str, str]]:
    """(alias, kind, name) to add to the lexicon: derived names no existing entry has, claimed once."""
    existing = set(taken)
    claims: dict[str, dict[tuple[str, str], bool]] = {}
    for alias, name, kind, preferred in (*_metric_terms(model, rules), *_dimension_terms(model, rules)):
        key = normalize_alias(alias)
        if not key or key in existing or key in rules.stopwords:
            continue
        bucket = claims.setdefault(key, {})
        bucket[(kind, name)] = bucket.get((kind, name), False) or preferred
    out: list[tuple[str, str, str]] = []
    for key, owners in claims.items():
        chosen = [o for o, pref in owners.items() if pref] if len(owners) > 1 else list(owners)
        if len(chosen) == 1:
            kind, name = chosen[0]
            out.append((key, kind, name))
    return out


def member_heads(model: SemanticModel, members: Mapping[str, Iterable[tuple[str, Iterable[str]]]],
                 taken: Iterable[str]) -> list[tuple[str, str, str]]:
    """(alias, dimension, member value): a member's name without the word of its dimension.

    "Xihe Field" of ``field_name`` (named "field") is also "Xihe"; "西河油田" of a dimension named
    "油田" is also "西河". Added only when no entry has the name and exactly one member claims it.
    """
    existing = set(taken)
    claims: dict[str, set[tuple[str, str]]] = {}
    for dim_name, items in members.items():
        dim = model.dimensions.get(dim_name)
        if dim is None:
            continue
        words = {normalize_alias(a) for a in (dim_name.replace("_", " "), *dim.label.values(), *dim.synonyms) if a}
        words |= {w.split()[0] for w in words if " " in w}  # "field name" names the field too
        for value, aliases in items:
            for alias in (value, *aliases):
                key = normalize_alias(str(alias)) if alias else ""
                head = _without_tail(key, words)
                if head and head not in existing:
                    claims.setdefault(head, set()).add((dim_name, value))
    return [(head, *next(iter(owners))) for head, owners in claims.items() if len(owners) == 1]


def _without_tail(key: str, words: set[str]) -> str | None:
    """``key`` without a last word (or Chinese suffix) that names the dimension; None when nothing is left."""
    if key.isascii():
        parts = key.split()
        if len(parts) >= 2 and (parts[-1] in words or _singular(parts[-1]) in words):
            head = " ".join(parts[:-1])
            return head if len(head) >= 3 and not head.isdigit() else None
        return None
    for w in sorted(words, key=len, reverse=True):
        if not w.isascii() and key.endswith(w) and len(key) - len(w) >= 2:
            return key[: -len(w)]
    return None
