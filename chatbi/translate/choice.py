"""Numbered choices: "1", "#2", "第二个", "option 3" picks that option of the last clarification.

Clarifications list their options numbered (the CLI prints ``1. 收入``), so people answer with a
number. The words around the number (选, 第, 个, option, the ... one) are grammar
(``terms.choice_words`` and ``terms.ordinals`` of ``resources``); anything else in the reply makes
it a question of its own.

>>> from chatbi.answer import ClarifyOption
>>> options = (ClarifyOption("收入", "收入"), ClarifyOption("ARPU", "ARPU"))
>>> [o.label if o else None for o in (pick("2", options), pick("选第一个", options), pick("option 3", options))]
['ARPU', '收入', None]
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..answer import ClarifyOption
from .grammar import load_grammar
from .normalize import normalize_alias, parse_number

__all__ = ["pick"]

_PUNCT = re.compile(r"[\s.,;:!?()（）。，、！？…]+")
#: a reply longer than this is a question, not a choice
_LONGEST = 24


def pick(reply: str, options: Sequence[ClarifyOption]) -> ClarifyOption | None:
    """The option a short numbered reply picks, or None when the reply is not a choice."""
    if not options or not reply or len(reply) > _LONGEST:
        return None
    grammar = load_grammar()
    text = normalize_alias(reply)
    ordinals: dict[str, int] = {normalize_alias(k): int(v) for k, v in (grammar.terms.get("ordinals") or {}).items()}
    for word, n in sorted(ordinals.items(), key=lambda kv: -len(kv[0])):
        text = re.sub(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", f" {n} ", text)
    words = sorted((normalize_alias(w) for w in grammar.terms.get("choice_words", ())), key=len, reverse=True)
    for word in words:
        text = re.sub(rf"(?<![a-z]){re.escape(word)}(?![a-z])" if word[:1].isalpha() and word.isascii()
                      else re.escape(word), " ", text)
    text = _PUNCT.sub("", text)
    value = parse_number(text) if text else None
    if value is None or not float(value).is_integer() or not 1 <= value <= len(options):
        return None
    return options[int(value) - 1]
