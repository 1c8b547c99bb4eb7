"""Which engine a database argument names: decided at construction, refused forms say what to write.

No server is needed: constructing an engine never connects.
"""

from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path

import pandas as pd
import pytest

from chatbi import ChatBI
from chatbi.errors import ConfigError
from chatbi.warehouse import DuckDBEngine, SparkConnectEngine, SQLAlchemyEngine, connect
from chatbi.warehouse.frames import normalize_frame
from chatbi.warehouse.urls import resolve

SUPPORTED = "supported: a DuckDB file (or duckdb:///path), sc://host:15002 (Spark Connect), postgresql://"


@pytest.mark.parametrize(("url", "expected"), [
    ("sc://spark.example.com", "sc://spark.example.com:15002"),
    ("sc://10.0.0.5:15003", "sc://10.0.0.5:15003"),
    ("spark://10.0.0.5:15002", "sc://10.0.0.5:15002"),
    ("spark+connect://h", "sc://h:15002"),
    ("sparkconnect://h:443/;use_ssl=true;token=abc", "sc://h:443/;use_ssl=true;token=abc"),
])
def test_spark_connect_urls_and_their_aliases(url: str, expected: str) -> None:
    target = resolve(url)
    assert (target.kind, target.location, target.dialect) == ("spark", expected, "spark")
    engine = connect(url)
    assert isinstance(engine, SparkConnectEngine) and engine.dialect == "spark"
    engine.close()  # never connected: nothing to release


def test_a_database_parameter_selects_the_spark_database_and_is_not_sent_as_a_header() -> None:
    engine = SparkConnectEngine("sc://h:15002/;token=secret;database=telecom")
    assert engine.database == "telecom"
    assert engine.client_url == "sc://h:15002/;token=secret"
    assert "secret" not in repr(engine)


@pytest.mark.parametrize(("url", "says"), [
    ("postgres://me:pw@db.example.com/dw", "write postgresql://me:***@db.example.com/dw"),
    ("postgres+psycopg://me@db/dw", "write postgresql+psycopg://me@db/dw"),
    ("hive://h:10000/default", "HiveServer2 / Thrift is not supported; ChatBI runs Spark SQL through Spark Connect"),
    ("thrift://h:10000", "write sc://host:15002"),
    ("jdbc:hive2://h:10000/default", "JDBC URLs are not supported"),
    ("databricks://token:dapi123@adb-1.azuredatabricks.net", "sc://<workspace-host>:443/;use_ssl=true;token=<token>"),
    ("presto://h:8080/hive", "Presto is not supported; Trino is: trino://"),
    ("redshift+psycopg2://u@h:5439/dev", "Amazon Redshift is not supported"),
    ("awsathena+rest://h", "Amazon Athena is not supported"),
    ("starrocks://u@h:9030", "StarRocks is not supported"),
    ("doris://u@h:9030", "Apache Doris is not supported"),
    ("oracle+oracledb://u@h/db", "Oracle is not supported"),
    ("mssql+pyodbc://u@dsn", "Microsoft SQL Server (T-SQL) is not supported"),
    ("teradatasql://u@h", "Teradata is not supported"),
    ("spark://master.example.com:7077", "is a Spark standalone master (port 7077), not a Spark Connect server"),
    ("sc://", "a Spark Connect URL needs a host"),
    ("sc://h:port", "the port 'port' is not a number"),
    ("foo://h/db", "ChatBI does not compile SQL for 'foo'"),
])
def test_unsupported_forms_fail_at_construction_saying_what_to_write(sample_model, url: str, says: str) -> None:
    with pytest.raises(ConfigError) as info:
        ChatBI(sample_model, url)
    message = str(info.value)
    assert says in message
    assert ":pw@" not in message and "dapi123" not in message  # passwords and tokens are never shown
    if not says.startswith("write"):
        assert message.startswith("unsupported database URL")
        assert SUPPORTED in message  # every refusal that names no replacement lists what is supported


def test_supported_forms_pick_their_engine(tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "w.duckdb"
    duckdb.connect(str(path)).close()
    for form in (str(path), f"duckdb:///{path}", path):
        engine = connect(form)
        assert isinstance(engine, DuckDBEngine) and engine.path == path
        engine.close()
    assert isinstance(connect("duckdb:///:memory:"), DuckDBEngine)
    engine = connect("postgresql://u@127.0.0.1:1/db")  # a closed port: constructing does not connect
    assert isinstance(engine, SQLAlchemyEngine) and engine.dialect == "postgres"
    engine.close()


def test_a_down_server_is_an_error_answer_in_seconds(sample_model) -> None:
    """Spark's client retries for minutes by default; ChatBI's engine gives up after a few seconds,
    and the statements that follow fail at once instead of each retrying again."""
    import time

    bi = ChatBI(sample_model, "sc://127.0.0.1:9")  # the discard port: nothing listens there
    try:
        start = time.monotonic()
        first = bi.query(metrics=["revenue"], dimensions=["province"], time_range=("2025-11-01", "2025-11-30"))
        assert first.status == "error" and first.data is None
        assert first.text.startswith("cannot reach the Spark Connect server at sc://127.0.0.1:9 (is it running?)")
        asked = bi.ask("2025年11月各省收入")
        assert asked.status == "error" and "cannot reach the Spark Connect server" in asked.text
        assert "Traceback" not in asked.text and "_MultiThreadedRendezvous" not in asked.text
        assert time.monotonic() - start < 60  # bounded, even on a busy machine (the default would be ~10 min)
    finally:
        bi.close()


def test_frames_get_duckdbs_types() -> None:
    aware = pd.to_datetime(["2025-01-01", "2025-02-01"]).tz_localize("Asia/Shanghai")
    frame = normalize_frame(pd.DataFrame({
        "bucket": aware,  # PostgreSQL DATE_TRUNC over a DATE: timestamptz at local midnight
        "day": [dt.date(2025, 1, 1), None],  # Spark / drivers: date objects
        "amount": [decimal.Decimal("1.50"), None],  # NUMERIC / DECIMAL
        "mixed": [dt.datetime(2025, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))), dt.datetime(2025, 1, 2)],
        "name": ["广东", None], "n": [1, 2]}))
    assert {c: str(t) for c, t in frame.dtypes.items()} == {
        "bucket": "datetime64[us]", "day": "datetime64[us]", "amount": "float64", "mixed": "datetime64[us]",
        "name": "object", "n": "int64"}
    assert frame["bucket"].tolist() == [pd.Timestamp("2025-01-01"), pd.Timestamp("2025-02-01")]  # no +08:00 shift
    assert frame["mixed"].iloc[0] == pd.Timestamp("2025-01-01")
    assert frame["amount"].iloc[0] == 1.5 and pd.isna(frame["amount"].iloc[1])
