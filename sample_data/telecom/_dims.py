"""Reference data of the sample telecom warehouse: regions, plans and the small categorical axes.

Everything here is a constant in the exact spelling the semantic model (YAML), the question
sets and the tests rely on; the generator only reads it. Sizes and per-plan economics live next
to the members they describe so that a reader can see at a glance why, say, 广东 is big and the
IoT SIM barely produces any voice minutes.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BANDS",
    "BAND_DROP_OFFSET",
    "BAND_SHARE_END",
    "BAND_SHARE_START",
    "BAND_THROUGHPUT_MBPS",
    "CALLS_PER_MOBILE_SUBSCRIBER_PER_DAY",
    "CHANNELS",
    "CHANNEL_SHARE",
    "CITIES",
    "PLANS",
    "SEGMENTS",
    "SUBSCRIBERS_PER_WEIGHT",
    "VENDORS",
    "VENDOR_DROP_RATE",
    "VENDOR_SHARE",
    "VENDOR_THROUGHPUT",
    "City",
    "Plan",
]


@dataclass(frozen=True)
class City:
    """One row of ``dim_region``; ``weight`` is the city's share of national subscribers."""

    city_id: int
    city: str
    city_en: str
    province: str
    province_en: str
    region: str
    region_en: str
    weight: float


@dataclass(frozen=True)
class Plan:
    """One row of ``dim_plan`` plus the behaviour the generator gives its subscribers.

    Rates are per month as a share of the plan's subscriber base; ``growth`` is the yearly
    log-growth of the base, which fixes the churn rate as ``acquisition - growth / 12`` so that
    5G bases drift up and 4G bases drift down through the recurrence, not by fiat.
    """

    plan_id: int
    plan_name: str
    plan_name_en: str
    plan_type: str
    monthly_fee: float
    mix: float  # share of a city's subscribers on 2024-01-01
    growth: float  # yearly log-growth of the base
    acquisition: float  # new subscribers per month / base
    enterprise_share: float  # share of the base in segment 政企
    gb_per_day: float
    minutes_per_day: float
    complaint_rate: float  # complaints per subscriber per day


# (province, province_en, region, region_en, province weight,
#  ((city, city_en, share of province), ...)) -- the capital comes first and leads the next
# city by >= 10%, well above the per-series noise, so it stays the largest for any seed.
_PROVINCES: tuple[tuple[str, str, str, str, float, tuple[tuple[str, str, float], ...]], ...] = (
    ("江苏", "Jiangsu", "华东", "East China", 0.85,
     (("南京", "Nanjing", 0.40), ("苏州", "Suzhou", 0.35), ("无锡", "Wuxi", 0.25))),
    ("浙江", "Zhejiang", "华东", "East China", 0.70,
     (("杭州", "Hangzhou", 0.42), ("宁波", "Ningbo", 0.32), ("温州", "Wenzhou", 0.26))),
    ("山东", "Shandong", "华东", "East China", 0.80,
     (("济南", "Jinan", 0.40), ("青岛", "Qingdao", 0.35), ("烟台", "Yantai", 0.25))),
    ("广东", "Guangdong", "华南", "South China", 1.00,
     (("广州", "Guangzhou", 0.42), ("深圳", "Shenzhen", 0.37), ("东莞", "Dongguan", 0.21))),
    ("福建", "Fujian", "华南", "South China", 0.45,
     (("福州", "Fuzhou", 0.40), ("厦门", "Xiamen", 0.28), ("泉州", "Quanzhou", 0.32))),
    ("河北", "Hebei", "华北", "North China", 0.55,
     (("石家庄", "Shijiazhuang", 0.40), ("唐山", "Tangshan", 0.31), ("保定", "Baoding", 0.29))),
    ("山西", "Shanxi", "华北", "North China", 0.30,
     (("太原", "Taiyuan", 0.45), ("大同", "Datong", 0.28), ("长治", "Changzhi", 0.27))),
    ("湖北", "Hubei", "华中", "Central China", 0.50,
     (("武汉", "Wuhan", 0.55), ("宜昌", "Yichang", 0.22), ("襄阳", "Xiangyang", 0.23))),
    ("河南", "Henan", "华中", "Central China", 0.70,
     (("郑州", "Zhengzhou", 0.44), ("洛阳", "Luoyang", 0.32), ("开封", "Kaifeng", 0.24))),
    # 成都 carries about half of 四川 so that story (c) -- 成都 x4.5, the rest x1.4 -- adds up
    # to roughly x3 for the province.
    ("四川", "Sichuan", "西南", "Southwest China", 0.60,
     (("成都", "Chengdu", 0.52), ("绵阳", "Mianyang", 0.26), ("宜宾", "Yibin", 0.22))),
    ("云南", "Yunnan", "西南", "Southwest China", 0.35,
     (("昆明", "Kunming", 0.48), ("大理", "Dali", 0.26), ("曲靖", "Qujing", 0.26))),
)


