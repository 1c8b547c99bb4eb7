"""A report about one part of the business: "生成广东2025年11月的经营分析报告", ``bi.report(scope={"province": "广东"})``.

The scope is a set of member filters. Every section reads only the scope's rows (the filters are
added to the section's own), so no number in the report is about anything else. A breakdown,
trend line or anomaly scan by a dimension the scope pins to one member (or by a coarser level of
its hierarchy: region for a province) would show that one member, so it moves one level down
(province -> city); without a finer level a breakdown is left out and a trend or anomaly scan
reads the scope as a whole. A section whose own filters exclude the scope is left out: it could
only be empty. Free questions get the same treatment query by query (``sections/question.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import TypeAdapter, ValidationError

from semantic_layer import MemberFilter, SemanticModel
from semantic_layer.errors import suggest

from .catalog import say
from .errors import SpecError, SpecProblem
from .spec import AnomaliesSpec, BreakdownSpec, LocalText, ReportSpec, RootCauseSpec, TrendSpec

__all__ = ["Scope", "ScopeError", "ScopeRows", "scope_filters", "check_scope", "check_levels", "scoped_spec", "scopable",
           "regroup", "related", "merged", "coarser_or_same", "scope_label",
           "scope_text", "parse_scope_text", "scoped_title"]

#: the scope of a report: member filters, all of which hold
Scope = tuple[MemberFilter, ...]

_FILTERS: TypeAdapter[tuple[MemberFilter, ...]] = TypeAdapter(tuple[MemberFilter, ...])


def scope_filters(value: Any) -> Scope:
    """``None``, ``{province: 广东}`` / ``{province: [广东, 江苏]}``, or member filters (objects or dicts)."""
    if value is None:
        return ()
    if isinstance(value, Mapping):
        value = [{"op": "in", "dimension": k, "values": v if isinstance(v, (list, tuple, set, frozenset)) else [v]}
                 for k, v in value.items()]
    elif isinstance(value, MemberFilter):
        value = [value]
    try:
        return _FILTERS.validate_python(list(value))
    except (ValidationError, TypeError) as exc:
        raise SpecError([SpecProblem("scope", f"a report scope is member filters such as {{province: Guangdong}}: {exc}",
                                     ())]) from None


def check_scope(scope: Scope, model: SemanticModel, members: Any) -> Scope:
    """The scope with each member as stored (an English name such as ``Guangdong`` is accepted);
    an unknown dimension or member is a :class:`SpecError` with a suggestion."""
    problems: list[SpecProblem] = []
    out: list[MemberFilter] = []
    for i, f in enumerate(scope):
        where = f"scope[{i}]"
        if f.dimension not in model.dimensions or model.dimensions[f.dimension].type == "time":
            choices = [d for d, spec in model.dimensions.items() if spec.type != "time"]
            problems.append(SpecProblem(f"{where}.dimension", f"no dimension {f.dimension!r} to scope a report by",
                                        suggest(f.dimension, choices)))
            continue
        known = members.values(f.dimension)
        values = []
        for v in f.values:
            stored = _stored(members, f.dimension, str(v))
            if stored is None:
                names = {*known, *(m.label for m in getattr(members, "members", {}).get(f.dimension, ()) if m.label)}
                problems.append(SpecProblem(f"{where}.values", f"no {f.dimension} called {v!r}",
                                            suggest(str(v), sorted(names))))
            else:
                values.append(stored)
        if values:
            out.append(f.model_copy(update={"values": tuple(dict.fromkeys(values))}))
    if problems:
        raise SpecError(problems)
    return tuple(out)


def _stored(members: Any, dimension: str, value: str) -> str | None:
    known = members.values(dimension)
    if value in known:
        return value
    wanted = value.casefold()
    for m in getattr(members, "members", {}).get(dimension, ()):
        if wanted in (a.casefold() for a in (*m.aliases, m.label or "")):
            return str(m.value)
    return None


def _pinned(scope: Scope) -> dict[str, str]:
    """Dimensions the scope narrows to exactly one member."""
    return {f.dimension: str(f.values[0]) for f in scope if f.op == "in" and len(f.values) == 1}


def coarser_or_same(model: SemanticModel, dimension: str) -> set[str]:
    """``dimension`` and every level above it in its hierarchy (city -> {city, province, region})."""
    out = {dimension}
    parent = model.parent_level(dimension)
    while parent is not None and parent not in out:
        out.add(parent)
        parent = model.parent_level(parent)
    return out


def regroup(model: SemanticModel, scope: Scope, by: str | None, metrics: Sequence[str] = ()) -> str | None:
    """The dimension to group by inside the scope: ``by`` itself; one level below a dimension the
    scope pins (province -> city) when ``by`` is that dimension or coarser, or None (no finer level
    that every metric reaches); the scoped dimension itself when ``by`` is coarser than a dimension
    the scope names several members of or excludes members from (a region's row would hold only the
    scope's part of it, under the whole region's name)."""
    if by is None:
        return None
    name = by.partition(".")[0]
    pinned = _pinned(scope)
    for dim in pinned:
        if name in coarser_or_same(model, dim):
            child = model.child_level(dim)
            tables = [t for m in metrics for t in model.metric_tables(m)]
            if child is not None and all(model.reachable(t, child) for t in tables):
                return child
            return None
    for f in scope:
        if f.dimension not in pinned and name != f.dimension and name in coarser_or_same(model, f.dimension):
            return f.dimension
    return by


def related(model: SemanticModel, a: str, b: str) -> bool:
    """Whether dimensions ``a`` and ``b`` are the same or levels of one hierarchy (region, province, city)."""
    if a == b:
        return True
    ha, hb = model.hierarchy_of(a), model.hierarchy_of(b)
    return ha is not None and hb is not None and ha[0] == hb[0]


class ScopeRows:
    """Which members of a dimension the scope's rows have (a listing through the viewer's ChatBI, once
    per dimension): how a filter on another level of the scope's hierarchy is checked against it."""

    def __init__(self, bi: Any, scope: Scope) -> None:
        self.bi, self.scope = bi, scope
        self._seen: dict[str, frozenset[str] | None] = {}

    def members(self, dimension: str) -> frozenset[str] | None:
        """Members of ``dimension`` within the scope (None when the warehouse cannot list them); a
        dimension the scope lists its members of needs no query."""
        listed = [set(map(str, f.values)) for f in self.scope if f.dimension == dimension and f.op == "in"]
        return frozenset(set.intersection(*listed)) if listed else self._listed(dimension)

    def empty(self) -> bool:
        """Whether no row is in the scope for this viewer (always a listing through the viewer's view)."""
        found = self._listed(self.scope[0].dimension) if self.scope else None
        return found is not None and not found

    def _listed(self, dimension: str) -> frozenset[str] | None:
        if dimension not in self._seen:
            from semantic_layer import SemanticQuery

            answer = self.bi.run(SemanticQuery(dimensions=(dimension,), filters=self.scope))
            data = answer.data if answer.ok else None
            self._seen[dimension] = (frozenset(str(v) for v in data[dimension]) if data is not None
                                     and dimension in data else None)
        return self._seen[dimension]

    def outside(self, filters: Sequence[Any], *, strict: bool) -> bool:
        """Whether ``filters`` are about members outside the scope. ``strict`` (a free question): any
        member outside, or a coarser level than the scope's (its number is not the scope's to give);
        otherwise (a section): only when nothing of the scope is left."""
        model = self.bi.model
        for f in filters:
            if not isinstance(f, MemberFilter):
                continue
            scoped = [g for g in self.scope if related(model, f.dimension, g.dimension)]
            if not scoped:
                continue
            coarser = any(f.dimension != g.dimension and f.dimension in coarser_or_same(model, g.dimension)
                          for g in scoped)
            if strict and coarser:
                return True
            within = self.members(f.dimension)
            if within is None:
                continue
            values = {str(v) for v in f.values}
            if f.op == "not_in":
                if within <= values:
                    return True
            elif (strict and not values <= within) or not values & within:
                return True
        return False


