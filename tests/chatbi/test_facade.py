"""The ChatBI facade: answers, errors as answers, the sample, thread safety."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import duckdb

from chatbi import Answer, ChatBI
from chatbi.warehouse import DuckDBEngine


def test_query_returns_answer_with_sql_and_data(sample_bi) -> None:
    answer = sample_bi.query(metrics=["revenue"], dimensions=["province"], order_by=["-revenue"], limit=5,
                             filters=[{"dimension": "province", "op": "not_in", "values": ["广东"]}])
    assert isinstance(answer, Answer) and answer.status == "ok"
    assert answer.query.metrics == ("revenue",)
    assert answer.sql.lstrip().upper().startswith("SELECT")
    assert list(answer.data.columns) == ["province", "revenue"]
    assert "广东" not in set(answer.data["province"])
    assert answer.timings["compile_ms"] >= 0 and answer.timings["execute_ms"] > 0


def test_anchor_is_latest_date_and_members_are_indexed(sample_bi) -> None:
    assert sample_bi.anchor == dt.date(2025, 12, 31)
    assert sample_bi.members.values("province") >= {"广东", "浙江", "四川"}
    assert sample_bi.members.label("province", "广东", "en") == "Guangdong"
    assert "Guangdong" in next(m for m in sample_bi.members.members["province"] if m.value == "广东").aliases


def test_errors_are_answers_not_exceptions(sample_bi) -> None:
    unknown = sample_bi.query(metrics=["revnue"])
    assert unknown.status == "error" and "Did you mean 'revenue'?" in unknown.error
    assert unknown.issues[0].code == "unknown_metric"

    bad_shape = sample_bi.query(metrics=["revenue"], time_range=("2025-12-01", "2025-01-01"))
    assert bad_shape.status == "error" and "time_range" in bad_shape.error

    bad_member = sample_bi.query(metrics=["revenue"], filters=[{"dimension": "province", "op": "in", "values": ["广州"]}])
    assert bad_member.status == "error" and bad_member.issues[0].code == "unknown_member"

    no_period = sample_bi.query(metrics=["revenue"], compare="yoy")
    assert no_period.status == "error" and "period" in no_period.error
    # the next question still works
    assert sample_bi.query(metrics=["revenue"]).status == "ok"


def test_engine_failure_is_an_error_answer(tmp_path, sample_model) -> None:
    path = tmp_path / "empty.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE fact_daily (date DATE, revenue DOUBLE)")  # the other tables are missing
    con.close()
    bi = ChatBI(sample_model, path)
    answer = bi.query(metrics=["revenue"], dimensions=["province"])
    assert answer.status == "error" and "does not exist" in answer.error and "Traceback" not in answer.error
    bi.close()


def test_database_forms(sample_db_path, sample_model) -> None:
    for database in (sample_db_path, str(sample_db_path), f"duckdb:///{sample_db_path}", DuckDBEngine(sample_db_path)):
        bi = ChatBI(sample_model, database)
        assert bi.engine.dialect == "duckdb"
        assert bi.query(metrics=["revenue"]).status == "ok"
        bi.close()


def test_concurrent_queries_from_threads(sample_bi) -> None:
    provinces = sorted(sample_bi.members.values("province"))

    def one(province: str) -> float:
        a = sample_bi.query(metrics=["revenue"], filters=[{"dimension": "province", "op": "in", "values": [province]}])
        assert a.status == "ok", a.error
        return float(a.data.iloc[0, 0])

    with ThreadPoolExecutor(max_workers=6) as pool:
        parallel = list(pool.map(one, provinces * 2))
    total = float(sample_bi.query(metrics=["revenue"]).data.iloc[0, 0])
    assert abs(sum(parallel[: len(provinces)]) - total) / total < 1e-9
    # DuckDB sums in parallel, so the last bits of a float sum may differ between runs
    assert all(abs(a - b) <= 1e-9 * abs(a) for a, b in zip(parallel[: len(provinces)], parallel[len(provinces):]))


def test_sample_builds_into_cache_dir(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CHATBI_CACHE_DIR", str(tmp_path))
    bi = ChatBI.sample()
    assert bi.engine.path.parent == tmp_path and bi.engine.path.exists()
    assert bi.query(metrics=["active_subscribers"]).status == "ok"
    bi.close()


def test_member_labels_are_names_not_synonyms(sample_bi) -> None:
    assert sample_bi.members.label("city", "深圳", "en") == "Shenzhen"
    # plan_type has no English label column: its synonyms ("5G套餐") are not labels
    assert sample_bi.members.label("plan_type", "5G", "en") == "5G"
    assert sample_bi.members.label("province", "广东", "zh") == "广东"
    # no label column and not in Latin letters: the first Latin synonym names it
    assert sample_bi.members.label("channel", "线上", "en") == "online"


def test_anchor_skips_an_unreadable_fact_table(tmp_path, sample_model) -> None:
    path = tmp_path / "partial.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE fact_daily AS SELECT DATE '2025-03-31' AS date, 1.0 AS revenue")
    con.close()
    bi = ChatBI(sample_model, path)
    assert bi.anchor == dt.date(2025, 3, 31)  # fact_network_daily is missing: skipped, not fatal
    assert not bi.members.complete  # dim tables are missing: the index will be rebuilt later
    bi.close()
