"""Analysis: anomaly detection, root cause along dimension and metric trees, correlation.

Facade methods (``ChatBI.detect_anomalies``, ``ChatBI.explain_change``, ``ChatBI.correlate``)
delegate here; every number comes from aggregate SQL compiled by the semantic layer.

- :func:`detect_anomalies` -> :class:`AnomalyResult` (seasonal baseline + robust z-scores)
- :func:`explain_change` -> :class:`RootCauseReport` (dimension contributions, rate / mix,
  Adtributor ranking with hierarchy drill-down, multi-dimensional combination search,
  metric-tree LMDI / exact split, zh / en summary, waterfall figure)
- :func:`correlate` -> :class:`CorrelationResult` (Spearman with lags)
- :func:`localize` for leaf tables in the format of the multi-dimensional RCA literature
"""

from __future__ import annotations

from .correlation import CorrelationResult, correlate, lagged_correlations, spearman
from .decompose import LeafFrame, adtributor, breakdown, common_factor, js_surprise
from .detect import AnomalyResult, detect_anomalies
from .explain import explain_change
from .localize import localize, localize_elements
from .metric_tree import TreeBreakdown, TreeTerm, decompose_tree, lmdi, shapley_product
from .periods import parse_period, period_label, resolve_baseline
from .report import Combination, Contributor, DimensionBreakdown, RootCauseReport
from .search import Element, LeafTable, search

__all__ = [
    "AnomalyResult",
    "Combination",
    "Contributor",
    "CorrelationResult",
    "DimensionBreakdown",
    "Element",
    "LeafFrame",
    "LeafTable",
    "RootCauseReport",
    "TreeBreakdown",
    "TreeTerm",
    "adtributor",
    "breakdown",
    "common_factor",
    "correlate",
    "decompose_tree",
    "detect_anomalies",
    "explain_change",
    "js_surprise",
    "lagged_correlations",
    "lmdi",
    "localize",
    "localize_elements",
    "parse_period",
    "period_label",
    "resolve_baseline",
    "search",
    "shapley_product",
    "spearman",
]
