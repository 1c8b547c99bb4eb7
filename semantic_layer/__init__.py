"""The semantic layer: governed metrics and dimension trees between language and warehouse.

Pure: no database, network or model I/O. YAML in, sqlglot ASTs and SQL text out.
"""

from __future__ import annotations

from .errors import ModelError, QueryError, SemanticLayerError, SQLGuardError, UnknownNameError, did_you_mean, suggest
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
from .validate import Issue, validate_query
from .guard import SQLGuard, guard_sql  # noqa: E402,I001 - after the modules the guard builds on

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
