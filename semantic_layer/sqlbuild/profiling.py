"""Profiling SQL: row counts, per-column statistics, sample values and relation checks.

``chatbi.modeling`` profiles a warehouse with small aggregate queries built here and run by its
engine. Large tables are read through a repeatable sample (``TABLESAMPLE`` where the dialect
has it, else the first rows), so no query loads a table whole. Each function returns SQL text
whose result columns have the fixed names its docstring gives.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlglot import exp

from ..dialects import column as col_expr
from ..dialects import ident

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
]

#: tables with more rows than this are profiled on a sample of about this many rows
SAMPLE_ROWS = 100_000
#: dialects whose TABLESAMPLE SYSTEM takes a percentage (all but Trino also a seed). Not Spark:
#: sqlglot writes its seed as ``SEED (n)``, which Spark does not parse, and Spark's row sampling
#: reads every file anyway, while the first rows are read from the first files only.
_TABLESAMPLE = frozenset({"duckdb", "postgres", "snowflake", "trino", "bigquery"})


@dataclass(frozen=True)
class RowSource:
    """The rows a profiling query reads: ``table``, or a repeatable sample of about
    ``sample_rows`` rows when the table has more than that (``row_count``)."""

    table: str
    row_count: int = 0
    sample_rows: int = SAMPLE_ROWS

    @property
    def sampled(self) -> bool:
        return self.row_count > self.sample_rows

    def expression(self, dialect: str) -> exp.Expr:
        """The FROM item for these rows (see :func:`table_source`)."""
        return table_source(self.table, self.row_count, dialect, self.sample_rows)


@dataclass(frozen=True)
class JoinStep:
    """One many-to-one hop of a join path: ``left`` rows find their ``right`` row on ``keys``
    (pairs of left column, right column)."""

    left: str
    right: str
    keys: tuple[tuple[str, str], ...]


def table_source(table: str, row_count: int, dialect: str, sample_rows: int = SAMPLE_ROWS) -> exp.Expr:
    """The rows to profile: the table itself, or a repeatable sample of about ``sample_rows`` rows.

    >>> table_source("sales", 1_000_000, "postgres", 50_000).sql(dialect="postgres")
    'sales TABLESAMPLE SYSTEM (5.0) REPEATABLE (42)'
    >>> table_source("sales", 1_000_000, "sqlite", 50_000).sql(dialect="sqlite")
    '(SELECT * FROM sales LIMIT 50000) AS s'
    """
    t = exp.Table(this=ident(table, dialect))
    if row_count <= sample_rows:
        return t
    pct = max(0.01, min(100.0, round(100.0 * sample_rows / row_count, 2)))
    if dialect in _TABLESAMPLE:
        t.set("sample", exp.TableSample(method=exp.var("SYSTEM"), percent=exp.Literal.number(pct),
                                         seed=exp.Literal.number(42) if dialect != "trino" else None))
        return t
    # no portable sampling (SQLite, MySQL ...): the first rows the database returns
    return exp.select(exp.Star()).from_(t).limit(sample_rows).subquery("s")


def normalize_type(raw: str, dialect: str) -> str:
    """A database type name in the model's vocabulary: date, timestamp, integer, bigint, double,
    decimal, varchar, boolean or other.

    >>> normalize_type("character varying(20)", "postgres"), normalize_type("TIMESTAMP WITH TIME ZONE", "duckdb")
    ('varchar', 'timestamp')
    >>> normalize_type("DECIMAL(18,2)", "duckdb"), normalize_type("HUGEINT", "duckdb")
    ('decimal', 'bigint')
    """
    text = str(raw).strip()
    try:
        dtype = exp.DataType.build(text, dialect=dialect)
    except Exception:  # noqa: BLE001 -- sqlglot cannot read every vendor type; fall back to the name
        dtype = None
    if dtype is not None:
        kind = dtype.this.name
        if kind in {"DATE", "DATE32"}:
            return "date"
        if dtype.is_type(*exp.DataType.TEMPORAL_TYPES):
            return "timestamp"
        if kind == "BOOLEAN":
            return "boolean"
        if kind in {"BIGINT", "UBIGINT", "INT128", "INT256", "UINT128", "UINT256"}:
            return "bigint"
        if dtype.is_type(*exp.DataType.INTEGER_TYPES):
            return "integer"
        if kind.startswith(("DECIMAL", "BIGDECIMAL", "UDECIMAL")) or kind in {"MONEY", "SMALLMONEY", "DECFLOAT"}:
            return "decimal"
        if dtype.is_type(*exp.DataType.REAL_TYPES):
            return "double"
        if dtype.is_type(*exp.DataType.TEXT_TYPES) or kind in {"UUID", "ENUM", "CHAR", "NCHAR"}:
            return "varchar"
        return "other"
    low = text.lower()
    for needle, out in (("timestamp", "timestamp"), ("datetime", "timestamp"), ("date", "date"), ("bool", "boolean"),
                        ("int", "integer"), ("char", "varchar"), ("text", "varchar"), ("string", "varchar"),
                        ("double", "double"), ("float", "double"), ("real", "double"), ("numeric", "decimal"),
                        ("decimal", "decimal")):
        if needle in low:
            return out
    return "other"


def _count_star(alias: str) -> exp.Expr:
    return exp.alias_(exp.Count(this=exp.Star()), alias)


def _not_null(ref: exp.Expr) -> exp.Expr:
    return exp.Not(this=exp.Is(this=ref.copy(), expression=exp.Null()))


# -- per table ---------------------------------------------------------------------------
def row_count_sql(table: str, temporal: Sequence[str], dialect: str) -> str:
    """Exact row count ``n`` and, per column ``temporal[i]``, its range ``lo{i}`` / ``hi{i}``
    over the whole table (cheap streaming aggregates, never sampled).

    >>> row_count_sql("orders", ["date"], "postgres")
    'SELECT COUNT(*) AS n, MIN("date") AS lo0, MAX("date") AS hi0 FROM orders'
    """
    items: list[exp.Expr] = [_count_star("n")]
    for i, c in enumerate(temporal):
        items += [exp.alias_(exp.Min(this=col_expr(c, None, dialect)), f"lo{i}"),
                  exp.alias_(exp.Max(this=col_expr(c, None, dialect)), f"hi{i}")]
    return exp.select(*items).from_(exp.Table(this=ident(table, dialect))).sql(dialect=dialect)


def column_stats_sql(source: RowSource, columns: Sequence[str], dialect: str, *,
                     min_max: Collection[str] = ()) -> str:
    """Over ``source``: rows ``n``; per column ``columns[i]`` non-null values ``nn{i}`` and
    distinct values ``nd{i}``, plus ``lo{i}`` / ``hi{i}`` for the columns in ``min_max``.

    >>> column_stats_sql(RowSource("t"), ["a", "b"], "duckdb", min_max={"b"})  # doctest: +NORMALIZE_WHITESPACE
    'SELECT COUNT(*) AS n, COUNT(a) AS nn0, COUNT(DISTINCT a) AS nd0, COUNT(b) AS nn1, COUNT(DISTINCT b) AS nd1,
    MIN(b) AS lo1, MAX(b) AS hi1 FROM t'
    """
    items: list[exp.Expr] = [_count_star("n")]
    for i, c in enumerate(columns):
        ref = col_expr(c, None, dialect)
        items += [exp.alias_(exp.Count(this=ref.copy()), f"nn{i}"),
                  exp.alias_(exp.Count(this=exp.Distinct(expressions=[ref.copy()])), f"nd{i}")]
        if c in min_max:
            items += [exp.alias_(exp.Min(this=ref.copy()), f"lo{i}"), exp.alias_(exp.Max(this=ref.copy()), f"hi{i}")]
    return exp.select(*items).from_(source.expression(dialect)).sql(dialect=dialect)


def head_sql(source: RowSource, dialect: str, limit: int) -> str:
    """The first ``limit`` rows of ``source``, every column.

    >>> head_sql(RowSource("orders", 10, sample_rows=5), "mysql", 3)
    'SELECT * FROM (SELECT * FROM orders LIMIT 5) AS s LIMIT 3'
    """
    return exp.select(exp.Star()).from_(source.expression(dialect)).limit(limit).sql(dialect=dialect)


def distinct_values_sql(source: RowSource, column: str, dialect: str, limit: int) -> str:
    """Up to ``limit`` distinct non-null values of ``column`` in ``source``, sorted (one column)."""
    ref = col_expr(column, None, dialect)
    return (exp.select(ref).distinct().from_(source.expression(dialect)).where(_not_null(ref))
            .order_by(ref.copy()).limit(limit).sql(dialect=dialect))


# -- relations ---------------------------------------------------------------------------
def duplicate_keys_sql(table: str, keys: Sequence[str], dialect: str) -> str:
    """``n``: how many values of ``keys`` occur in more than one row of ``table``.

    >>> duplicate_keys_sql("shops", ["shop_id"], "duckdb")
    'SELECT COUNT(*) AS n FROM (SELECT shop_id FROM shops GROUP BY shop_id HAVING COUNT(*) > 1) AS dupes'
    """
    cols = [col_expr(k, None, dialect) for k in keys]
    inner = (exp.select(*cols).from_(exp.Table(this=ident(table, dialect))).group_by(*(c.copy() for c in cols))
             .having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1))).subquery("dupes"))
    return exp.select(_count_star("n")).from_(inner).sql(dialect=dialect)


def overlap_sql(source: RowSource, column: str, target: str, target_column: str, dialect: str) -> str:
    """Value overlap: ``n`` distinct non-null values of ``column`` in ``source``, of which ``hit``
    also occur in ``target.target_column`` (read whole: a key table is small or must be exact)."""
    ref = col_expr(column, None, dialect)
    a = (exp.select(exp.alias_(ref, "k")).distinct().from_(source.expression(dialect))
         .where(_not_null(ref)).subquery("a"))
    b = (exp.select(exp.alias_(col_expr(target_column, None, dialect), "k")).distinct()
         .from_(exp.Table(this=ident(target, dialect))).subquery("b"))
    return (exp.select(_count_star("n"), exp.alias_(exp.Count(this=exp.column("k", "b")), "hit"))
            .from_(a).join(b, on=exp.EQ(this=exp.column("k", "a"), expression=exp.column("k", "b")), join_type="LEFT")
            .sql(dialect=dialect))


def dependency_sql(source: RowSource, child: str, parent: tuple[str, str], dialect: str,
                   path: Sequence[JoinStep] = ()) -> str:
    """A functional-dependency check: over ``source`` (left-joined along ``path`` to reach the
    parent's table), ``pairs`` distinct (child, parent) pairs and ``children`` distinct non-null
    ``child`` values. ``child`` -> ``parent`` holds when the two are equal (and non-zero).

    ``child`` is a column of ``source.table``; ``parent`` is (table, column), the table being
    ``source.table`` or one reached by ``path``.

    >>> dependency_sql(RowSource("city"), "name", ("city", "province"), "duckdb")  # doctest: +NORMALIZE_WHITESPACE
    'SELECT COUNT(*) AS pairs, COUNT(DISTINCT x.c) AS children FROM (SELECT DISTINCT t0.name AS c, t0.province AS
    p FROM city AS t0 WHERE NOT t0.name IS NULL) AS x'
    """
    src = source.expression(dialect).copy()
    src.set("alias", exp.TableAlias(this=exp.to_identifier("t0")))  # a table or a LIMIT subquery alike
    aliases = {source.table: "t0"}
    select = exp.select().from_(src)
    for i, j in enumerate(path, 1):
        aliases[j.right] = f"t{i}"
        on = exp.and_(*(exp.EQ(this=col_expr(lc, aliases[j.left], dialect), expression=col_expr(rc, f"t{i}", dialect))
                        for lc, rc in j.keys))
        select = select.join(exp.alias_(exp.Table(this=ident(j.right, dialect)), f"t{i}", table=True), on=on,
                             join_type="LEFT")
    c, p = col_expr(child, "t0", dialect), col_expr(parent[1], aliases[parent[0]], dialect)
    pairs = (select.select(exp.alias_(c, "c"), exp.alias_(p, "p")).distinct().where(_not_null(c)).subquery("x"))
    return exp.select(_count_star("pairs"),
                      exp.alias_(exp.Count(this=exp.Distinct(expressions=[exp.column("c", "x")])), "children")
                      ).from_(pairs).sql(dialect=dialect)
