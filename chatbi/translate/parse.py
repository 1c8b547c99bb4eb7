"""From scanned tokens to a ``Parsed`` reading: what the question itself says, before context.

Decisions that need the conversation (is this a follow-up? does it answer a clarification?)
and the final checks (is the metric missing? is a word ambiguous?) happen later, in
``offline.py``. Here only the question's own structure is read: which members a negation
covers, which metric a threshold or a ranking belongs to, whether "2024年和2025年" is one
span to break down by year or a year-over-year comparison.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from semantic_layer import ComparisonFilter, MemberFilter, RangeFilter, RelativeTimeFilter, SemanticModel, TimeRange

from .lexicon import Lexicon
from .periods import Shift, read_times
from .scan import Scan, Token

__all__ = ["Parsed", "parse"]


@dataclass
class Parsed:
    language: str
    metrics: list[str] = field(default_factory=list)
    fragments: list[Token] = field(default_factory=list)
    dims: list[str] = field(default_factory=list)
    grain: str | None = None
    trend: bool = False
    members: list[MemberFilter] = field(default_factory=list)
    ambiguous_members: list[Token] = field(default_factory=list)
    thresholds: list[ComparisonFilter] = field(default_factory=list)
    time_range: TimeRange | None = None
    relative: list[RelativeTimeFilter] = field(default_factory=list)
    #: periods said of a named date column ("closed in 2019"), as ranges on that column
    dated: list[RangeFilter] = field(default_factory=list)
    time_group: str | None = None
    #: periods that do not overlap, as (the user's words, period): a contradiction to ask about
    empty_period: list[tuple[str, tuple[dt.date, dt.date]]] | None = None
    compare: str | None = None
    #: the stated period compared with (``compare == "baseline"``)
    baseline: TimeRange | RelativeTimeFilter | None = None
    #: "前一个月" / "去年同期" / "the quarter before": move the previous question's period
    shift: Shift | None = None
    #: breakdowns and filters a follow-up takes away ("不按省份看了", "drop the Guangdong filter"):
    #: dimensions, and (dimension, member or None for every filter on it)
    drop_dims: list[str] = field(default_factory=list)
    drop_filters: list[tuple[str, str | None]] = field(default_factory=list)
    growth: bool = False
    #: "average" said of the metrics (they must be averages or ratios already to answer it)
    average: Token | None = None
    share: bool = False
    order: str | None = None
    limit: int | None = None
    rank_metric: str | None = None
    intents: set[str] = field(default_factory=set)
    flags: set[str] = field(default_factory=set)
    refusal: str | None = None
    unknown: list[Token] = field(default_factory=list)
    #: numbers about something the model does not hold ("over 60 years old", "60岁以上")
    foreign: list[Token] = field(default_factory=list)
    unknown_dimension: Token | None = None
    understood: list[dict[str, str]] = field(default_factory=list)
    mapped: bool = False
    #: member filters whose dimension the question groups by, for "广东和浙江" style comparisons
    compared_dims: list[str] = field(default_factory=list)
    #: the tokens that named metrics and dimensions, and negation words (where the question has them)
    metric_tokens: list[Token] = field(default_factory=list)
    dimension_tokens: list[Token] = field(default_factory=list)
    negations: list[Token] = field(default_factory=list)

    @property
    def has_time(self) -> bool:
        return self.time_range is not None or bool(self.relative) or bool(self.dated)

    @property
    def edits(self) -> bool:
        """Does the question move or take away something of the previous one?"""
        return bool(self.shift or self.drop_dims or self.drop_filters)

    @property
    def bare_metrics(self) -> bool:
        """Only metric words (an answer to "which metric?" or "换成ARPU")."""
        return bool(self.metrics) and not (self.dims or self.grain or self.members or self.has_time or self.limit
                                           or self.order or self.thresholds or self.compare or self.share)


def _note(p: Parsed, tok: Token, kind: str, value: str) -> None:
    p.understood.append({"text": tok.text, "kind": kind, "value": value})
    if tok.gloss and kind in ("metric", "dimension", "filter", "qualifier"):
        # read through a dictionary, not the model's own words: the user sees how
        element = tok.name if kind == "qualifier" else value
        p.understood.append({"text": tok.text, "kind": "gloss", "value": element, "gloss": tok.gloss})


def parse(scan: Scan, lex: Lexicon) -> Parsed:
    model = lex.model
    toks = scan.tokens
    p = Parsed(scan.language)
    for wrong, right in scan.corrections:
        p.understood.append({"text": wrong, "kind": "typo", "value": right})

    def is_kw(i: int, *names: str) -> bool:
        return 0 <= i < len(toks) and toks[i].kind == "kw" and toks[i].name in names

    for t in toks:
        if t.kind == "kw":
            if t.name == "destructive":
                p.refusal = "destructive"
            elif t.name == "oos" and p.refusal is None:
                p.refusal = "oos"
            elif t.name in ("followup", "replace", "add", "only"):
                p.flags.add(t.name)
            elif t.name in ("why", "list", "drill", "vs", "which", "report"):
                p.intents.add(t.name)
                if t.name in ("why", "drill", "report"):
                    _note(p, t, "intent", t.name)
            elif t.name == "share":
                p.share = True
                _note(p, t, "share", "share of total")
            elif t.name == "trend":
                p.trend = True
            elif t.name == "growth":
                p.growth = True
            elif t.name == "average" and p.average is None:
                p.average = t
            elif t.name in ("pop", "yoy") and p.compare is None:
                p.compare = "previous_period" if t.name == "pop" else "year_over_year"
                _note(p, t, "compare", p.compare)
            elif t.name == "injection":
                _note(p, t, "ignored", "instruction in the question (ignored)")
        elif t.kind == "qualifier":  # "<member> drivers": the member's things, read through a gloss
            _note(p, t, "qualifier", f"{t.name} of {t.value}")
    if toks and toks[0].start == 0 and toks[0].kind == "kw" and toks[0].name == "and":
        p.flags.add("followup")  # "and by channel?"

    _metrics(p, toks, model)
    taken = _removals(p, toks, lex)
    _members(p, toks, taken)
    _dimensions(p, toks, lex, is_kw, scan.norm.text, taken)
    read_times(p, toks, scan.anchor or dt.date.today())
    _ranking(p, toks, is_kw, model)
    _thresholds(p, toks, model)
    p.unknown = [t for t in toks if t.kind == "unknown"]
    p.foreign = [t for t in toks if t.kind == "foreign"]
    p.dimension_tokens = [t for t in toks if t.kind == "dimension"]
    p.negations = [t for t in toks if t.kind == "kw" and t.name == "neg"]
    p.mapped = any(t.kind in ("metric", "fragment", "dimension", "member", "grain", "time", "top", "threshold")
                   for t in toks)
    return p


def _metrics(p: Parsed, toks: list[Token], model: SemanticModel) -> None:
    for i, t in enumerate(toks):
        if t.kind == "metric":
            p.metric_tokens.append(t)
            if t.name not in p.metrics:
                p.metrics.append(t.name)
            _note(p, t, "metric", t.name)
        elif t.kind == "fragment":
            prev = toks[i - 1] if i > 0 else None
            ratio = _ratio_of(model, prev, t) if prev is not None and prev.end >= t.start - 1 else None
            if ratio is not None:
                # "voice minutes per user": the metric, then the head of its per-user ratio -> MOU
                assert prev is not None
                p.metrics = [m for m in p.metrics if m != prev.name] + [ratio]
                p.understood[-1:] = []
                _note(p, Token(prev.start, t.end, "metric", ratio, text=f"{prev.text} {t.text}"), "metric", ratio)
                continue
            if prev is not None and prev.kind == "member" and any(x.kind == "metric" for x in toks):
                continue  # "5G用户的流失率", "5G users' traffic": the members' subscribers, not a metric
            if prev is not None and prev.kind == "metric" and prev.end >= t.start - 1:
                # "complaints per 10k users": the word ends the metric's own name, it names no other
                p.understood[-1] = {**p.understood[-1], "text": f"{prev.text} {t.text}" if t.text.isascii()
                                    else prev.text + t.text}
                continue
            p.fragments.append(t)
            _note(p, t, "ambiguous", " | ".join(t.value))
    for frag in [f for f in p.fragments if _part_of_found(model, f, p.metrics)]:
        # "各省用户的离网率", "users' ARPU": the word names what the found metric is computed from
        p.fragments.remove(frag)
        p.understood = [u for u in p.understood if not (u["kind"] == "ambiguous" and u["text"] == frag.text)]
        p.understood.append({"text": frag.text, "kind": "qualifier", "value": "part of " + ", ".join(p.metrics)})


def _columns(model: SemanticModel, metric: str) -> set[tuple[str, str]]:
    """The (table, column) pairs a metric is ultimately computed from."""
    out = set()
    for leaf in model.leaf_metrics(metric):
        spec = model.metrics[leaf]
        out.add((getattr(spec, "table", ""), getattr(spec, "column", "")))
    return out


def _part_of_found(model: SemanticModel, fragment: Token, metrics: list[str]) -> bool:
    """Does an ambiguous word ("用户", "users") name a quantity that a metric already found is computed
    from? Then it describes that metric and asks nothing."""
    if not metrics:
        return False
    found = set().union(*(_columns(model, m) for m in metrics))
    return any(_columns(model, option) & found for option in fragment.value)


def _ratio_of(model: SemanticModel, prev: Token, fragment: Token) -> str | None:
    """The one ratio metric among a fragment's readings whose numerator is the metric just before it."""
    if prev.kind != "metric":
        return None
    found = [m for m in fragment.value if getattr(model.metrics[m], "numerator", None) == prev.name]
    return found[0] if len(found) == 1 else None


