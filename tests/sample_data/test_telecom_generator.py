"""The sample telecom warehouse, checked with real SQL against the DuckDB file it writes.

The expected dimension members below are spelled out independently of the generator's own
tables on purpose: the semantic model and the question sets depend on these exact strings.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pytest

from sample_data.telecom import STORIES, Story, build_warehouse
from sample_data.telecom._stories import story_multiplier

DAYS = 731
FACT_DAILY_ROWS = DAYS * 33 * 8 * 3 * 2
NETWORK_ROWS = DAYS * 33 * 3 * 3

EXPECTED_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "dim_region": [("city_id", "INTEGER"), ("city", "VARCHAR"), ("city_en", "VARCHAR"),
                   ("province", "VARCHAR"), ("province_en", "VARCHAR"), ("region", "VARCHAR"),
                   ("region_en", "VARCHAR")],
    "dim_plan": [("plan_id", "INTEGER"), ("plan_name", "VARCHAR"), ("plan_name_en", "VARCHAR"),
                 ("plan_type", "VARCHAR"), ("monthly_fee", "DOUBLE")],
    "fact_daily": [("date", "DATE"), ("city_id", "INTEGER"), ("plan_id", "INTEGER"),
                   ("channel", "VARCHAR"), ("segment", "VARCHAR"),
                   ("active_subscribers", "BIGINT"), ("new_subscribers", "INTEGER"),
                   ("churned_subscribers", "INTEGER"), ("revenue", "DOUBLE"),
                   ("data_traffic_gb", "DOUBLE"), ("voice_minutes", "DOUBLE"),
                   ("complaints", "INTEGER")],
    "fact_network_daily": [("date", "DATE"), ("city_id", "INTEGER"), ("vendor", "VARCHAR"),
                           ("band", "VARCHAR"), ("call_attempts", "BIGINT"),
                           ("dropped_calls", "INTEGER"), ("dl_throughput_mbps", "DOUBLE"),
                           ("availability_pct", "DOUBLE")],
}

_REGIONS = (
    ("华东", "East China", (
        ("江苏", "Jiangsu", (("南京", "Nanjing"), ("苏州", "Suzhou"), ("无锡", "Wuxi"))),
        ("浙江", "Zhejiang", (("杭州", "Hangzhou"), ("宁波", "Ningbo"), ("温州", "Wenzhou"))),
        ("山东", "Shandong", (("济南", "Jinan"), ("青岛", "Qingdao"), ("烟台", "Yantai"))))),
    ("华南", "South China", (
        ("广东", "Guangdong", (("广州", "Guangzhou"), ("深圳", "Shenzhen"), ("东莞", "Dongguan"))),
        ("福建", "Fujian", (("福州", "Fuzhou"), ("厦门", "Xiamen"), ("泉州", "Quanzhou"))))),
    ("华北", "North China", (
        ("河北", "Hebei", (("石家庄", "Shijiazhuang"), ("唐山", "Tangshan"), ("保定", "Baoding"))),
        ("山西", "Shanxi", (("太原", "Taiyuan"), ("大同", "Datong"), ("长治", "Changzhi"))))),
    ("华中", "Central China", (
        ("湖北", "Hubei", (("武汉", "Wuhan"), ("宜昌", "Yichang"), ("襄阳", "Xiangyang"))),
        ("河南", "Henan", (("郑州", "Zhengzhou"), ("洛阳", "Luoyang"), ("开封", "Kaifeng"))))),
    ("西南", "Southwest China", (
        ("四川", "Sichuan", (("成都", "Chengdu"), ("绵阳", "Mianyang"), ("宜宾", "Yibin"))),
        ("云南", "Yunnan", (("昆明", "Kunming"), ("大理", "Dali"), ("曲靖", "Qujing"))))),
)
EXPECTED_REGION_ROWS = [
    (i + 1, *row) for i, row in enumerate(
        (city, city_en, province, province_en, region, region_en)
        for region, region_en, provinces in _REGIONS
        for province, province_en, cities in provinces
        for city, city_en in cities)
]
EXPECTED_PLAN_ROWS = [
    (1, "5G畅享套餐", "5G Unlimited", "5G", 128.0),
    (2, "5G青春卡", "5G Youth", "5G", 59.0),
    (3, "5G商务套餐", "5G Business", "5G", 199.0),
    (4, "4G畅聊套餐", "4G Talk", "4G", 58.0),
    (5, "4G流量王", "4G Data King", "4G", 38.0),
    (6, "千兆宽带", "Gigabit Broadband", "宽带", 99.0),
    (7, "百兆宽带", "100M Broadband", "宽带", 49.0),
    (8, "物联网卡", "IoT SIM", "物联网", 10.0),
]


def _checksums(path: Path) -> dict[str, str]:
    """md5 over the sorted per-row md5s of each table: order-independent, bit-exact."""
    with duckdb.connect(str(path), read_only=True) as con:
        return {
            table: con.execute(
                f"SELECT md5(string_agg(h, '' ORDER BY h)) "
                f"FROM (SELECT md5(CAST({table} AS VARCHAR)) AS h FROM {table})").fetchone()[0]
            for table in EXPECTED_COLUMNS
        }


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_warehouse(tmp_path_factory.mktemp("telecom") / "telecom.duckdb")


@pytest.fixture(scope="session")
def con(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(warehouse), read_only=True)
    yield connection
    connection.close()


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> float:
    return con.execute(sql).fetchone()[0]


# --- schema and members ---------------------------------------------------------------------

def test_tables_and_column_types_are_exactly_the_contract(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "ORDER BY table_name, ordinal_position").fetchall()
    actual: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        actual.setdefault(table, []).append((column, data_type))
    assert actual == EXPECTED_COLUMNS


def test_dimension_primary_keys(con: duckdb.DuckDBPyConnection) -> None:
    keys = con.execute(
        "SELECT table_name, constraint_column_names FROM duckdb_constraints() "
        "WHERE constraint_type = 'PRIMARY KEY' ORDER BY table_name").fetchall()
    assert keys == [("dim_plan", ["plan_id"]), ("dim_region", ["city_id"])]


@pytest.mark.parametrize(("table", "rows"), [
    ("dim_region", 33), ("dim_plan", 8), ("fact_daily", FACT_DAILY_ROWS),
    ("fact_network_daily", NETWORK_ROWS)])
def test_row_counts(con: duckdb.DuckDBPyConnection, table: str, rows: int) -> None:
    assert _one(con, f"SELECT count(*) FROM {table}") == rows


def test_dim_region_rows(con: duckdb.DuckDBPyConnection) -> None:
    assert con.execute("SELECT * FROM dim_region ORDER BY city_id").fetchall() == \
        EXPECTED_REGION_ROWS
    assert _one(con, "SELECT count(DISTINCT province) FROM dim_region") == 11
    assert _one(con, "SELECT count(DISTINCT region) FROM dim_region") == 5


def test_dim_plan_rows(con: duckdb.DuckDBPyConnection) -> None:
    assert con.execute("SELECT * FROM dim_plan ORDER BY plan_id").fetchall() == \
        EXPECTED_PLAN_ROWS


def test_fact_daily_grain_is_complete_and_unique(con: duckdb.DuckDBPyConnection) -> None:
    row = con.execute("""
        SELECT count(DISTINCT (date, city_id, plan_id, channel, segment)), min(date), max(date),
               count(DISTINCT date), list(DISTINCT channel ORDER BY channel),
               list(DISTINCT segment ORDER BY segment)
        FROM fact_daily""").fetchone()
    assert row == (FACT_DAILY_ROWS, dt.date(2024, 1, 1), dt.date(2025, 12, 31), DAYS,
                   sorted(["线上", "营业厅", "代理商"]), sorted(["个人", "政企"]))
    assert _one(con, "SELECT count(*) FROM fact_daily f ANTI JOIN dim_region USING (city_id)") == 0
    assert _one(con, "SELECT count(*) FROM fact_daily f ANTI JOIN dim_plan USING (plan_id)") == 0


def test_network_grain_is_complete_and_unique(con: duckdb.DuckDBPyConnection) -> None:
    row = con.execute("""
        SELECT count(DISTINCT (date, city_id, vendor, band)), count(DISTINCT date),
               count(DISTINCT city_id), list(DISTINCT vendor ORDER BY vendor),
               list(DISTINCT band ORDER BY band)
        FROM fact_network_daily""").fetchone()
    assert row == (NETWORK_ROWS, DAYS, 33, sorted(["厂商A", "厂商B", "厂商C"]),
                   sorted(["n78", "n41", "LTE1800"]))


def test_no_nulls(con: duckdb.DuckDBPyConnection) -> None:
    for table, columns in EXPECTED_COLUMNS.items():
        nulls = " + ".join(f"count(*) FILTER (WHERE {c} IS NULL)" for c, _ in columns)
        assert _one(con, f"SELECT {nulls} FROM {table}") == 0, table


# --- subscriber accounting ------------------------------------------------------------------

def test_active_follows_new_minus_churned(con: duckdb.DuckDBPyConnection) -> None:
    violations = _one(con, """
        SELECT count(*) FROM (
            SELECT date, active_subscribers, new_subscribers, churned_subscribers,
                   lag(active_subscribers) OVER (
                       PARTITION BY city_id, plan_id, channel, segment ORDER BY date) AS prev
            FROM fact_daily)
        WHERE prev IS NOT NULL
          AND active_subscribers <> prev + new_subscribers - churned_subscribers""")
    assert violations == 0


def test_counts_are_non_negative(con: duckdb.DuckDBPyConnection) -> None:
    assert _one(con, """
        SELECT count(*) FROM fact_daily
        WHERE active_subscribers < 0 OR new_subscribers < 0 OR churned_subscribers < 0
           OR complaints < 0 OR revenue < 0 OR data_traffic_gb < 0 OR voice_minutes < 0""") == 0


def test_measures_are_rounded_to_cents(con: duckdb.DuckDBPyConnection) -> None:
    assert _one(con, """
        SELECT count(*) FROM fact_daily
        WHERE revenue <> round(revenue, 2) OR data_traffic_gb <> round(data_traffic_gb, 2)
           OR voice_minutes <> round(voice_minutes, 2)""") == 0


def test_5g_grows_and_4g_declines(con: duckdb.DuckDBPyConnection) -> None:
    rows = dict(con.execute("""
        SELECT p.plan_type || '@' || strftime(f.date, '%Y-%m-%d'), sum(f.active_subscribers)
        FROM fact_daily f JOIN dim_plan p USING (plan_id)
        WHERE f.date IN (DATE '2024-01-01', DATE '2025-12-31') AND p.plan_type IN ('5G', '4G')
        GROUP BY ALL""").fetchall())
    assert rows["5G@2025-12-31"] > 1.3 * rows["5G@2024-01-01"]
    assert rows["4G@2025-12-31"] < 0.8 * rows["4G@2024-01-01"]


def test_monthly_arpu_is_near_the_plan_fee(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute("""
        SELECT p.plan_id, p.monthly_fee,
               sum(f.revenue) / (sum(f.active_subscribers) / count(DISTINCT f.date)) AS arpu
        FROM fact_daily f JOIN dim_plan p USING (plan_id)
        WHERE f.date BETWEEN DATE '2024-04-01' AND DATE '2024-04-30'
        GROUP BY ALL ORDER BY plan_id""").fetchall()
    for plan_id, fee, arpu in rows:
        assert arpu == pytest.approx(fee, rel=0.03), plan_id


# --- realism --------------------------------------------------------------------------------

def test_province_and_city_sizes_differ(con: duckdb.DuckDBPyConnection) -> None:
    sizes = dict(con.execute("""
        SELECT r.province, sum(f.active_subscribers) FROM fact_daily f JOIN dim_region r
        USING (city_id) WHERE f.date = DATE '2025-06-30' GROUP BY ALL""").fetchall())
    biggest = sorted(sizes, key=sizes.__getitem__, reverse=True)
    assert set(biggest[:3]) == {"广东", "江苏", "山东"}
    assert set(biggest[-2:]) == {"山西", "云南"}
    # The first city of each province in dim_region is its capital and the largest.
    not_capital_first = _one(con, """
        WITH s AS (
            SELECT r.province, r.city_id, sum(f.active_subscribers) AS subs
            FROM fact_daily f JOIN dim_region r USING (city_id)
            WHERE f.date = DATE '2025-06-30' GROUP BY ALL)
        SELECT count(*) FROM (
            SELECT province, arg_max(city_id, subs) AS largest, min(city_id) AS capital
            FROM s GROUP BY province) WHERE largest <> capital""")
    assert not_capital_first == 0


def test_weekly_seasonality(con: duckdb.DuckDBPyConnection) -> None:
    new_ratio, voice_ratio, traffic_ratio = con.execute("""
        SELECT avg(n) FILTER (WHERE weekend) / avg(n) FILTER (WHERE NOT weekend),
               avg(v) FILTER (WHERE weekend) / avg(v) FILTER (WHERE NOT weekend),
               avg(t) FILTER (WHERE weekend) / avg(t) FILTER (WHERE NOT weekend)
        FROM (SELECT date, isodow(date) >= 6 AS weekend, sum(new_subscribers) AS n,
                     sum(voice_minutes) AS v, sum(data_traffic_gb) AS t
              FROM fact_daily WHERE date BETWEEN DATE '2024-04-01' AND DATE '2024-09-30'
              GROUP BY ALL)""").fetchone()
    assert new_ratio > 1.2
    assert voice_ratio < 0.9
    assert traffic_ratio > 1.1


@pytest.mark.parametrize("festival", [dt.date(2024, 2, 10), dt.date(2025, 1, 29)])
def test_spring_festival_dip(con: duckdb.DuckDBPyConnection, festival: dt.date) -> None:
    new_ratio, voice_ratio = con.execute("""
        SELECT avg(n) FILTER (WHERE near) / avg(n) FILTER (WHERE NOT near),
               avg(v) FILTER (WHERE near) / avg(v) FILTER (WHERE NOT near)
        FROM (SELECT date, abs(date - $festival) <= 3 AS near, sum(new_subscribers) AS n,
                     sum(voice_minutes) AS v
              FROM fact_daily
              WHERE abs(date - $festival) <= 3 OR abs(date - $festival) BETWEEN 14 AND 27
              GROUP BY ALL)""", {"festival": festival}).fetchone()
    assert new_ratio < 0.7
    assert voice_ratio < 0.85


def test_network_kpis_are_plausible(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute("""
        SELECT vendor, band, sum(dropped_calls) / sum(call_attempts) AS drop_rate
        FROM fact_network_daily
        WHERE NOT (city_id IN (4, 5, 6) AND vendor = '厂商B' AND band = 'n78'
                   AND date BETWEEN DATE '2025-08-10' AND DATE '2025-08-20')
        GROUP BY ALL""").fetchall()
    for vendor, band, drop_rate in rows:
        assert 0.003 <= drop_rate <= 0.008, (vendor, band)
    throughput = dict(con.execute(
        "SELECT band, avg(dl_throughput_mbps) FROM fact_network_daily GROUP BY band").fetchall())
    assert throughput["n78"] > throughput["n41"] > throughput["LTE1800"]
    low, high = con.execute(
        "SELECT min(availability_pct), max(availability_pct) FROM fact_network_daily").fetchone()
    assert 99.0 <= low < high <= 99.99
    assert _one(con, "SELECT count(*) FROM fact_network_daily "
                     "WHERE dropped_calls > call_attempts OR dropped_calls < 0") == 0


# --- the documented stories -----------------------------------------------------------------

def _ratio(con: duckdb.DuckDBPyConnection, table: str, value: str, where: str,
           window: tuple[str, str], baseline: tuple[str, str]) -> float:
    """Daily-average ``value`` inside ``window`` over the daily average inside ``baseline``
    (``window`` days excluded), for rows matching ``where``; joins give province/plan_type."""
    joins = "JOIN dim_region r USING (city_id)"
    if table == "fact_daily":
        joins += " JOIN dim_plan p USING (plan_id)"
    return _one(con, f"""
        SELECT avg(v) FILTER (WHERE inside) / avg(v) FILTER (WHERE NOT inside)
        FROM (SELECT date, date BETWEEN DATE '{window[0]}' AND DATE '{window[1]}' AS inside,
                     {value} AS v
              FROM {table} {joins}
              WHERE {where} AND date BETWEEN DATE '{baseline[0]}' AND DATE '{baseline[1]}'
              GROUP BY date)""")


def test_story_a_guangdong_5g_online_revenue_drop(con: duckdb.DuckDBPyConnection) -> None:
    def ratio(where: str) -> float:
        return _ratio(con, "fact_daily", "sum(revenue)", where,
                      ("2025-11-01", "2025-11-30"), ("2025-09-01", "2025-11-30"))

    assert 0.6 <= ratio("r.province = '广东' AND p.plan_type = '5G' AND channel = '线上'") <= 0.7
    assert 0.9 <= ratio("r.province = '广东' AND p.plan_type = '5G' AND channel = '营业厅'") <= 1.15
    assert 0.9 <= ratio("r.province = '福建' AND p.plan_type = '5G' AND channel = '线上'") <= 1.15
    assert 0.9 <= ratio("r.province = '广东' AND p.plan_type = '4G' AND channel = '线上'") <= 1.15


def test_story_b_zhejiang_vendor_b_n78_drops(con: duckdb.DuckDBPyConnection) -> None:
    def ratio(where: str) -> float:
        return _ratio(con, "fact_network_daily", "sum(dropped_calls) / sum(call_attempts)",
                      where, ("2025-08-10", "2025-08-20"), ("2025-07-20", "2025-09-10"))

    assert 3.5 <= ratio("r.province = '浙江' AND vendor = '厂商B' AND band = 'n78'") <= 4.5
    assert 0.85 <= ratio("r.province = '浙江' AND vendor = '厂商A' AND band = 'n78'") <= 1.15
    assert 0.85 <= ratio("r.province = '浙江' AND vendor = '厂商B' AND band = 'n41'") <= 1.15
    assert 0.85 <= ratio("r.province = '江苏' AND vendor = '厂商B' AND band = 'n78'") <= 1.15


def test_story_c_sichuan_complaints_mostly_chengdu(con: duckdb.DuckDBPyConnection) -> None:
    def ratio(where: str) -> float:
        return _ratio(con, "fact_daily", "sum(complaints)", where,
                      ("2025-10-01", "2025-10-31"), ("2025-09-01", "2025-11-30"))

    assert 2.6 <= ratio("r.province = '四川'") <= 3.4
    assert 4.0 <= ratio("r.city = '成都'") <= 5.0
    assert 1.2 <= ratio("r.city IN ('绵阳', '宜宾')") <= 1.6
    assert 0.85 <= ratio("r.province = '云南'") <= 1.15


def test_story_d_jiangsu_agent_new_subscribers(con: duckdb.DuckDBPyConnection) -> None:
    def ratio(where: str) -> float:
        return _ratio(con, "fact_daily", "sum(new_subscribers)", where,
                      ("2025-06-01", "2025-06-30"), ("2025-05-01", "2025-07-31"))

    assert 1.6 <= ratio("r.province = '江苏' AND channel = '代理商'") <= 2.0
    assert 0.85 <= ratio("r.province = '江苏' AND channel = '营业厅'") <= 1.15
    assert 0.85 <= ratio("r.province = '浙江' AND channel = '代理商'") <= 1.15


def test_stories_are_documented_as_data() -> None:
    assert [s.key for s in STORIES] == ["a", "b", "c", "d"]
    by_key = {s.key: s for s in STORIES}
    assert (by_key["a"].table, by_key["a"].measure, by_key["a"].filters()) == (
        "fact_daily", "revenue",
        {"province": ("广东",), "plan_type": ("5G",), "channel": ("线上",)})
    assert (by_key["b"].start, by_key["b"].end) == (dt.date(2025, 8, 10), dt.date(2025, 8, 20))
    assert dict(by_key["c"].city_factors) == {"成都": 4.5}
    assert by_key["d"].factor == pytest.approx(1.8)
    for story in STORIES:
        assert story.description and story.description_en


def test_a_story_naming_an_unknown_member_is_rejected() -> None:
    typo = Story(key="x", name="typo", table="fact_daily", measure="revenue",
                 start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 2),
                 where=(("province", ("广州省",)),), factor=2.0, description="-",
                 description_en="-")
    dates = np.arange(np.datetime64("2025-01-01"), np.datetime64("2025-01-05"))
    axes = {"province": (1, np.array(["广东", "浙江"], dtype=object))}
    with pytest.raises(ValueError, match="广州省"):
        story_multiplier("fact_daily", "revenue", dates, axes, 2, (typo,))


# --- determinism, atomic replacement, command line ------------------------------------------

def test_same_seed_gives_identical_tables_and_replaces_atomically(
        warehouse: Path, tmp_path: Path) -> None:
    target = tmp_path / "again.duckdb"
    target.write_bytes(b"not a database")  # must be replaced, not appended to
    assert build_warehouse(target) == target
    assert _checksums(target) == _checksums(warehouse)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again.duckdb"]


def test_command_line_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sample_data.telecom.generate", "--help"],
        capture_output=True, text=True, check=True, timeout=60)
    assert "--seed" in result.stdout
    assert "Warning" not in result.stderr
