"""``build_report``: resolve the spec and the period, build the sections, number the SQL, summarise.

The report is built with the caller's ChatBI *as of the period's end*: relative dates in free
questions, anomaly windows and "the latest" all stop there, so the November report reads the same
whenever it is built. A ``ChatBI.for_user`` view builds the report that user may see.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import os
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from semantic_layer.errors import suggest

from ..errors import ConfigError
from .context import Context
from .defaults import DEFAULT_NAME, default_spec
from .errors import SpecError, SpecProblem
from .loader import check_spec, find_specs, load_spec, spec_from_dict
from .period import report_period
from .polish import polish_summary
from .result import Bullets, Chart, KpiRow, Report, Section, SQLEntry, Table, Text, Tiles
from .scope import (
    ScopeError,
    ScopeRows,
    check_levels,
    check_scope,
    scope_filters,
    scope_label,
    scope_text,
    scoped_spec,
    scoped_title,
)
from .sections import build_section
from .spec import ReportSpec

__all__ = ["build_report", "resolve_spec", "available_specs", "as_of"]

#: sections built at once (each also runs its queries in parallel; the machine may be small)
SECTION_WORKERS = 3
_SUMMARY_ORDER = {"kpis": 0, "root_cause": 1, "anomalies": 2, "breakdown": 3}
MAX_SUMMARY = 8


def _base(bi: Any) -> Any:
    return getattr(bi, "base", bi)


def _member_sets(bi: Any) -> dict[str, frozenset[str]]:
    # a spec is checked against the model's members, not the viewer's: it is shared by everyone
    return _base(bi).members.as_sets()


def available_specs(bi: Any) -> dict[str, ReportSpec]:
    """The default report plus every spec beside the model, by name."""
    found = {DEFAULT_NAME: default_spec(bi.model, bi.members)}
    found.update(find_specs(bi.model, _member_sets(bi)))
    return found


def resolve_spec(bi: Any, spec: Any) -> ReportSpec:
    """``None`` (the default report), a spec name beside the model, a YAML path, a mapping or a ``ReportSpec``."""
    model = bi.model
    if spec is None or spec == DEFAULT_NAME:
        return default_spec(model, bi.members)
    if isinstance(spec, ReportSpec):
        problems = check_spec(spec, model, _member_sets(bi))
        if problems:
            raise SpecError(problems)
        return spec
    if isinstance(spec, Mapping):
        return spec_from_dict(spec, model, _member_sets(bi))
    if isinstance(spec, (str, os.PathLike)):
        text = os.fspath(spec)
        path = Path(text)
        if path.suffix in (".yaml", ".yml") or path.exists():
            return load_spec(path, model, _member_sets(bi))
        named = find_specs(model, _member_sets(bi))
        if text in named:
            return named[text]
        names = [DEFAULT_NAME, *named]
        raise SpecError([SpecProblem("", f"no report spec called {text!r} (specs: {', '.join(names)})",
                                     suggest(text, names))])
    raise ConfigError(f"a report spec is a name, a YAML path, a mapping or a ReportSpec, not {type(spec).__name__}")


def as_of(bi: Any, day: dt.date) -> Any:
    """``bi`` with its time anchor moved to ``day`` (same engine, model, members, user policy).

    A user's view reads the anchor from its facade, so it becomes the same view over an as-of
    copy of the facade (the policy, masking and audit stay the view's own).
    """
    if bi.anchor == day:
        return bi
    base = getattr(bi, "base", None)
    if base is not None and base is not bi:
        view = copy.copy(bi)
        view.base = as_of(base, day)
        return view
    bi.members  # noqa: B018 - built once on the original, shared by the copy
    moved = copy.copy(bi)
    moved.__dict__["_anchor_pin"] = day  # read first by ``ChatBI.anchor``: the copy's own, the original's unchanged
    return moved


def build_report(bi: Any, spec: Any = None, *, period: Any = None, language: str | None = None,
                 clock: Any = None, scope: Any = None) -> Report:
    """Build the report ``spec`` (see :func:`resolve_spec`) for ``period`` (default: the last complete one),
    about the members of ``scope`` only when given (``{province: 广东}``; see :mod:`.scope`)."""
    started = time.perf_counter()
    chosen = resolve_spec(bi, spec)
    # members the viewer may see: a scope outside a user's rows is "no such member", never a hint
    narrowed = check_scope(scope_filters(scope), bi.model, bi.members)
    rows = ScopeRows(bi, narrowed)
    if narrowed:
        check_levels(bi.model, narrowed)
        if rows.empty():  # "除广东外" for a user who sees only 广东: nothing, said as such
            raise ScopeError("empty", narrowed, f"no data within the scope {scope_text(narrowed)}")
        chosen = scoped_spec(chosen, rows)
    lang = language or chosen.language or bi.language
    if lang not in ("zh", "en"):
        raise ConfigError(f"language must be 'zh' or 'en', not {lang!r}")
    data_end = bi.anchor
    p = report_period(period, chosen.period, data_end)
    if p[0] > data_end:
        raise ConfigError(f"no data for {p[0].isoformat()}..{p[1].isoformat()} yet: the data ends "
                          f"{data_end.isoformat()}; choose an earlier period")
    ctx = Context(as_of(bi, min(p[1], data_end)), chosen, p, lang, data_end, rows)
    timings: dict[str, float] = {}

    def one(section: Any) -> Section:
        t0 = time.perf_counter()
        built = build_section(ctx, section)
        timings[f"{built.key}_ms"] = (time.perf_counter() - t0) * 1000
        return built

    with ThreadPoolExecutor(max_workers=SECTION_WORKERS) as pool:
        sections = list(pool.map(one, chosen.sections))
    sections, entries = _renumber(sections, ctx.sql_entries())
    summary = _summary(sections)
    title = scoped_title(chosen.title_in(lang), narrowed, bi.members, lang)
    # an LLM may word the highlights as a paragraph (when configured to see data); the numbers stay ours.
    # The title goes first: a Guangdong report's highlights do not say "Guangdong" themselves
    overview, polish_timings = polish_summary(bi, [title, ctx.period_label(), *summary], lang)
    timings.update(polish_timings)
    subtitle = ctx.period_label()
    if p[1] > data_end:
        subtitle += ctx.say("partial", end=data_end.isoformat())
    principal = getattr(bi, "principal", None)
    restricted = principal is not None and not principal.policy.unrestricted
    label = bi.model.spec.label
    now = (clock or (lambda: dt.datetime.now(dt.UTC)))()
    timings["total_ms"] = (time.perf_counter() - started) * 1000
    return Report(chosen.name, title, subtitle, lang, chosen.period, p, ctx.period_label(),
                  tuple(sections), entries, summary, now, bi.model.name, label.get(lang) or bi.model.name,
                  user=principal.user if principal is not None else None, restricted=restricted, timings=timings,
                  scope=narrowed, scope_label=scope_label(narrowed, bi.members, lang) if narrowed else None,
                  overview=overview)


def _summary(sections: list[Section]) -> tuple[str, ...]:
    ranked = sorted(sections, key=lambda s: _SUMMARY_ORDER.get(s.kind, 9))
    lines = [h for s in ranked for h in s.highlights]
    return tuple(dict.fromkeys(lines))[:MAX_SUMMARY]


# -- SQL numbers in reading order -------------------------------------------------------------------
def _renumber(sections: list[Section], entries: tuple[SQLEntry, ...]) -> tuple[list[Section], tuple[SQLEntry, ...]]:
    """Sections were built in parallel, so statements were numbered as they finished; renumber them
    in the order a reader meets them (section by section, block by block)."""
    order: dict[int, int] = {}
    for section in sections:
        for block in section.blocks:
            for old in _block_sql(block):
                order.setdefault(old, len(order) + 1)
        for old in section.sql:
            order.setdefault(old, len(order) + 1)
    for e in entries:  # statements only a structured item cites
        order.setdefault(e.id, len(order) + 1)

    def new(ids: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(order[i] for i in ids if i in order)

    out = []
    for s in sections:
        blocks = tuple(_with_sql(b, new) for b in s.blocks)
        items = tuple(dataclasses.replace(i, sql=new(i.sql)) if isinstance(i, KpiRow) else i for i in s.items)
        out.append(dataclasses.replace(s, blocks=blocks, items=items, sql=new(s.sql)))
    renumbered = sorted((dataclasses.replace(e, id=order[e.id]) for e in entries), key=lambda e: e.id)
    return out, tuple(renumbered)


def _block_sql(block: Any) -> tuple[int, ...]:
    if isinstance(block, Tiles):
        return tuple(i for t in block.tiles for i in t.sql)
    return getattr(block, "sql", ())


def _with_sql(block: Any, new: Any) -> Any:
    if isinstance(block, Tiles):
        return Tiles(tuple(dataclasses.replace(t, sql=new(t.sql)) for t in block.tiles))
    if isinstance(block, (Text, Bullets, Chart, Table)):
        return dataclasses.replace(block, sql=new(block.sql))
    return block