def _removals(p: Parsed, toks: list[Token], lex: Lexicon) -> set[int]:
    """"去掉省份", "不按渠道看", "without the channel breakdown", "drop segments", "drop the Guangdong
    filter": what a follow-up takes away. Returns the tokens it used (no breakdown, no filter)."""
    verbs = set(lex.grammar.terms.get("remove_verbs", ()))
    time_dim = lex.model.time_dimension
    taken: set[int] = set()

    def kw(i: int, *names: str) -> bool:
        return 0 <= i < len(toks) and toks[i].kind == "kw" and toks[i].name in names

    for i, t in enumerate(toks):
        removing = (t.kind == "kw" and t.name in ("remove", "neg")) or \
            (t.kind == "kw" and t.name == "growth" and t.text.lower() in verbs)
        if not removing or i + 1 >= len(toks):
            continue
        j = i + 1
        nxt = toks[j]
        if nxt.kind == "dimension" and nxt.name != time_dim:
            if kw(j + 1, "filter_word"):
                p.drop_filters.append((nxt.name, None))
                taken |= {i, j, j + 1}
            else:
                p.drop_dims.append(nxt.name)
                taken |= {i, j} | ({j + 1} if kw(j + 1, "drill") else set())
            _note(p, nxt, "remove", nxt.name)
        elif nxt.kind == "member" and kw(j + 1, "filter_word"):
            dim = _member_dim(nxt, toks)
            if dim is not None:
                value = next(x.value for x in nxt.targets if x.kind == "member" and x.name == dim)
                p.drop_filters.append((dim, value))
                taken |= {i, j, j + 1}
                _note(p, nxt, "remove", f"{dim} = {value}")
    if any(toks[k].kind == "kw" and toks[k].name == "drill" for k in taken) and \
            not any(t.kind == "kw" and t.name == "drill" for k, t in enumerate(toks) if k not in taken):
        p.intents.discard("drill")
        p.understood = [u for u in p.understood if u["kind"] != "intent" or u["value"] != "drill"]
    if any(toks[k].kind == "kw" and toks[k].name == "growth" for k in taken) and \
            not any(t.kind == "kw" and t.name == "growth" for k, t in enumerate(toks) if k not in taken):
        p.growth = False
    return taken


