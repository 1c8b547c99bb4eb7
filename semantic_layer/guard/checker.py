"""Query-level checks of the guard: SELECT, set operations, CTEs, FROM items, the row cap.

A ``Checker`` is made per statement and walks the sqlglot tree once. Every FROM item must be a
model table (or a CTE / aliased subquery of the statement); stars over model tables are
expanded into the model's columns in place, so ``SELECT *`` never reads a column the model
does not list.
"""

from __future__ import annotations

from typing import cast

from sqlglot import exp

from ..dialects import ident
from ..errors import did_you_mean, suggest
from .allowlist import is_system_name
from .catalog import Catalog, Scope, Source
from .expressions import ExpressionChecker, children

__all__ = ["Checker", "apply_row_cap"]

_SELECT_ARGS = frozenset({"with_", "expressions", "distinct", "from_", "joins", "where", "group", "having", "qualify",
                          "order", "limit", "offset"})
_SETOP_ARGS = frozenset({"with_", "this", "expression", "distinct", "by_name", "order", "limit", "offset"})
_SUBQUERY_ARGS = frozenset({"this", "alias", "order", "limit", "offset"})
_JOIN_ARGS = frozenset({"this", "on", "using", "side", "kind", "method"})
_SET_OPERATIONS = (exp.Union, exp.Intersect, exp.Except)


