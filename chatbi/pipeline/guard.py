"""Stage ``guard``: nothing reaches the engine but one read-only SELECT the guard let through.

A compiled tree is checked as it is (no re-parse); SQL text -- typed by a person or written
by a language model -- is parsed in the engine's dialect and checked against the scope's
allow-lists (a user's view: their columns, their rows' views). A scope whose role may not
run hand-written SQL refuses SQL text before it is even parsed.
"""

from __future__ import annotations

from semantic_layer import Issue, IssueCode
from semantic_layer.compiler import CompiledQuery
from semantic_layer.errors import SQLGuardError
from semantic_layer.policy import ACCESS_DENIED

from .records import Checked, Failure, Scope

__all__ = ["guard_compiled", "guard_text", "SQL_REJECTED", "SQL_NOT_ALLOWED"]

#: issue code of a statement the guard refused (audited as a denial)
SQL_REJECTED = IssueCode.SQL_REJECTED
#: why a role without hand-written SQL was refused (the audit log's detail)
SQL_NOT_ALLOWED = "sql not allowed for the role"

_NOT_ALLOWED = {"zh": "您的角色不能运行自定义 SQL。",
                "en": "Your role may not run hand-written SQL; ask a question instead."}


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
    try:
        return Checked(scope.guard.check(sql), written=True)
    except SQLGuardError as exc:
        return _rejected(exc, sql)


def _rejected(exc: SQLGuardError, sql: str) -> Failure:
    return Failure("guard", f"SQL rejected: {exc}", str(exc), (Issue(SQL_REJECTED, str(exc), (), exc.rule),), sql)
