"""SQL text for modeling: profiling and catalog queries, file views, MetricFlow expressions.

Pure like the rest of the semantic layer: these functions *build* SQL for a dialect (or parse
MetricFlow SQL); ``chatbi.modeling`` runs the text through its engine. Keeping them here keeps
``sqlglot`` inside the semantic layer.

>>> from semantic_layer.sqlbuild import RowSource, distinct_values_sql
>>> distinct_values_sql(RowSource("shops"), "city", "duckdb", limit=10)
'SELECT DISTINCT city FROM shops WHERE NOT city IS NULL ORDER BY city LIMIT 10'
"""

from __future__ import annotations

from .catalog import foreign_key_targets_sql, key_constraints_sql, list_columns_sql, list_tables_sql
from .files import file_columns_sql, file_view_sql
from .metricflow_sql import (
    FilterNotMappable,
    MetricFlowSQLError,
    boolean_expression,
    is_constant,
    presence_expression,
    rename_formula,
    translate_expression,
    translate_filter,
)
from .profiling import (
    SAMPLE_ROWS,
    JoinStep,
    RowSource,
    column_stats_sql,
    dependency_sql,
    distinct_values_sql,
    duplicate_keys_sql,
    head_sql,
    normalize_type,
    overlap_sql,
    row_count_sql,
    table_source,
)

__all__ = [
    "SAMPLE_ROWS",
    "RowSource",
    "JoinStep",
    "table_source",
    "normalize_type",
    "row_count_sql",
    "column_stats_sql",
    "head_sql",
    "distinct_values_sql",
    "duplicate_keys_sql",
    "overlap_sql",
    "dependency_sql",
    "list_tables_sql",
    "list_columns_sql",
    "key_constraints_sql",
    "foreign_key_targets_sql",
    "file_columns_sql",
    "file_view_sql",
    "MetricFlowSQLError",
    "FilterNotMappable",
    "translate_filter",
    "rename_formula",
    "translate_expression",
    "presence_expression",
    "boolean_expression",
    "is_constant",
]
