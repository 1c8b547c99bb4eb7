"""Numbers, dates and labels per language."""

from __future__ import annotations

import datetime as dt
import itertools

import pandas as pd
import pytest

from chatbi.charts import format_bucket, format_change, format_period, format_value
from chatbi.charts.formatting import (
    axis_title,
    column_format,
    format_tick,
    is_additive_metric,
    iso_bucket,
    member_label,
    nice_ticks,
)


@pytest.mark.parametrize(("value", "fmt", "unit", "lang", "expected"), [
    (321_000_000, "currency", "CNY", "en", "¥321M"),
    (321_000_000, "currency", "CNY", "zh", "3.21 亿元"),
    (20_709_430_000, "currency", "CNY", "en", "¥20.7B"),
    (20_709_430_000, "currency", "CNY", "zh", "207.09 亿元"),
    (-98_719_530, "currency", "CNY", "en", "-¥98.7M"),
    (-98_719_530, "currency", "CNY", "zh", "-9,871.95 万元"),
    (1196.1434, "currency", "CNY", "en", "¥1,196.14"),
    (1196.1434, "currency", "CNY", "zh", "1,196.14 元"),
    (0.0123, "percent", "", "en", "1.23%"),
    (0.0123, "percent", "", "zh", "1.23%"),
    (0.72690, "percent", "", "en", "72.69%"),
    (45_678, "integer", "", "en", "45.7K"),
    (45_678, "integer", "", "zh", "4.57 万"),
    (1_964_600, "integer", "", "en", "1.96M"),
    (9_999, "integer", "", "en", "9,999"),
    (12, "integer", "", "zh", "12"),
    (1308.0, "number", "GB", "en", "1,308 GB"),
    (2.3567, "number", "GB", "en", "2.36 GB"),
    (123_456_789, "number", "GB", "zh", "1.23 亿GB"),
    (45.5, "number", "min", "zh", "45.50 分钟"),
    (99.52, "number", "%", "en", "99.52%"),
    (1_500_000_000_000, "number", "", "en", "1.50T"),
    (0.004567, "number", "", "en", "0.00457"),
    (0, "integer", "", "en", "0"),
])
def test_format_value(value, fmt, unit, lang, expected):
    assert format_value(value, fmt, unit, lang) == expected


@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA, pd.NaT])
def test_missing_values_read_as_a_dash(missing):
    assert format_value(missing, "currency", "CNY", "en") == "—"
    assert format_change(missing) == "—"


def test_language_codes_are_normalised():
    assert format_value(3e8, "currency", "CNY", "zh-CN") == "3.00 亿元"
    assert format_value(3e8, "currency", "CNY", "en-US") == "¥300M"
    assert format_value(3e8, "currency", "USD", "en") == "$300M"


def test_ticks_trim_zeros_and_leave_units_to_the_title():
    assert format_tick(2e9, "currency", "CNY", "en") == "¥2B"
    assert format_tick(2e9, "currency", "CNY", "zh") == "20亿"
    assert format_tick(0.25, "percent", "", "en") == "25%"
    assert format_tick(50_000, "integer", "", "zh") == "5万"
    assert axis_title("收入", "currency", "CNY", "zh") == "收入（元）"
    assert axis_title("Revenue", "currency", "CNY", "en") == "Revenue (¥)"
    assert axis_title("Churn rate", "percent", "", "en") == "Churn rate (%)"
    assert axis_title("New subscribers", "integer", "", "en") == "New subscribers"


def test_change_has_a_sign():
    assert format_change(-0.184) == "-18.4%"
    assert format_change(0.1256) == "+12.6%"
    assert format_change(0) == "+0.0%"


