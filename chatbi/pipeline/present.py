"""Stage ``present``: the chart recipe and the one-line text of a result, in the answer's language.

Both are functions of (query, frame, intent), formatted by one layer (``chatbi.charts``), so
the text and the chart tell the same story. The chart is built on first look (a
:class:`~chatbi.answer.LazyFigure`); a chart or sentence that fails costs the user neither the
numbers nor the SQL.

With ``share_data=True`` a language model may word the text from the result rows instead: it
is a collaborator of this stage (:func:`narrate_with_model`), never a wrapper around the pipeline.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pandas as pd

from semantic_layer import SemanticQuery
from semantic_layer.compiler.timeframe import Period

from .. import narrative
from ..answer import Intent
from .records import Presentation, Scope

if TYPE_CHECKING:
    from ..translate.llm import LLMTranslator

__all__ = ["present", "narrate_with_model", "truncation_text"]

log = logging.getLogger(__name__)


def present(scope: Scope, query: SemanticQuery, data: pd.DataFrame, *, period: Period | None, intent: Intent,
            language: str, compare_period: Period | None = None) -> Presentation:
    context: dict[str, Any] = {"language": language, "members": scope.members, "period": period, "intent": intent,
                               "compare_period": compare_period}
    model = scope.model

    def figure() -> Any:
        from ..charts import build_figure
        from ..charts.memo import memo_figure

        try:  # an identical chart drawn before (same query, rows, language...) is not built again
            return memo_figure(query, data, model, **context, build=lambda: build_figure(query, data, model, **context))
        except Exception:  # a chart that fails must not cost the user the numbers
            log.warning("chart failed for %s", query, exc_info=True)
            return None

    if data.attrs.get("truncated"):
        return Presentation(truncation_text(data, language), figure)
    try:
        text = narrative.narrate(query, data, model, **context)
    except Exception:  # nor a sentence that fails
        log.warning("narrative failed for %s", query, exc_info=True)
        text = ""
    return Presentation(text, figure)


def truncation_text(data: pd.DataFrame, language: str) -> str:
    """"Showing the first N of M rows": a cut result gets no narrative (its last row is not the latest
    period, its sums are not totals)."""
    words = narrative.phrases(language)
    total = data.attrs.get("total_rows")
    shown = f"{len(data):,}"
    if isinstance(total, int) and total > len(data) + 1:
        return words["truncated"].format(n=shown, total=f"{total:,}") + words["end"]
    return words["truncated_unknown"].format(n=shown) + words["end"]


def narrate_with_model(narrator: LLMTranslator, question: str, data: pd.DataFrame, query: SemanticQuery | None,
                       language: str) -> tuple[str | None, dict[str, float]]:
    """The model's wording of the rows (opt-in ``share_data``) and what it cost."""
    text, usage = narrator.narrate(question, data, query=query, language=language)
    return text, usage.timings("llm_narrate")
