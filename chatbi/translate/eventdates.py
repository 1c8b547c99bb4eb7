"""A period said of a named date column filters that column: "deals closed in 2019".

A model may hold several time dimensions besides its default one (a deal's creation and its
close, an order's placement and its shipping). When the question names one of them right next to
a period -- "closed in 2019", "with a close date in March", "shipped last month", "2025年2月关闭的"
-- the period is about that column, not the metric's own time, and the column is no breakdown.
The words allowed between the column and its period are grammar (``terms.date_links``).

When the named column is the metric's own time ("orders ordered in 2019", or a table's copy of a
shared name such as ``created_at`` while the metric's table has ``deal_created_at``), the period
stays the ordinary period of the question, on the metric's time.
"""

from __future__ import annotations

import datetime as dt

from semantic_layer import RangeFilter, SemanticModel, TimeRange
from semantic_layer.compiler.timeframe import relative_period

from .lexicon import Lexicon
from .normalize import normalize_alias
from .parse import Parsed
from .scan import Scan, Token

__all__ = ["attach_event_dates"]


def attach_event_dates(p: Parsed, scanned: Scan, lex: Lexicon, anchor: dt.date) -> None:
    """Move each period said of a named (non-default) time dimension onto that dimension (in place)."""
    model, toks, text = lex.model, scanned.tokens, scanned.norm.text
    links = frozenset(normalize_alias(str(x)) for x in lex.grammar.terms.get("date_links", ()))
    used: set[int] = set()
    for i, t in enumerate(toks):
        if t.kind == "member" and normalize_alias(t.text) in lex.events:
            _event_not_member(p, model, toks, i, lex.events[normalize_alias(t.text)], text, links, used, anchor)
            continue
        if t.kind != "dimension" or t.name == model.time_dimension:
            continue
        dim = model.dimensions.get(t.name)
        if dim is None or dim.type != "time" or _grouped(toks, i):
            continue
        k = _period_next_to(toks, i, text, links, used)
        if k is None:
            continue
        used.add(k)
        when = toks[k]
        period = when.value.period if when.value.kind == "absolute" else relative_period(anchor, *when.value.relative)
        target = _own_copy(model, p.metrics, t.name)
        p.dims = [d for d in p.dims if d.partition(".")[0] != t.name]
        p.understood = [u for u in p.understood if not (u["kind"] == "dimension" and u["text"] == t.text)]
        if target is None:  # the metric's own time: the ordinary period of the question
            continue
        _forget_period(p, toks, k)
        p.dated.append(RangeFilter(op="between", dimension=target, low=period[0].isoformat(),
                                   high=period[1].isoformat()))
        p.understood.append({"text": f"{t.text} {when.text}", "kind": "time",
                             "value": f"{target} {period[0]}..{period[1]}"})


def _event_not_member(p: Parsed, model: SemanticModel, toks: list[Token], i: int, column: str, text: str,
                      links: frozenset[str], used: set[int], anchor: dt.date) -> None:
    """"deals won in March": a member word that is also a date column's event ("won": the deal stage,
    and won_at), said right before a period, is the event's date -- not the won-stage deals created
    in March. Without a period next to it, it stays the member."""
    member_dims = {x.name for x in toks[i].targets if x.kind == "member"}
    if i > 0 and toks[i - 1].kind == "dimension" and toks[i - 1].name in member_dims:
        return  # "deals in stage won in March": the stage, said as such
    k = i + 1 if i + 1 < len(toks) and toks[i + 1].kind == "time" else None
    if k is None or k in used or normalize_alias(text[toks[i].end:toks[k].start]) not in (links | {""}):
        return
    target = _own_copy(model, p.metrics, column)
    if target is None:
        return
    values = {x.value for x in toks[i].targets if x.kind == "member"}
    p.members = [f for f in p.members if not (f.op == "in" and set(map(str, f.values)) <= values)]
    p.understood = [u for u in p.understood if not (u["kind"] == "filter" and u["text"] == toks[i].text)]
    used.add(k)
    when = toks[k]
    period = when.value.period if when.value.kind == "absolute" else relative_period(anchor, *when.value.relative)
    _forget_period(p, toks, k)
    p.dated.append(RangeFilter(op="between", dimension=target, low=period[0].isoformat(), high=period[1].isoformat()))
    p.understood.append({"text": f"{toks[i].text} {when.text}", "kind": "time",
                         "value": f"{target} {period[0]}..{period[1]}"})


def _grouped(toks: list[Token], i: int) -> bool:
    """"by close date": a breakdown, whatever follows."""
    return i > 0 and toks[i - 1].kind == "kw" and toks[i - 1].name == "group"


def _period_next_to(toks: list[Token], i: int, text: str, links: frozenset[str], used: set[int]) -> int | None:
    """The index of the time token right after the column (English order) or right before it (Chinese),
    with only link words ("in", "during", 在) between them."""
    for k in (i + 1, i - 1):
        if not 0 <= k < len(toks) or k in used or toks[k].kind != "time":
            continue
        a, b = (toks[i], toks[k]) if k > i else (toks[k], toks[i])
        gap = normalize_alias(text[a.end:b.start])
        if not gap or gap in links or all(w in links for w in gap.split()):
            return k
    return None


def _own_copy(model: SemanticModel, metrics: list[str], name: str) -> str | None:
    """The dimension the period filters, or None when it is the metrics' own time.

    ``created_at`` of companies said of deals means the deals' own copy (``deal_created_at``),
    which is the deals' time column: the ordinary period.
    """
    dim = model.dimensions[name]
    tables = {tb for m in metrics if m in model.metrics for tb in model.metric_tables(m)}
    if len(tables) != 1:
        return name
    table = next(iter(tables))
    if dim.table != table:
        copies = [n for n, d in model.dimensions.items()
                  if d.type == "time" and d.table == table and n.endswith("_" + name)]
        if len(copies) != 1:
            return name
        name, dim = copies[0], model.dimensions[copies[0]]
    own = model.tables[table].time_column if table in model.tables else None
    return None if own and dim.column == own else name


def _forget_period(p: Parsed, toks: list[Token], k: int) -> None:
    """Take the period of token ``k`` out of the question's own period."""
    when = toks[k].value
    if when.kind == "relative":
        unit, n, offset = when.relative
        p.relative = [r for r in p.relative if (r.unit, r.n, r.offset) != (unit, n, offset)]
        return
    rest = [t.value.period for j, t in enumerate(toks)
            if j != k and t.kind == "time" and t.value.kind == "absolute"]
    if len(rest) <= 1:
        p.time_range = TimeRange(start=rest[0][0], end=rest[0][1]) if rest else None
        p.time_group = None
