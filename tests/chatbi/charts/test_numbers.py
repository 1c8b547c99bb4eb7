"""Golden tests of the number layer (chatbi.charts.numbers): every style, in Chinese and English, for
money, counts, rates, plain numbers and their changes. The expected strings live in
``golden/numbers.yaml``; regenerate with ``CHATBI_UPDATE_GOLDEN=1`` and review the diff like code.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from chatbi.charts.numbers import (
    clean_number,
    format_change,
    format_delta,
    format_exact,
    format_share,
    format_tick,
    format_value,
)

GOLDEN = Path(__file__).parent / "golden" / "numbers.yaml"

#: (case name, value, format, unit): money, counts, rates, per-user figures, tiny and negative numbers
CASES: list[tuple[str, float | None, str, str]] = [
    ("revenue_province", 881_286_345.11, "currency", "CNY"),
    ("revenue_year", 64_215_130_000.0, "currency", "CNY"),
    ("revenue_noise", 2_168_576_190.4700007, "currency", "CNY"),
    ("revenue_drop", -98_719_532.03, "currency", "CNY"),
    ("arpu", 83.4123, "currency", "CNY"),
    ("arpu_thousands", 1196.1434, "currency", "CNY"),
    ("subscribers", 74_294_900.0, "integer", ""),
    ("subscribers_small", 9_999.0, "integer", ""),
    ("expected_count", 4_865.79, "integer", ""),
    ("expected_count_big", 48_657.9, "integer", ""),
    ("churn_rate", 0.017712, "percent", ""),
    ("churn_rate_tiny", 0.00073, "percent", ""),
    ("dou", 12.3456, "number", "GB"),
    ("mou", 45.5, "number", "min"),
    ("availability", 99.52, "number", "%"),
    ("zero", 0.0, "integer", ""),
    ("missing", None, "currency", "CNY"),
]
STYLES = {
    "value": format_value,
    "tick": lambda v, f, u, lang: format_tick(v, f, u, lang) if v is not None else "",
    "delta": format_delta,
    "exact": format_exact,
    "clean": lambda v, f, u, lang: clean_number(v, f),
}
#: relative changes and shares are fractions whatever the metric
FRACTIONS = [("fall", -0.1007), ("rise", 0.2163), ("flat", 0.0), ("share_most", 0.9079), ("share_over", 1.0444)]


def _render() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value, fmt, unit in CASES:
        out[name] = {f"{style}.{lang}": fn(value, fmt, unit, lang)
                     for style, fn in STYLES.items() for lang in ("zh", "en")
                     if not (style == "clean" and lang == "en")}
    for name, fraction in FRACTIONS:
        out[f"fraction_{name}"] = {"change": format_change(fraction), "share": format_share(fraction)}
    return out


def test_golden_number_strings() -> None:
    rendered = _render()
    if os.environ.get("CHATBI_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(yaml.safe_dump(rendered, allow_unicode=True, sort_keys=False), encoding="utf-8")
    golden = yaml.safe_load(GOLDEN.read_text(encoding="utf-8"))
    assert rendered == golden


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_rules_the_golden_file_must_keep(lang: str) -> None:
    """What the golden strings promise, stated once more as rules (a regenerated file cannot drop them)."""
    assert format_value(881_286_345.11, "currency", "CNY", lang) == ("8.81 亿元" if lang == "zh" else "¥881M")
    assert format_value(4_865.79, "integer", "", lang) == "4,866"  # counts are whole
    assert format_delta(-0.00073, "percent", "", lang).endswith("个百分点" if lang == "zh" else "pp")
    assert "e+" not in format_exact(6.421513e10, "number", "", lang)
    assert clean_number(2_168_576_190.4700007, "currency") == 2_168_576_190.47
    assert clean_number(0.1 + 0.2) == 0.3
    for _, value, fmt, unit in CASES:
        shown = format_value(value, fmt, unit, lang)
        assert "e+" not in shown and "nan" not in shown.lower()
        if value is not None and fmt == "integer" and abs(value) < 1e4:
            assert "." not in shown
        if value is not None and fmt == "percent":
            assert shown.endswith("%") and math.isclose(float(shown[:-1]), value * 100, abs_tol=0.005)
