"""Parse dbt MetricFlow SQL: Jinja ``where`` filters, derived-metric and column expressions.

MetricFlow filters are SQL with Jinja references::

    {{ Dimension('order_id__order_status') }} = 'completed'
    {{ Dimension('customer__region') }} in ('EU', 'UK') and {{ Dimension('order__is_food') }} = true
    {{ Dimension('order_id__order_total_dim') }} >= 20
    {{ TimeDimension('metric_time', 'day') }} >= '2024-06-01'

Conjunctions of ``=``, ``!=``/``<>``, ``IN``, ``NOT IN``, ``IS TRUE/FALSE``, comparisons with a
constant and ``IS [NOT] NULL`` over dimensions (time dimensions at day grain) map to a metric's
filters; anything else (``OR``, other grains, expressions on both sides) raises
:class:`FilterNotMappable` rather than being approximated.

Measure and dimension ``expr`` SQL is read in the dbt project's dialect and written as
dialect-neutral SQL (:func:`translate_expression`); the model checks it like any other SQL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import sqlglot
from sqlglot import exp

from ..errors import SemanticLayerError

__all__ = ["MetricFlowSQLError", "FilterNotMappable", "translate_filter", "rename_formula", "translate_expression",
           "presence_expression", "boolean_expression", "is_constant"]

_REF = re.compile(r"\{\{\s*(Dimension|TimeDimension|Entity|Metric)\s*\(\s*['\"]([^'\"]+)['\"]"
                  r"(?:\s*,\s*['\"]([^'\"]*)['\"])?[^)]*\)((?:\s*\.\s*\w+\s*\([^)]*\))*)\s*\}\}")
_GRAIN_CALL = re.compile(r"\.\s*grain\s*\(\s*['\"]([^'\"]+)['\"]\s*\)")


class MetricFlowSQLError(SemanticLayerError, ValueError):
    """MetricFlow SQL that ChatBI cannot use (the message says why)."""


class FilterNotMappable(MetricFlowSQLError):
    """A filter that ChatBI's member filters cannot express (the message says why)."""


def translate_filter(text: str, resolve: Callable[[str, str], str | None]) -> list[dict[str, Any]]:
    """A metric's filters (``{"dimension", "op", "values"}``, all must hold) for one MetricFlow
    filter string.

    ``resolve(kind, ref)`` maps a MetricFlow reference -- ``("Dimension", "customer__region")``,
    ``("TimeDimension", "metric_time")``, ``("Entity", "customer")`` -- to a ChatBI dimension
    name, or None when there is none.

    >>> translate_filter("{{ Dimension('order__status') }} != 'void'", lambda kind, ref: ref.split('__')[-1])
    [{'dimension': 'status', 'op': 'not_in', 'values': ['void']}]
    >>> translate_filter("{{ Dimension('order__total') }} >= 20", lambda kind, ref: "total")
    [{'dimension': 'total', 'op': '>=', 'values': [20]}]
    >>> either = "{{ Dimension('a__x') }} = 1 or {{ Dimension('a__y') }} = 2"
    >>> translate_filter(either, lambda kind, ref: ref)  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    semantic_layer.sqlbuild.metricflow_sql.FilterNotMappable: filter "{{ Dimension('a__x') }} = 1 or {{
    Dimension('a__y') }} = 2" is not a conjunction of comparisons of dimensions with constants
    """
    refs: dict[str, str] = {}

    def placeholder(match: re.Match[str]) -> str:
        kind, ref, grain, calls = match.group(1), match.group(2), match.group(3), match.group(4) or ""
        grain = grain or next(iter(_GRAIN_CALL.findall(calls)), None)
        if kind == "Metric":
            raise FilterNotMappable(f"filters on metric values (Metric('{ref}')) are not supported")
        if kind == "TimeDimension" and grain and grain.lower() != "day":
            raise FilterNotMappable(f"a filter on {ref!r} at {grain!r} grain; only day-grain time filters map")
        name = resolve(kind, ref)
        if name is None:
            raise FilterNotMappable(f"{kind.lower().replace('timedimension', 'time dimension')} {ref!r} "
                                    "is not in the imported model")
        key = f"mf_ref_{len(refs)}"
        refs[key] = name
        return key

    sql = _REF.sub(placeholder, text.strip())
    if "{{" in sql or "{%" in sql:
        raise FilterNotMappable(f"unsupported Jinja in filter {text.strip()!r}")
    try:
        tree = sqlglot.parse_one(sql)
    except sqlglot.errors.ParseError:
        raise FilterNotMappable(f"cannot parse filter {text.strip()!r}") from None
    return [_condition(node, refs, text) for node in _conjuncts(tree)]