def _cities() -> tuple[City, ...]:
    rows: list[City] = []
    for province, province_en, region, region_en, p_weight, cities in _PROVINCES:
        for city, city_en, share in cities:
            rows.append(City(len(rows) + 1, city, city_en, province, province_en,
                             region, region_en, p_weight * share))
    return tuple(rows)


CITIES: tuple[City, ...] = _cities()

PLANS: tuple[Plan, ...] = (
    Plan(1, "5G畅享套餐", "5G Unlimited", "5G", 128.0, 0.20, 0.25, 0.035, 0.10, 1.10, 8.0, 2.5e-5),
    Plan(2, "5G青春卡", "5G Youth", "5G", 59.0, 0.10, 0.30, 0.040, 0.02, 0.90, 4.0, 2.5e-5),
    Plan(3, "5G商务套餐", "5G Business", "5G", 199.0, 0.05, 0.20, 0.030, 0.70, 0.80, 15.0, 2.5e-5),
    Plan(4, "4G畅聊套餐", "4G Talk", "4G", 58.0, 0.22, -0.25, 0.008, 0.12, 0.20, 12.0, 2.0e-5),
    Plan(5, "4G流量王", "4G Data King", "4G", 38.0, 0.18, -0.30, 0.008, 0.05, 0.55, 3.0, 2.0e-5),
    Plan(6, "千兆宽带", "Gigabit Broadband", "宽带", 99.0, 0.07, 0.20, 0.028, 0.15, 8.0, 0.3, 4.0e-5),
    Plan(7, "百兆宽带", "100M Broadband", "宽带", 49.0, 0.10, -0.10, 0.010, 0.10, 4.0, 0.3, 4.0e-5),
    Plan(8, "物联网卡", "IoT SIM", "物联网", 10.0, 0.08, 0.15, 0.025, 0.85, 0.01, 0.0, 0.5e-5),
)

CHANNELS: tuple[str, ...] = ("线上", "营业厅", "代理商")
CHANNEL_SHARE: tuple[float, ...] = (0.35, 0.40, 0.25)
SEGMENTS: tuple[str, ...] = ("个人", "政企")

VENDORS: tuple[str, ...] = ("厂商A", "厂商B", "厂商C")
VENDOR_SHARE: tuple[float, ...] = (0.45, 0.35, 0.20)
# Base drop probability per vendor; the radio bands add their own offset in the generator.
VENDOR_DROP_RATE: tuple[float, ...] = (0.0045, 0.0052, 0.0060)
VENDOR_THROUGHPUT: tuple[float, ...] = (1.05, 1.00, 0.93)

BANDS: tuple[str, ...] = ("n78", "n41", "LTE1800")
BAND_DROP_OFFSET: tuple[float, ...] = (0.0004, 0.0, -0.0006)
BAND_THROUGHPUT_MBPS: tuple[float, ...] = (520.0, 380.0, 65.0)
# Share of call attempts per band at the start and the end of the two years: traffic migrates
# from LTE to the 5G bands along with the subscribers.
BAND_SHARE_START: tuple[float, ...] = (0.40, 0.20, 0.40)
BAND_SHARE_END: tuple[float, ...] = (0.50, 0.25, 0.25)

# Subscribers represented by a province weight of 1.0 (广东 has about ten million).
SUBSCRIBERS_PER_WEIGHT: float = 10_000_000.0
CALLS_PER_MOBILE_SUBSCRIBER_PER_DAY: float = 3.0
