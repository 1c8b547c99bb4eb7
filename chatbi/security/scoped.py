"""``ChatBI.for_user(principal)``: the facade seen through one user's access policy.

A :class:`ScopedChatBI` shares the model, the engine connection, the translator and the time
anchor with the facade it came from, and differs in exactly the places where data could leak:

* ``compile`` passes the user's policy to the compiler, so every semantic query -- and with it
  ``ask``, follow-ups, ``explain_change``, ``detect_anomalies``, ``correlate`` and alert
  evaluation, which all compile through it -- reads the allowed rows only;
* ``guard`` checks hand-written SQL against the user's columns and swaps every model table for a
  filtered view (compiled trees were built under the policy and are checked as usual);
* ``engine`` masks result frames at the boundary (every frame -- answers, charts, CSV, digests,
  analysis -- comes through it), sanitises database errors (a failing cast could quote a hidden
  value) and notes the SQL for the audit log;
* ``members`` lists only members of allowed rows, never hidden or masked dimensions, so the
  translator, "did you mean" and the LLM prompt cannot suggest what the user may not see.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pandas as pd

from semantic_layer import SemanticModel, SemanticQuery
from semantic_layer.compiler import CompiledQuery, compile_query
from semantic_layer.errors import QueryError
from semantic_layer.guard import SQLGuard
from semantic_layer.policy import ACCESS_DENIED, MASKED_FILTER, AccessPolicy, Principal

from ..answer import Answer, Intent
from ..api import ChatBI
from ..conversation import Conversation
from ..pipeline import AskOptions
from ..pipeline.guard import SQL_REJECTED
from ..errors import EngineError
from ..members import Member, MemberIndex
from .audit import AuditLog
from .masking import mask_series

__all__ = ["ScopedChatBI", "ScopedEngine", "PolicyGuard", "MemberMap", "mask_frame", "sanitize_error"]

#: attributes of the base facade that depend on the user and are rebuilt per view
_PER_USER = frozenset({"engine", "members", "_member_sets", "guard"})
_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")
_DENIAL_CODES = frozenset({ACCESS_DENIED, MASKED_FILTER, SQL_REJECTED})


def mask_frame(frame: pd.DataFrame, policy: AccessPolicy, model: SemanticModel) -> pd.DataFrame:
    """``frame`` with every column the policy masks replaced by its masked values."""
    rules = policy.frame_rules(model, frame.columns) if policy.columns else {}
    if not rules:
        return frame
    out = frame.copy()
    for col, rule in rules.items():
        if rule.action == "hide":  # never expected (queries on hidden names are refused); drop to be safe
            out = out.drop(columns=[col])
        else:
            out[col] = mask_series(out[col], rule.operator, rule.options)
    out.attrs.update(frame.attrs)
    out.attrs["masked"] = sorted(rules)
    return out


def _declared_members(model: SemanticModel, indexed: MemberIndex) -> MemberIndex:
    """The members the model file declares, with their synonyms and label-column names.

    Declared members are metadata every user can read in the model; members found only in the
    data are left out, so recognising a name here reveals nothing about hidden rows.
    """
    per_model = _DECLARED.setdefault(model, {})
    hit = per_model.get(id(indexed))
    if hit is not None and hit[0] is indexed:
        return hit[1]
    out: dict[str, tuple[Member, ...]] = {}
    for name, spec in model.dimensions.items():
        if not spec.members:
            continue
        labels = {m.value: m.aliases for m in indexed.members.get(name, ())}
        out[name] = tuple(Member(name, str(v), tuple(dict.fromkeys((*labels.get(str(v), ()), *syn))))
                          for v, syn in spec.members.items())
    found = MemberIndex(out)
    per_model[id(indexed)] = (indexed, found)
    return found


_DECLARED: weakref.WeakKeyDictionary[SemanticModel, dict[int, tuple[MemberIndex, MemberIndex]]] = \
    weakref.WeakKeyDictionary()


def sanitize_error(message: str) -> str:
    """A database error without quoted values (a failing cast may quote a row the user may not see)."""
    first = message.strip().splitlines()[0] if message.strip() else message
    return _QUOTED.sub("'…'", first)


class MemberMap(dict):  # type: ignore[type-arg]
    """dimension -> members of a view, plus what the policy withholds from the LLM prompt."""

    def __init__(self, *args: Any, withheld: frozenset[str] = frozenset(),
                 blocked_columns: Mapping[str, frozenset[str]] | None = None,
                 closed_tables: frozenset[str] = frozenset(), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.withheld = withheld
        self.blocked_columns = dict(blocked_columns or {})
        self.closed_tables = closed_tables


@dataclass
class _Call:
    """One top-level facade call being audited; nested calls and engine statements add to it."""

    action: str
    question: str | None = None
    query: Any = None
    statements: list[tuple[str, int]] = field(default_factory=list)
    rows: int | None = None
    status: str = "ok"
    denied: bool = False
    detail: str | None = None


class ScopedEngine:
    """The shared engine through one user's policy (see the module docstring). ``close`` is a no-op."""

    def __init__(self, engine: Any, view: ScopedChatBI) -> None:
        self._engine = engine
        self._view = view
        self.dialect = engine.dialect

    def execute(self, sql: str) -> pd.DataFrame:
        view = self._view
        try:
            frame = self._engine.execute(sql)
        except EngineError as exc:
            view._note(sql, None)
            if view.principal.policy.unrestricted:
                raise
            raise type(exc)(sanitize_error(str(exc))) from None
        frame = mask_frame(frame, view.principal.policy, view.model)
        view._note(sql, len(frame))
        return frame

    def close(self) -> None:
        """The connection belongs to the facade the view was made from."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)


class PolicyGuard:
    """The guard of a view: hand-written SQL against the user's policy, compiled trees as usual."""

    def __init__(self, restricted: SQLGuard, compiled: SQLGuard) -> None:
        self.restricted = restricted
        self.compiled = compiled

    def check(self, sql: str) -> str:
        return self.restricted.check(sql)

    def validate(self, sql: str) -> Any:
        return self.restricted.validate(sql)

    def check_expression(self, expression: Any, *, copy: bool = True) -> str:
        # only the view's own compiler builds these trees, under the user's policy
        return self.compiled.check_expression(expression, copy=copy)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.restricted, name)