class Checker(ExpressionChecker):
    """Validates one statement (and expands stars over model tables in place)."""

    def __init__(self, catalog: Catalog) -> None:
        super().__init__(catalog)
        #: every FROM item that reads a model table, with that table (access policies swap them for views)
        self.tables_read: list[tuple[exp.Table, str]] = []

    def statement(self, root: exp.Expr) -> None:
        if type(root) not in (exp.Select, exp.Subquery, *_SET_OPERATIONS):
            error = self.reject_node(root)
            if error.rule == "construct":  # e.g. LISTEN x, CHECKPOINT: parsed as something that is no query
                error = self.fail("read_only", "only read-only SELECT queries may run; this statement is not one", root)
            raise error
        self.query(root, None, {}, 0)

    # -- queries ------------------------------------------------------------------------
    def query(self, node: exp.Expr, parent: Scope | None, ctes: dict[str, Source], depth: int
              ) -> tuple[str | None, ...]:
        """Check a query; return the keys of its output columns."""
        self.tick(depth)
        kind = type(node)
        if kind is exp.Select:
            return self.select(cast(exp.Select, node), parent, ctes, depth)
        if kind in _SET_OPERATIONS:
            self.allowed_args(node, _SETOP_ARGS)
            ctes = self.with_(node.args.get("with_"), parent, ctes, depth)
            left = self.query(node.this, parent, ctes, depth + 1)
            self.query(node.expression, parent, ctes, depth + 1)
            self.modifiers(node, left, parent, ctes, depth)
            return left
        if kind is exp.Subquery:
            self.allowed_args(node, _SUBQUERY_ARGS)
            names = self.query(node.this, parent, ctes, depth + 1)
            self.modifiers(node, names, parent, ctes, depth)
            return names
        raise self.reject_node(node)

    def modifiers(self, node: exp.Expr, names: tuple[str | None, ...], parent: Scope | None,
                  ctes: dict[str, Source], depth: int) -> None:
        """ORDER BY / LIMIT / OFFSET of a set operation or parenthesised query: over its output columns."""
        if node.args.get("order") is not None:
            scope = Scope(parent, ctes, {None: Source(names)}, frozenset(n for n in names if n))
            self.ordered(node.args["order"], scope, depth, by_output=True)
        self.limits(node)

    def with_(self, node: exp.Expr | None, parent: Scope | None, ctes: dict[str, Source], depth: int
              ) -> dict[str, Source]:
        if node is None:
            return ctes
        if type(node) is not exp.With:
            raise self.reject_node(node)
        if node.args.get("recursive"):
            raise self.fail("construct", "recursive CTEs are not allowed", node)
        self.allowed_args(node, frozenset({"expressions"}))
        visible = dict(ctes)
        for cte in node.expressions:
            self.tick(depth + 1)
            if type(cte) is not exp.CTE:
                raise self.reject_node(cte)
            self.allowed_args(cte, frozenset({"this", "alias", "materialized"}))
            body = cte.this
            if type(body) not in (exp.Select, exp.Subquery, *_SET_OPERATIONS):
                raise self.reject_node(body)  # WITH x AS (DELETE ... RETURNING *) lands here
            names = self.query(body, parent, visible, depth + 2)
            alias = cte.args.get("alias")
            if type(alias) is not exp.TableAlias:
                raise self.fail("construct", "a CTE needs a name", cte)
            names = self.renamed(alias, names)
            visible[self.identifier(alias.this)] = Source(names, qualifier=alias.this)
        return visible

    def renamed(self, alias: exp.TableAlias, names: tuple[str | None, ...]) -> tuple[str | None, ...]:
        self.allowed_args(alias, frozenset({"this", "columns"}))
        columns = alias.args.get("columns")
        if not columns:
            return names
        if len(columns) > len(names):
            raise self.fail("column", f"{len(columns)} column names given for {len(names)} columns", alias)
        return tuple(self.identifier(c) for c in columns) + names[len(columns):]

    def select(self, node: exp.Select, parent: Scope | None, ctes: dict[str, Source], depth: int
               ) -> tuple[str | None, ...]:
        self.allowed_args(node, _SELECT_ARGS)
        scope = Scope(parent, self.with_(node.args.get("with_"), parent, ctes, depth))
        from_ = node.args.get("from_")
        if from_ is not None:
            self.allowed_args(from_, frozenset({"this"}))
            self.source(from_.this, scope, depth + 1)
        joins = node.args.get("joins") or ()
        for join in joins:
            self.tick(depth + 1)
            self.allowed_args(join, _JOIN_ARGS)
            if join.args.get("method"):
                # NATURAL joins on every shared column, including ones the model does not list
                raise self.fail("construct", f"{join.args['method']} joins are not allowed; join with ON or USING",
                                join)
            self.source(join.this, scope, depth + 1)
        names = self.projections(node, scope, depth)
        # the select list cannot refer to its own aliases (only DuckDB allows that, and a name could
        # then refer to itself); the later clauses can
        for item in node.expressions:
            if type(item) is exp.Alias:
                self.expr(item.this, scope, depth + 2)
            elif type(item) is not exp.Star and not (type(item) is exp.Column and type(item.this) is exp.Star):
                self.expr(item, scope, depth + 1)
        scope.aliases = frozenset(self.identifier(i.args["alias"]) for i in node.expressions if type(i) is exp.Alias)
        for join in joins:
            if join.args.get("on") is not None:
                self.expr(join.args["on"], scope, depth + 1)
            for using in join.args.get("using") or ():
                key = self.identifier(using)
                if not any(key in src.colset for src in scope.sources.values()):
                    raise self.fail("column", f"USING column {using.name!r} does not exist on the joined tables", using)
        for key in ("where", "having", "qualify"):
            clause = node.args.get(key)
            if clause is not None:
                self.allowed_args(clause, frozenset({"this"}))
                self.expr(clause.this, scope, depth + 1)
        group = node.args.get("group")
        if group is not None:
            self.allowed_args(group, frozenset({"expressions", "all", "rollup", "cube", "grouping_sets"}))
            for child in children(group):
                self.expr(child, scope, depth + 1)
        distinct = node.args.get("distinct")
        if distinct is not None:
            self.allowed_args(distinct, frozenset({"on"}))
            if distinct.args.get("on") is not None:
                for child in children(distinct.args["on"]):
                    self.expr(child, scope, depth + 1)
        if node.args.get("order") is not None:
            self.ordered(node.args["order"], scope, depth, by_output=True)
        self.limits(node)
        return names

    # -- FROM items ---------------------------------------------------------------------
    def source(self, node: exp.Expr, scope: Scope, depth: int) -> None:
        """A FROM / JOIN item: a model table, a CTE or a subquery."""
        self.tick(depth)
        kind = type(node)
        if kind is exp.Table:
            src = self.table(cast(exp.Table, node), scope.ctes)
        elif kind is exp.Subquery:
            self.allowed_args(node, _SUBQUERY_ARGS)
            # no LATERAL: a FROM subquery sees the enclosing query, not its sibling FROM items
            names = self.query(node.this, scope.parent, scope.ctes, depth + 1)
            self.modifiers(node, names, scope.parent, scope.ctes, depth)
            alias = node.args.get("alias")
            if alias is not None:
                names = self.renamed(alias, names)
                self.identifier(alias.this)
            src = Source(names, qualifier=alias.this if alias is not None else None)
        elif isinstance(node, (exp.Func, exp.UDTF)):
            raise self.fail("table_function", "table functions are not allowed in FROM; use the model's tables", node)
        else:
            raise self.reject_node(node)
        key: object = self.catalog.key(src.qualifier) if src.qualifier is not None else object()
        if key in scope.sources:
            raise self.fail("construct", f"the name {src.qualifier.name!r} is used twice in FROM", node)  # type: ignore[union-attr]
        scope.sources[key] = src

    def table(self, node: exp.Table, ctes: dict[str, Source]) -> Source:
        target = node.this
        if node.args.get("db") is not None or node.args.get("catalog") is not None:
            parts = [p.name for p in (node.args.get("catalog"), node.args.get("db")) if isinstance(p, exp.Expression)]
            rule = "system_catalog" if any(is_system_name(p) for p in parts) else "schema"
            raise self.fail(rule, "tables of other schemas or catalogs are not allowed; use the model's tables", node)
        if type(target) is not exp.Identifier:
            raise self.fail("table_function", "table functions are not allowed in FROM; use the model's tables", node)
        self.allowed_args(node, frozenset({"this", "alias"}))
        key = self.identifier(target)
        qualifier = target
        alias = node.args.get("alias")
        if alias is not None:
            if type(alias) is not exp.TableAlias:
                raise self.reject_node(alias)
            self.allowed_args(alias, frozenset({"this"}))
            qualifier = alias.this
            self.identifier(qualifier)
        cte = ctes.get(key)
        if cte is not None:
            return Source(cte.columns, qualifier=qualifier, colset=cte.colset)
        name = self.catalog.tables.get(key)
        if name is None:
            if is_system_name(target.name):
                raise self.fail("system_catalog", f"system catalog {target.name!r} is not allowed", node)
            hint = did_you_mean(suggest(target.name, self.catalog.columns))
            raise self.fail("table", f"table {target.name!r} is not in the semantic model. {hint}".strip(), node)
        self.tables_read.append((node, name))
        return self.catalog.table_source(name, qualifier)

    # -- select list --------------------------------------------------------------------
    def projections(self, node: exp.Select, scope: Scope, depth: int) -> tuple[str | None, ...]:
        """Output names of a SELECT; stars over model tables become the model's columns."""
        names: list[str | None] = []
        rewritten: list[exp.Expr] = []
        changed = False
        for item in node.expressions:
            self.tick(depth + 1)
            kind = type(item)
            if kind is exp.Star or (kind is exp.Column and type(item.this) is exp.Star):
                star = item if kind is exp.Star else item.this
                if any(v not in (None, False, []) for v in star.args.values()):
                    raise self.fail("construct", "star modifiers (EXCLUDE, REPLACE, RENAME) are not allowed", item)
                if kind is exp.Column:
                    if item.args.get("db") is not None or item.args.get("catalog") is not None:
                        raise self.fail("construct", "column paths with more than two parts are not allowed", item)
                    sources = [self.qualified(item, scope)]
                else:
                    sources = list(scope.sources.values())
                if not sources:
                    raise self.fail("construct", "SELECT * needs a FROM clause", item)
                for src in sources:
                    names.extend(src.columns)
                    if src.table is not None:
                        changed = True
                        rewritten.extend(self.expand(src))
                    elif src.qualifier is not None:
                        rewritten.append(exp.Column(this=exp.Star(), table=src.qualifier.copy()))
                    elif len(sources) == 1:
                        rewritten.append(exp.Star())
                    else:
                        raise self.fail("construct", "give the subquery an alias", item)
                continue
            if kind is exp.Alias:
                self.allowed_args(item, frozenset({"this", "alias"}))
                names.append(self.identifier(item.args.get("alias")))
            elif kind is exp.Column:
                names.append(self.identifier(item.this))
            else:
                names.append(None)
            rewritten.append(item)
        if changed:
            node.set("expressions", rewritten)
        return tuple(names)

    def expand(self, src: Source) -> list[exp.Expr]:
        assert src.table is not None and src.qualifier is not None
        dialect = self.catalog.dialect
        return [exp.Column(this=ident(c, dialect), table=src.qualifier.copy()) for c in self.catalog.columns[src.table]]

    def limits(self, node: exp.Expr) -> None:
        for key in ("limit", "offset"):
            clause = node.args.get(key)
            if clause is None:
                continue
            if type(clause) is exp.Fetch:
                options = clause.args.get("limit_options")
                if options is not None and (options.args.get("percent") or options.args.get("with_ties")):
                    raise self.fail("construct", "FETCH ... PERCENT / WITH TIES is not allowed", clause)
                values = [clause.args.get("count")]
            elif type(clause) in (exp.Limit, exp.Offset):
                self.allowed_args(clause, frozenset({"expression", "offset"}))
                values = [clause.args.get("expression"), clause.args.get("offset")]
            else:
                raise self.reject_node(clause)
            for value in values:
                if value is not None and not (type(value) is exp.Literal and not value.is_string
                                              and value.this.isdigit()):
                    raise self.fail("construct", f"{key.upper()} must be a whole number", clause)


def apply_row_cap(root: exp.Expr, cap: int) -> bool:
    """Add or lower the outermost LIMIT to ``cap``; return whether the tree changed."""
    clause = root.args.get("limit")
    current: int | None = None
    offset = None
    if type(clause) is exp.Limit:
        current = int(clause.expression.this)
        offset = clause.args.get("offset")
        if current <= cap:
            return False
    elif type(clause) is exp.Fetch:
        count = clause.args.get("count")
        current = int(count.this) if count is not None else 1
    value = cap if current is None else min(current, cap)
    root.set("limit", exp.Limit(expression=exp.Literal.number(value), offset=offset))
    return True
