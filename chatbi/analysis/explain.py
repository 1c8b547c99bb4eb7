"""``explain_change``: why did a metric move between two periods?

Pipeline (one leaf aggregate per period plus the totals, all compiled by the semantic layer):

1. the two periods' aggregates over every candidate dimension (one GROUP BY per period: a
   few thousand rows, the database reduces ~1M fact rows) and the totals of the metric and
   of its metric tree;
2. dimension decomposition from the leaves -- a pandas group-by over them is exactly the
   GROUPING SETS the database would compute, for additive metrics, semi-additive balances
   (the leaves already hold the last day's value) and ratios (numerator and denominator are
   summed separately); the totals from the database check that this holds, otherwise the
   metric is analysed per dimension in the database instead;
3. Adtributor ranking by surprise and explanatory power, drilling down hierarchies;
4. the combination search (:mod:`.search`) over one level per hierarchy plus the flat
   dimensions, with expected = baseline x the common factor;
5. the metric tree (LMDI / exact), overall and inside the strongest combination.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..messages import message
from ..values import is_missing
from .access import hidden_names, require_visible
from .decompose import LeafFrame, adtributor, breakdown, common_factor, drill
from .fetch import Fetcher, member_filters, normalize_filters
from .leaves import (
    additive_holds,
    build_leaves,
    candidate_dimensions,
    close,
    first_row,
    leaf_plan,
    search_dimensions,
    tree_parts,
    tree_values,
    value_columns,
    with_parents,
)
from .metric_tree import decompose_tree, tree_metrics
from .narrative import summarize, waterfall_figure, waterfall_items
from .periods import PeriodLike, parse_period, resolve_baseline
from .report import Combination, Contributor, DimensionBreakdown, RootCauseReport
from .search import LeafTable, search

if TYPE_CHECKING:
    from ..api import ChatBI

__all__ = ["explain_change"]

class _Labels:
    def __init__(self, bi: ChatBI, lang: str) -> None:
        self.bi, self.lang = bi, lang

    def member(self, dim: str, value: str) -> str:
        return self.bi.members.label(dim, value, self.lang)

    def combo(self, members: Sequence[tuple[str, str]]) -> str:
        return " × ".join(self.member(d, v) for d, v in members)


def _contributor(row: Any, dim: str, labels: _Labels, path: tuple[tuple[str, str], ...] = ()) -> Contributor:
    get = row.get if isinstance(row, Mapping) else row.__getitem__
    rate = get("rate_effect") if "rate_effect" in row else None
    mix = get("mix_effect") if "mix_effect" in row else None
    return Contributor(dimension=dim, member=str(get("member")), label=labels.member(dim, str(get("member"))),
                       baseline=float(get("baseline")), current=float(get("current")), change=float(get("change")),
                       share=float(get("share")), expected=float(get("expected")), excess=float(get("excess")),
                       excess_share=float(get("excess_share")), surprise=float(get("surprise")),
                       rate_effect=None if rate is None else float(rate), mix_effect=None if mix is None else float(mix),
                       path=path)


def _drill_chain(bi: ChatBI, leaves: LeafFrame, path: tuple[tuple[str, str], ...], dim: str, factor: float,
                 labels: _Labels, depth: int) -> list[Contributor]:
    out: list[Contributor] = []
    child = bi.model.child_level(dim)
    while depth > 0 and child in leaves.dimensions:
        found = drill(leaves, path, child, factor)
        if found is None:
            break
        entry = _contributor(found.iloc[0], child, labels, path)
        out.append(entry)
        path = (*path, (child, entry.member))
        child, depth = bi.model.child_level(child), depth - 1
    return out


def _segment(leaves: LeafFrame, members: Sequence[tuple[str, str]], factor: float) -> pd.Series:
    """The combination as one member of a two-member dimension (it vs the rest)."""
    mask = np.ones(len(leaves.frame), dtype=bool)
    for d, v in members:
        mask &= (leaves.frame[d] == v).to_numpy()
    tagged = LeafFrame(leaves.frame.assign(_segment=np.where(mask, "in", "out")), leaves.dimensions,
                       leaves.kind, leaves.scale)
    table = breakdown(tagged, "_segment", factor)
    return table[table["member"] == "in"].iloc[0]


def explain_change(bi: ChatBI, metric: str, period: PeriodLike, baseline: PeriodLike | None = None,
                   filters: Any = None, dimensions: Sequence[str] | None = None, max_depth: int = 3,
                   language: str | None = None) -> RootCauseReport:
    """Why ``metric`` changed from ``baseline`` (default: the previous period) to ``period``."""
    started = time.perf_counter()
    lang = language or bi.language
    model = bi.model
    model.metric(metric)
    require_visible(bi, "metric", [metric], lang)  # a hidden metric is refused with a sentence
    if dimensions is not None:
        require_visible(bi, "dimension", dimensions, lang)
    if max_depth < 1:
        raise ConfigError("max_depth must be at least 1")
    cur_p = parse_period(period)
    base_p = resolve_baseline(baseline, cur_p)
    flt = normalize_filters(filters)
    fetch = Fetcher(bi, flt)
    kind, cols, scale = value_columns(bi, metric)
    dims = candidate_dimensions(bi, metric, dimensions)
    in_tree = tree_metrics(model, metric, max_depth, hidden=hidden_names(bi))
    totals = list(dict.fromkeys([*in_tree, *cols]))
    summed, ratios = tree_parts(bi, in_tree) if len(in_tree) > 1 else ([], {})
    fetched_cols = list(dict.fromkeys([*cols, *summed]))
    totals = list(dict.fromkeys([*totals, *summed]))
    grouped, levels = leaf_plan(bi, dims)
    leaf_cur, leaf_base, tot_cur_f, tot_base_f, *maps = fetch.many(
        [(fetched_cols, grouped, cur_p, ()), (fetched_cols, grouped, base_p, ()), (totals, (), cur_p, ()),
         (totals, (), base_p, ()), *(((), chain, None, ()) for chain in levels)])
    if not all(m[chain[-1]].is_unique for m, chain in zip(maps, levels)):
        # a level that is not a function of the finer one: let the database group by every level
        grouped, maps = dims, []
        leaf_cur, leaf_base = fetch.many([(fetched_cols, dims, cur_p, ()), (fetched_cols, dims, base_p, ())])
    for frame, p, which in ((leaf_cur, cur_p, "period"), (leaf_base, base_p, "baseline period")):
        if frame.empty:
            raise ConfigError(f"no {metric} data in the {which} {p[0]}..{p[1]}"
                              + (" with these filters" if flt else "") + "; nothing to compare")
    tot_cur, tot_base = first_row(tot_cur_f), first_row(tot_base_f)
    fetched = time.perf_counter()
    current_value, baseline_value = tot_cur.get(metric, float("nan")), tot_base.get(metric, float("nan"))
    labels = _Labels(bi, lang)
    leaves = with_parents(build_leaves(leaf_cur, leaf_base, grouped, kind, cols, scale, summed), maps, dims)
    notes: list[str] = []
    if not additive_holds(leaves, kind, cols, tot_cur, tot_base):
        kind = "non_additive"
        name = model.label(metric, lang)
        notes.append(message("explain.non_additive", lang, name=name))
    report = _analyse(bi, metric, leaves, kind, labels, fetch, max_depth) if kind != "non_additive" \
        else _non_additive(bi, metric, dims, fetch, cur_p, base_p, labels)
    contributors, combos, tables, factor, common, mix = report
    tree = decompose_tree(model, metric, tot_base, tot_cur, max_depth)
    if combos and tree is not None:
        combo_tree = _combination_tree(bi, fetch, metric, totals, combos[0], cur_p, base_p, max_depth,
                                       leaves, summed, ratios, tot_cur, tot_base)
        combos[0] = dataclasses.replace(combos[0], metric_tree=combo_tree)
    analysed = time.perf_counter()
    spec = model.metric(metric)
    result = RootCauseReport(
        metric=metric, metric_label=model.label(metric, lang), kind=kind, period=cur_p, baseline_period=base_p,
        baseline_value=baseline_value, current_value=current_value, total_change=current_value - baseline_value,
        common_factor=factor, common_change=common, contributors=tuple(contributors), combinations=tuple(combos),
        dimensions=tuple(tables), metric_tree=tree, language=lang, filters=flt, sql=tuple(fetch.sql),
        notes=tuple(notes), mix_change=mix)
    text, details = summarize(result, model, labels.member)
    result = dataclasses.replace(result, text=text, details=details)
    figure = waterfall_figure(result, waterfall_items(result), spec.format, spec.unit) \
        if kind != "non_additive" else None
    done = time.perf_counter()
    timings = {"fetch_ms": (fetched - started) * 1000, "analysis_ms": (analysed - fetched) * 1000,
               "figure_ms": (done - analysed) * 1000, "total_ms": (done - started) * 1000}
    return dataclasses.replace(result, figure=figure, timings=timings)


def _analyse(bi: ChatBI, metric: str, leaves: LeafFrame, kind: str, labels: _Labels, fetch: Fetcher,
             max_depth: int) -> tuple[list[Contributor], list[Combination], list[DimensionBreakdown], float, float, float]:
    actual, reference = leaves.actual, leaves.reference
    factor = common_factor(actual, reference)
    live = [d for d in leaves.dimensions if leaves.frame[d].nunique() > 1]
    tables = {d: breakdown(leaves, d, factor) for d in live}
    explanatory = {e.dimension: e for e in adtributor(tables)}
    contributors = _ranked_contributors(bi, leaves, tables, list(explanatory.values()), factor, labels, max_depth)
    search_dims, groups = search_dimensions(bi, live)
    if not contributors:  # broad-based change: the largest movers of the coarse dimensions
        rows = [(d, r) for d in search_dims for _, r in tables[d].head(3).iterrows()]
        rows.sort(key=lambda x: -abs(x[1]["change"]))
        contributors = [_contributor(r, d, labels) for d, r in rows[:5]]

    combos: list[Combination] = []
    if search_dims:
        table = LeafTable.from_columns([leaves.frame[d].to_numpy() for d in search_dims], search_dims, groups)
        total_excess = float((actual - factor * reference).sum())
        for element in search(table, actual, factor * reference, max_layer=max_depth):
            row = _segment(leaves, element.members, factor)
            drills: list[Contributor] = []
            for d, _ in element.members:
                drills += _drill_chain(bi, leaves, element.members, d, factor, labels, max_depth)
            combos.append(Combination(
                members=element.members, label=labels.combo(element.members), baseline=float(row["baseline"]),
                current=float(row["current"]), change=float(row["change"]), share=float(row["share"]),
                expected=float(row["expected"]), excess=float(row["excess"]),
                excess_share=float(row["excess"]) / _excess_total(leaves, total_excess) if total_excess else float("nan"),
                deviation=_deviation(element.actual, factor * _reference_sum(leaves, element.members)),
                drill=tuple(drills)))
    common, mix = _common_change(leaves, factor)
    breakdowns = [DimensionBreakdown(d, tables[d], d in explanatory,
                                     explanatory[d].surprise if d in explanatory else float(tables[d]["surprise"].sum()))
                  for d in live]
    return contributors, combos, breakdowns, factor, common, mix


def _ranked_contributors(bi: ChatBI, leaves: LeafFrame, tables: Mapping[str, pd.DataFrame],
                         ranked: list[Any], factor: float, labels: _Labels, max_depth: int,
                         *, max_groups: int = 3, min_surprise: float = 0.1) -> list[Contributor]:
    """Adtributor's explanatory dimensions, one level per hierarchy (the coarsest that explains,
    then drilled down), skipping dimensions whose surprise is small next to the strongest."""
    if not ranked:
        return []
    floor = min_surprise * ranked[0].surprise
    by_group: dict[str, list[Any]] = {}
    for e in ranked:
        if e.surprise < floor:
            continue
        found = bi.model.hierarchy_of(e.dimension)
        by_group.setdefault(found[0] if found else e.dimension, []).append(e)
    out: list[Contributor] = []
    for items in list(by_group.values())[:max_groups]:
        found = bi.model.hierarchy_of(items[0].dimension)
        e = min(items, key=lambda x: found[1].levels.index(x.dimension)) if found else items[0]
        table = tables[e.dimension].set_index("member", drop=False)
        for member in e.members:
            out.append(_contributor(table.loc[member], e.dimension, labels))
            out += _drill_chain(bi, leaves, ((e.dimension, member),), e.dimension, factor, labels, max_depth)
    return out


def _deviation(actual: float, expected: float) -> float:
    return actual / expected - 1.0 if expected else float("nan")


def _excess_total(leaves: LeafFrame, total_excess: float) -> float:
    """The data's total excess in metric units (a ratio's excess is per current denominator)."""
    if leaves.kind == "additive":
        return total_excess
    return total_excess / float(leaves.frame["den_cur"].sum()) * leaves.scale


def _reference_sum(leaves: LeafFrame, members: Sequence[tuple[str, str]]) -> float:
    return float(leaves.where(dict(members)).reference.sum())


def _common_change(leaves: LeafFrame, factor: float) -> tuple[float, float]:
    """(the common movement, the mix effect) in metric units; with the excess they sum to the change."""
    ref = float(leaves.reference.sum())
    if leaves.kind == "additive":
        return (factor - 1.0) * ref, 0.0
    den = float(leaves.frame["den_cur"].sum())
    if not den:
        return 0.0, 0.0
    at_base_rates = ref / den * leaves.scale
    return (factor - 1.0) * at_base_rates, at_base_rates - leaves.value("base")


def _combination_tree(bi: ChatBI, fetch: Fetcher, metric: str, totals: list[str], combo: Combination,
                      cur_p: tuple[Any, Any], base_p: tuple[Any, Any], max_depth: int, leaves: LeafFrame,
                      summed: Sequence[str], ratios: dict[str, tuple[str, str, float]],
                      tot_cur: Mapping[str, float], tot_base: Mapping[str, float]) -> Any:
    """The metric tree inside a combination: from the leaves when the tree's parts add up over
    them (checked against the database totals), else with two more queries."""
    everything = np.ones(len(leaves.frame), dtype=bool)
    if summed and all(close(v, tot.get(m, float("nan")))
                      for period, tot in (("cur", tot_cur), ("base", tot_base))
                      for m, v in tree_values(leaves, everything, period, summed, {}).items()):
        mask = everything.copy()
        for d, v in combo.members:
            mask &= (leaves.frame[d] == v).to_numpy()
        return decompose_tree(bi.model, metric, tree_values(leaves, mask, "base", summed, ratios),
                              tree_values(leaves, mask, "cur", summed, ratios), max_depth)
    extra = member_filters(combo.as_dict())
    cur, base = fetch.many([(totals, (), cur_p, extra), (totals, (), base_p, extra)])
    return decompose_tree(bi.model, metric, first_row(base), first_row(cur), max_depth)


def _non_additive(bi: ChatBI, metric: str, dims: list[str], fetch: Fetcher, cur_p: Any, base_p: Any,
                  labels: _Labels) -> tuple[list[Contributor], list[Combination], list[DimensionBreakdown], float, float, float]:
    """Averages and distinct counts: each member's own change, computed per dimension in SQL."""
    jobs = [([metric], [d], p, ()) for d in dims for p in (cur_p, base_p)]
    frames = fetch.many(jobs)
    tables, contributors = [], []
    for i, d in enumerate(dims):
        cur, base = frames[2 * i], frames[2 * i + 1]
        merged = cur.merge(base, on=d, how="outer", suffixes=("_cur", "_base"))
        t = pd.DataFrame({"member": merged[d].astype(str), "baseline": merged[f"{metric}_base"],
                          "current": merged[f"{metric}_cur"]})
        t["change"] = t["current"] - t["baseline"]
        for col in ("share", "expected", "excess", "excess_share", "surprise"):
            t[col] = np.nan
        t = t.reindex(t["change"].abs().sort_values(ascending=False).index).reset_index(drop=True)
        tables.append(DimensionBreakdown(d, t, False, float("nan")))
        contributors += [_contributor(r, d, labels) for _, r in t.head(2).iterrows()]
    contributors.sort(key=lambda c: 0.0 if is_missing(c.change) else -abs(c.change))
    return contributors[:5], [], tables, 1.0, 0.0, 0.0
