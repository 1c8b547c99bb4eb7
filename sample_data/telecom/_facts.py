"""Vectorised generation of the two fact tables as pandas frames.

Every measure is computed on a dense numpy array whose axes are the table's grain (date first),
so a whole table is a handful of array expressions and one ``ravel``: no Python loop ever runs
per row. Random draws happen in a fixed order from one ``Generator``, which is what makes the
warehouse reproducible for a given seed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from sample_data.telecom import _dims as d
from sample_data.telecom._stories import STORIES, Story, story_multiplier

__all__ = ["END_DATE", "SPRING_FESTIVALS", "START_DATE", "STORY_MEASURES", "calendar",
           "check_stories", "fact_daily", "fact_network_daily"]

START_DATE = dt.date(2024, 1, 1)
END_DATE = dt.date(2025, 12, 31)
# Lunar new year's day; the dip spans a week either side.
SPRING_FESTIVALS: tuple[dt.date, ...] = (dt.date(2024, 2, 10), dt.date(2025, 1, 29))
_FESTIVAL_HALF_WIDTH_DAYS = 8.0  # cosine bump reaches ~0 just after +-7 days
_DAYS_PER_MONTH = 30.4
_DAYS_PER_YEAR = 365.25
# Measures a story may scale. active_subscribers is absent on purpose: it is the running sum of
# new - churned, so a story moves it through those; availability has no meaningful "x factor".
STORY_MEASURES: dict[str, frozenset[str]] = {
    "fact_daily": frozenset({"new_subscribers", "churned_subscribers", "revenue",
                             "data_traffic_gb", "voice_minutes", "complaints"}),
    "fact_network_daily": frozenset({"call_attempts", "dropped_calls", "dl_throughput_mbps"}),
}


def check_stories(stories: tuple[Story, ...]) -> None:
    """Reject stories on a table or measure the generator cannot scale (they would be no-ops)."""
    for story in stories:
        if story.measure not in STORY_MEASURES.get(story.table, frozenset()):
            raise ValueError(f"story {story.key!r}: cannot scale {story.table}.{story.measure}; "
                             f"supported: {sorted(STORY_MEASURES.get(story.table, ()))}")


def calendar() -> np.ndarray:
    """All dates of the warehouse as ``datetime64[D]`` (731 days)."""
    return np.arange(np.datetime64(START_DATE), np.datetime64(END_DATE) + 1, dtype="datetime64[D]")


def _weekly(dates: np.ndarray, weekend: float) -> np.ndarray:
    """Weekday/weekend factor normalised to a weekly mean of 1, so it reshapes, not inflates."""
    # 1970-01-01 was a Thursday: shift so Monday is 0.
    is_weekend = ((dates.astype(np.int64) + 3) % 7) >= 5
    weekday = (7.0 - 2.0 * weekend) / 5.0
    return np.where(is_weekend, weekend, weekday)


def _festival(dates: np.ndarray) -> np.ndarray:
    """0..1 closeness to a Spring Festival: 1 on the day, ~0 beyond a week away."""
    closeness = np.zeros(len(dates))
    for festival in SPRING_FESTIVALS:
        delta = (dates - np.datetime64(festival)).astype(np.float64)
        bump = 0.5 * (1.0 + np.cos(np.pi * delta / _FESTIVAL_HALF_WIDTH_DAYS))
        closeness = np.maximum(closeness, np.where(np.abs(delta) < _FESTIVAL_HALF_WIDTH_DAYS,
                                                   bump, 0.0))
    return closeness


def _years(dates: np.ndarray) -> np.ndarray:
    return (dates - np.datetime64(START_DATE)).astype(np.float64) / _DAYS_PER_YEAR


def _col(values: Sequence[float] | np.ndarray, axis: int, ndim: int) -> np.ndarray:
    """A per-member constant shaped to broadcast along ``axis``."""
    shape = [1] * ndim
    shape[axis] = len(values)
    return np.asarray(values, dtype=np.float64).reshape(shape)


def _grid(shape: tuple[int, ...], axis: int) -> np.ndarray:
    """Position along ``axis`` for every cell, flattened in C order (the table's row order)."""
    along = np.arange(shape[axis], dtype=np.int32).reshape(
        [shape[axis] if i == axis else 1 for i in range(len(shape))])
    return np.broadcast_to(along, shape).ravel()


def _city_axes(axis: int) -> dict[str, tuple[int, np.ndarray]]:
    return {
        "city": (axis, np.array([c.city for c in d.CITIES], dtype=object)),
        "province": (axis, np.array([c.province for c in d.CITIES], dtype=object)),
        "region": (axis, np.array([c.region for c in d.CITIES], dtype=object)),
    }


def _apply(values: np.ndarray, table: str, measure: str, dates: np.ndarray,
           axes: dict[str, tuple[int, np.ndarray]], stories: tuple[Story, ...]) -> np.ndarray:
    factor = story_multiplier(table, measure, dates, axes, values.ndim, stories)
    return values if factor is None else values * factor


def fact_daily(rng: np.random.Generator, dates: np.ndarray,
               stories: tuple[Story, ...] = STORIES) -> tuple[pd.DataFrame, np.ndarray]:
    """Rows of ``fact_daily`` and the expected mobile subscribers per (date, city).

    Axes are (date, city, plan, channel, segment). Each series starts from a base and drifts
    along an expected path ``base * exp(growth * t)``; new and churned subscribers are Poisson
    around that path (churn = acquisition - growth), and ``active`` is their running sum, so the
    recurrence active(d) = active(d-1) + new(d) - churned(d) holds exactly.
    """
    shape = (len(dates), len(d.CITIES), len(d.PLANS), len(d.CHANNELS), len(d.SEGMENTS))
    ndim = len(shape)
    plan = {name: _col([getattr(p, name) for p in d.PLANS], 2, ndim)
            for name in ("mix", "growth", "acquisition", "enterprise_share", "monthly_fee",
                         "gb_per_day", "minutes_per_day", "complaint_rate")}
    years = _col(_years(dates), 0, ndim)
    festival = _col(_festival(dates), 0, ndim)

    # Series bases: city size x plan mix x channel x segment, with per-series texture so that
    # no two cities have exactly the same mix.
    segment_share = np.concatenate([1.0 - plan["enterprise_share"], plan["enterprise_share"]],
                                   axis=4)
    base = (_col([c.weight for c in d.CITIES], 1, ndim) * d.SUBSCRIBERS_PER_WEIGHT
            * plan["mix"] * _col(d.CHANNEL_SHARE, 3, ndim) * segment_share
            * rng.lognormal(0.0, 0.15, shape[1:]))
    growth = plan["growth"] + rng.normal(0.0, 0.03, (1, shape[1], shape[2], 1, 1))
    expected = base * np.exp(growth * years)
    acquisition = plan["acquisition"] / _DAYS_PER_MONTH
    churn = acquisition - growth / _DAYS_PER_YEAR
    if churn.min() <= 0:
        raise RuntimeError("plan parameters give a non-positive churn rate")

    axes = {**_city_axes(1),
            "plan_type": (2, np.array([p.plan_type for p in d.PLANS], dtype=object)),
            "plan_name": (2, np.array([p.plan_name for p in d.PLANS], dtype=object)),
            "channel": (3, np.array(d.CHANNELS, dtype=object)),
            "segment": (4, np.array(d.SEGMENTS, dtype=object))}
    market_noise = _col(rng.lognormal(0.0, 0.04, len(dates)), 0, ndim)
    new_lam = (expected * acquisition * market_noise * (1.0 - 0.55 * festival)
               * _col(_weekly(dates, 1.25), 0, ndim))
    new_lam = _apply(new_lam, "fact_daily", "new_subscribers", dates, axes, stories)
    churn_lam = _apply(expected * churn * (1.0 - 0.2 * festival), "fact_daily",
                       "churned_subscribers", dates, axes, stories)
    new = rng.poisson(new_lam).astype(np.int64)
    churned = rng.poisson(churn_lam).astype(np.int64)
    active = np.rint(base).astype(np.int64) + np.cumsum(new - churned, axis=0)
    if active.min() < 0:
        raise RuntimeError("a subscriber series went negative; raise its base")

    revenue = (active * plan["monthly_fee"] / 30.0) * rng.normal(1.0, 0.02, shape)
    revenue = _apply(revenue, "fact_daily", "revenue", dates, axes, stories)
    traffic = (active * plan["gb_per_day"] * (1.0 + 0.12 * years) * (1.0 + 0.06 * festival)
               * _col(_weekly(dates, 1.12), 0, ndim) * rng.lognormal(0.0, 0.03, shape))
    traffic = _apply(traffic, "fact_daily", "data_traffic_gb", dates, axes, stories)
    voice = (active * plan["minutes_per_day"] * (1.0 - 0.05 * years) * (1.0 - 0.3 * festival)
             * _col(_weekly(dates, 0.82), 0, ndim) * rng.lognormal(0.0, 0.03, shape))
    voice = _apply(voice, "fact_daily", "voice_minutes", dates, axes, stories)
    complaint_lam = _apply(active * plan["complaint_rate"], "fact_daily", "complaints",
                           dates, axes, stories)
    complaints = rng.poisson(complaint_lam)

    frame = pd.DataFrame({
        "day": _grid(shape, 0),
        "city_id": _grid(shape, 1) + 1,
        "plan_id": _grid(shape, 2) + 1,
        "channel": pd.Categorical.from_codes(_grid(shape, 3), categories=list(d.CHANNELS)),
        "segment": pd.Categorical.from_codes(_grid(shape, 4), categories=list(d.SEGMENTS)),
        "active_subscribers": active.ravel(),
        "new_subscribers": new.ravel().astype(np.int32),
        "churned_subscribers": churned.ravel().astype(np.int32),
        "revenue": np.round(revenue, 2).ravel(),
        "data_traffic_gb": np.round(traffic, 2).ravel(),
        "voice_minutes": np.round(voice, 2).ravel(),
        "complaints": complaints.ravel().astype(np.int32),
    })
    mobile = np.asarray([p.plan_type in ("5G", "4G") for p in d.PLANS])
    mobile_subscribers = expected[:, :, mobile].sum(axis=(2, 3, 4))
    return frame, mobile_subscribers


def fact_network_daily(rng: np.random.Generator, dates: np.ndarray,
                       mobile_subscribers: np.ndarray,
                       stories: tuple[Story, ...] = STORIES) -> pd.DataFrame:
    """Rows of ``fact_network_daily``; axes are (date, city, vendor, band).

    Call attempts follow the city's mobile subscribers (so they share the festival dip and the
    migration to 5G bands); drops are binomial on a per-vendor/band probability that stays in
    roughly 0.3-0.8% unless a story says otherwise.
    """
    shape = (len(dates), len(d.CITIES), len(d.VENDORS), len(d.BANDS))
    ndim = len(shape)
    years = _col(_years(dates), 0, ndim)
    festival = _col(_festival(dates), 0, ndim)
    progress = years / years.max()
    band_share = ((1.0 - progress) * _col(d.BAND_SHARE_START, 3, ndim)
                  + progress * _col(d.BAND_SHARE_END, 3, ndim))
    vendor_mix = _col(d.VENDOR_SHARE, 2, ndim) * rng.lognormal(0.0, 0.2, (1, shape[1], shape[2], 1))
    vendor_mix = vendor_mix / vendor_mix.sum(axis=2, keepdims=True)

    attempts = (mobile_subscribers[:, :, None, None] * d.CALLS_PER_MOBILE_SUBSCRIBER_PER_DAY
                * band_share * vendor_mix * (1.0 - 0.3 * festival)
                * _col(_weekly(dates, 0.88), 0, ndim) * rng.lognormal(0.0, 0.03, shape))
    axes = {**_city_axes(1),
            "vendor": (2, np.array(d.VENDORS, dtype=object)),
            "band": (3, np.array(d.BANDS, dtype=object))}
    attempts = np.rint(_apply(attempts, "fact_network_daily", "call_attempts", dates, axes,
                              stories)).astype(np.int64)
    drop_rate = ((_col(d.VENDOR_DROP_RATE, 2, ndim) + _col(d.BAND_DROP_OFFSET, 3, ndim))
                 * rng.lognormal(0.0, 0.08, shape[1:]) * rng.lognormal(0.0, 0.08, shape))
    drop_rate = np.clip(drop_rate, 0.003, 0.008)
    drop_rate = np.clip(_apply(drop_rate, "fact_network_daily", "dropped_calls", dates, axes,
                               stories), 0.0, 1.0)
    dropped = rng.binomial(attempts, drop_rate)

    throughput = (_col(d.VENDOR_THROUGHPUT, 2, ndim) * _col(d.BAND_THROUGHPUT_MBPS, 3, ndim)
                  * rng.lognormal(0.0, 0.06, shape[1:]) * (1.0 + 0.08 * years)
                  * _col(_weekly(dates, 1.04), 0, ndim) * rng.lognormal(0.0, 0.04, shape))
    throughput = _apply(throughput, "fact_network_daily", "dl_throughput_mbps", dates, axes,
                        stories)
    availability = np.clip(np.round(99.99 - rng.exponential(0.05, shape), 2), 99.0, 99.99)

    return pd.DataFrame({
        "day": _grid(shape, 0),
        "city_id": _grid(shape, 1) + 1,
        "vendor": pd.Categorical.from_codes(_grid(shape, 2), categories=list(d.VENDORS)),
        "band": pd.Categorical.from_codes(_grid(shape, 3), categories=list(d.BANDS)),
        "call_attempts": attempts.ravel(),
        "dropped_calls": dropped.ravel().astype(np.int32),
        "dl_throughput_mbps": np.round(throughput, 2).ravel(),
        "availability_pct": availability.ravel(),
    })