@pytest.mark.parametrize(("grain", "short_en", "short_zh", "en", "zh", "iso"), [
    ("day", "2025-11-03", "2025-11-03", "2025-11-03", "2025年11月3日", "2025-11-03"),
    ("week", "2025-W45", "2025-W45", "2025-W45", "2025年第45周", "2025-W45"),
    ("month", "Nov 2025", "2025年11月", "Nov 2025", "2025年11月", "2025-11"),
    ("quarter", "2025 Q4", "2025 Q4", "2025 Q4", "2025年第4季度", "2025-Q4"),
    ("year", "2025", "2025", "2025", "2025年", "2025"),
])
def test_buckets_by_grain(grain, short_en, short_zh, en, zh, iso):
    value = pd.Timestamp("2025-11-03")
    assert format_bucket(value, grain, "en") == short_en
    assert format_bucket(value, grain, "zh") == short_zh
    assert iso_bucket(value, grain) == iso
    assert format_bucket(value, grain, "en", long=True) == en
    assert format_bucket(value, grain, "zh", long=True) == zh


def test_iso_week_of_a_week_starting_in_the_previous_year():
    assert format_bucket(dt.date(2024, 12, 30), "week", "en") == "2025-W01"


@pytest.mark.parametrize(("start", "end", "en", "zh"), [
    ("2025-11-01", "2025-11-30", "Nov 2025", "2025年11月"),
    ("2025-07-01", "2025-09-30", "2025 Q3", "2025年第3季度"),
    ("2025-01-01", "2025-12-31", "2025", "2025年"),
    ("2025-01-01", "2025-06-30", "Jan 2025 to Jun 2025", "2025年1月至2025年6月"),
    ("2025-03-05", "2025-03-19", "2025-03-05 to 2025-03-19", "2025-03-05至2025-03-19"),
    ("2025-12-31", "2025-12-31", "2025-12-31", "2025年12月31日"),
])
def test_periods_in_words(start, end, en, zh):
    a, b = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    assert format_period(a, b, "en") == en
    assert format_period(a, b, "zh") == zh


def test_nice_ticks_cover_the_range_with_round_steps():
    ticks = nice_ticks(0, 20_709_430_000)
    steps = {round(b - a, 3) for a, b in itertools.pairwise(ticks)}
    assert steps == {5e9}
    assert ticks[0] == 0 and ticks[-1] <= 20_709_430_000 < ticks[-1] + 5e9
    assert nice_ticks(0.29, 0.73)[0] <= 0.29
    assert nice_ticks(5, 5)  # a flat series still gets ticks


def test_member_labels_in_english_come_from_the_warehouse(sample_bi):
    members = sample_bi.members
    assert member_label(members, "province", "广东", "en") == "Guangdong"
    assert member_label(members, "province", "广东", "zh") == "广东"
    assert member_label(members, "channel", "线上", "en") == "online"
    # the first alias of 宽带 is English, of 5G it is Chinese (5G套餐): the value itself is kept
    assert member_label(members, "plan_type", "宽带", "en") == "broadband"
    assert member_label(members, "plan_type", "5G", "en") == "5G"
    assert member_label(None, "province", "广东", "en") == "广东"


def test_column_formats_follow_compiler_suffixes(sample_model):
    assert column_format(sample_model, "revenue") == ("currency", "CNY")
    assert column_format(sample_model, "revenue__previous") == ("currency", "CNY")
    assert column_format(sample_model, "revenue__change_pct") == ("percent", "")
    assert column_format(sample_model, "revenue__share") == ("percent", "")
    assert column_format(sample_model, "churn_rate") == ("percent", "")


def test_additivity(sample_model):
    assert is_additive_metric(sample_model, "revenue")
    assert is_additive_metric(sample_model, "active_subscribers")  # semi-additive: sums across members
    assert is_additive_metric(sample_model, "net_adds")  # new - churned
    assert not is_additive_metric(sample_model, "arpu")
    assert not is_additive_metric(sample_model, "avg_active_subscribers")
    assert not is_additive_metric(sample_model, "dl_throughput_mbps")
    assert not is_additive_metric(None, "revenue")
