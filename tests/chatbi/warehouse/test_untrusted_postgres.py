"""PostgreSQL runs SQL a person or a model wrote behind security-barrier views and a cost check."""

from __future__ import annotations

import pytest

from chatbi.errors import EngineError, QueryTooCostly
from chatbi.warehouse import SQLAlchemyEngine
from chatbi.warehouse.base import UntrustedSQLEngine

pytestmark = pytest.mark.postgres

VIEW = ("SELECT f.city_id, f.date, f.revenue FROM fact_daily AS f LEFT JOIN dim_region AS r "
        "ON f.city_id = r.city_id WHERE r.province IN ('广东')")
#: errors on any 四川 row -- a leak when it fires
ORACLE = "SELECT COUNT(*) AS n FROM {src} AS f WHERE CASE WHEN f.city_id IN ({ids}) THEN ln(-1 - f.revenue) > 0 ELSE true END"


@pytest.fixture(scope="module")
def engine(small_postgres_url: str):
    engine = SQLAlchemyEngine(small_postgres_url, timeout_s=30)
    yield engine
    engine.close()


def test_a_plain_subquery_leaks_and_a_barrier_view_does_not(engine: SQLAlchemyEngine) -> None:
    """The reason for the barrier: PostgreSQL flattens a subquery and may test the user's condition first."""
    assert isinstance(engine, UntrustedSQLEngine) and engine.policy_views_first
    ids = ", ".join(str(i) for i in engine.execute("SELECT city_id FROM dim_region WHERE province = '四川'")["city_id"])
    with pytest.raises(EngineError, match="logarithm of a negative number"):
        engine.execute(ORACLE.format(src=f"({VIEW})", ids=ids))
    guarded = engine.execute_untrusted(ORACLE.format(src="chatbi_v_fact_daily", ids=ids),
                                       {"chatbi_v_fact_daily": VIEW})
    expected = engine.execute(f"SELECT COUNT(*) AS n FROM ({VIEW}) AS v")
    assert int(guarded.iloc[0, 0]) == int(expected.iloc[0, 0]) > 0


def test_the_views_end_with_the_statement(engine: SQLAlchemyEngine) -> None:
    engine.execute_untrusted("SELECT COUNT(*) FROM chatbi_v_fact_daily", {"chatbi_v_fact_daily": VIEW})
    with pytest.raises(EngineError, match="no such table"):
        engine.execute("SELECT COUNT(*) FROM chatbi_v_fact_daily")


@pytest.mark.parametrize("sql", [
    "SELECT COUNT(*) FROM fact_daily a, fact_daily b",
    "SELECT COUNT(*) FROM fact_daily a JOIN fact_daily b ON a.revenue < b.revenue",
    "SELECT COUNT(*) FROM fact_daily a JOIN fact_daily b ON a.city_id = b.city_id",
])
def test_products_of_large_tables_are_refused_before_running(engine: SQLAlchemyEngine, sql: str) -> None:
    with pytest.raises(QueryTooCostly, match="fact_daily"):
        engine.execute_untrusted(sql)


def test_joins_on_keys_run(engine: SQLAlchemyEngine) -> None:
    frame = engine.execute_untrusted("SELECT COUNT(*) AS n FROM fact_daily a JOIN dim_region b ON a.city_id = b.city_id")
    assert int(frame.iloc[0, 0]) > 0
    assert int(engine.execute_untrusted("SELECT COUNT(*) AS n FROM dim_region a, dim_plan b").iloc[0, 0]) == 33 * 8


def test_other_databases_refuse_views(tmp_path) -> None:
    engine = SQLAlchemyEngine(f"sqlite:///{tmp_path / 'x.sqlite'}")
    try:
        assert not engine.policy_views_first
        with pytest.raises(EngineError, match="cannot guarantee"):
            engine.execute_untrusted("SELECT 1", {"v": "SELECT 1"})
    finally:
        engine.close()
