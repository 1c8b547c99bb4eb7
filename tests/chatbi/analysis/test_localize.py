"""Leaf-level localization on small synthetic tables with known root causes."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from chatbi.analysis import LeafTable, localize, localize_elements, search
from chatbi.errors import ConfigError


def _leaves(cards: dict[str, int], seed: int = 0, noise: float = 0.03) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = list(itertools.product(*[[f"{d}{i + 1}" for i in range(n)] for d, n in cards.items()]))
    frame = pd.DataFrame(rows, columns=list(cards))
    frame["predict"] = rng.lognormal(4.0, 1.0, len(frame))
    frame["real"] = frame["predict"] * (1.0 + rng.normal(0.0, noise, len(frame)))
    return frame


def _inject(frame: pd.DataFrame, where: dict[str, str], factor: float, column: str = "real") -> None:
    mask = np.logical_and.reduce([frame[d] == v for d, v in where.items()])
    frame.loc[mask, column] *= factor


CARDS = {"a": 6, "b": 8, "c": 5, "d": 4}


def _as_set(found: list[dict[str, str]]) -> set[frozenset[tuple[str, str]]]:
    return {frozenset(f.items()) for f in found}


@pytest.mark.parametrize("where", [{"b": "b3"}, {"a": "a2", "c": "c4"}, {"a": "a1", "b": "b7", "d": "d2"}])
def test_single_cause_each_layer(where: dict[str, str]) -> None:
    frame = _leaves(CARDS, seed=len(where))
    _inject(frame, where, 0.4)
    assert localize(frame, list(CARDS)) == [where]


def test_two_causes_in_opposite_directions() -> None:
    frame = _leaves(CARDS, seed=5)
    _inject(frame, {"a": "a3"}, 1.8)
    _inject(frame, {"b": "b2", "c": "c1"}, 0.3)
    assert _as_set(localize(frame, list(CARDS))) == _as_set([{"a": "a3"}, {"b": "b2", "c": "c1"}])


def test_no_anomaly_finds_nothing() -> None:
    assert localize(_leaves(CARDS, seed=9), list(CARDS)) == []


def test_parent_is_not_blamed_for_its_child() -> None:
    # a layer-2 cause: its layer-1 parents are diluted and must not be reported
    frame = _leaves(CARDS, seed=11)
    _inject(frame, {"a": "a4", "b": "b5"}, 0.2)
    found = localize(frame, list(CARDS))
    assert found == [{"a": "a4", "b": "b5"}]


def test_derived_measure_by_numerator_denominator_pairs() -> None:
    rng = np.random.default_rng(3)
    frame = _leaves(CARDS, seed=3).rename(columns={"predict": "predict_b", "real": "real_b"})
    rate = rng.uniform(0.01, 0.05, len(frame))
    frame["predict_a"] = frame["predict_b"] * rate
    frame["real_a"] = frame["real_b"] * rate * (1.0 + rng.normal(0.0, 0.01, len(frame)))
    _inject(frame, {"c": "c2", "d": "d3"}, 3.0, column="real_a")   # the rate triples there
    _inject(frame, {"a": "a5"}, 0.5, column="real_b")              # traffic halves ...
    _inject(frame, {"a": "a5"}, 0.5, column="real_a")              # ... and the rate holds
    found = localize(frame, list(CARDS), actual=("real_a", "real_b"), expected=("predict_a", "predict_b"))
    assert found == [{"c": "c2", "d": "d3"}]


def test_elements_carry_totals_and_respect_max_results() -> None:
    frame = _leaves(CARDS, seed=2)
    _inject(frame, {"a": "a1"}, 0.5)
    _inject(frame, {"a": "a2"}, 1.6)
    _inject(frame, {"b": "b8", "c": "c5"}, 0.1)
    elements = localize_elements(frame, list(CARDS), max_results=2)
    assert len(elements) == 2
    top = elements[0]
    mask = frame["a"] == top.as_dict()["a"]
    assert top.actual == pytest.approx(frame.loc[mask, "real"].sum())
    assert top.expected == pytest.approx(frame.loc[mask, "predict"].sum())
    assert top.explained > 0.75 and top.z > 6


def test_hierarchy_groups_are_never_combined() -> None:
    # "region" is a function of "city": a combination of both would say the same thing twice
    frame = _leaves({"city": 6, "plan": 5}, seed=4)
    frame["region"] = frame["city"].map({f"city{i}": f"r{(i - 1) // 3}" for i in range(1, 7)})
    _inject(frame, {"city": "city2"}, 0.3)
    table = LeafTable.from_columns([frame[c] for c in ("region", "city", "plan")], ["region", "city", "plan"],
                                   groups=["geo", "geo", "plan"])
    found = search(table, frame["real"].to_numpy(), frame["predict"].to_numpy())
    assert [e.as_dict() for e in found] == [{"city": "city2"}]


def test_bad_columns_are_clear_errors() -> None:
    frame = _leaves(CARDS)
    with pytest.raises(ConfigError, match="not in the frame"):
        localize(frame, ["a", "zz"])
    with pytest.raises(ConfigError, match="actual"):
        localize(frame, ["a"], actual="nope")
    with pytest.raises(ConfigError, match="both"):
        localize(frame, ["a"], actual=("real", "predict"), expected="predict")
