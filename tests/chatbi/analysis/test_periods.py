"""Period strings, default baselines and period names."""

from __future__ import annotations

import datetime as dt

import pytest

from chatbi.analysis import parse_period, period_label, resolve_baseline
from chatbi.errors import ConfigError

D = dt.date


@pytest.mark.parametrize(("text", "period"), [
    ("2025-11", (D(2025, 11, 1), D(2025, 11, 30))),
    ("2025年6月", (D(2025, 6, 1), D(2025, 6, 30))),
    ("2025-Q3", (D(2025, 7, 1), D(2025, 9, 30))),
    ("2025H1", (D(2025, 1, 1), D(2025, 6, 30))),
    ("2024", (D(2024, 1, 1), D(2024, 12, 31))),
    ("2025-08-10..2025-08-20", (D(2025, 8, 10), D(2025, 8, 20))),
    (("2025-08-10", "2025-08-20"), (D(2025, 8, 10), D(2025, 8, 20))),
    ("2024-02", (D(2024, 2, 1), D(2024, 2, 29))),
])
def test_parse_period(text: object, period: tuple[dt.date, dt.date]) -> None:
    assert parse_period(text) == period  # type: ignore[arg-type]


def test_baselines() -> None:
    nov = parse_period("2025-11")
    assert resolve_baseline(None, nov) == (D(2025, 10, 1), D(2025, 10, 31))
    assert resolve_baseline("yoy", nov) == (D(2024, 11, 1), D(2024, 11, 30))
    assert resolve_baseline("2025-09", nov) == (D(2025, 9, 1), D(2025, 9, 30))
    assert resolve_baseline(None, parse_period("2025-08-10..2025-08-20")) == (D(2025, 7, 30), D(2025, 8, 9))


def test_labels() -> None:
    assert period_label(parse_period("2025-11"), "zh") == "2025年11月"
    assert period_label(parse_period("2025-11"), "en") == "November 2025"
    assert period_label(parse_period("2025-Q3"), "zh") == "2025年第3季度"
    assert period_label(parse_period("2025-08-10..2025-08-20"), "en") == "2025-08-10 to 2025-08-20"


@pytest.mark.parametrize("bad", ["2025-13", "last spring", ("2025-12-01", "2025-11-01"), ("2025-01-01",)])
def test_bad_periods_are_clear_errors(bad: object) -> None:
    with pytest.raises(ConfigError):
        parse_period(bad)  # type: ignore[arg-type]
