"""The leaf table of a change analysis: which dimensions, one aggregate per period, parents.

The database groups the metric by the finest level of every hierarchy plus the flat
dimensions (a few thousand rows for ~1M fact rows); coarser levels are joined back from the
dimension tables, which is what makes a pandas group-by over the leaves equal to the
GROUPING SETS the database would compute. The metric's tree parts that add up ride along so
the tree of any combination needs no further query.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from semantic_layer.spec import RatioMetricSpec

from ..errors import ConfigError
from ..values import is_missing
from .access import visible
from .decompose import LeafFrame

if TYPE_CHECKING:
    from ..api import ChatBI

__all__ = ["MAX_LEAVES", "candidate_dimensions", "search_dimensions", "value_columns", "leaf_plan",
           "build_leaves", "with_parents", "tree_parts", "tree_values", "additive_holds", "close", "first_row"]

#: leaf aggregates larger than this drop their finest dimensions first
MAX_LEAVES = 50_000
_NULL = "(null)"


def candidate_dimensions(bi: ChatBI, metric: str, dimensions: Sequence[str] | None = None) -> list[str]:
    """Categorical dimensions reachable from every table the metric reads (or those given)."""
    model = bi.model
    tables = model.metric_tables(metric)
    if dimensions is not None:
        if not dimensions:
            raise ConfigError("dimensions must name at least one dimension (or be None for all of them)")
        out = []
        for name in dimensions:
            dim = model.dimension(name)  # unknown names raise with "did you mean"
            if dim.type == "time":
                raise ConfigError(f"{name!r} is the time dimension; explain_change compares periods of it")
            if not all(model.reachable(t, name) for t in tables):
                raise ConfigError(f"dimension {name!r} does not apply to metric {metric!r}")
            out.append(name)
        return out
    out = [n for n, d in model.dimensions.items()
           if d.type == "categorical" and d.index_members and all(model.reachable(t, n) for t in tables)]
    out = visible(bi, out)  # a user's hidden and masked dimensions are not broken down by
    sizes = {n: max(len(bi.members.members.get(n, ())), 1) for n in out}
    while len(out) > 1 and _leaf_estimate(bi, out, sizes) > MAX_LEAVES:
        out.remove(max(out, key=lambda n: sizes[n]))
    return out


def _leaf_estimate(bi: ChatBI, dims: list[str], sizes: Mapping[str, int]) -> int:
    # levels of one hierarchy nest, so only the finest one multiplies the leaf count
    by_group: dict[str, int] = {}
    for d in dims:
        found = bi.model.hierarchy_of(d)
        key = found[0] if found else d
        by_group[key] = max(by_group.get(key, 1), sizes[d])
    return int(np.prod(list(by_group.values()), dtype=np.float64))


def search_dimensions(bi: ChatBI, dims: Sequence[str]) -> tuple[list[str], list[str]]:
    """(attributes to search, their hierarchy group): the finest level of a hierarchy with two
    or more levels present is left to drill-down, so 四川 is found first and 成都 under it."""
    groups: dict[str, list[str]] = {}
    for d in dims:
        found = bi.model.hierarchy_of(d)
        groups.setdefault(found[0] if found else d, []).append(d)
    out, names = [], []
    for group, levels in groups.items():
        found = bi.model.hierarchy_of(levels[0])
        if found and len(levels) > 1:
            order = found[1].levels
            levels = sorted(levels, key=order.index)[:-1]
        out += levels
        names += [group] * len(levels)
    return out, names


def value_columns(bi: ChatBI, metric: str) -> tuple[str, list[str], float]:
    spec = bi.model.metric(metric)
    if isinstance(spec, RatioMetricSpec):
        return "ratio", [spec.numerator, spec.denominator], float(spec.scale)
    return "additive", [metric], 1.0


def build_leaves(cur: pd.DataFrame, base: pd.DataFrame, dims: list[str], kind: str, cols: list[str],
            scale: float, extra: Sequence[str] = ()) -> LeafFrame:
    """The two periods' leaf aggregates side by side (a leaf missing in one period is 0 there).

    ``extra`` metrics (the metric tree's summable parts) ride along as ``<metric>@cur`` /
    ``<metric>@base`` so a combination's tree can be computed without another query.
    """
    frames = []
    for frame, period in ((cur, "cur"), (base, "base")):
        if kind == "additive":
            renamed = {cols[0]: period}
        else:
            renamed = {cols[0]: f"num_{period}", cols[1]: f"den_{period}"}
        f = frame[[*dims, *cols]].rename(columns=renamed)
        for m in extra:
            f[f"{m}@{period}"] = frame[m]
        f[dims] = f[dims].astype(object).where(f[dims].notna(), _NULL).astype(str)
        frames.append(f)
    merged = frames[0].merge(frames[1], on=dims, how="outer")
    values = [c for c in merged.columns if c not in dims]
    merged[values] = merged[values].astype(np.float64).fillna(0.0)
    return LeafFrame(merged.reset_index(drop=True), tuple(dims), kind, scale)


def tree_parts(bi: ChatBI, names: Sequence[str]) -> tuple[list[str], dict[str, tuple[str, str, float]]]:
    """(metrics to sum over leaves, ratio metrics computed from two of them) for a metric tree."""
    summed: list[str] = []
    ratios: dict[str, tuple[str, str, float]] = {}
    for name in names:
        spec = bi.model.metric(name)
        if isinstance(spec, RatioMetricSpec):
            ratios[name] = (spec.numerator, spec.denominator, float(spec.scale))
            summed += [spec.numerator, spec.denominator]
        else:
            summed.append(name)
    return list(dict.fromkeys(summed)), ratios


def tree_values(leaves: LeafFrame, mask: np.ndarray, period: str, summed: Sequence[str],
                 ratios: dict[str, tuple[str, str, float]]) -> dict[str, float]:
    values = {m: float(leaves.frame.loc[mask, f"{m}@{period}"].sum()) for m in summed}
    for name, (num, den, scale) in ratios.items():
        values[name] = values[num] / values[den] * scale if values[den] else float("nan")
    return values


def leaf_plan(bi: ChatBI, dims: Sequence[str]) -> tuple[list[str], list[list[str]]]:
    """Group by the finest level of each hierarchy only (half the work for the database);
    the coarser levels come from the dimension table (``[[region, province, city], ...]``)."""
    groups: dict[str, list[str]] = {}
    for d in dims:
        found = bi.model.hierarchy_of(d)
        groups.setdefault(found[0] if found else d, []).append(d)
    grouped, chains = [], []
    for levels in groups.values():
        found = bi.model.hierarchy_of(levels[0])
        if found and len(levels) > 1:
            chain = sorted(levels, key=found[1].levels.index)
            grouped.append(chain[-1])
            chains.append(chain)
        else:
            grouped += levels
    return grouped, chains


def with_parents(leaves: LeafFrame, maps: Sequence[pd.DataFrame], dims: Sequence[str]) -> LeafFrame:
    frame = leaves.frame
    for m in maps:
        m = m.astype(object).where(m.notna(), _NULL).astype(str)
        finest = m.columns[-1]
        frame = frame.merge(m, on=finest, how="left")
        frame[list(m.columns)] = frame[list(m.columns)].fillna(_NULL)
    values = [c for c in frame.columns if c not in dims]
    return LeafFrame(frame[[*dims, *values]], tuple(dims), leaves.kind, leaves.scale)


def close(a: float, b: float) -> bool:
    return bool(np.isclose(a, b, rtol=1e-6, atol=1e-9))


def additive_holds(leaves: LeafFrame, kind: str, cols: list[str], tot_cur: Mapping[str, float],
                    tot_base: Mapping[str, float]) -> bool:
    f = leaves.frame
    if kind == "additive":
        return close(f["cur"].sum(), tot_cur[cols[0]]) and close(f["base"].sum(), tot_base[cols[0]])
    return all(close(f[f"{p}_{t}"].sum(), tot[c]) for p, c in (("num", cols[0]), ("den", cols[1]))
               for t, tot in (("cur", tot_cur), ("base", tot_base)))


def first_row(frame: pd.DataFrame) -> dict[str, float]:
    if frame.empty:
        return {}
    return {k: float("nan") if is_missing(v) else float(v) for k, v in frame.iloc[0].items()}
