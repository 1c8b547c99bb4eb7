"""The vocabulary of query problems: a code from a closed set and the subject it is about.

Issues are data that other modules act on: the offline translator asks which dimension to drop,
the LLM repair loop swaps a misspelt name for a candidate, the audit log counts denials. They read
``issue.code`` (an :class:`IssueCode`) and ``issue.subject`` (a :class:`Subject`: which metric,
dimension, member, table or query field, and where in the query), never the message, which is for
people and may be reworded.

``IssueCode`` is a ``StrEnum``, so ``issue.code == "unknown_metric"`` keeps working.

>>> issue = Issue(IssueCode.UNKNOWN_METRIC, "unknown metric 'revnue'", ("revenue",), "metrics[0]",
...               Subject(SubjectKind.METRIC, "revnue", part="metrics", index=0))
>>> issue.code == "unknown_metric", issue.subject.name, str(issue)
(True, 'revnue', "unknown metric 'revnue' Did you mean 'revenue'?")
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .errors import did_you_mean

__all__ = ["Issue", "IssueCode", "Subject", "SubjectKind"]


class IssueCode(StrEnum):
    """Every problem a query can have, by the stage that finds it."""

    # validation (semantic_layer.validate)
    UNKNOWN_METRIC = "unknown_metric"
    UNKNOWN_DIMENSION = "unknown_dimension"
    MISSING_GRAIN = "missing_grain"
    BAD_GRAIN = "bad_grain"
    DUPLICATE_DIMENSION = "duplicate_dimension"
    UNREACHABLE_DIMENSION = "unreachable_dimension"
    UNRELATED_DIMENSIONS = "unrelated_dimensions"
    NO_TIME_COLUMN = "no_time_column"
    FILTER_METRIC_NOT_SELECTED = "filter_metric_not_selected"
    UNKNOWN_MEMBER = "unknown_member"
    BAD_VALUE = "bad_value"  # a threshold that is no number, a date that is not ISO
    BAD_ORDER_BY = "bad_order_by"
    COMPARE_NEEDS_METRIC = "compare_needs_metric"
    SHARE_NEEDS_METRIC = "share_needs_metric"
    # compilation (semantic_layer.compiler)
    MISSING_ANCHOR = "missing_anchor"
    EMPTY_PERIOD = "empty_period"
    COMPARE_NEEDS_PERIOD = "compare_needs_period"
    BASELINE_OVERLAPS = "baseline_overlaps"  # a stated baseline period overlaps the period compared with it
    BASELINE_MISALIGNED = "baseline_misaligned"  # its time buckets have no counterparts in the period
    # access policy (semantic_layer.policy); the audit log counts these as denials
    ACCESS_DENIED = "access_denied"
    MASKED_FILTER = "masked_filter"
    # answering (chatbi): a "why" analysis that could not run (the answer itself stands); SQL written
    # by a user or a model that the SQL guard refused
    EXPLAIN_FAILED = "explain_failed"
    SQL_REJECTED = "sql_rejected"
    # a question whose whole answer is over the row cap (asked back); an answer showing only the first
    # rows of a larger result (chatbi.pipeline.size)
    TOO_MANY_ROWS = "too_many_rows"
    TRUNCATED = "truncated"


class SubjectKind(StrEnum):
    METRIC = "metric"
    DIMENSION = "dimension"
    MEMBER = "member"  # ``name`` is the dimension, ``value`` the member
    TABLE = "table"
    FIELD = "field"  # a query field as a whole (``compare``, ``share``, ``order_by`` entries ...)


@dataclass(frozen=True)
class Subject:
    """What an issue is about, and where the query mentions it.

    ``part`` is the query field (``metrics``, ``dimensions``, ``filters``, ``order_by``,
    ``time_range``, ``compare``, ``share``) and ``index`` the position in it, when it is a list.
    """

    kind: SubjectKind
    name: str
    value: str | None = None
    part: str = ""
    index: int | None = None


@dataclass(frozen=True)
class Issue:
    """One problem: a stable ``code``, a message for people, "did you mean" candidates,
    ``field`` (where, as text: ``metrics[0]``) and the structured ``subject``."""

    code: IssueCode
    message: str
    candidates: tuple[str, ...] = ()
    field: str = ""
    subject: Subject | None = None

    def __post_init__(self) -> None:
        # a plain string is accepted and checked against the closed set (ValueError if unknown)
        object.__setattr__(self, "code", IssueCode(self.code))

    def __str__(self) -> str:
        return f"{self.message} {did_you_mean(self.candidates)}".rstrip()
