"""Dimension decomposition of a change: member contributions, rate / mix, surprise, drill-down.

All functions work on a *leaf frame*: one row per combination of the candidate dimensions
with the two periods' aggregates, as returned by the database (never raw fact rows).

- additive metrics (sums, counts, semi-additive balances at the period's last day): a member's
  contribution is its own change, so the contributions of any dimension sum exactly to the
  total change;
- ratio metrics ``N / D``: the change of the overall rate splits per member into a *rate
  effect* ``(r1 - r0) * (w0 + w1) / 2`` and a *mix effect* ``(w1 - w0) * (r̄ - R̄)`` with
  ``w`` the member's share of ``D``; both sum exactly to the change of the overall rate.

Next to the raw change each member gets an *expected* value -- its baseline moved by the
change common to most leaves (calendar length, seasonality, a market-wide trend) -- and the
*excess* beyond it. Ranking uses the excess and Adtributor's surprise (Jensen-Shannon
divergence between the expected and the actual share of each member), so a member that
merely followed the market is not blamed for the market.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["LeafFrame", "common_factor", "js_surprise", "breakdown", "adtributor", "drill"]


@dataclass(frozen=True)
class LeafFrame:
    """Leaves of one change analysis.

    additive: columns ``cur`` and ``base``; ratio: ``num_cur``, ``num_base``, ``den_cur``,
    ``den_base`` and ``scale`` (e.g. 10,000 for "per 10k").
    """

    frame: pd.DataFrame
    dimensions: tuple[str, ...]
    kind: str  # "additive" | "ratio"
    scale: float = 1.0

    @property
    def actual(self) -> np.ndarray:
        """The additive quantity whose movement is localized (the numerator for a ratio)."""
        col = "cur" if self.kind == "additive" else "num_cur"
        return self.frame[col].to_numpy(dtype=np.float64)

    @property
    def reference(self) -> np.ndarray:
        """``actual`` had nothing changed: the baseline, or for a ratio the current
        denominator at the leaf's baseline rate (the overall baseline rate for new leaves)."""
        f = self.frame
        if self.kind == "additive":
            return f["base"].to_numpy(dtype=np.float64)
        den_base = f["den_base"].to_numpy(dtype=np.float64)
        num_base = f["num_base"].to_numpy(dtype=np.float64)
        overall = num_base.sum() / den_base.sum() if den_base.sum() else 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(den_base != 0, num_base / den_base, overall)
        return f["den_cur"].to_numpy(dtype=np.float64) * rate

    def value(self, period: str) -> float:
        """The metric over all leaves for ``cur`` or ``base``."""
        f = self.frame
        if self.kind == "additive":
            return float(f[period].sum())
        den = float(f[f"den_{period}"].sum())
        return float(f[f"num_{period}"].sum()) / den * self.scale if den else float("nan")

    def where(self, members: dict[str, str]) -> LeafFrame:
        mask = np.ones(len(self.frame), dtype=bool)
        for dim, value in members.items():
            mask &= (self.frame[dim] == value).to_numpy()
        return LeafFrame(self.frame[mask], self.dimensions, self.kind, self.scale)


def common_factor(actual: np.ndarray, reference: np.ndarray) -> float:
    """The change most leaves share, as a factor on ``reference``.

    The ratio of sums over the leaves whose own ratio lies in the interquartile range: the
    median leaf alone is biased for small counts (ratios of Poisson counts skew upward) and a
    plain ratio of sums is dragged by the anomaly we are looking for.
    """
    ok = (reference > 0) & np.isfinite(actual) & (actual >= 0)
    if ok.sum() < 4:
        total = reference[ok].sum()
        return float(actual[ok].sum() / total) if total else 1.0
    ratio = actual[ok] / reference[ok]
    lo, hi = np.quantile(ratio, [0.25, 0.75])
    mid = (ratio >= lo) & (ratio <= hi)
    total = reference[ok][mid].sum()
    return float(actual[ok][mid].sum() / total) if total else 1.0


