"""The SQL guard: only one read-only SELECT over the model's tables and columns runs.

Every SQL string ChatBI executes passes here, whoever wrote it (the compiler, a user in the SQL
editor, a language model). The guard parses the text with sqlglot in the engine's dialect,
walks the tree against allow-lists (statements, tables, columns, functions, types, syntax),
adds or lowers the outermost ``LIMIT`` to the row cap and returns SQL *generated from the
checked tree*, so what runs is exactly what was checked; comments are dropped on the way.

>>> from semantic_layer.guard import SQLGuard
>>> guard = SQLGuard({"sales": ["day", "city", "amount"]}, "duckdb", row_cap=100)
>>> guard.check("select city, sum(amount) from sales group by city -- hi")
'SELECT city, SUM(amount) FROM sales GROUP BY city LIMIT 100'
>>> guard.check("SELECT * FROM read_csv('/etc/passwd')")  # doctest: +NORMALIZE_WHITESPACE
Traceback (most recent call last):
...
semantic_layer.errors.SQLGuardError: [table_function] table functions are not allowed in FROM; use the model's
tables: READ_CSV('/etc/passwd')
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

from ..dialects import ident
from ..errors import SQLGuardError
from .allowlist import RULES
from .bounds import bound_levenshtein
from .catalog import Catalog
from .checker import Checker, apply_row_cap


class TableSource(Protocol):
    """A semantic model as far as the guard reads it (the guard does not import the model: the
    model checks its computed columns with the guard)."""

    @property
    def tables(self) -> Mapping[str, Any]: ...

__all__ = ["SQLGuard", "Isolated", "view_name", "guard_sql", "RULES", "DEFAULT_ROW_CAP", "MAX_SQL_LENGTH"]

DEFAULT_ROW_CAP = 10_000
MAX_SQL_LENGTH = 100_000

_QUERY_ROOTS = (exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Subquery)


class SQLGuard:
    """The guard for one model in one dialect; build once and reuse (it is thread-safe).

    ``tables`` is a :class:`~semantic_layer.SemanticModel` or a mapping of table -> columns.
    """

    def __init__(self, tables: TableSource | Mapping[str, Sequence[str]], dialect: str = "duckdb", *,
                 row_cap: int | None = DEFAULT_ROW_CAP, max_length: int = MAX_SQL_LENGTH,
                 views: Mapping[str, exp.Select | None] | None = None) -> None:
        if not isinstance(tables, Mapping):
            tables = {name: tuple(spec.columns) for name, spec in tables.tables.items()}
        try:
            self._dialect = Dialect.get_or_raise(dialect)
        except ValueError as exc:
            raise SQLGuardError("parse", f"unknown SQL dialect {dialect!r}") from exc
        if row_cap is not None and row_cap < 1:
            raise ValueError("row_cap must be a positive number of rows or None")
        self.dialect = dialect
        self.row_cap = row_cap
        self.max_length = max_length
        self.catalog = Catalog.build(tables, dialect)
        #: row-level security (``semantic_layer.compiler.guard_access``): table -> the filtered SELECT read
        #: instead of it, or None when the table is closed; pass ``tables`` = the user's visible columns with it
        self.views = dict(views or {})

    def __repr__(self) -> str:
        return f"SQLGuard(tables={sorted(self.catalog.columns)}, dialect={self.dialect!r}, row_cap={self.row_cap})"

    # -- public API ---------------------------------------------------------------------
    def check(self, sql: str) -> str:
        """Validate SQL text; return the SQL to run (regenerated, capped). Raises :class:`SQLGuardError`."""
        return self._generate(self.validate(sql))

    def check_isolated(self, sql: str) -> Isolated:
        """Validate SQL text for an engine that applies policy views first (``policy_views_first``).

        Each model table with a policy view is read through the view *by name*
        (:func:`view_name`) instead of an inlined subquery, and the views it reads come back as
        SQL: the engine evaluates them before any expression of the statement (DuckDB
        materialises them, PostgreSQL makes them security barriers). An inlined subquery
        promises nothing: a planner may test the user's condition on a row first.
        """
        tree = self._parse(sql)
        used = self._check(tree, by_name=True)
        # a view carries only the columns the statement names (stars are expanded by now): the engine
        # copies less; a name of another table or an alias only makes a view wider, never wrong
        named = {self.catalog.key(i) for i in tree.find_all(exp.Identifier)}
        views = tuple((view_name(t), _narrowed(self.views[t], named, self.catalog).sql(dialect=self.dialect))  # type: ignore[arg-type]
                      for t in used)
        return Isolated(self._generate(tree), views)

    def validate(self, sql: str) -> exp.Expr:
        """Validate SQL text; return the checked, capped tree."""
        tree = self._parse(sql)
        self._check(tree)
        return tree

    def check_expression(self, expression: exp.Expr, *, copy: bool = True) -> str:
        """Validate a sqlglot tree (e.g. ``CompiledQuery.expression``) without parsing text.

        With ``copy=False`` the row cap and star expansion are applied to ``expression`` in place,
        which saves copying the tree when the caller owns it.
        """
        if copy:
            expression = expression.copy()
        self._check(expression)
        return self._generate(expression)

    # -- steps --------------------------------------------------------------------------
    def _parse(self, sql: str) -> exp.Expr:
        if not isinstance(sql, str) or not sql.strip():
            raise SQLGuardError("input", "no SQL given")
        if len(sql) > self.max_length:
            raise SQLGuardError("input", f"the SQL is {len(sql)} characters long; at most {self.max_length} are allowed")
        if "\x00" in sql:
            raise SQLGuardError("input", "the SQL holds a NUL character")
        try:
            statements = [s for s in self._dialect.parse(sql) if s is not None]
        except RecursionError:
            raise SQLGuardError("too_complex", "the SQL is nested too deeply to check") from None
        except sqlglot.errors.SqlglotError as exc:
            raise SQLGuardError("parse", f"the SQL does not parse as {self.dialect}: {_first_line(exc)}") from None
        except Exception as exc:  # noqa: BLE001 - a parser crash on hostile input is still a rejection
            raise SQLGuardError("parse", f"the SQL does not parse as {self.dialect}: {type(exc).__name__}") from None
        if len(statements) != 1:
            raise SQLGuardError("single_statement", f"exactly one statement may run; found {len(statements)}",
                                "; ".join(s.sql(dialect=self.dialect)[:60] for s in statements[:3]))
        return statements[0]

    def _check(self, tree: exp.Expr, *, by_name: bool = False) -> list[str]:
        checker = Checker(self.catalog)
        try:
            checker.statement(tree)
        except RecursionError:
            raise SQLGuardError("too_complex", "the SQL is nested too deeply to check") from None
        used: list[str] = []
        if self.views:
            used = self._apply_views(checker.tables_read, by_name=by_name)
        if self.dialect == "duckdb":  # PostgreSQL's levenshtein refuses long strings itself
            bound_levenshtein(tree)
        if self.row_cap is not None:
            apply_row_cap(tree, self.row_cap)
        return used

    def _apply_views(self, tables_read: list[tuple[exp.Table, str]], *, by_name: bool = False) -> list[str]:
        """Swap each checked model table for its policy view, under the name the query uses (the
        view inlined, or ``by_name`` read by its name); return the tables whose views are read."""
        used: list[str] = []
        for node, name in tables_read:
            if name not in self.views:
                continue
            view = self.views[name]
            if view is None:
                raise SQLGuardError("access", f"table {name!r} is not available to you", name)
            alias = node.args.get("alias")
            qualifier = (alias.this if alias is not None else node.this).copy()
            if by_name:
                node.replace(exp.Table(this=ident(view_name(name), self.dialect), alias=exp.TableAlias(this=qualifier)))
            else:
                node.replace(exp.Subquery(this=view.copy(), alias=exp.TableAlias(this=qualifier)))
            if name not in used:
                used.append(name)
        return used

    def _generate(self, tree: exp.Expr) -> str:
        try:
            # copy=False: the tree is private here (parsed, or copied / handed over by the caller)
            return self._dialect.generate(tree, copy=False, comments=False)
        except RecursionError:
            raise SQLGuardError("too_complex", "the SQL is nested too deeply to generate") from None


@dataclass(frozen=True)
class Isolated:
    """SQL to run and the policy views it reads: (view name, the view's SELECT) in the guard's dialect."""

    sql: str
    views: tuple[tuple[str, str], ...] = ()


def _narrowed(view: exp.Select, named: set[str], catalog: Catalog) -> exp.Select:
    """``view`` selecting only the columns in ``named`` (at least one, so ``COUNT(*)`` still counts rows)."""
    keep = [e for e in view.expressions if isinstance(e, exp.Column) and catalog.key(e.this) in named]
    if len(keep) == len(view.expressions):
        return view
    narrowed = view.copy()
    narrowed.set("expressions", [e.copy() for e in keep] or [view.expressions[0].copy()])
    return narrowed


def view_name(table: str) -> str:
    """The name a policy view of ``table`` is read by (a temporary table or view of the engine's)."""
    return f"chatbi_v_{table}"


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


_GUARDS: weakref.WeakKeyDictionary[object, dict[tuple[str, int | None], SQLGuard]] = weakref.WeakKeyDictionary()


def guard_sql(sql: str, model: TableSource, dialect: str = "duckdb", *, row_cap: int | None = DEFAULT_ROW_CAP) -> str:
    """Check ``sql`` against ``model``; return the SQL to run. The per-model guard is cached.

    Raises :class:`~semantic_layer.errors.SQLGuardError` naming the rule and the offending fragment.
    """
    guards = _GUARDS.setdefault(model, {})
    guard = guards.get((dialect, row_cap))
    if guard is None:
        guard = guards[(dialect, row_cap)] = SQLGuard(model, dialect, row_cap=row_cap)
    return guard.check(sql)
