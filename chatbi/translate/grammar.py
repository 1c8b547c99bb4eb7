"""Language grammar of the offline translator, read from ``resources/<lang>.yaml``.

The files hold only language: keyword phrases per tag (group-by, top, 同比, negation ...),
time-grain words, English month and number words, stop words and the message templates of
clarifications and refusals. Nothing about any business domain lives here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from ..errors import ConfigError

__all__ = ["Grammar", "LANGUAGES", "load_grammar", "THRESHOLD_TAGS"]

LANGUAGES = ("zh", "en")
#: comparison words are read by a pattern together with their number, never as lone keywords
THRESHOLD_TAGS = ("threshold_gt", "threshold_ge", "threshold_lt", "threshold_le")


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
    #: how the lexicon derives names from a model (``terms`` of each language, lists merged)
    terms: dict[str, Any] = field(default_factory=dict)

    def message(self, key: str, language: str, **values: Any) -> str:
        table = self.messages.get(language) or self.messages["en"]
        template = table.get(key) or self.messages["en"][key]
        return template.format(**values)


def _read(language: str) -> dict[str, Any]:
    try:
        text = resources.files("chatbi.translate.resources").joinpath(f"{language}.yaml").read_text(encoding="utf-8")
    except OSError as exc:  # pragma: no cover - a broken installation
        raise ConfigError(f"missing grammar file for language {language!r}: {exc}") from None
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or "keywords" not in data:
        raise ConfigError(f"grammar file {language}.yaml must have a 'keywords' mapping")
    return data


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
    for lang in LANGUAGES:
        data = _read(lang)
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
                   frozenset(stop), messages, terms)