def merged(scope: Scope, filters: Sequence[Any]) -> tuple[Any, ...]:
    """``scope`` and ``filters`` together, a scope filter left out where ``filters`` already say it or
    say something narrower of the same dimension (江苏 in a 江苏+浙江 report; 广东 in 广东's): each
    member is named once."""
    own = [f for f in filters if isinstance(f, MemberFilter)]

    def covered(g: MemberFilter) -> bool:
        return any(f.dimension == g.dimension and f.op == g.op and (
            set(map(str, f.values)) <= set(map(str, g.values)) if g.op == "in" else set(map(str, g.values)) <= set(
                map(str, f.values))) for f in own)

    return (*(g for g in scope if not covered(g)), *filters)


class ScopeError(SpecError):
    """A scope no report can be about: two levels of one hierarchy ("广东和深圳"), or no rows at all."""

    def __init__(self, kind: str, scope: Scope, message: str) -> None:
        super().__init__([SpecProblem("scope", message, ())])
        self.kind = kind
        self.scope = scope


def check_levels(model: SemanticModel, scope: Scope) -> None:
    """Two filters on one hierarchy ("广东和深圳": Guangdong, or Shenzhen in it?) are asked, not intersected."""
    for i, f in enumerate(scope):
        for g in scope[i + 1:]:
            if related(model, f.dimension, g.dimension) and f.op == g.op == "in":
                raise ScopeError("levels", scope, f"{f.dimension} and {g.dimension} are levels of one hierarchy: "
                                                  "a report is about one of them")


def scopable(model: SemanticModel, scope: Scope, metric: str) -> bool:
    """Whether every table ``metric`` reads can be filtered by every dimension of ``scope``."""
    return all(model.reachable(t, f.dimension) for t in model.metric_tables(metric) for f in scope)


