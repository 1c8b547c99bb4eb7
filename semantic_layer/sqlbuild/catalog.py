"""Catalog SQL: tables, columns and declared keys from ``information_schema``.

Used by ``chatbi.modeling`` for databases it reaches without a SQLAlchemy inspector (DuckDB,
PostgreSQL, MySQL ...). Every query is limited to the current schema.
"""

from __future__ import annotations

from sqlglot import exp

__all__ = ["list_tables_sql", "list_columns_sql", "key_constraints_sql", "foreign_key_targets_sql"]


def _info_schema(name: str) -> exp.Table:
    return exp.Table(this=exp.to_identifier(name), db=exp.to_identifier("information_schema"))


def _current_schema(qualifier: str | None = None) -> exp.Expr:
    return exp.EQ(this=exp.column("table_schema", qualifier), expression=exp.func("current_schema"))


def list_tables_sql(dialect: str) -> str:
    """``table_name``, ``table_type`` of the current schema, by name.

    >>> list_tables_sql("postgres")  # doctest: +NORMALIZE_WHITESPACE
    'SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = CURRENT_SCHEMA ORDER BY
    table_name NULLS FIRST'
    """
    return (exp.select("table_name", "table_type").from_(_info_schema("tables")).where(_current_schema())
            .order_by("table_name").sql(dialect=dialect))


def list_columns_sql(dialect: str) -> str:
    """``table_name``, ``column_name``, ``data_type``, ``is_nullable`` of the current schema,
    in table and column order."""
    return (exp.select("table_name", "column_name", "data_type", "is_nullable")
            .from_(_info_schema("columns")).where(_current_schema())
            .order_by("table_name", "ordinal_position").sql(dialect=dialect))


def key_constraints_sql(dialect: str) -> str:
    """Primary and foreign key columns: ``table_name``, ``constraint_name``, ``constraint_type``
    (``PRIMARY KEY`` / ``FOREIGN KEY``), ``column_name``, ``ordinal_position``."""
    tc = exp.alias_(_info_schema("table_constraints"), "tc", table=True)
    kcu = exp.alias_(_info_schema("key_column_usage"), "kcu", table=True)
    on = exp.and_(exp.EQ(this=exp.column("constraint_name", "tc"), expression=exp.column("constraint_name", "kcu")),
                  exp.EQ(this=exp.column("table_name", "tc"), expression=exp.column("table_name", "kcu")))
    return (exp.select(exp.column("table_name", "tc"), exp.column("constraint_name", "tc"),
                       exp.column("constraint_type", "tc"), exp.column("column_name", "kcu"),
                       exp.column("ordinal_position", "kcu"))
            .from_(tc).join(kcu, on=on).where(_current_schema("tc"))
            .where(exp.column("constraint_type", "tc").isin("PRIMARY KEY", "FOREIGN KEY"))
            .order_by(exp.column("table_name", "tc"), exp.column("constraint_name", "tc"),
                      exp.column("ordinal_position", "kcu")).sql(dialect=dialect))


def foreign_key_targets_sql(dialect: str) -> str:
    """What each foreign key constraint references, one row per referenced column.

    DuckDB: ``constraint_name``, ``referenced_table``, ``referenced_column_names`` (a list) from
    ``duckdb_constraints()``, because its information_schema has no referential_constraints rows.
    Elsewhere: ``constraint_name``, ``table_name``, ``column_name`` in column order.

    >>> foreign_key_targets_sql("duckdb")  # doctest: +NORMALIZE_WHITESPACE
    "SELECT constraint_name, referenced_table, referenced_column_names FROM DUCKDB_CONSTRAINTS() WHERE
    constraint_type = 'FOREIGN KEY'"
    """
    if dialect == "duckdb":
        return exp.select("constraint_name", "referenced_table", "referenced_column_names").from_(
            exp.Anonymous(this="duckdb_constraints")).where(
            exp.EQ(this=exp.column("constraint_type"), expression=exp.Literal.string("FOREIGN KEY"))).sql(dialect="duckdb")
    rc = exp.alias_(_info_schema("referential_constraints"), "rc", table=True)
    kcu = exp.alias_(_info_schema("key_column_usage"), "kcu", table=True)
    return (exp.select(exp.column("constraint_name", "rc"), exp.column("table_name", "kcu"),
                       exp.column("column_name", "kcu"))
            .from_(rc).join(kcu, on=exp.EQ(this=exp.column("unique_constraint_name", "rc"),
                                           expression=exp.column("constraint_name", "kcu")))
            .order_by(exp.column("constraint_name", "rc"), exp.column("ordinal_position", "kcu"))
            .sql(dialect=dialect))