def _member_dim(t: Token, toks: list[Token]) -> str | None:
    """The dimension of a member word; None when several dimensions claim it equally."""
    dims = list(dict.fromkeys(x.name for x in t.targets if x.kind == "member"))
    values = {x.value for x in t.targets if x.kind == "member"}
    if len(dims) == 1 and len(values) == 1:
        return dims[0]
    mentioned = {x.name for x in toks if x.kind == "dimension"} | \
                {x.name for x in toks if x.kind == "member" and len(x.targets) == 1}
    preferred = [d for d in dims if d in mentioned]
    return preferred[0] if len(preferred) == 1 else None


def _members(p: Parsed, toks: list[Token], taken: set[int] = frozenset()) -> None:  # type: ignore[assignment]
    picked: list[tuple[str, str, bool, Token]] = []
    negate = False
    run: list[int] = []
    for i, t in enumerate(toks):
        if i in taken:
            negate, run = False, []
            continue
        if t.kind == "kw" and t.name == "neg":
            negate, run = True, []
            continue
        if t.kind == "member":
            dim = _member_dim(t, toks)
            if dim is None:
                p.ambiguous_members.append(t)
                continue
            value = next(x.value for x in t.targets if x.kind == "member" and x.name == dim)
            picked.append((dim, value, negate, t))
            run.append(len(picked) - 1)
            continue
        if t.kind == "kw" and t.name == "neg_after":
            for k in run:
                dim, value, _, tok = picked[k]
                picked[k] = (dim, value, True, tok)
            negate, run = False, []
            continue
        if (t.kind == "kw" and t.name in ("and", "only")) or t.kind == "dimension":
            continue
        negate, run = False, []
    grouped: dict[tuple[str, bool], list[str]] = {}
    for dim, value, neg, tok in picked:
        bucket = grouped.setdefault((dim, neg), [])
        if value not in bucket:
            bucket.append(value)
        _note(p, tok, "filter", f"{dim} {'≠' if neg else '='} {value}")
    for (dim, neg), values in grouped.items():
        p.members.append(MemberFilter(op="not_in" if neg else "in", dimension=dim, values=tuple(values)))
        if not neg and len(values) >= 2:
            p.compared_dims.append(dim)  # 江苏和浙江 / 5G vs 4G: one row per member