def _unscoped_note(model: SemanticModel, scope: Scope, metrics: Sequence[str]) -> LocalText:
    blocking = [f.dimension for f in scope if any(not model.reachable(t, f.dimension)
                                                  for m in metrics for t in model.metric_tables(m))]
    dims = {lang: say("list_sep", lang).join(dict.fromkeys(model.label(d, lang) for d in blocking))
            for lang in ("zh", "en")}
    names = {lang: say("list_sep", lang).join(model.label(m, lang) for m in metrics) for lang in ("zh", "en")}
    return LocalText(**{lang: say("scope_unsplit", lang, dims=dims[lang], metrics=names[lang])
                        for lang in ("zh", "en")})


def scoped_spec(spec: ReportSpec, rows: ScopeRows) -> ReportSpec:
    """``spec`` with every section narrowed to ``rows.scope`` (see the module docstring); ``rows``
    checks section filters at every level of the scope's hierarchy (a 江苏 section in 华南's report)."""
    scope, model = rows.scope, rows.bi.model
    if not scope:
        return spec
    pinned = set(_pinned(scope))
    blocked = set().union(*(coarser_or_same(model, d) for d in pinned)) if pinned else set()
    sections = []
    for section in spec.sections:
        if rows.outside(section.filters, strict=False):
            continue
        update: dict[str, Any] = {"filters": merged(scope, section.filters)}
        # a metric whose rows cannot be told apart by the scope (dropped calls by channel) is left out, and said
        listed = getattr(section, "metrics", None) or ((section.metric,) if isinstance(section, BreakdownSpec) else ())
        kept = tuple(m for m in listed if scopable(model, scope, m))
        if listed and len(kept) < len(listed):
            if not kept and not (isinstance(section, RootCauseSpec) and section.largest):
                continue
            if isinstance(section, BreakdownSpec):
                continue
            update["metrics"] = kept
        if isinstance(section, BreakdownSpec):
            by = regroup(model, scope, section.by, (section.metric,))
            if by is None:
                continue  # one member is not a breakdown
            update["by"] = by
        elif isinstance(section, (TrendSpec, AnomaliesSpec)):
            update["by"] = regroup(model, scope, section.by, section.metrics)
        if "by" in update and update["by"] != getattr(section, "by", None):
            # the author's "分省收入" and its intro no longer describe it: the section names its own
            update.update(title=None, intro=None)
        if "metrics" in update:
            update["intro"] = _unscoped_note(model, scope, [m for m in listed if m not in kept])
        elif isinstance(section, RootCauseSpec) and section.dimensions:
            kept = tuple(d for d in section.dimensions if d not in blocked)
            children = [model.child_level(d) for d in pinned]
            update["dimensions"] = tuple(dict.fromkeys([*kept, *(c for c in children if c)])) or None
        sections.append(section.model_copy(update=update))
    if not sections:
        raise SpecError([SpecProblem("scope", "every section of this report is about other members than the scope",
                                     ())])
    return spec.model_copy(update={"sections": tuple(sections)})


def scope_label(scope: Scope, members: Any, language: str) -> str:
    """The scope in words: ``广东``, ``Guangdong, 5G``, ``excluding Beijing``."""
    sep = say("list_sep", language)
    parts = []
    for f in scope:
        names = sep.join(members.label(f.dimension, str(v), language) for v in f.values)
        parts.append(names if f.op == "in" else say("scope_excluding", language, members=names))
    return sep.join(parts)


def scope_text(scope: Scope) -> str:
    """The scope as one line for links and pinned cards: ``province=广东;plan_type=4G,5G`` (``!=`` excludes)."""
    return ";".join(f"{f.dimension}{'=' if f.op == 'in' else '!='}{','.join(str(v) for v in f.values)}" for f in scope)


def parse_scope_text(text: str | None) -> Scope:
    """:func:`scope_text` read back (``--scope province=广东`` on the command line reads the same way)."""
    out = []
    for item in (text or "").split(";"):
        if not item.strip():
            continue
        dim, sep, members = item.partition("=")
        op = "in"
        if dim.endswith("!"):
            dim, op = dim[:-1], "not_in"
        values = tuple(v.strip() for v in members.split(",") if v.strip())
        if not sep or not dim.strip() or not values:
            raise SpecError([SpecProblem("scope", f"{item!r} is not DIMENSION=MEMBER[,MEMBER]", ("province=Guangdong",))])
        out.append(MemberFilter(op=op, dimension=dim.strip(), values=values))  # type: ignore[arg-type]
    return tuple(out)


def scoped_title(title: str, scope: Scope, members: Any, language: str) -> str:
    """A report's title naming its scope ("广东月度经营分析报告", "Monthly business review: Guangdong")."""
    return say("scoped_title", language, title=title, scope=scope_label(scope, members, language)) if scope else title