class ScopedChatBI(ChatBI):
    """A :class:`~chatbi.ChatBI` for one principal; make it with ``ChatBI.for_user``."""

    def __init__(self, base: ChatBI, principal: Principal, *, audit: AuditLog | None = None,
                 allow_sql: bool = True) -> None:  # noqa: D107 - shares the base's state, no ChatBI.__init__
        base.anchor  # noqa: B018 - computed once on the shared facade, not per user
        # member indexes and their caches are per user, whatever the facade calls them
        state = {k: v for k, v in vars(base).items() if k not in _PER_USER and "member" not in k}
        vars(self).update(state)
        self._base = base
        self.principal = principal
        self.audit = audit
        self.allow_sql = allow_sql
        self.engine = ScopedEngine(base.engine, self)  # type: ignore[assignment]
        self._local = threading.local()
        # calls in progress on any thread: analysis fans statements out to worker threads
        self._active: list[_Call] = []
        self._active_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ScopedChatBI(user={self.principal.user!r}, roles={list(self.principal.roles)})"

    @property
    def base(self) -> ChatBI:
        return self._base

    def for_user(self, principal: Any, **kwargs: Any) -> ChatBI:  # type: ignore[override]
        return self._base.for_user(principal, **kwargs)  # a view of a view would stack policies

    def close(self) -> None:
        """Views share the base facade's connection; close the base to release it."""

    # -- per-user state ---------------------------------------------------------------------
    @cached_property
    def members(self) -> MemberIndex:  # type: ignore[override]
        """Members of allowed rows only; hidden and masked dimensions are not listed at all."""
        policy = self.principal.policy
        base = self._base.members
        if policy.unrestricted:
            return base
        access = policy.access(self.model)
        guard = policy.guard_access(self.model, self._base.engine.dialect)
        withheld = {n for n in (*self.model.dimensions, *self.model.metrics) if access.hidden(n)}
        out = MemberMap(withheld=frozenset(withheld), blocked_columns=access.blocked,
                        closed_tables=frozenset(t for t, v in guard.views.items() if v is None))
        for dim, items in base.members.items():
            if access.hidden(dim) or access.masked(dim):
                continue
            if policy.restricts_rows:
                try:
                    compiled = compile_query(self.model, SemanticQuery(dimensions=(dim,)),
                                             self._base.engine.dialect, policy=policy)
                    # the base engine: a member list is no answer, and its values are not masked
                    frame = self._base.engine.execute(compiled.sql)
                except Exception:  # noqa: BLE001 - members that cannot be limited to the user's rows are not listed
                    continue
                allowed = {str(v) for v in frame.iloc[:, 0] if v is not None}
                items = tuple(m for m in items if m.value in allowed)
            out[dim] = items
        return MemberIndex(out, complete=base.complete)

    @cached_property
    def guard(self) -> PolicyGuard:  # type: ignore[override]
        access = self.principal.policy.guard_access(self.model, self.engine.dialect)
        restricted = SQLGuard(access.table_columns, self.engine.dialect, row_cap=self.row_cap, views=access.views)
        return PolicyGuard(restricted, self._base.guard)

    def compile(self, query: SemanticQuery) -> CompiledQuery:
        return compile_query(self.model, query, self.engine.dialect, anchor=self.anchor,
                             members=self._member_sets, policy=self.principal.policy)

    # -- audited entry points -----------------------------------------------------------------
    def run(self, query: SemanticQuery, *, question: str | None = None, language: str = "en",
            intent: Intent = "query", options: AskOptions | None = None) -> Answer:
        with self._audited("ask" if question else "query", question=question, query=query) as call:
            answer = super().run(query, question=question, language=language, intent=intent, options=options)
            self._account(call, answer)
            return answer

    def ask(self, question: str, conversation: Conversation | None = None, language: str | None = None, *,
            options: AskOptions | None = None) -> Answer:
        with self._audited("ask", question=question) as call:
            refused = self._outside_access(question, language or (conversation.language if conversation else None))
            if refused is not None:
                call.status, call.denied, call.detail = "error", True, refused.error
                if conversation is not None:
                    conversation.record(question, None, refused)
                return refused
            answer = super().ask(question, conversation, language, options=options)
            call.query = call.query or answer.query
            self._account(call, answer)
            return answer

    def run_sql(self, sql: str, *, language: str | None = None) -> Answer:
        with self._audited("sql", question=sql) as call:
            answer = super().run_sql(sql, language=language)
            self._account(call, answer)
            return answer

    def explain_change(self, metric: str, period: Any, *args: Any, **kwargs: Any) -> Any:
        with self._audited("explain_change", query={"metric": metric, "period": str(period)}):
            return super().explain_change(metric, period, *args, **kwargs)

    def detect_anomalies(self, metric: str, *args: Any, **kwargs: Any) -> Any:
        with self._audited("detect_anomalies", query={"metric": metric}):
            return super().detect_anomalies(metric, *args, **kwargs)

    def correlate(self, metric: str, *args: Any, **kwargs: Any) -> Any:
        with self._audited("correlate", query={"metric": metric}):
            return super().correlate(metric, *args, **kwargs)

    def _outside_access(self, question: str, language: str | None) -> Answer | None:
        """A refusal when the question names members the model declares but the user may not see.

        Without it "杭州的收入" would answer the user's own total, the unknown word ignored. Only
        members declared in the model file (metadata every user can read) are recognised here, so
        the refusal reveals nothing about the data.
        """
        if not self.principal.policy.restricts_rows or not isinstance(question, str) or not question.strip():
            return None
        from ..translate.lexicon import lexicon_for
        from ..translate.scan import scan

        declared = _declared_members(self.model, self._base.members)
        try:
            found = scan(question, lexicon_for(self.model, declared), self.anchor)
        except Exception:  # noqa: BLE001 - the check is a courtesy; the compiler enforces the policy anyway
            return None
        allowed = self.members
        outside: list[str] = []
        for tok in found.of("member"):
            targets = [t for t in tok.targets if t.kind == "member"]
            if targets and not any(t.value in allowed.values(t.name) for t in targets):
                outside.append(tok.text or str(targets[0].value))
        if not outside:
            return None
        zh = (language or found.language or self.language) == "zh"
        names = "、".join(dict.fromkeys(outside)) if zh else ", ".join(dict.fromkeys(outside))
        text = (f"“{names}”不在您可以查看的数据范围内。" if zh else
                f"{names} is outside the data you may see.")
        from semantic_layer import Issue

        return Answer(status="error", question=question, text=text, error=text, language="zh" if zh else "en",
                      issues=(Issue(ACCESS_DENIED, text),))

    # -- audit plumbing -----------------------------------------------------------------------
    @contextmanager
    def _audited(self, action: str, *, question: str | None = None, query: Any = None) -> Iterator[_Call]:
        current: _Call | None = getattr(self._local, "call", None)
        if current is not None:  # nested (ask -> run -> explain_change): one event for the whole call
            if query is not None and current.query is None:
                current.query = query
            yield current
            return
        call = _Call(action, question, query)
        self._local.call = call
        with self._active_lock:
            self._active.append(call)
        try:
            yield call
        except QueryError as exc:
            call.status, call.detail = "error", str(exc)
            call.denied = any(getattr(i, "code", "") in _DENIAL_CODES for i in exc.issues)
            raise
        except Exception as exc:
            call.status, call.detail = "error", str(exc)[:500]
            call.denied = isinstance(exc, PermissionError)
            raise
        finally:
            self._local.call = None
            with self._active_lock:
                self._active.remove(call)
            self._write(call)

    def _account(self, call: _Call, answer: Answer) -> None:
        call.status = answer.status
        if answer.data is not None:
            call.rows = len(answer.data)
        if answer.status == "error":
            denials = [i for i in answer.issues if i.code in _DENIAL_CODES]
            call.detail = denials[0].message if denials else answer.error or answer.text
            call.denied = call.denied or bool(denials)

    def _note(self, sql: str, rows: int | None) -> None:
        call: _Call | None = getattr(self._local, "call", None)
        if call is None and self._active:
            with self._active_lock:  # a worker thread of a call in progress (analysis runs in parallel)
                call = self._active[-1] if self._active else None
        if call is not None:
            call.statements.append((sql, rows if rows is not None else -1))
        elif self.audit is not None:  # a statement outside any audited call (a custom caller of .engine)
            self.audit.record(self.principal.user, "sql", roles=self.principal.roles, sql=sql, rows=rows,
                              status="ok" if rows is not None else "error")

    def _write(self, call: _Call) -> None:
        if self.audit is None:
            return
        sql = ";\n".join(s for s, _ in call.statements) or None
        rows = call.rows if call.rows is not None else (call.statements[-1][1] if call.statements else None)
        self.audit.record(self.principal.user, call.action, roles=self.principal.roles, question=call.question,
                          query=call.query, sql=sql, rows=rows if rows is None or rows >= 0 else None,
                          status=call.status, denied=call.denied, detail=call.detail)
