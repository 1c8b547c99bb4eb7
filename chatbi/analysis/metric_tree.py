"""Metric-tree decomposition: which sub-metric drove the change (影响指标波动的最大贡献子指标).

The model's ``metric_trees`` say how a metric is built from sub-metrics:

- ``sum`` / ``difference`` (net_adds = new - churned): the change splits exactly into the
  children's changes;
- ``product`` (revenue = avg_active_subscribers x arpu) and ``ratio`` (call_drop_rate =
  dropped_calls / call_attempts): the LMDI-I attribution (log-mean Divisia index).
  With ``L(a, b) = (a - b) / (ln a - ln b)``, child ``k`` with exponent ``e_k`` (+1 for a
  factor, -1 for a divisor) contributes ``L(M1, M0) * e_k * ln(c_k1 / c_k0)``; the terms add
  up to ``M1 - M0`` exactly because ``sum(e_k ln(c_k1/c_k0)) = ln(M1/M0)``, and their
  ``log_share`` is each child's fraction of the log change. Where a value is not positive
  (logs undefined) the Shapley split is used instead, which is exact as well.

A ratio metric without an explicit tree decomposes into its numerator and denominator.

>>> terms = lmdi([100.0, 2.0], [110.0, 1.8], [1, 1])   # 200 -> 198
>>> round(sum(terms), 9)
-2.0
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from semantic_layer import SemanticModel
from semantic_layer.spec import RatioMetricSpec

__all__ = ["TreeTerm", "TreeBreakdown", "lmdi", "shapley_product", "tree_of", "tree_metrics", "decompose_tree"]


@dataclass(frozen=True)
class TreeTerm:
    """One child's part of its parent's change."""

    metric: str
    baseline: float
    current: float
    #: this child's contribution, in units of the parent metric
    contribution: float
    #: contribution / parent change
    share: float
    #: fraction of the parent's log change (product / ratio trees); None for sum / difference
    log_share: float | None
    #: +1 factor or addend, -1 divisor or subtrahend
    sign: int
    #: the child's own tree, when it has one
    tree: TreeBreakdown | None = None

    @property
    def change(self) -> float:
        return self.current - self.baseline

    @property
    def change_pct(self) -> float:
        return self.change / abs(self.baseline) if self.baseline else float("nan")


@dataclass(frozen=True)
class TreeBreakdown:
    metric: str
    op: str
    #: "exact" (sum / difference), "lmdi" or "shapley"
    method: str
    baseline: float
    current: float
    terms: tuple[TreeTerm, ...]
    #: change not attributed (0 when the tree holds exactly for the measured values)
    residual: float

    @property
    def change(self) -> float:
        return self.current - self.baseline

    @property
    def top(self) -> TreeTerm | None:
        """The sub-metric that contributed most to the change (in its direction)."""
        if not self.terms:
            return None
        sign = 1.0 if self.change >= 0 else -1.0
        return max(self.terms, key=lambda t: sign * t.contribution)


def _log_mean(a: float, b: float) -> float:
    if a == b:
        return a
    return (a - b) / (math.log(a) - math.log(b))


def lmdi(baseline: Sequence[float], current: Sequence[float], exponents: Sequence[int]) -> list[float]:
    """LMDI-I contributions of factors ``c_k ** e_k`` to the change of their product."""
    m0 = math.prod(b ** e for b, e in zip(baseline, exponents))
    m1 = math.prod(c ** e for c, e in zip(current, exponents))
    weight = _log_mean(m1, m0)
    return [weight * e * math.log(c / b) for b, c, e in zip(baseline, current, exponents)]


def shapley_product(baseline: Sequence[float], current: Sequence[float], exponents: Sequence[int]) -> list[float]:
    """Shapley split of the change of ``prod(c_k ** e_k)``: average over orders of switching
    factors from baseline to current (exact for any signs; n! orders, n is small)."""
    n = len(baseline)
    out = [0.0] * n
    orders = list(itertools.permutations(range(n)))
    for order in orders:
        values = [b ** e if b else 0.0 for b, e in zip(baseline, exponents)]
        for k in order:
            before = math.prod(values)
            values[k] = current[k] ** exponents[k] if current[k] else 0.0
            out[k] += math.prod(values) - before
    return [x / len(orders) for x in out]


def tree_of(model: SemanticModel, metric: str) -> tuple[str, tuple[str, ...], tuple[int, ...]] | None:
    """``(op, children, exponents or signs)`` of the metric's tree (explicit, or its ratio)."""
    for tree in model.metric_trees.values():
        if tree.metric == metric:
            if tree.op in ("sum", "product"):
                signs = (1,) * len(tree.children)
            else:  # difference / ratio: first child positive, the rest subtracted / divided
                signs = (1,) + (-1,) * (len(tree.children) - 1)
            return tree.op, tuple(tree.children), signs
    spec = model.metric(metric)
    if isinstance(spec, RatioMetricSpec):
        return "ratio", (spec.numerator, spec.denominator), (1, -1)
    return None


