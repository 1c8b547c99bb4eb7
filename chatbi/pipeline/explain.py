"""Stage ``explain`` (only when asked: a "why" question): the root cause of a change.

It reuses the compiled query -- its period and the period it was compared with -- and hands
the metric, the member filters and the breakdowns to ``explain_change`` of the scope
(``chatbi.analysis``; a user's view analyses only their rows). The analysis is an extra: when
it fails, the answer is the change itself and an ``explain_failed`` issue says why.
"""

from __future__ import annotations

from semantic_layer import Issue, IssueCode, MemberFilter, SemanticQuery
from semantic_layer.compiler import CompiledQuery

from .records import Explanation, Scope

__all__ = ["explain"]


def explain(scope: Scope, query: SemanticQuery, compiled: CompiledQuery, language: str) -> Explanation | None:
    """The report for a compared metric over a known period; None when there is no period to explain."""
    if compiled.period is None or not query.metrics:
        return None
    filters = [f for f in query.filters if isinstance(f, MemberFilter)]
    dimensions = [d for d in query.dimensions if "." not in d] or None
    try:
        report = scope.explain_change(query.metrics[0], compiled.period, baseline=compiled.compare_period,
                                      filters=filters or None, dimensions=dimensions, language=language)
    except Exception as exc:  # noqa: BLE001 - the analysis is an extra; the change itself still answers
        return Explanation(issues=(Issue(IssueCode.EXPLAIN_FAILED, f"root-cause analysis unavailable: {exc}"),))
    return Explanation(report)