def _unit_after(lex: Lexicon, text: str, end: int, *, glued: bool = False) -> str | None:
    """The time unit word right after position ``end`` ("close date *month*"), if any; ``glued``
    also reads a Chinese unit written without a space ("哪个*月*")."""
    units = lex.grammar.terms.get("unit_words") or {}
    rest = text[end:].lstrip()
    if glued and rest[:1] and not rest[:1].isascii():
        found = [(len(form), grain) for grain, forms in units.items() for form in forms
                 if not form.isascii() and rest.startswith(form)]
        return max(found)[1] if found else None
    words = rest.split(None, 1)
    if not words:
        return None
    word = words[0].strip(",.;?!")
    return next((grain for grain, forms in units.items() if word in forms), None)


def _dimensions(p: Parsed, toks: list[Token], lex: Lexicon, is_kw: object, text: str = "",
                taken: set[int] = frozenset()) -> None:  # type: ignore[assignment]
    model = lex.model
    time_dim = model.time_dimension
    kw = is_kw  # type: ignore[assignment]
    for i, t in enumerate(toks):
        if i in taken:
            continue
        if t.kind == "grain":
            if p.grain is None:
                p.grain = t.name
                _note(p, t, "grain", f"{time_dim}.{t.name}")
            continue
        if t.kind == "member" and kw(i - 1, "group") and len(t.targets) == 1:
            # "各5G套餐": each plan inside the member, i.e. the next level down
            dim = t.targets[0].name
            child = model.child_level(dim)
            if child and child not in p.dims and "." not in child:
                p.dims.append(child)
                _note(p, t, "dimension", child)
            continue
        if t.kind == "kw" and t.name == "which" and p.grain is None:
            unit = _unit_after(lex, text, t.end, glued=True)
            if unit is not None:  # "哪个月", "which month": one row per month, the winner among them
                p.grain = unit
                _note(p, t, "grain", f"{time_dim}.{unit}")
            continue
        if t.kind != "dimension":
            if t.kind == "unknown" and kw(i - 1, "group") and p.unknown_dimension is None:
                nxt = toks[i + 1] if i + 1 < len(toks) else None
                if nxt is None or nxt.kind not in ("dimension", "grain"):
                    p.unknown_dimension = t
            continue
        if t.name == time_dim:
            if kw(i - 1, "group") and p.grain is None:
                p.grain = "day"
                _note(p, t, "grain", f"{time_dim}.day")
            continue
        near = [toks[k] for k in (i - 1, i + 1) if 0 <= k < len(toks)]
        if any(x.kind == "member" and any(y.name == t.name for y in x.targets) for x in near):
            continue  # "渠道为线上", "the online channel": names the member's dimension, no breakdown
        name = t.name
        if model.dimensions[t.name].type == "time":
            # "by close date month": the grain word after it, else the question's grain, else its days
            grain = _unit_after(lex, text, t.end) or p.grain or "day"
            if p.grain == grain and not _unit_after(lex, text, t.end):
                p.grain = None  # "monthly ... by close date": the grain is this dimension's
            name = f"{t.name}.{grain}"
        if name not in p.dims:
            p.dims.append(name)
            _note(p, t, "dimension", name)