def _conjuncts(node: exp.Expr) -> list[exp.Expr]:
    node = node.unnest()
    if isinstance(node, exp.And):
        return _conjuncts(node.this) + _conjuncts(node.expression)
    return [node]


_COMPARE: dict[type[exp.Expr], tuple[str, str]] = {
    exp.GT: (">", "<"), exp.GTE: (">=", "<="), exp.LT: ("<", ">"), exp.LTE: ("<=", ">=")}
_NEGATED = {">": "<=", ">=": "<", "<": ">=", "<=": ">", "is_null": "not_null", "not_null": "is_null",
            "in": "not_in", "not_in": "in"}


def _condition(node: exp.Expr, refs: dict[str, str], text: str) -> dict[str, Any]:
    negate = False
    if isinstance(node, exp.Not):
        negate, node = True, node.this.unnest()
    values: list[Any]
    if isinstance(node, (exp.EQ, exp.NEQ)):
        target, value = node.this, node.expression
        if not isinstance(target, exp.Column) and isinstance(value, exp.Column):
            target, value = value, target
        values, op = [_literal(value, text)], "in" if isinstance(node, exp.EQ) else "not_in"
    elif type(node) in _COMPARE:
        target, value = node.this, node.expression
        op = _COMPARE[type(node)][0]
        if not isinstance(target, exp.Column) and isinstance(value, exp.Column):
            target, value, op = value, target, _COMPARE[type(node)][1]  # 20 <= x is x >= 20
        values = [_literal(value, text)]
    elif isinstance(node, exp.In) and node.expressions:
        target, values, op = node.this, [_literal(v, text) for v in node.expressions], "in"
    elif isinstance(node, exp.Is) and isinstance(node.expression, exp.Boolean):
        target, values, op = node.this, [_literal(node.expression, text)], "in"
    elif isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
        target, values, op = node.this, [], "is_null"
    else:
        raise FilterNotMappable(f"filter {text.strip()!r} is not a conjunction of comparisons of dimensions "
                                "with constants")
    if not (isinstance(target, exp.Column) and target.name in refs):
        raise FilterNotMappable(f"filter {text.strip()!r} compares something other than a dimension")
    if negate:
        op = _NEGATED[op]
    return {"dimension": refs[target.name], "op": op, "values": values}


def _literal(node: exp.Expr, text: str) -> str | int | float:
    node = node.unnest()
    if isinstance(node, exp.Boolean):
        # 'true' / 'false' as text compare correctly with boolean columns in DuckDB and PostgreSQL
        return "true" if node.this else "false"
    if isinstance(node, exp.Literal):
        if node.is_string:
            return node.this
        number = float(node.this)
        return int(number) if number.is_integer() else number
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        number = -float(node.this.this)
        return int(number) if number.is_integer() else number
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal) and node.this.is_string:
        return node.this.this  # DATE '2024-01-01', CAST('2024-01-01' AS DATE)
    raise FilterNotMappable(f"filter {text.strip()!r} compares with {node.sql()!r}, not a constant")


