"""Parse dbt MetricFlow SQL: Jinja ``where`` filters and derived-metric expressions.

MetricFlow filters are SQL with Jinja references::

    {{ Dimension('order_id__order_status') }} = 'completed'
    {{ Dimension('customer__region') }} in ('EU', 'UK') and {{ Dimension('order__is_food') }} = true

Only conjunctions of ``=``, ``!=``/``<>``, ``IN``, ``NOT IN`` (and ``IS TRUE/FALSE``) over
categorical dimensions map to ChatBI's member filters; anything else (time dimensions,
entities, ranges, ``OR``) raises :class:`FilterNotMappable` rather than being approximated.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import sqlglot
from sqlglot import exp

from ..errors import SemanticLayerError

__all__ = ["MetricFlowSQLError", "FilterNotMappable", "translate_filter", "rename_formula"]

_REF = re.compile(r"\{\{\s*(Dimension|TimeDimension|Entity|Metric)\s*\(\s*['\"]([^'\"]+)['\"][^)]*\)"
                  r"(?:\s*\.\s*\w+\s*\([^)]*\))*\s*\}\}")


class MetricFlowSQLError(SemanticLayerError, ValueError):
    """MetricFlow SQL that ChatBI cannot use (the message says why)."""


class FilterNotMappable(MetricFlowSQLError):
    """A filter that ChatBI's member filters cannot express (the message says why)."""


def translate_filter(text: str, resolve: Callable[[str], str | None]) -> list[dict[str, Any]]:
    """Member filters (``{"dimension", "op": "in" | "not_in", "values"}``, all must hold) for
    one MetricFlow filter string.

    ``resolve`` maps a MetricFlow dimension reference (``customer__region``) to a ChatBI
    dimension name, or None when there is none.

    >>> translate_filter("{{ Dimension('order__status') }} != 'void'", lambda ref: ref.split('__')[-1])
    [{'dimension': 'status', 'op': 'not_in', 'values': ['void']}]
    >>> translate_filter("{{ Dimension('order__amount') }} > 3", lambda ref: "amount")
    Traceback (most recent call last):
    ...
    semantic_layer.sqlbuild.metricflow_sql.FilterNotMappable: filter "{{ Dimension('order__amount') }} > 3" is not a conjunction of =, !=, IN, NOT IN on dimensions
    """
    refs: dict[str, str] = {}

    def placeholder(match: re.Match[str]) -> str:
        kind, ref = match.group(1), match.group(2)
        if kind != "Dimension":
            raise FilterNotMappable(f"filters on {kind}('{ref}') are not supported; only categorical dimensions")
        name = resolve(ref)
        if name is None:
            raise FilterNotMappable(f"dimension {ref!r} is not in the imported model")
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


def _conjuncts(node: exp.Expression) -> list[exp.Expression]:
    node = node.unnest()
    if isinstance(node, exp.And):
        return _conjuncts(node.this) + _conjuncts(node.expression)
    return [node]


def _condition(node: exp.Expression, refs: dict[str, str], text: str) -> dict[str, Any]:
    negate = False
    if isinstance(node, exp.Not):
        negate, node = True, node.this.unnest()
    if isinstance(node, (exp.EQ, exp.NEQ)):
        target, value = node.this, node.expression
        if not isinstance(target, exp.Column) and isinstance(value, exp.Column):
            target, value = value, target
        values = [_literal(value, text)]
        op_in = isinstance(node, exp.EQ)
    elif isinstance(node, exp.In) and node.expressions:
        target, values, op_in = node.this, [_literal(v, text) for v in node.expressions], True
    elif isinstance(node, exp.Is) and isinstance(node.expression, exp.Boolean):
        target, values, op_in = node.this, [_literal(node.expression, text)], True
    else:
        raise FilterNotMappable(f"filter {text.strip()!r} is not a conjunction of =, !=, IN, NOT IN on dimensions")
    if not (isinstance(target, exp.Column) and target.name in refs):
        raise FilterNotMappable(f"filter {text.strip()!r} compares something other than a dimension")
    op_in = op_in != negate
    return {"dimension": refs[target.name], "op": "in" if op_in else "not_in", "values": values}


def _literal(node: exp.Expression, text: str) -> str | int | float:
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
    raise FilterNotMappable(f"filter {text.strip()!r} compares with {node.sql()!r}, not a constant")


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
