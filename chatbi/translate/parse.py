"""From scanned tokens to a ``Parsed`` reading: what the question itself says, before context.

Decisions that need the conversation (is this a follow-up? does it answer a clarification?)
and the final checks (is the metric missing? is a word ambiguous?) happen later, in
``offline.py``. Here only the question's own structure is read: which members a negation
covers, which metric a threshold or a ranking belongs to, whether "2024年和2025年" is one
span to break down by year or a year-over-year comparison.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

from semantic_layer import ComparisonFilter, MemberFilter, RangeFilter, RelativeTimeFilter, SemanticModel, TimeRange
from semantic_layer.compiler.timeframe import add_units, previous_period

from .lexicon import Lexicon
from .scan import Scan, Token
from .timeparse import TimeMention

__all__ = ["Parsed", "parse"]

_TIME_GRAINS = ("day", "week", "month", "quarter", "year")
_LINKS = ("and", "vs")


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
    empty_period: str | None = None
    compare: str | None = None
    growth: bool = False
    share: bool = False
    order: str | None = None
    limit: int | None = None
    rank_metric: str | None = None
    intents: set[str] = field(default_factory=set)
    flags: set[str] = field(default_factory=set)
    refusal: str | None = None
    unknown: list[Token] = field(default_factory=list)
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
    def bare_metrics(self) -> bool:
        """Only metric words (an answer to "which metric?" or "换成ARPU")."""
        return bool(self.metrics) and not (self.dims or self.grain or self.members or self.has_time or self.limit
                                           or self.order or self.thresholds or self.compare or self.share)


def _note(p: Parsed, tok: Token, kind: str, value: str) -> None:
    p.understood.append({"text": tok.text, "kind": kind, "value": value})


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
            elif t.name in ("pop", "yoy") and p.compare is None:
                p.compare = "previous_period" if t.name == "pop" else "year_over_year"
                _note(p, t, "compare", p.compare)
            elif t.name == "injection":
                _note(p, t, "ignored", "instruction in the question (ignored)")
    if toks and toks[0].start == 0 and toks[0].kind == "kw" and toks[0].name == "and":
        p.flags.add("followup")  # "and by channel?"

    _metrics(p, toks, model)
    _members(p, toks)
    _dimensions(p, toks, lex, is_kw, scan.norm.text)
    _times(p, toks, model)
    _ranking(p, toks, is_kw, model)
    _thresholds(p, toks, model)
    p.unknown = [t for t in toks if t.kind == "unknown"]
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
            p.fragments.append(t)
            _note(p, t, "ambiguous", " | ".join(t.value))


def _ratio_of(model: SemanticModel, prev: Token, fragment: Token) -> str | None:
    """The one ratio metric among a fragment's readings whose numerator is the metric just before it."""
    if prev.kind != "metric":
        return None
    found = [m for m in fragment.value if getattr(model.metrics[m], "numerator", None) == prev.name]
    return found[0] if len(found) == 1 else None


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


def _members(p: Parsed, toks: list[Token]) -> None:
    picked: list[tuple[str, str, bool, Token]] = []
    negate = False
    run: list[int] = []
    for t in toks:
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


def _unit_after(lex: Lexicon, text: str, end: int) -> str | None:
    """The time unit word right after position ``end`` ("close date *month*"), if any."""
    words = text[end:].split(None, 1)
    if not words:
        return None
    units = lex.grammar.terms.get("unit_words") or {}
    word = words[0].strip(",.;?!")
    return next((grain for grain, forms in units.items() if word in forms), None)


def _dimensions(p: Parsed, toks: list[Token], lex: Lexicon, is_kw: object, text: str = "") -> None:
    model = lex.model
    time_dim = model.time_dimension
    kw = is_kw  # type: ignore[assignment]
    for i, t in enumerate(toks):
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


def _times(p: Parsed, toks: list[Token], model: SemanticModel) -> None:
    absolute: list[tuple[int, TimeMention, Token]] = []
    for i, t in enumerate(toks):
        if t.kind != "time":
            continue
        tm: TimeMention = t.value
        if tm.kind == "relative":
            unit, n, offset = tm.relative  # type: ignore[misc]
            p.relative.append(RelativeTimeFilter(op="relative", unit=unit, n=n, offset=offset))  # type: ignore[arg-type]
            _note(p, t, "time", f"relative {unit} n={n} offset={offset}")
        else:
            absolute.append((i, tm, t))
    if not absolute:
        return
    periods = [tm.period for _, tm, _ in absolute]
    linked = len(absolute) >= 2 and all(
        all(x.kind == "kw" and x.name in _LINKS for x in toks[a + 1:b])
        for (a, _, _), (b, _, _) in itertools.pairwise(absolute))
    precisions = {tm.precision for _, tm, _ in absolute}
    if linked and len(precisions) == 1:
        grain = next(iter(precisions))
        ordered = sorted(periods)  # type: ignore[arg-type]
        versus = any(x.kind == "kw" and x.name == "vs" for x in toks[absolute[0][0] + 1:absolute[-1][0]])
        if len(ordered) == 2 and grain in _TIME_GRAINS and _year_apart(ordered[0], ordered[1]):  # type: ignore[arg-type]
            p.time_range = TimeRange(start=ordered[1][0], end=ordered[1][1])  # type: ignore[index]
            p.compare = p.compare or "year_over_year"  # 2025年3月 vs 2024年3月
        elif len(ordered) == 2 and versus and previous_period(ordered[1]) == ordered[0]:  # type: ignore[arg-type]
            p.time_range = TimeRange(start=ordered[1][0], end=ordered[1][1])  # type: ignore[index]
            p.compare = p.compare or "previous_period"  # October vs September: the change, not two rows
        else:
            p.time_range = TimeRange(start=ordered[0][0], end=ordered[-1][1])  # type: ignore[index]
            if grain in _TIME_GRAINS:
                p.time_group = grain  # 2024年和2025年: one row per year
        for _, tm, t in absolute:
            _note(p, t, "time", f"{tm.period[0]}..{tm.period[1]}")  # type: ignore[index]
        return
    start = max(pr[0] for pr in periods)  # type: ignore[index]
    end = min(pr[1] for pr in periods)  # type: ignore[index]
    for _, tm, t in absolute:
        _note(p, t, "time", f"{tm.period[0]}..{tm.period[1]}")  # type: ignore[index]
    if start > end:
        p.empty_period = ", ".join(f"{a}..{b}" for a, b in periods)  # type: ignore[misc]
        return
    p.time_range = TimeRange(start=start, end=end)


def _year_apart(a: tuple[dt.date, dt.date], b: tuple[dt.date, dt.date]) -> bool:
    return add_units(a[0], "year", 1) == b[0] and (b[1] - b[0]).days == (a[1] - a[0]).days


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


def _thresholds(p: Parsed, toks: list[Token], model: SemanticModel) -> None:
    for i, t in enumerate(toks):
        if t.kind != "threshold":
            continue
        before = [x for x in toks[:i] if x.kind == "metric"]
        after = [x for x in toks[i + 1:] if x.kind == "metric"]
        target = before[-1] if before else (after[0] if after else None)
        if target is None:
            continue
        value, percent = t.value
        if percent and model.metrics[target.name].format == "percent":
            value = value / 100.0
        value = int(value) if float(value).is_integer() else round(value, 12)
        p.thresholds.append(ComparisonFilter(op=t.name, metric=target.name, value=value))
        if target.name not in p.metrics:
            p.metrics.append(target.name)
        _note(p, t, "threshold", f"{target.name} {t.name} {value}")