def tree_metrics(model: SemanticModel, metric: str, depth: int = 3, hidden: frozenset[str] = frozenset()
                 ) -> list[str]:
    """The metric and every sub-metric its tree reaches within ``depth`` levels.

    A step with a ``hidden`` sub-metric is not taken (its parts would not add up to the change
    without it, and the user may not see it): the metric stays a leaf of the tree.
    """
    out = [metric]
    found = tree_of(model, metric) if depth > 0 else None
    if found and any(child in hidden for child in found[1]):
        return out
    for child in found[1] if found else ():
        out += [m for m in tree_metrics(model, child, depth - 1, hidden) if m not in out]
    return out


def decompose_tree(model: SemanticModel, metric: str, baseline: Mapping[str, float],
                   current: Mapping[str, float], depth: int = 3) -> TreeBreakdown | None:
    """Attribute ``metric``'s change to its sub-metrics (recursively, ``depth`` levels)."""
    found = tree_of(model, metric) if depth > 0 else None
    if found is None:
        return None
    op, children, signs = found
    if any(not _finite(baseline.get(c)) or not _finite(current.get(c)) for c in (metric, *children)):
        return None
    b = [float(baseline[c]) for c in children]
    c = [float(current[c]) for c in children]
    m0, m1 = float(baseline[metric]), float(current[metric])
    change = m1 - m0
    log_shares: list[float | None] = [None] * len(children)
    if op in ("sum", "difference"):
        method = "exact"
        parts = [s * (y - x) for s, x, y in zip(signs, b, c)]
    elif all(v > 0 for v in (*b, *c)) and m0 > 0 and m1 > 0:
        method = "lmdi"
        # the product of the children may differ from the metric by a constant (a ratio's scale)
        scale = m0 / math.prod(x ** s for x, s in zip(b, signs))
        parts = lmdi([*b, scale], [*c, scale], [*signs, 1])[:-1]
        total_log = sum(s * math.log(y / x) for s, x, y in zip(signs, b, c))
        log_shares = [s * math.log(y / x) / total_log if total_log else None for s, x, y in zip(signs, b, c)]
    else:
        method = "shapley"
        scale = m0 / math.prod(x ** s for x, s in zip(b, signs)) if all(b) else 1.0
        parts = [p * scale for p in shapley_product(b, c, signs)]
    terms = tuple(
        TreeTerm(metric=child, baseline=x, current=y, contribution=part,
                 share=part / change if change else float("nan"), log_share=ls, sign=s,
                 tree=decompose_tree(model, child, baseline, current, depth - 1))
        for child, x, y, part, ls, s in zip(children, b, c, parts, log_shares, signs))
    return TreeBreakdown(metric, op, method, m0, m1, terms, residual=change - sum(parts))


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)
