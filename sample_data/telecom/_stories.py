"""The documented anomalies ("stories") planted in the sample telecom warehouse.

Each story is a multiplier on one measure of one table, confined to a date window and to an
exact combination of dimension members; everything outside it is generated normally. Keeping
them as data lets the tests, the docs and the demo questions ("为什么11月广东的收入下降了？")
point at the same definition instead of repeating magic numbers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

__all__ = ["STORIES", "Story", "story_multiplier"]


@dataclass(frozen=True)
class Story:
    """A multiplier on ``table.measure`` for rows inside ``start..end`` matching ``where``.

    ``where`` pairs a dimension attribute (``province``, ``city``, ``plan_type``, ``channel``,
    ``segment``, ``vendor``, ``band``) with the members it keeps; pairs are AND-ed, members OR-ed.
    ``city_factors`` overrides ``factor`` for particular cities, which is how a province-level
    story can be concentrated in one city.
    """

    key: str
    name: str
    table: str
    measure: str
    start: dt.date
    end: dt.date
    where: tuple[tuple[str, tuple[str, ...]], ...]
    factor: float
    description: str
    description_en: str
    city_factors: tuple[tuple[str, float], ...] = ()

    def filters(self) -> dict[str, tuple[str, ...]]:
        """``where`` as a dict, e.g. ``{"province": ("广东",), "channel": ("线上",)}``."""
        return dict(self.where)


STORIES: tuple[Story, ...] = (
    Story(
        key="a",
        name="guangdong_5g_online_revenue_drop",
        table="fact_daily",
        measure="revenue",
        start=dt.date(2025, 11, 1),
        end=dt.date(2025, 11, 30),
        where=(("province", ("广东",)), ("plan_type", ("5G",)), ("channel", ("线上",))),
        factor=0.65,
        description="2025年11月，广东5G套餐（线上渠道）收入比正常水平低约35%，营业厅和代理商渠道正常。",
        description_en=(
            "November 2025: revenue of 5G plans sold through the online channel in Guangdong "
            "is about 35% below normal; shops and agents are unaffected."
        ),
    ),
    Story(
        key="b",
        name="zhejiang_vendor_b_n78_dropped_calls",
        table="fact_network_daily",
        measure="dropped_calls",
        start=dt.date(2025, 8, 10),
        end=dt.date(2025, 8, 20),
        where=(("province", ("浙江",)), ("vendor", ("厂商B",)), ("band", ("n78",))),
        factor=4.0,
        description="2025年8月10日至20日，浙江厂商B的n78频段掉话数约为正常的4倍。",
        description_en=(
            "10-20 August 2025: dropped calls on vendor B's n78 band in Zhejiang are about "
            "four times normal."
        ),
    ),
    Story(
        key="c",
        name="sichuan_complaints_spike",
        table="fact_daily",
        measure="complaints",
        start=dt.date(2025, 10, 1),
        end=dt.date(2025, 10, 31),
        where=(("province", ("四川",)),),
        factor=1.4,
        city_factors=(("成都", 4.5),),
        description="2025年10月，四川投诉量约为正常的3倍，主要集中在成都（约4.5倍），绵阳、宜宾小幅上升。",
        description_en=(
            "October 2025: complaints in Sichuan are about three times normal, mostly in "
            "Chengdu (about 4.5x); Mianyang and Yibin rise slightly (1.4x)."
        ),
    ),
    Story(
        key="d",
        name="jiangsu_agent_new_subscribers_boost",
        table="fact_daily",
        measure="new_subscribers",
        start=dt.date(2025, 6, 1),
        end=dt.date(2025, 6, 30),
        where=(("province", ("江苏",)), ("channel", ("代理商",))),
        factor=1.8,
        description="2025年6月，江苏代理商渠道新增用户比正常水平高约80%（随后计入在网用户）。",
        description_en=(
            "June 2025: new subscribers through agents in Jiangsu are about 80% above normal "
            "(and therefore lift the active base afterwards)."
        ),
    ),
)


def story_multiplier(
    table: str,
    measure: str,
    dates: np.ndarray,
    axes: Mapping[str, tuple[int, np.ndarray]],
    ndim: int,
    stories: tuple[Story, ...] = STORIES,
) -> np.ndarray | None:
    """Multiplier for ``table.measure`` broadcastable to the generator's array, or ``None``.

    ``dates`` (``datetime64[D]``) runs along axis 0; ``axes`` maps each attribute a story may
    filter on to ``(axis, member per position on that axis)``. Returning ``None`` when nothing
    applies lets the caller skip a full-size multiply. Unknown attributes or members raise:
    a typo would otherwise plant a story that silently matches nothing.
    """
    result: np.ndarray | None = None
    for story in stories:
        if story.table != table or story.measure != measure:
            continue
        mask = _along(0, (dates >= np.datetime64(story.start))
                      & (dates <= np.datetime64(story.end)), ndim)
        for attribute, members in story.where:
            axis, values = _axis(axes, attribute, story)
            _check_members(values, members, attribute, story)
            mask = mask & _along(axis, np.isin(values, members), ndim)
        factor: np.ndarray | float = story.factor
        if story.city_factors:
            axis, cities = _axis(axes, "city", story)
            per_city = np.full(len(cities), story.factor)
            for city, city_factor in story.city_factors:
                _check_members(cities, (city,), "city", story)
                per_city[cities == city] = city_factor
            factor = _along(axis, per_city, ndim)
        applied = np.where(mask, factor, 1.0)
        result = applied if result is None else result * applied
    return result


def _axis(axes: Mapping[str, tuple[int, np.ndarray]], attribute: str,
          story: Story) -> tuple[int, np.ndarray]:
    if attribute not in axes:
        raise ValueError(f"story {story.key!r}: {story.table} has no attribute {attribute!r}; "
                         f"expected one of {sorted(axes)}")
    return axes[attribute]


def _check_members(values: np.ndarray, members: tuple[str, ...], attribute: str,
                   story: Story) -> None:
    missing = sorted(set(members) - set(values.tolist()))
    if missing:
        raise ValueError(f"story {story.key!r}: unknown {attribute} member(s) {missing}")


def _along(axis: int, values: np.ndarray, ndim: int) -> np.ndarray:
    """Reshape a 1-D array so it broadcasts along ``axis`` of an ``ndim`` array."""
    shape = [1] * ndim
    shape[axis] = len(values)
    return values.reshape(shape)