def js_surprise(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Adtributor's surprise of each member: its term of the Jensen-Shannon divergence."""
    p = np.clip(np.nan_to_num(p), 0.0, None)
    q = np.clip(np.nan_to_num(q), 0.0, None)
    m = (p + q) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        left = np.where(p > 0, p * np.log(p / m), 0.0)
        right = np.where(q > 0, q * np.log(q / m), 0.0)
    return 0.5 * (left + right)


def _sums(leaves: LeafFrame, dimension: str, columns: Sequence[str],
          extra: dict[str, np.ndarray] | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Members of ``dimension`` and the per-member sums of ``columns`` (numpy group-by)."""
    codes, uniques = pd.factorize(leaves.frame[dimension], sort=False)
    n = len(uniques)
    out = {c: np.bincount(codes, leaves.frame[c].to_numpy(dtype=np.float64), n) for c in columns}
    for name, values in (extra or {}).items():
        out[name] = np.bincount(codes, values, n)
    return np.asarray(uniques, dtype=object), out


def breakdown(leaves: LeafFrame, dimension: str, factor: float) -> pd.DataFrame:
    """Every member of ``dimension`` with its contribution to the change, sorted by |excess|.

    Columns: member, baseline, current, change, share (of the total change), expected,
    excess, excess_share, surprise, and for ratios rate_effect, mix_effect and the member's
    weight (share of the denominator) in each period. For a ratio, baseline / current /
    expected are the member's own rates and change / excess are in units of the overall rate
    (what the member adds to the overall change).
    """
    if leaves.kind == "additive":
        members, g = _sums(leaves, dimension, ["base", "cur"])
        expected = g["base"] * factor
        out: dict[str, np.ndarray] = {"baseline": g["base"], "current": g["cur"], "change": g["cur"] - g["base"],
                                      "expected": expected, "excess": g["cur"] - expected}
        p, q = _norm(expected), _norm(g["cur"])
    else:
        members, g = _sums(leaves, dimension, ["num_base", "num_cur", "den_base", "den_cur"],
                           {"ref": leaves.reference})
        s = leaves.scale
        with np.errstate(divide="ignore", invalid="ignore"):
            r0 = np.where(g["den_base"] != 0, g["num_base"] / g["den_base"], np.nan)
            r1 = np.where(g["den_cur"] != 0, g["num_cur"] / g["den_cur"], np.nan)
        r0, r1 = np.where(np.isnan(r0), r1, r0), np.where(np.isnan(r1), r0, r1)  # new / gone: no rate effect
        w0, w1 = _norm(g["den_base"]), _norm(g["den_cur"])
        big_r0 = _ratio(g["num_base"].sum(), g["den_base"].sum())
        big_r1 = _ratio(g["num_cur"].sum(), g["den_cur"].sum())
        rate = np.nan_to_num((r1 - r0) * (w0 + w1) / 2.0) * s
        # centred on the mean rate: moving weight towards an above-average member raises the total
        mix = np.nan_to_num((w1 - w0) * ((r0 + r1) / 2.0 - (big_r0 + big_r1) / 2.0)) * s
        den_total = g["den_cur"].sum()
        expected_num = g["ref"] * factor
        # excess in units of the overall rate: what the member adds beyond its expected rate
        excess = (g["num_cur"] - expected_num) / den_total * s if den_total else expected_num * np.nan
        with np.errstate(divide="ignore", invalid="ignore"):
            expected = np.where(g["den_cur"] != 0, expected_num / g["den_cur"], np.nan) * s
        out = {"baseline": r0 * s, "current": r1 * s, "change": rate + mix, "rate_effect": rate,
               "mix_effect": mix, "expected": expected, "excess": excess,
               "weight_baseline": w0, "weight_current": w1}
        p, q = _norm(expected_num), _norm(g["num_cur"])
    out["share"] = _share(out["change"])
    out["excess_share"] = _share(out["excess"])
    out["surprise"] = js_surprise(p, q)
    frame = pd.DataFrame({"member": members.astype(str), **out})
    order = np.argsort(-np.abs(np.nan_to_num(out["excess"])), kind="stable")
    return frame.iloc[order].reset_index(drop=True)


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b else 0.0


def _share(values: np.ndarray) -> np.ndarray:
    total = float(np.nansum(values))
    return values / total if total else values * np.nan


def _norm(values: np.ndarray) -> np.ndarray:
    total = float(np.sum(values))
    return values / total if total else values * 0.0


@dataclass(frozen=True)
class Explanatory:
    """A dimension that explains the change (Adtributor) and the members that do."""

    dimension: str
    surprise: float
    members: tuple[str, ...]
    coverage: float


def adtributor(tables: dict[str, pd.DataFrame], *, member_ep: float = 0.1,
               total_ep: float = 0.67) -> list[Explanatory]:
    """Dimensions ranked by the surprise of their explanatory members.

    Per dimension, members are taken in order of surprise while each explains at least
    ``member_ep`` of the excess, until together they explain ``total_ep``; dimensions where
    that never happens do not explain the change.
    """
    out: list[Explanatory] = []
    for dim, table in tables.items():
        chosen: list[str] = []
        surprise = coverage = 0.0
        for row in table.sort_values("surprise", ascending=False).itertuples():
            ep = row.excess_share
            if not np.isfinite(ep) or ep < member_ep:
                continue
            chosen.append(row.member)
            surprise += row.surprise
            coverage += ep
            if coverage >= total_ep:
                out.append(Explanatory(dim, surprise, tuple(chosen), coverage))
                break
    return sorted(out, key=lambda e: -e.surprise)


def drill(leaves: LeafFrame, path: Sequence[tuple[str, str]], child: str, factor: float,
          *, most: float = 0.5, margin: float = 0.1, min_deviation: float = 0.01) -> pd.DataFrame | None:
    """The child member that explains most of its parent's excess, as a one-row breakdown.

    ``path`` is the parent's members (``[("province", "四川")]``); the parent must deviate from
    its expected value by at least ``min_deviation`` (else its excess is noise to split); the
    child must carry at least ``most`` of the parent's excess and ``margin`` more than its
    share of the parent's expected value (so a child that is simply big is not singled out).
    """
    inner = leaves.where(dict(path))
    if inner.frame.empty or inner.frame[child].nunique() < 2:
        return None
    table = breakdown(inner, child, factor)
    if inner.kind == "additive":
        total = float(table["excess"].sum())
        expected = float(table["expected"].sum())
    else:  # excess is in units of the overall rate; compare numerators instead
        total = float((inner.actual - factor * inner.reference).sum())
        expected = float(factor * inner.reference.sum())
    if not total or abs(total) < min_deviation * abs(expected):
        return None
    total = float(table["excess"].sum())
    sizes = table["expected"] * table["weight_current"] if inner.kind == "ratio" else table["expected"]
    weight = float(_norm(np.nan_to_num(sizes.to_numpy()))[0])
    share = float(table["excess"].iloc[0]) / total
    if share >= most and share >= weight + margin:
        return table.iloc[[0]].assign(excess_share=share, expected_share=weight)
    return None
