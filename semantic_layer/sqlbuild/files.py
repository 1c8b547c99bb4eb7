"""DuckDB SQL that turns a CSV, Parquet or JSON file into a view.

The readers are DuckDB table functions (``read_csv_auto``, ``read_parquet``,
``read_json_auto``), so this SQL is DuckDB's only; ``chatbi.modeling.files`` picks the reader
from the file suffix and the view's column names, and runs the statements.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from ..dialects import ident

__all__ = ["file_columns_sql", "file_view_sql"]


def _read(reader: str, path: str) -> exp.Expr:
    return exp.Anonymous(this=reader, expressions=[exp.Literal.string(path)])


def file_columns_sql(reader: str, path: str) -> str:
    """A query with no rows whose result columns are the file's columns.

    >>> file_columns_sql("read_csv_auto", "/data/sales.csv")
    "SELECT * FROM READ_CSV_AUTO('/data/sales.csv') LIMIT 0"
    """
    return exp.select(exp.Star()).from_(_read(reader, path)).limit(0).sql(dialect="duckdb")


def file_view_sql(view: str, reader: str, path: str, columns: Sequence[tuple[str, str]]) -> str:
    """``CREATE VIEW view`` over the file, one (name in the file, name in the view) per column.

    The file's names are quoted as they are; a column whose view name differs is aliased to
    that (plain) name.

    >>> file_view_sql("sales", "read_parquet", "s.parquet", [("id", "id"), ("销售额", "col2")])
    'CREATE VIEW sales AS SELECT "id", "销售额" AS col2 FROM READ_PARQUET(\\'s.parquet\\')'
    """
    items: list[exp.Expr] = []
    for name, alias in columns:
        source = exp.Column(this=exp.Identifier(this=name, quoted=True))
        items.append(source if alias == name else exp.alias_(source, exp.Identifier(this=alias, quoted=False)))
    select = exp.select(*items).from_(_read(reader, path))
    return exp.Create(this=exp.Table(this=ident(view, "duckdb")), kind="VIEW", expression=select).sql(dialect="duckdb")
