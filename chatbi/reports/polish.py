"""The report's highlights worded by a language model, when one is configured -- never its numbers.

Only a model allowed to see data (``share_data=True``: the highlights carry the report's numbers)
is asked. It gets the rule-written highlights and returns one paragraph; every number in that
paragraph must be one of the highlights' numbers, written the same way, or the paragraph is
dropped and the report keeps its rule-written highlights alone. The highlights stay in the report
either way: the paragraph is an overview above them, marked as the model's wording.

>>> sorted(numbers("收入 8.81 亿元（环比 -10.1%），2025年11月"))
['-10.1%', '11', '2025', '8.81']
>>> sorted(numbers("In Nov 2025, 1,138.97 subscribers"))
['1,138.97', '2025']
>>> accepted("Revenue was ¥881M, -10.1% on October.", ["Revenue ¥881M (-10.1% vs previous period)"])
True
>>> accepted("Revenue fell 10.1% to ¥881M.", ["Revenue ¥881M (-10.1% vs previous period)"])  # a sign dropped
False
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

__all__ = ["numbers", "accepted", "polish_summary"]

#: a number as written: sign, thousands separators inside it (not the comma after "Nov 2025,"), decimals, %
_NUMBER = re.compile(r"[-+−]?\d(?:[\d,]*\d)?(?:\.\d+)?%?")


def numbers(text: str) -> set[str]:
    """The numbers of ``text`` as written (sign, separators, decimals and a percent sign kept)."""
    return {m.group(0).replace("−", "-") for m in _NUMBER.finditer(text)}


def accepted(paragraph: str, lines: Sequence[str]) -> bool:
    """Whether every number of ``paragraph`` is written exactly as in one of ``lines``, sign included
    (a sign turned into "fell" could as well have been turned into "rose": not checkable, so not taken)."""
    given = {n for line in lines for n in numbers(line)}
    return all(n in given for n in numbers(paragraph))


def polish_summary(bi: Any, lines: Sequence[str], language: str) -> tuple[str | None, dict[str, float]]:
    """The model's paragraph over ``lines`` (None without a data-sharing model, or when it changed a number)."""
    from ..translate.hybrid import data_narrator

    narrator = data_narrator(getattr(bi, "translator", None))
    if narrator is None or not lines:
        return None, {}
    text, usage = narrator.polish(list(lines), language=language)
    timings = usage.timings("llm_polish")
    if text is None or not accepted(text, lines):
        return None, timings
    return text, timings
