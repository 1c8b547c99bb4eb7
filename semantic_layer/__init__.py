"""The semantic layer: governed metrics and dimension trees between language and warehouse.

Pure: no database, network or model I/O. YAML in, sqlglot ASTs and SQL text out.
"""

from __future__ import annotations

from .errors import ModelError, QueryError, SemanticLayerError, SQLGuardError, UnknownNameError, did_you_mean, suggest
from .guard import SQLGuard, guard_sql
from .issues import Issue, IssueCode, Subject, SubjectKind
from .model import DimensionRef, SemanticModel
from .query import (
    ComparisonFilter,
    Filter,
    MemberFilter,
    RangeFilter,
    RelativeTimeFilter,
    SemanticQuery,
    TimeRange,
)
from .validate import validate_query

__all__ = [
    "SemanticModel",
    "SemanticQuery",
    "DimensionRef",
    "Filter",
    "MemberFilter",
    "ComparisonFilter",
    "RangeFilter",
    "RelativeTimeFilter",
    "TimeRange",
    "Issue",
    "IssueCode",
    "Subject",
    "SubjectKind",
    "validate_query",
    "SemanticLayerError",
    "ModelError",
    "QueryError",
    "UnknownNameError",
    "SQLGuardError",
    "SQLGuard",
    "guard_sql",
    "suggest",
    "did_you_mean",
]
