"""Expression checks of the guard: columns, literals, functions, casts, windows, subqueries.

``ExpressionChecker`` holds what every check needs (errors, the size budget, identifiers) and
walks value expressions; the query-level walk (FROM, joins, CTEs) lives in ``checker.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import cast

from sqlglot import exp

from ..errors import SQLGuardError, did_you_mean, suggest
from .allowlist import (
    ALLOWED_ANONYMOUS,
    ALLOWED_FUNCTIONS,
    ALLOWED_OPERATORS,
    ALLOWED_TYPES,
    DATE_PARTS,
    NILADIC,
    NUMBER,
    UNQUOTED_IDENTIFIER,
    WRITE_NODES,
)
from .bounds import costly_problem
from .catalog import Catalog, Scope, Source

__all__ = ["ExpressionChecker", "MAX_DEPTH", "MAX_NODES", "children"]

MAX_DEPTH = 160
MAX_NODES = 50_000

# Control, zero-width and bidirectional characters make an identifier look like another one.
_INVISIBLE = re.compile("[\x00-\x1f\x7f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_WINDOW_ARGS = frozenset({"this", "partition_by", "order", "spec", "over"})
_QUERIES = (exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Subquery)


def children(node: exp.Expr) -> Iterator[exp.Expr]:
    for value in node.args.values():
        if isinstance(value, exp.Expression):
            yield value
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, exp.Expression):
                    yield item


class ExpressionChecker:
    """Checks value expressions; subclasses supply ``query`` for nested subqueries."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.nodes = 0

    def query(self, node: exp.Expr, parent: Scope | None, ctes: dict[str, Source], depth: int
              ) -> tuple[str | None, ...]:
        raise NotImplementedError

    # -- errors and budget ----------------------------------------------------------------
    def fail(self, rule: str, message: str, node: exp.Expr | None = None) -> SQLGuardError:
        fragment = ""
        if node is not None:
            try:
                fragment = node.sql(dialect=self.catalog.dialect, comments=False)[:200]
            except Exception:  # noqa: BLE001 - the fragment is a courtesy; rule and message carry the meaning
                fragment = type(node).__name__
        return SQLGuardError(rule, message, fragment)

    def reject_node(self, node: exp.Expr) -> SQLGuardError:
        kind = type(node)
        if kind is exp.Into:
            return self.fail("select_into", "SELECT ... INTO would create a table; only plain SELECT may run", node)
        if kind in WRITE_NODES or isinstance(node, (exp.DML, exp.DDL)):
            name = node.name.upper() if kind is exp.Command else kind.__name__.upper()
            return self.fail("read_only", f"only read-only SELECT queries may run; found {name}", node)
        if isinstance(node, (exp.Parameter, exp.Placeholder, exp.SessionParameter)):
            return self.fail("construct", "parameters and placeholders are not allowed", node)
        if isinstance(node, exp.Func):
            name = node.name if kind is exp.Anonymous else node.sql_name()
            return self.fail("function", f"function {name.upper()}() is not allowed", node)
        return self.fail("construct", f"{kind.__name__} is not allowed in a query", node)

    def tick(self, depth: int) -> None:
        self.nodes += 1
        if depth > MAX_DEPTH or self.nodes > MAX_NODES:
            raise self.fail("too_complex", f"the query is nested deeper than {MAX_DEPTH} levels or has more than "
                                           f"{MAX_NODES} parts")

    def allowed_args(self, node: exp.Expr, allowed: frozenset[str]) -> None:
        for key, value in node.args.items():
            if value is None or value is False or value == [] or key in allowed:
                continue
            if key == "into" and isinstance(value, exp.Expression):
                raise self.reject_node(value)
            if key == "locks":
                raise self.fail("read_only", "row locks (FOR UPDATE / FOR SHARE) are not allowed", node)
            shown = value if isinstance(value, exp.Expression) else node
            raise self.fail("construct", f"{key.rstrip('_').upper()} is not allowed in {type(node).__name__.upper()}",
                            shown)

    def identifier(self, node: exp.Expr | None) -> str:
        """Validate an identifier; return its resolution key."""
        if type(node) is not exp.Identifier:
            raise self.reject_node(node) if node is not None else self.fail("identifier", "missing name")
        text = node.this
        if not isinstance(text, str) or not text:
            raise self.fail("identifier", "empty identifier", node)
        if node.args.get("quoted"):
            if _INVISIBLE.search(text):
                raise self.fail("identifier", "identifier holds control or invisible characters", node)
        elif not UNQUOTED_IDENTIFIER.fullmatch(text):
            raise self.fail("identifier", f"{text!r} is not a plain ASCII name", node)
        return self.catalog.key(node)

    # -- expressions ----------------------------------------------------------------------
    def expr(self, node: exp.Expr, scope: Scope, depth: int) -> None:
        self.tick(depth)
        kind = type(node)
        if kind is exp.Column:
            self.column(cast(exp.Column, node), scope)
        elif kind is exp.Literal:
            self.literal(cast(exp.Literal, node))
        elif kind in ALLOWED_OPERATORS:
            for child in children(node):
                self.expr(child, scope, depth + 1)
        elif kind in ALLOWED_FUNCTIONS:
            self.function(node, scope, depth)
        elif kind is exp.Anonymous:
            if not isinstance(node.this, str) or node.this.lower() not in ALLOWED_ANONYMOUS:
                raise self.reject_node(node)
            problem = costly_problem(node)
            if problem:
                raise self.fail("resource", problem, node)
            for child in node.expressions:
                self.expr(child, scope, depth + 1)
        elif kind in _QUERIES:
            # a scalar / IN / EXISTS subquery may refer to the enclosing query's columns
            self.query(node, scope, scope.ctes, depth + 1)
        elif kind is exp.Window:
            self.window(cast(exp.Window, node), scope, depth)
        elif kind is exp.In:
            self.allowed_args(node, frozenset({"this", "expressions", "query"}))
            for child in children(node):
                self.expr(child, scope, depth + 1)
        elif kind is exp.Var:
            if not isinstance(node.this, str) or node.this.upper() not in DATE_PARTS:
                raise self.fail("construct", f"the bare word {node.name!r} is not allowed here", node)
        elif kind is exp.Interval:
            self.allowed_args(node, frozenset({"this", "unit"}))
            for child in children(node):
                self.expr(child, scope, depth + 1)
        elif kind is exp.Distinct:  # COUNT(DISTINCT x)
            self.allowed_args(node, frozenset({"expressions"}))
            for child in node.expressions:
                self.expr(child, scope, depth + 1)
        elif kind in (exp.Filter, exp.WithinGroup):  # SUM(x) FILTER (WHERE ...), PERCENTILE_CONT ... WITHIN GROUP
            self.expr(node.this, scope, depth + 1)
            clause = node.expression
            if type(clause) is exp.Where:
                self.expr(clause.this, scope, depth + 1)
            elif type(clause) is exp.Order:
                self.ordered(clause, scope, depth + 1)
            else:
                raise self.reject_node(clause)
        else:
            raise self.reject_node(node)

    def column(self, node: exp.Column, scope: Scope) -> None:
        self.allowed_args(node, frozenset({"this", "table"}))
        if type(node.this) is not exp.Identifier:
            raise self.fail("construct", "a star is only allowed in the select list and COUNT(*)", node)
        name = self.identifier(node.this)
        if not node.this.args.get("quoted") and node.this.this.lower() in NILADIC:
            raise self.fail("identifier", f"{node.name} is also a SQL function; quote it to mean a column", node)
        if node.args.get("table") is not None:
            src = self.qualified(node, scope)
            if name not in src.colset:
                where = src.table or node.table
                known = [c for c in (src.columns if src.table is None else self.catalog.columns[src.table]) if c]
                hint = did_you_mean(suggest(node.name, known))
                raise self.fail("column", f"column {node.name!r} does not exist on {where!r}. {hint}".strip(), node)
            return
        for level in scope.chain():
            # a column of a FROM item wins over a table of the same name in PostgreSQL and DuckDB
            # (``WITH m AS (SELECT ... AS m) SELECT m FROM m`` reads the column)
            if any(name in s.colset for s in level.sources.values()):
                return
            if name in level.sources:
                # a bare table alias reads the whole row (PostgreSQL, DuckDB) - with every column of the table
                raise self.fail("column", f"{node.name!r} names a table, not a column", node)
            # A model table may have columns the model does not list, and the database resolves a name
            # against them before output aliases or outer queries: such a name could read a hidden column.
            if any(s.table is not None for s in level.sources.values()):
                break
            if level is scope and name in level.aliases:
                return
        visible = {c for level in scope.chain() for s in level.sources.values()
                   for c in (s.columns if s.table is None else self.catalog.columns[s.table]) if c}
        hint = did_you_mean(suggest(node.name, visible))
        raise self.fail("column", f"column {node.name!r} does not exist on the tables in this query. {hint}".strip(),
                        node)

    def qualified(self, column: exp.Column, scope: Scope) -> Source:
        """The source a ``t.col`` / ``t.*`` refers to, innermost scope first."""
        table = column.args.get("table")
        if table is None:
            raise self.fail("construct", "expected a qualified column", column)
        key = self.identifier(table)
        for level in scope.chain():
            src = level.sources.get(key)
            if src is not None:
                return src
        raise self.fail("column", f"{table.name!r} is not a table or alias in this query", column)

    def literal(self, node: exp.Literal) -> None:
        text = node.this
        if not isinstance(text, str):
            raise self.fail("construct", "malformed literal", node)
        if node.is_string:
            if "\x00" in text:
                raise self.fail("input", "NUL characters are not allowed in strings", node)
        elif not NUMBER.fullmatch(text):
            raise self.fail("construct", f"{text!r} is not a number", node)

    def function(self, node: exp.Expr, scope: Scope, depth: int) -> None:
        kind = type(node)
        if kind is exp.Count and type(node.this) is exp.Star:
            if node.this.args and any(node.this.args.values()):
                raise self.fail("construct", "star modifiers are not allowed", node)
            for child in node.expressions:
                self.expr(child, scope, depth + 1)
            return
        if kind in (exp.Cast, exp.TryCast):
            self.allowed_args(node, frozenset({"this", "to", "format", "safe"}))
            self.data_type(node.args.get("to"))
            self.expr(node.this, scope, depth + 1)
            if node.args.get("format") is not None:
                self.expr(node.args["format"], scope, depth + 1)
            return
        problem = costly_problem(node)
        if problem:
            raise self.fail("resource", problem, node)
        for child in children(node):
            self.expr(child, scope, depth + 1)

    def data_type(self, node: exp.Expr | None) -> None:
        if type(node) is not exp.DataType or node.this not in ALLOWED_TYPES:
            shown = node.sql(dialect=self.catalog.dialect) if node is not None else "?"
            raise self.fail("type", f"casting to {shown} is not allowed", node)
        self.allowed_args(node, frozenset({"this", "expressions", "nested", "nullable"}))
        for param in node.expressions:
            value = param.this if type(param) is exp.DataTypeParam else param
            if type(value) is not exp.Literal or value.is_string or not value.this.isdigit():
                raise self.fail("type", "type parameters must be whole numbers", node)

    def window(self, node: exp.Window, scope: Scope, depth: int) -> None:
        self.allowed_args(node, _WINDOW_ARGS)
        inner = node.this.this if type(node.this) is exp.Filter else node.this
        if not isinstance(inner, exp.Func):
            raise self.reject_node(node.this)
        self.expr(node.this, scope, depth + 1)
        for child in node.args.get("partition_by") or ():
            self.expr(child, scope, depth + 1)
        if node.args.get("order") is not None:
            self.ordered(node.args["order"], scope, depth + 1)
        spec = node.args.get("spec")
        if spec is not None:
            if type(spec) is not exp.WindowSpec:
                raise self.reject_node(spec)
            self.allowed_args(spec, frozenset({"kind", "start", "start_side", "end", "end_side"}))
            for child in children(spec):
                self.expr(child, scope, depth + 1)

    def ordered(self, order: exp.Expr, scope: Scope, depth: int, *, by_output: bool = False) -> None:
        """An ORDER BY list; ``by_output``: a query's own ORDER BY, where a bare name is an output column."""
        if type(order) is not exp.Order:
            raise self.reject_node(order)
        self.allowed_args(order, frozenset({"expressions"}))
        for item in order.expressions:
            self.tick(depth + 1)
            if type(item) is not exp.Ordered:
                raise self.reject_node(item)
            self.allowed_args(item, frozenset({"this", "desc", "nulls_first"}))
            target = item.this
            # a query's ORDER BY <name> means the output column of that name first, in every dialect
            # (not so inside OVER (...) or WITHIN GROUP (...))
            if (by_output and type(target) is exp.Column and target.args.get("table") is None
                    and type(target.this) is exp.Identifier
                    and self.identifier(target.this) in scope.aliases):
                continue
            self.expr(target, scope, depth + 2)
