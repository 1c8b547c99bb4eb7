"""Secure views: what hand-written SQL reads instead of each table a user's policy restricts.

An :class:`~semantic_layer.policy.AccessPolicy` is pure data; this module turns it into SQL
for the guard. A table that reaches the policy's dimensions is filtered like a compiled query's
fact table; a lookup table that does not shows the rows that allowed facts refer to (``plan_id
IN (SELECT plan_id FROM <allowed fact rows>)``); a fact table that does not is closed. Hidden
and masked columns are left out of both the views and the allow-list.

>>> from semantic_layer import MemberFilter, SemanticModel
>>> from semantic_layer.policy import AccessPolicy
>>> model = SemanticModel.from_dict({
...     "name": "shop", "tables": {"sales": {"columns": {"day": "date", "city": "varchar", "amount": "double"},
...                                          "time_column": "day"}},
...     "dimensions": {"date": {"type": "time", "grains": ["month"]}, "city": {"table": "sales"}},
...     "metrics": {"amount": {"table": "sales", "agg": "sum", "column": "amount"}}})
>>> policy = AccessPolicy(rows=((MemberFilter(op="in", dimension="city", values=("Lyon",)),),))
>>> guard_access(model, policy, "duckdb").views["sales"].sql()
"SELECT sales.day, sales.city, sales.amount FROM sales WHERE sales.city IN ('Lyon')"
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlglot import exp

from ..model import SemanticModel
from ..policy import AccessPolicy
from .dialects import column, ident
from .sources import Sources

__all__ = ["GuardAccess", "guard_access", "secure_views"]


@dataclass(frozen=True)
class GuardAccess:
    """What the SQL guard needs of a policy: visible columns per table and the filtered views.

    ``views[table]`` is the SELECT that replaces the table in hand-written SQL, or None when the
    table is closed to the user; a table missing from ``views`` is read as it is.
    """

    table_columns: Mapping[str, tuple[str, ...]]
    views: Mapping[str, exp.Select | None]


def guard_access(model: SemanticModel, policy: AccessPolicy, dialect: str) -> GuardAccess:
    """Allow-list and secure views of ``policy`` for the SQL guard (cached per model, policy and dialect)."""
    per_model = _GUARD.setdefault(model, {})
    key = (policy, dialect)
    found = per_model.get(key)
    if found is None:
        blocked = policy.access(model).blocked
        columns = {t: tuple(c for c in spec.columns if c not in blocked.get(t, frozenset()))
                   for t, spec in model.tables.items()}
        found = per_model[key] = GuardAccess(columns, secure_views(model, policy, dialect, columns))
    return found


def secure_views(model: SemanticModel, policy: AccessPolicy, dialect: str,
                 columns: Mapping[str, Sequence[str]]) -> dict[str, exp.Select | None]:
    """The view of each row-restricted table (None: closed to the user) selecting only ``columns``.

    Tables without restriction are left out.
    """
    if not policy.restricts_rows:
        return {}
    sources = Sources(model, dialect, policy)
    views: dict[str, exp.Select | None] = {}
    for table in model.tables:
        cols = [column(c, table, dialect) for c in columns.get(table, model.tables[table].columns)]
        cond = sources.policy_condition(table)
        if cond is None:
            continue
        if not policy.closed(model, table):
            view = sources.from_(table, sources.policy_dimensions(table))
        elif table in model.fact_tables:
            views[table] = None
            continue
        else:
            cond = _referenced_by_facts(sources, policy, table)
            if cond is None:
                views[table] = None
                continue
            view = exp.Select().from_(exp.Table(this=ident(table, dialect)), copy=False)
        views[table] = view.select(*cols, copy=False).where(cond, copy=False)
    return views


def _referenced_by_facts(sources: Sources, policy: AccessPolicy, table: str) -> exp.Expr | None:
    """``key IN (keys of allowed fact rows)`` for a lookup table, over every fact that joins it."""
    model, dialect = sources.model, sources.dialect
    conds: list[exp.Expr] = []
    for fact in model.fact_tables:
        path = model.join_path(fact, table)
        if not path or policy.closed(model, fact) or len(path[-1].keys) != 1:
            continue
        ((_, right_col),) = path[-1].keys.items()
        keys = sources.from_(fact, sources.policy_dimensions(fact), tables=(table,))
        keys = keys.select(column(right_col, table, dialect), copy=False).distinct(copy=False)
        fact_cond = sources.policy_condition(fact)
        if fact_cond is not None:
            keys = keys.where(fact_cond, copy=False)
        conds.append(exp.In(this=column(right_col, table, dialect), query=keys.subquery(copy=False)))
    if not conds:
        return None
    return conds[0] if len(conds) == 1 else exp.or_(*conds)


_GUARD: weakref.WeakKeyDictionary[SemanticModel, dict[tuple[AccessPolicy, str], GuardAccess]] = \
    weakref.WeakKeyDictionary()