def translate_expression(text: str, dialect: str | None) -> tuple[str, tuple[str, ...]]:
    """A MetricFlow ``expr`` (written in ``dialect``) as dialect-neutral SQL, and the columns it reads.

    Raises :class:`MetricFlowSQLError` with the reason when it cannot be one row-level expression.

    >>> translate_expression("datediff(day, created_at, closed_at)", "snowflake")
    ('DATEDIFF(closed_at, created_at, DAY)', ('closed_at', 'created_at'))
    >>> translate_expression("iff(is_food, price, 0)", "snowflake")[0]
    'CASE WHEN is_food THEN price ELSE 0 END'
    >>> translate_expression("{{ dbt.datediff('a', 'b', 'day') }}", "snowflake")  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    semantic_layer.sqlbuild.metricflow_sql.MetricFlowSQLError: Jinja in expression "{{ dbt.datediff('a', 'b',
    'day') }}" cannot be evaluated outside dbt
    """
    source = str(text).strip()
    if "{{" in source or "{%" in source:
        raise MetricFlowSQLError(f'Jinja in expression "{source}" cannot be evaluated outside dbt')
    try:
        tree = sqlglot.parse_one(source, read=dialect)
    except (sqlglot.errors.SqlglotError, ValueError) as exc:
        raise MetricFlowSQLError(f"cannot parse {source!r} as {dialect or 'SQL'}: {str(exc).splitlines()[0]}") from None
    for node in tree.walk():
        if isinstance(node, (exp.Select, exp.Subquery, exp.Star)):
            raise MetricFlowSQLError(f"{source!r} contains a subquery or *")
        if isinstance(node, (exp.AggFunc, exp.Window)):
            raise MetricFlowSQLError(f"{source!r} aggregates ({node.sql()}); an expr must be row-level")
        if isinstance(node, exp.Anonymous):
            raise MetricFlowSQLError(f"function {node.name.upper()}() in {source!r} has no known translation "
                                     "between SQL dialects; add the column in the dbt model instead")
    columns = tuple(dict.fromkeys(c.name for c in tree.find_all(exp.Column)))
    return tree.sql(), columns


def is_constant(text: str) -> bool:
    """Is ``text`` a constant (``1``, ``true``, ``'x'``): a presence flag rather than a column?

    >>> is_constant("1"), is_constant("TRUE"), is_constant("amount")
    (True, True, False)
    """
    try:
        tree = sqlglot.parse_one(str(text))
    except sqlglot.errors.SqlglotError:
        return False
    return isinstance(tree.unnest(), (exp.Literal, exp.Boolean))


def presence_expression(key: str) -> str:
    """``CASE WHEN key IS NOT NULL THEN 1 END``: 1 where a row of the table exists (through a join).

    A bare constant would read 1 on every row of an outer join; the key is NULL where no row matched.

    >>> presence_expression("deal_id")
    'CASE WHEN NOT deal_id IS NULL THEN 1 END'
    """
    cond = exp.Not(this=exp.Is(this=exp.column(key), expression=exp.Null()))
    return exp.Case(ifs=[exp.If(this=cond, true=exp.Literal.number(1))]).sql()


def boolean_expression(sql: str) -> str:
    """``CASE WHEN <sql> THEN 1 ELSE 0 END`` (MetricFlow's ``sum_boolean``), dialect-neutral.

    >>> boolean_expression("is_food")
    'CASE WHEN is_food THEN 1 ELSE 0 END'
    """
    return exp.Case(ifs=[exp.If(this=sqlglot.parse_one(sql), true=exp.Literal.number(1))],
                    default=exp.Literal.number(0)).sql()


def rename_formula(expr: str, mapping: Mapping[str, str]) -> str:
    """A derived metric's ``expr`` with each input alias replaced by its metric name.

    Raises :class:`MetricFlowSQLError` when ``expr`` does not parse or names something not in
    ``mapping``.

    >>> rename_formula("rev / n", {"rev": "revenue", "n": "orders"})
    'revenue / orders'
    >>> rename_formula("rev - cost", {"rev": "revenue"})
    Traceback (most recent call last):
    ...
    semantic_layer.sqlbuild.metricflow_sql.MetricFlowSQLError: expr refers to 'cost', which is not among its metrics
    """
    try:
        tree = sqlglot.parse_one(str(expr))
    except sqlglot.errors.ParseError:
        raise MetricFlowSQLError(f"cannot parse expr {expr!r}") from None
    unknown = [c.name for c in tree.find_all(exp.Column) if c.name not in mapping]
    if unknown:
        raise MetricFlowSQLError(f"expr refers to {unknown[0]!r}, which is not among its metrics")
    tree = tree.transform(lambda n: exp.column(mapping[n.name]) if isinstance(n, exp.Column) else n)
    return tree.sql()
