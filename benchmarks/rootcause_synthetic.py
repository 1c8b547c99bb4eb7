"""Synthetic multi-dimensional root-cause benchmark in the style of the Squeeze / RiskLoc datasets.

Each case is a leaf table (every combination of 4-5 attributes; 36,000 to 48,000 leaves) built
the way RiskLoc's public generator builds its S / L datasets: leaf values drawn from a Weibull
distribution (shape 0.5-1, heavy tailed), 0-25 % of the leaves set to zero, a forecast with a
relative error of 0-25 % (swapped at random between real and forecast so the noise is
symmetric), then 1-3 root-cause combinations at cuboid layer 1-3 whose leaves are scaled by
``1 - r`` with ``r ~ N(severity, deviation)``, severity 0.2-1.0 plus the noise level, deviation
0-0.1; all root causes of a case move in one direction. Ground truth is written as in those
datasets: ``a=a1&b=b2;c=c3``. A "derived" variant injects the anomaly into a rate
(numerator / denominator column pairs).

The scorer runs :func:`chatbi.analysis.localize` on every case and reports precision, recall
and F1 (exact match of combination sets, micro-averaged over cases as in the papers) per
layer x number of root causes, per table shape, per noise band and overall, plus the time
per case: wall clock and the CPU time of the process (the search is single-threaded, so on a
shared machine CPU time is the steadier figure).

Run ``python -m benchmarks.rootcause_synthetic [--cases-per-group N] [--seed S]``; results go
to ``benchmarks/results/rootcause_synthetic.json``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

if __package__ in (None, ""):  # run as a script: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import write_result
from chatbi.analysis import localize

__all__ = ["Case", "generate_case", "cases", "parse_truth", "format_truth", "score", "main"]

#: attribute cardinalities of RiskLoc's "S" (5 attributes) and "L" (4 attributes) datasets
SHAPES: dict[str, tuple[int, ...]] = {"S": (10, 12, 10, 8, 5), "L": (10, 24, 10, 15)}


@dataclass(frozen=True)
class Case:
    name: str
    shape: str
    layer: int
    n_causes: int
    noise: float
    derived: bool
    frame: pd.DataFrame
    truth: str  # "a=a1&b=b2;c=c3"

    @property
    def dimensions(self) -> list[str]:
        return [c for c in self.frame.columns if len(c) == 1]


def format_truth(causes: list[dict[str, str]]) -> str:
    return ";".join("&".join(f"{k}={v}" for k, v in sorted(c.items())) for c in causes)


def parse_truth(text: str) -> set[frozenset[tuple[str, str]]]:
    out: set[frozenset[tuple[str, str]]] = set()
    for part in filter(None, text.split(";")):
        out.add(frozenset(tuple(kv.split("=", 1)) for kv in part.split("&")))  # type: ignore[misc]
    return out


def _leaf_codes(cards: tuple[int, ...]) -> np.ndarray:
    grids = np.meshgrid(*(np.arange(c) for c in cards), indexing="ij")
    return np.column_stack([g.ravel() for g in grids])


def _noisy_pair(rng: np.random.Generator, n: int, alpha: float, zero_rate: float,
                noise: float) -> tuple[np.ndarray, np.ndarray]:
    real = rng.weibull(alpha, n) * 100.0 * (rng.uniform(size=n) > zero_rate)
    predict = real * (1.0 + rng.normal(0.0, noise, n))
    swap = rng.integers(0, 2, n).astype(bool)  # noise on either side
    real, predict = np.where(swap, predict, real), np.where(swap, real, predict)
    return np.clip(real, 0.0, None), np.clip(predict, 0.0, None)


def _causes(rng: np.random.Generator, codes: np.ndarray, cards: tuple[int, ...], layer: int,
            n_causes: int) -> list[tuple[np.ndarray, list[int], list[int]]]:
    hit = np.zeros(len(codes), dtype=bool)
    out: list[tuple[np.ndarray, list[int], list[int]]] = []
    while len(out) < n_causes:
        cols = sorted(int(c) for c in rng.choice(len(cards), size=layer, replace=False))
        values = [int(rng.integers(cards[j])) for j in cols]
        mask = np.all(codes[:, cols] == values, axis=1)
        if (mask & hit).any():  # root causes of one case never share a leaf
            continue
        hit |= mask
        out.append((mask, cols, values))
    return out


def generate_case(rng: np.random.Generator, shape: str, layer: int, n_causes: int,
                  derived: bool = False, name: str = "") -> Case:
    cards = SHAPES[shape]
    dims = [chr(ord("a") + i) for i in range(len(cards))]
    codes = _leaf_codes(cards)
    n = len(codes)
    alpha, zero_rate, noise = rng.uniform(0.5, 1.0), rng.uniform(0.0, 0.25), rng.uniform(0.0, 0.25)
    real, predict = _noisy_pair(rng, n, alpha, zero_rate, noise)
    if derived:  # a rate: numerator = denominator x a per-leaf rate of 1-5 %
        rate = rng.uniform(0.01, 0.05, n)
        real_b, predict_b = real, predict
        real, predict = real_b * rate * np.clip(1.0 + rng.normal(0.0, noise / 2, n), 0.0, None), predict_b * rate
    lower_real = bool(real.sum() <= predict.sum())  # follow the noise's own direction, as RiskLoc does
    causes = []
    for mask, cols, values in _causes(rng, codes, cards, layer, n_causes):
        severity = rng.uniform(0.2, 1.0) + noise
        r = rng.normal(severity, rng.uniform(0.0, 0.1), int(mask.sum()))
        if lower_real:
            real[mask] = np.clip(predict[mask] * (1.0 - r), 0.0, None)
        else:
            predict[mask] = np.clip(real[mask] * (1.0 - r), 0.0, None)
        causes.append({dims[j]: f"{dims[j]}{v + 1}" for j, v in zip(cols, values)})

    frame = pd.DataFrame({d: np.char.add(d, (codes[:, j] + 1).astype(str)) for j, d in enumerate(dims)})
    if derived:
        frame["real_a"], frame["predict_a"] = real, predict
        frame["real_b"], frame["predict_b"] = real_b, predict_b
    else:
        frame["real"], frame["predict"] = real, predict
    return Case(name, shape, layer, n_causes, round(noise, 3), derived, frame, format_truth(causes))


def cases(per_group: int, seed: int) -> Iterator[Case]:
    rng = np.random.default_rng(seed)
    for shape in SHAPES:
        for layer in (1, 2, 3):
            for n_causes in (1, 2, 3):
                for i in range(per_group):
                    yield generate_case(rng, shape, layer, n_causes, name=f"{shape}-L{layer}-N{n_causes}-{i}")
    for i in range(per_group * 3):
        layer, n_causes = 1 + i % 3, 1 + (i // 3) % 3
        yield generate_case(rng, "S", layer, n_causes, derived=True, name=f"derived-L{layer}-N{n_causes}-{i}")


def _run(case: Case) -> tuple[str, float, float]:
    """(predicted root causes, wall seconds, CPU seconds of this process) for one case."""
    start, cpu = time.perf_counter(), time.process_time()
    if case.derived:
        found = localize(case.frame, case.dimensions, actual=("real_a", "real_b"),
                         expected=("predict_a", "predict_b"))
    else:
        found = localize(case.frame, case.dimensions)
    return format_truth(found), time.perf_counter() - start, time.process_time() - cpu


def score(truth: str, predicted: str) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives) by exact combination match."""
    t, p = parse_truth(truth), parse_truth(predicted)
    return len(t & p), len(p - t), len(t - p)


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases-per-group", type=int, default=6)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", default="rootcause_synthetic", help="name of the JSON file in benchmarks/results")
    args = parser.parse_args(argv)

    rows = []
    for case in cases(args.cases_per_group, args.seed):
        predicted, seconds, cpu = _run(case)
        tp, fp, fn = score(case.truth, predicted)
        rows.append({"case": case.name, "shape": case.shape, "leaves": len(case.frame), "layer": case.layer,
                     "n_causes": case.n_causes, "noise": case.noise, "derived": case.derived,
                     "truth": case.truth, "predicted": predicted, "tp": tp, "fp": fp, "fn": fn,
                     "seconds": seconds, "cpu_seconds": cpu})
    df = pd.DataFrame(rows)

    def table(by: list[str]) -> pd.DataFrame:
        g = df.groupby(by)
        out = g[["tp", "fp", "fn"]].sum()
        metrics = pd.DataFrame([_prf(*map(int, r)) for r in out.to_numpy()], index=out.index)
        metrics["cases"] = g.size()
        metrics["mean_s"] = g["seconds"].mean().round(4)
        metrics["max_s"] = g["seconds"].max().round(4)
        metrics["mean_cpu_s"] = g["cpu_seconds"].mean().round(4)
        return metrics

    plain = df[~df["derived"]]
    overall = _prf(int(df.tp.sum()), int(df.fp.sum()), int(df.fn.sum()))
    big = df[df["shape"] == "S"]  # 48,000 leaves, the "50k-leaf" case
    summary = {
        "cases": len(df),
        "overall": overall,
        "additive": _prf(int(plain.tp.sum()), int(plain.fp.sum()), int(plain.fn.sum())),
        "mean_seconds": round(float(df.seconds.mean()), 4),
        "mean_seconds_48k": round(float(big.seconds.mean()), 4),
        "max_seconds_48k": round(float(big.seconds.max()), 4),
        "mean_cpu_seconds_48k": round(float(big.cpu_seconds.mean()), 4),
        "max_cpu_seconds_48k": round(float(big.cpu_seconds.max()), 4),
    }
    by_layer_size = table(["derived", "layer", "n_causes"])
    by_shape = table(["shape", "derived"])
    df["noise_band"] = pd.cut(df["noise"], [0.0, 0.05, 0.15, 0.25], include_lowest=True).astype(str)
    by_noise = table(["noise_band"])
    print("F1 by layer x number of root causes (derived = rate measure):")
    print(by_layer_size.to_string())
    print("\nby table shape:")
    print(by_shape.to_string())
    print("\nby noise level:")
    print(by_noise.to_string())
    print(f"\noverall: {overall}  mean time/case {summary['mean_seconds']:.3f}s, "
          f"48k-leaf cases mean {summary['mean_seconds_48k']:.3f}s max {summary['max_seconds_48k']:.3f}s wall, "
          f"CPU mean {summary['mean_cpu_seconds_48k']:.3f}s max {summary['max_cpu_seconds_48k']:.3f}s")
    result = {"summary": summary,
              "by_layer_size": by_layer_size.reset_index().to_dict(orient="records"),
              "by_shape": by_shape.reset_index().to_dict(orient="records"),
              "by_noise": by_noise.reset_index().to_dict(orient="records"),
              "misses": df[(df.fp > 0) | (df.fn > 0)][["case", "truth", "predicted"]].to_dict(orient="records")}
    write_result(args.out, {"seed": args.seed, "cases_per_group": args.cases_per_group, **result})
    return result


if __name__ == "__main__":
    main()