def _ranking(p: Parsed, toks: list[Token], is_kw: object, model: SemanticModel) -> None:
    kw = is_kw  # type: ignore[assignment]
    anchor_at: int | None = None
    quality: str | None = None  # "best" / "worst" depend on which direction is good for the metric
    for i, t in enumerate(toks):
        if t.kind == "top":
            p.order, p.limit = t.name, t.value
            anchor_at = i
            _note(p, t, "limit", f"{'bottom' if t.name == 'asc' else t.name if t.name != 'desc' else 'top'} {t.value}")
        elif t.kind == "kw" and t.name in ("highest", "lowest", "best", "worst") and p.order is None:
            p.order = "desc" if t.name in ("highest", "best") else "asc"
            quality = t.name if t.name in ("best", "worst") else None
            anchor_at = i
            plural = any(x.kind == "dimension" and x.plural for x in toks)
            ranked = any(x.kind == "kw" and x.name == "rank" for x in toks)
            if not plural and not ranked:
                p.limit = 1
            _note(p, t, "order", f"{p.order}" + (" limit 1" if p.limit == 1 else ""))
        elif t.kind == "kw" and t.name == "rank" and p.order is None:
            p.order = "desc"
            anchor_at = anchor_at if anchor_at is not None else i
            _note(p, t, "order", "desc")
        elif t.kind == "kw" and t.name in ("desc", "asc"):
            p.order = t.name
            anchor_at = anchor_at if anchor_at is not None else i
            _note(p, t, "order", t.name)
    if p.order is None:
        return
    if p.order in ("best", "worst"):
        quality, p.order = p.order, "desc" if p.order == "best" else "asc"
    for i, t in enumerate(toks):
        if t.kind == "metric" and kw(i - 1, "group"):
            p.rank_metric = t.name  # "top 5 cities by revenue", "按收入排名"
            break
    else:
        if anchor_at is not None:
            metrics = [(abs(i - anchor_at), t.name) for i, t in enumerate(toks) if t.kind == "metric"]
            if metrics:
                p.rank_metric = min(metrics)[1]
    ranked = p.rank_metric or (p.metrics[0] if p.metrics else None)
    if quality and ranked and model.metrics[ranked].favorable == "down":
        p.order = "asc" if p.order == "desc" else "desc"  # the best churn rate is the lowest


def fraction_scale(metric: object) -> float | None:
    """What a fraction of 1 reads as in ``metric``'s values: 1 for a percent-formatted rate (held as
    0.0185), 100 for values in percent units (99.5), a ratio's ``scale`` (10000 for "per 10k"), or
    None when a fraction means nothing for the metric (revenue, counts)."""
    scale = getattr(metric, "scale", 1)
    if getattr(metric, "format", "") == "percent":
        return float(scale)
    if getattr(metric, "unit", "") == "%":
        return 100.0
    if scale != 1:
        return float(scale)
    return None


def _thresholds(p: Parsed, toks: list[Token], model: SemanticModel) -> None:
    for i, t in enumerate(toks):
        if t.kind != "threshold":
            continue
        before = [x for x in toks[:i] if x.kind == "metric"]
        after = [x for x in toks[i + 1:] if x.kind == "metric"]
        target = before[-1] if before else (after[0] if after else None)
        if target is None:
            continue
        value, fraction = t.value
        if fraction:  # "18.5‰", "万分之7.5", "2%": a fraction, held at the metric's own scale
            scale = fraction_scale(model.metrics[target.name])
            value = value * fraction * scale if scale is not None else value
        value = round(value, 12)
        value = int(value) if float(value).is_integer() else value
        p.thresholds.append(ComparisonFilter(op=t.name, metric=target.name, value=value))
        if target.name not in p.metrics:
            p.metrics.append(target.name)
        _note(p, t, "threshold", f"{target.name} {t.name} {value}")
