"""``ChatBI.for_user(principal)``: the facade seen through one user's access policy, by composition.

A :class:`ScopedChatBI` holds two things: the facade it came from (``base``) and the user's
:class:`~semantic_layer.policy.Principal`. It owns no connection and copies none of the
facade's state. What every user shares -- the model, the connection, the translator, the
settings, the time anchor -- it reads from the facade; everything that could differ per user
is computed here, through the policy, into the view's own attributes:

* ``policy`` -- the compiler adds its row filters to every semantic query, so ``ask``, follow-ups,
  ``explain_change``, ``detect_anomalies``, ``correlate`` and alert evaluation (which all compile
  through ``compile``) read the allowed rows only;
* ``guard_for`` / ``guard`` -- hand-written SQL against the user's columns, every model table read
  through its secure view (:class:`~chatbi.security.scoped.PolicyGuard`);
* ``engine`` -- masks result frames, sanitises database errors and notes SQL for the audit log
  (:class:`~chatbi.security.scoped.ScopedEngine`);
* ``members`` -- members of allowed rows only (:func:`~chatbi.security.scoped.restricted_members`);
* ``allow_sql`` -- whether the role may run hand-written SQL at all.

The methods are the facade's own (a view *is* a ``ChatBI``), so a method or cached attribute
added to the facade tomorrow runs on the view through these same per-user pieces: it cannot
show a user more than their policy allows, whichever of facade and view reads it first.
Entry points are audited: one event per top-level call, with every statement it ran.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from semantic_layer import Issue, MemberFilter, SemanticQuery
from semantic_layer.errors import QueryError
from semantic_layer.policy import ACCESS_DENIED, MASKED_FILTER, AccessPolicy, Principal

from ..answer import Answer, Intent
from ..api import ChatBI
from ..conversation import Conversation
from ..members import MemberIndex
from ..pipeline import AskOptions, Guard
from ..pipeline.core import question_too_long
from ..pipeline.guard import SQL_REJECTED
from .audit import AuditLog
from .scoped import PolicyGuard, ScopedEngine, access_scope, declared_members, restricted_members

if TYPE_CHECKING:
    from ..analysis import AnomalyResult, CorrelationResult, RootCauseReport
    from ..analysis.fetch import FilterArg
    from ..analysis.periods import PeriodLike
    from .config import Security

__all__ = ["ScopedChatBI"]

_DENIAL_CODES = frozenset({ACCESS_DENIED, MASKED_FILTER, SQL_REJECTED})


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
    #: database errors in full (the user saw a reference only)
    errors: list[str] = field(default_factory=list)


class ScopedChatBI(ChatBI):
    """A :class:`~chatbi.ChatBI` for one principal; make it with ``ChatBI.for_user``."""

    def __init__(self, base: ChatBI, principal: Principal, *, audit: AuditLog | None = None,
                 allow_sql: bool = True) -> None:
        # no ChatBI.__init__: the view opens nothing; it reads what the facade shares
        #: the facade this view is of (never another view: policies would stack)
        self.base: ChatBI = base.base if isinstance(base, ScopedChatBI) else base
        self._shared = self.base._shared
        self.principal = principal
        self.audit = audit
        self._allow_sql = allow_sql
        self._local = threading.local()
        # calls in progress on any thread: analysis fans statements out to worker threads
        self._active: list[_Call] = []
        self._active_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ScopedChatBI(user={self.principal.user!r}, roles={list(self.principal.roles)})"

    def for_user(self, principal: Principal | str, *, security: Security | None = None,
                 audit: AuditLog | None = None, allow_sql: bool | None = None) -> ChatBI:
        return self.base.for_user(principal, security=security, audit=audit, allow_sql=allow_sql)

    def close(self) -> None:
        """Views share the base facade's connection; close the base to release it."""

    # -- shared with the facade: not per user ----------------------------------------------------
    @property
    def anchor(self) -> dt.date:
        """The facade's time anchor (read once, from all rows: it is the same for everyone)."""
        return self.base.anchor

    @property
    def extent(self) -> tuple[dt.date, dt.date] | None:
        """The dates "all data" spans, read once on the facade like the anchor (dates only)."""
        return self.base.extent

    def data_version(self, *, refresh: bool = False) -> str:
        """The facade's data version (one warehouse, one version, whoever asks)."""
        version: str = self.base.data_version(refresh=refresh)
        return version

    def refresh(self) -> str | None:
        return self.base.refresh()

    @property
    def cache_source(self) -> str:
        return self.base.cache_source

    @property
    def as_of(self) -> dt.date | None:
        """The facade's as-of date of the data (like the anchor, the same for everyone)."""
        return self.base.as_of

    # -- per user: computed through the policy -----------------------------------------------------
    @property
    def policy(self) -> AccessPolicy:
        return self.principal.policy

    @property
    def allow_sql(self) -> bool:
        return self._allow_sql

    @cached_property
    def engine(self) -> ScopedEngine:
        return ScopedEngine(self.base.engine, self.policy, self.model, self._note)

    @property
    def members(self) -> MemberIndex:
        """Members of allowed rows only; follows the facade's index when that is rebuilt."""
        base = self.base.members
        cached = self.__dict__.get("_members_of")
        if cached is None or cached[0] is not base:
            cached = self.__dict__["_members_of"] = (base, restricted_members(self.model, self.policy, base,
                                                                                self.base.engine))
        return cached[1]

    def guard_for(self, row_cap: int | None) -> Guard:
        guards: dict[int | None, Guard] = self.__dict__.setdefault("_guards", {})
        found = guards.get(row_cap)
        if found is None:
            found = guards[row_cap] = PolicyGuard.of(self.model, self.policy, self.engine.dialect, row_cap,
                                                     self.base.guard_for(row_cap))
        return found

    # -- audited entry points -----------------------------------------------------------------
    def run(self, query: SemanticQuery, *, question: str | None = None, language: str = "en",
            intent: Intent = "query", options: AskOptions | None = None) -> Answer:
        with self._audited("ask" if question else "query", question=question, query=query) as call:
            answer = super().run(query, question=question, language=language, intent=intent, options=options)
            self._account(call, answer)
            return self._within_access(answer)

    def ask(self, question: str, conversation: Conversation | None = None, language: str | None = None, *,
            options: AskOptions | None = None) -> Answer:
        too_long = question_too_long(question, language)
        if too_long is not None:  # before anything reads it (the access check scans the question)
            return too_long
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
            return self._within_access(answer)

    def run_sql(self, sql: str, *, language: str | None = None) -> Answer:
        with self._audited("sql", question=sql) as call:
            answer = super().run_sql(sql, language=language)
            self._account(call, answer)
            return answer

    def explain_change(self, metric: str, period: PeriodLike, baseline: PeriodLike | None = None,
                       filters: FilterArg = None, dimensions: Sequence[str] | None = None, max_depth: int = 3,
                       language: str | None = None) -> RootCauseReport:
        with self._audited("explain_change", query={"metric": metric, "period": str(period)}):
            return super().explain_change(metric, period, baseline, filters, dimensions, max_depth, language)

    def detect_anomalies(self, metric: str, grain: str = "day", time_range: PeriodLike | None = None,
                         by: str | Sequence[str] | None = None, filters: FilterArg = None, sensitivity: float = 3.0,
                         direction: str | None = None, *, language: str | None = None) -> AnomalyResult:
        with self._audited("detect_anomalies", query={"metric": metric}):
            return super().detect_anomalies(metric, grain, time_range, by, filters, sensitivity, direction,
                                            language=language)

    def correlate(self, metric: str, time_range: PeriodLike, grain: str = "day",
                  candidates: Sequence[str] | None = None, filters: FilterArg = None, max_lag: int = 0, *,
                  language: str | None = None) -> CorrelationResult:
        with self._audited("correlate", query={"metric": metric}):
            return super().correlate(metric, time_range, grain, candidates, filters, max_lag, language=language)

    def _within_access(self, answer: Answer) -> Answer:
        """A row-restricted user's answer says it covers their rows only, unless the question itself kept
        to them (``全国收入`` → "在您可查看的范围内（广东）"): a total that silently means "your
        province" reads as the national total."""
        query = answer.query
        if not self.policy.restricts_rows or not answer.ok or query is None or self._kept_within(query):
            return answer
        scope = access_scope(self.policy, self.model, answer.language)
        if not scope:
            return answer
        zh = answer.language == "zh"
        note = f"（在您可查看的范围内：{scope}）" if zh else f"Within your access ({scope}): "
        text = answer.text or ""
        if note.strip() in text:
            return answer
        return replace(answer, text=(text + note) if zh else note + text[:1].lower() + text[1:])

    def _kept_within(self, query: SemanticQuery) -> bool:
        """Whether the query filters to members the user may see, on a dimension the policy restricts
        (or a level of the same hierarchy): then its numbers are what was asked for."""
        restricted = set(self.policy.row_dimensions())
        families = {h[0] for d in restricted if (h := self.model.hierarchy_of(d))}
        allowed = self.members
        for f in query.filters:
            dim = getattr(f, "dimension", None)
            if not isinstance(f, MemberFilter) or f.op != "in" or dim is None:
                continue
            related = dim in restricted or (self.model.hierarchy_of(dim) or ("",))[0] in families
            if related and {str(v) for v in f.values} <= allowed.values(dim):
                return True
        return False

    def _outside_access(self, question: str, language: str | None) -> Answer | None:
        """A refusal when the question names members the model declares but the user may not see.

        Without it "杭州的收入" would answer the user's own total, the unknown word ignored. Only
        members declared in the model file (metadata every user can read) are recognised here, so
        the refusal reveals nothing about the data.
        """
        if self.policy.unrestricted or not isinstance(question, str) or not question.strip():
            return None
        from ..translate.lexicon import lexicon_for
        from ..translate.scan import scan

        declared = declared_members(self.model, self.base.members)
        try:
            found = scan(question, lexicon_for(self.model, declared), self.anchor)
        except Exception:  # noqa: BLE001 - the check is a courtesy; the compiler enforces the policy anyway
            return None
        allowed = self.members
        access = self.policy.access(self.model)
        outside: list[str] = []
        masked: list[str] = []
        for tok in found.of("member"):
            targets = [t for t in tok.targets if t.kind == "member"]
            if targets and not any(t.value in allowed.values(t.name) for t in targets):
                # a member of a masked or hidden dimension cannot be filtered on (it would bisect the value)
                hidden = all(access.masked(t.name) or access.hidden(t.name) for t in targets)
                (masked if hidden else outside).append(tok.text or str(targets[0].value))
        if not outside and not masked:
            return None
        zh = (language or found.language or self.language) == "zh"
        sep = "、" if zh else ", "
        parts = []
        if outside:
            names = sep.join(dict.fromkeys(outside))
            parts.append(f"“{names}”不在您可以查看的数据范围内。" if zh else f"{names} is outside the data you may see.")
        if masked:
            names = sep.join(dict.fromkeys(masked))
            parts.append(f"“{names}”所属的字段对您是脱敏或隐藏的，不能按它筛选。" if zh else
                         f"{names} belongs to a field that is masked or hidden for you; it cannot be filtered on.")
        text = ("" if zh else " ").join(parts)
        return Answer(status="error", question=question, text=text, error=text, language="zh" if zh else "en",
                      issues=(Issue(ACCESS_DENIED, text),))

    # -- audit plumbing -----------------------------------------------------------------------
    @contextmanager
    def _audited(self, action: str, *, question: str | None = None, query: Any = None) -> Iterator[_Call]:
        current: _Call | None = getattr(self._local, "call", None)
        if current is not None:  # nested (ask -> explain_change): one event for the whole call
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

    def _note(self, sql: str, rows: int | None, *, error: str | None = None) -> None:
        call: _Call | None = getattr(self._local, "call", None)
        if call is None and self._active:
            with self._active_lock:  # a worker thread of a call in progress (analysis runs in parallel)
                call = self._active[-1] if self._active else None
        if call is not None:
            call.statements.append((sql, rows if rows is not None else -1))
            if error:
                call.errors.append(error)
        elif self.audit is not None:  # a statement outside any audited call (a custom caller of .engine)
            self.audit.record(self.principal.user, "sql", roles=self.principal.roles, sql=sql, rows=rows,
                              status="ok" if rows is not None else "error", detail=error)

    def _write(self, call: _Call) -> None:
        if self.audit is None:
            return
        sql = ";\n".join(s for s, _ in call.statements) or None
        rows = call.rows if call.rows is not None else (call.statements[-1][1] if call.statements else None)
        detail = " | ".join(p for p in (call.detail, *call.errors) if p) or None
        self.audit.record(self.principal.user, call.action, roles=self.principal.roles, question=call.question,
                          query=call.query, sql=sql, rows=rows if rows is None or rows >= 0 else None,
                          status=call.status, denied=call.denied, detail=detail)
