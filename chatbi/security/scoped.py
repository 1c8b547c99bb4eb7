"""The per-user pieces of a view (``ChatBI.for_user``), each computed through the user's policy.

* :class:`ScopedEngine` -- the shared engine, masking result frames at the boundary (every frame --
  answers, charts, CSV, digests, analysis -- comes through it), sanitising database errors (a
  failing cast could quote a hidden value) and noting each statement for the audit log;
* :class:`PolicyGuard` -- hand-written SQL against the user's columns, every model table swapped
  for its secure view (``semantic_layer.compiler.guard_access``); compiled trees, which the view's
  compiler built under the policy, are checked as usual;
* :func:`restricted_members` -- members of allowed rows only, never of hidden or masked
  dimensions, so the translator, "did you mean" and the LLM prompt cannot suggest what the user
  may not see.

The view itself (:class:`chatbi.security.view.ScopedChatBI`) puts them together.
"""

from __future__ import annotations

import re
import secrets
import weakref
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from semantic_layer import MemberFilter, SemanticModel, SemanticQuery
from semantic_layer.compiler import compile_query, guard_access
from semantic_layer.guard import Isolated, SQLGuard
from semantic_layer.policy import AccessPolicy

from ..errors import EngineError, QueryTimeout, QueryTooCostly, WithheldEngineError
from ..members import Member, MemberIndex
from ..warehouse import Engine
from .masking import mask_series

if TYPE_CHECKING:
    from ..pipeline import Guard

__all__ = ["ScopedEngine", "PolicyGuard", "MemberMap", "mask_frame", "sanitize_error", "restricted_members",
           "declared_members", "access_scope"]

_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")


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


def declared_members(model: SemanticModel, indexed: MemberIndex) -> MemberIndex:
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


class ScopedEngine:
    """The shared engine through one user's policy (see the module docstring). ``close`` is a no-op.

    ``note(sql, rows, error=...)`` is told about every statement (rows None when it failed; the full
    database error of a restricted user, who sees a reference only).
    """

    def __init__(self, engine: Engine, policy: AccessPolicy, model: SemanticModel,
                 note: Callable[..., None]) -> None:
        self._engine = engine
        self._policy = policy
        self._model = model
        self._note = note
        self.dialect = engine.dialect

    def execute(self, sql: str) -> pd.DataFrame:
        return self._through_policy(sql, lambda: self._engine.execute(sql))

    def execute_untrusted(self, sql: str, views: Mapping[str, str] | None = None) -> pd.DataFrame:
        """SQL a person or a model wrote: the base engine's careful path when it has one (never around the mask)."""
        run = getattr(self._engine, "execute_untrusted", None)
        if run is None:
            return self.execute(sql)
        return self._through_policy(sql, lambda: run(sql, views))

    def _through_policy(self, sql: str, run: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        try:
            frame = run()
        except EngineError as exc:
            if self._policy.unrestricted or isinstance(exc, (QueryTimeout, QueryTooCostly)):
                self._note(sql, None)  # timeouts and cost refusals are about the statement, no row in them
                raise
            # a database's own words can quote a value or tell a row exists: the user gets a sentence and a
            # reference, the audit log the full text
            ref = "E-" + secrets.token_hex(4).upper()
            self._note(sql, None, error=f"{ref}: {exc}")
            raise WithheldEngineError(ref) from None
        frame = mask_frame(frame, self._policy, self._model)
        self._note(sql, len(frame))
        return frame

    def note(self, sql: str, rows: int | None) -> None:
        """A statement answered without the engine (the result cache): the audit log still lists it."""
        self._note(sql, rows)

    def close(self) -> None:
        """The connection belongs to the facade the view was made from."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)


class PolicyGuard:
    """The guard of a view: hand-written SQL against the user's policy, compiled trees as usual."""

    def __init__(self, restricted: SQLGuard, compiled: Guard) -> None:
        self.restricted = restricted
        self.compiled = compiled

    @classmethod
    def of(cls, model: SemanticModel, policy: AccessPolicy, dialect: str, row_cap: int | None,
           compiled: Guard) -> PolicyGuard:
        """The guard of ``policy``: its visible columns and secure views, with ``row_cap``."""
        access = guard_access(model, policy, dialect)
        return cls(SQLGuard(access.table_columns, dialect, row_cap=row_cap, views=access.views), compiled)

    def check(self, sql: str) -> str:
        return self.restricted.check(sql)

    def validate(self, sql: str) -> Any:
        return self.restricted.validate(sql)

    def check_isolated(self, sql: str) -> Isolated:
        """Hand-written SQL reading the user's restricted tables through their views by name (the
        engine applies the views first: ``chatbi.pipeline.guard``)."""
        return self.restricted.check_isolated(sql)

    @property
    def views(self) -> Mapping[str, Any]:
        return self.restricted.views

    def check_expression(self, expression: Any, *, copy: bool = True) -> str:
        # only the view's own compiler builds these trees, under the user's policy
        return self.compiled.check_expression(expression, copy=copy)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.restricted, name)


def access_scope(policy: AccessPolicy, model: SemanticModel, language: str) -> str:
    """The user's rows in words, from their row filters: ``广东``, ``华东、华南`` (empty when unrestricted)."""
    alternatives = []
    for alt in policy.rows or ():
        parts = []
        for f in alt:
            if isinstance(f, MemberFilter) and f.op == "in":
                parts.append(("、" if language == "zh" else ", ").join(str(v) for v in f.values))
            else:
                parts.append(f"{model.label(f.dimension, language) if f.dimension else ''} {f.op}".strip())
        alternatives.append(" · ".join(parts))
    return ("；" if language == "zh" else "; ").join(a for a in alternatives if a)


def restricted_members(model: SemanticModel, policy: AccessPolicy, base: MemberIndex, engine: Engine) -> MemberIndex:
    """``base`` (the facade's member index) cut to what ``policy`` lets its user see.

    ``engine`` is the shared one: a member list is no answer (not audited) and its values are
    compared unmasked. A dimension whose members cannot be limited to the user's rows is not listed.
    """
    if policy.unrestricted:
        return base
    access = policy.access(model)
    guard = guard_access(model, policy, engine.dialect)
    withheld = {n for n in (*model.dimensions, *model.metrics) if access.hidden(n)}
    out = MemberMap(withheld=frozenset(withheld), blocked_columns=access.blocked,
                    closed_tables=frozenset(t for t, v in guard.views.items() if v is None))
    for dim, items in base.members.items():
        if access.hidden(dim) or access.masked(dim):
            continue
        if policy.restricts_rows:
            try:
                compiled = compile_query(model, SemanticQuery(dimensions=(dim,)), engine.dialect, policy=policy)
                frame = engine.execute(compiled.sql)
            except Exception:  # noqa: BLE001 - members that cannot be limited to the user's rows are not listed
                continue
            allowed = {str(v) for v in frame.iloc[:, 0] if v is not None}
            items = tuple(m for m in items if m.value in allowed)
        out[dim] = items
    return MemberIndex(out, complete=base.complete)
