"""Stage ``guard``: nothing reaches the engine but one read-only SELECT the guard let through.

A compiled tree is checked as it is (no re-parse); SQL text -- typed by a person or written
by a language model -- is parsed in the engine's dialect and checked against the scope's
allow-lists (a user's view: their columns, their rows' views). A scope whose role may not
run hand-written SQL refuses SQL text before it is even parsed. For a row-restricted user the
text reads each restricted table through its policy view by name, and the engine must apply
those views before any expression of the statement (``policy_views_first``: DuckDB
materialises them, PostgreSQL makes them security barriers); on any other engine hand-written
SQL is refused for such users -- a planner is free to test their conditions on hidden rows.
"""

from __future__ import annotations

from semantic_layer import Issue, IssueCode
from semantic_layer.compiler import CompiledQuery
from semantic_layer.errors import SQLGuardError
from semantic_layer.policy import ACCESS_DENIED

from .records import Checked, Failure, Scope

__all__ = ["guard_compiled", "guard_text", "SQL_REJECTED", "SQL_NOT_ALLOWED", "SQL_NO_ISOLATION"]

#: issue code of a statement the guard refused (audited as a denial)
SQL_REJECTED = IssueCode.SQL_REJECTED
#: why a role without hand-written SQL was refused (the audit log's detail)
SQL_NOT_ALLOWED = "sql not allowed for the role"

_NOT_ALLOWED = {"zh": "您的角色不能运行自定义 SQL。",
                "en": "Your role may not run hand-written SQL; ask a question instead."}
#: why a row-restricted user was refused on an engine that cannot apply policy views first
SQL_NO_ISOLATION = "sql off: the engine cannot apply row policies before the query's own conditions"
_NO_ISOLATION = {"zh": "在这个数据库上，您的角色不能运行自定义 SQL：它无法保证先按您的数据权限筛选行，"
                       "再计算查询自己的条件。请直接提问。",
                 "en": "Hand-written SQL is off for your role on this database: it cannot guarantee that your "
                       "row access applies before the query's own conditions. Ask a question instead."}


def guard_compiled(scope: Scope, compiled: CompiledQuery) -> Checked | Failure:
    try:
        # the tree is this run's own: capped in place rather than copied
        return Checked(scope.guard.check_expression(compiled.expression, copy=False))
    except SQLGuardError as exc:
        return _rejected(exc, compiled.expression.sql(dialect=compiled.dialect))


def guard_text(scope: Scope, sql: str, language: str) -> Checked | Failure:
    if not scope.allow_sql:
        text = _NOT_ALLOWED.get(language, _NOT_ALLOWED["en"])
        return Failure("guard", text, text, (Issue(ACCESS_DENIED, SQL_NOT_ALLOWED),))
    guard = scope.guard
    try:
        if getattr(guard, "views", None):  # a row-restricted user: the policy must apply first
            if not getattr(scope.engine, "policy_views_first", False):
                text = _NO_ISOLATION.get(language, _NO_ISOLATION["en"])
                return Failure("guard", text, text, (Issue(ACCESS_DENIED, SQL_NO_ISOLATION),))
            isolated = guard.check_isolated(sql)
            return Checked(isolated.sql, written=True, views=isolated.views)
        return Checked(guard.check(sql), written=True)
    except SQLGuardError as exc:
        return _rejected(exc, sql)


def _rejected(exc: SQLGuardError, sql: str) -> Failure:
    return Failure("guard", f"SQL rejected: {exc}", str(exc), (Issue(SQL_REJECTED, str(exc), (), exc.rule),), sql)
