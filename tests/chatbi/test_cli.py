from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from chatbi.cli import main
from sample_data import TELECOM_MODEL


@pytest.fixture()
def sample_args(sample_db_path: Path) -> list[str]:
    return ["--model", str(TELECOM_MODEL), "--database", str(sample_db_path)]


def test_query_prints_sql_and_table(sample_args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["query", *sample_args, "-m", "revenue", "-d", "region", "--from", "2025-11-01", "--to",
                 "2025-11-30", "-f", "plan_type=5G", "--order-by=-revenue"])
    out = capsys.readouterr().out
    assert code == 0
    assert "-- SQL" in out and "SELECT" in out
    assert all(region in out for region in ("华东", "华南", "华北", "华中", "西南"))


def test_query_csv_and_threshold_filter(sample_args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["query", *sample_args, "-m", "churn_rate", "-d", "province", "-f", "churn_rate>0",
                 "--format", "csv", "--limit", "3"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert code == 0 and lines[0] == "province,churn_rate" and len(lines) == 4


def test_numbers_are_exact_for_people_and_clean_for_machines(sample_args: list[str],
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    import json
    import re

    base = [*sample_args, "-m", "revenue", "-m", "churn_rate", "-d", "channel"]
    assert main(["query", *base]) == 0
    table = capsys.readouterr().out.split("\n", 3)[3]  # past the SQL and the sentence
    assert not re.search(r"\de[+-]\d", table)  # never 6.421513e+10
    assert re.search(r"\d{2},\d{3},\d{3},\d{3}\.\d{2}", table) and "%" in table
    assert main(["query", *base, "--format", "csv"]) == 0
    rows = capsys.readouterr().out.strip().splitlines()[1:]
    for row in rows:
        revenue = row.split(",")[1]
        assert "e" not in revenue and len(revenue.partition(".")[2]) <= 2  # money to the cent, no float noise
    assert main(["query", *base, "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert all(round(r["revenue"], 2) == r["revenue"] and len(repr(r["churn_rate"])) <= 18 for r in records)


def test_query_error_is_one_line(sample_args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", *sample_args, "-m", "revnue"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("chatbi: error:") and "Did you mean 'revenue'?" in err and "Traceback" not in err


def test_model_check_ok_and_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["model", "check", str(TELECOM_MODEL)]) == 0
    assert "ok:" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text(TELECOM_MODEL.read_text(encoding="utf-8").replace("numerator: revenue", "numerater: revenue"),
                   encoding="utf-8")
    assert main(["model", "check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "bad.yaml" in err and "metrics.arpu.numerater" in err and "'numerator'" in err


def test_sample_build_writes_given_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "wh.duckdb"
    assert main(["sample", "build", "--out", str(out)]) == 0
    assert str(out) in capsys.readouterr().out
    with duckdb.connect(str(out), read_only=True) as con:
        assert con.execute("SELECT COUNT(*) FROM dim_region").fetchone() == (33,)


def test_console_script_reports_errors_without_traceback(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "chatbi.cli", "query", "--model", str(tmp_path / "missing.yaml"),
                             "--database", str(tmp_path / "missing.duckdb"), "-m", "revenue"],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "cannot read the model file" in result.stderr


@pytest.mark.parametrize("database", ["postgresql://nobody@127.0.0.1:9/dw", "sc://127.0.0.1:9/;database=telecom"])
def test_sql_only_needs_no_warehouse(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    """--sql-only compiles for the URL's dialect without connecting (nothing listens on port 9)."""
    code = main(["query", "--model", str(TELECOM_MODEL), "--database", database, "-m", "revenue", "-d", "date.week",
                 "--compare", "yoy", "--from", "2025-06-02", "--to", "2025-08-31", "--sql-only"])
    out = capsys.readouterr().out
    assert code == 0 and out.startswith("-- SQL\nSELECT")
    assert ("TRUNC(fact_daily.`date`, 'WEEK')" in out) == database.startswith("sc://")  # Spark SQL for sc://
    assert "2024-06-03" in out  # weekly year over year: 52 weeks back


def test_sql_only_checks_the_query_without_a_warehouse(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["query", "--model", str(TELECOM_MODEL), "--database", "sc://127.0.0.1:9", "--sql-only"]
    assert main([*args, "-m", "revnue"]) == 1
    assert "Did you mean 'revenue'?" in capsys.readouterr().err
    assert main([*args, "-m", "revenue", "-d", "date.month", "--compare", "pop", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("SELECT") and "ADD_MONTHS" in out  # every month against the one before, in Spark SQL


def test_ask_anchor_flag_sets_what_relative_periods_count_from(sample_args: list[str], sample_db_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    import json

    assert main(["ask", *sample_args, "--anchor", "2025-06-30", "--format", "json", "上个月的收入"]) == 0
    records = json.loads(capsys.readouterr().out)
    with duckdb.connect(str(sample_db_path), read_only=True) as con:
        may, nov = con.execute("SELECT SUM(revenue) FILTER (WHERE month(date) = 5), SUM(revenue) FILTER "
                               "(WHERE month(date) = 11) FROM fact_daily WHERE year(date) = 2025").fetchone()
    assert records[0]["revenue"] == pytest.approx(may, rel=1e-9)
    assert main(["ask", *sample_args, "--format", "json", "上个月的收入"]) == 0  # the data's newest date
    assert json.loads(capsys.readouterr().out)[0]["revenue"] == pytest.approx(nov, rel=1e-9)
    with pytest.raises(SystemExit):
        main(["ask", *sample_args, "--anchor", "June", "上个月的收入"])
    assert "not a date: 'June' (write YYYY-MM-DD)" in capsys.readouterr().err


def test_unsupported_and_unreachable_databases_are_one_line_errors(tmp_path: Path) -> None:
    for database, says in (("hive://h:10000/default", "unsupported database URL 'hive://h:10000/default'"),
                           ("sc://127.0.0.1:9", "cannot reach the Spark Connect server at sc://127.0.0.1:9")):
        result = subprocess.run([sys.executable, "-m", "chatbi", "query", "--model", str(TELECOM_MODEL),
                                 "--database", database, "-m", "revenue"],
                                capture_output=True, text=True, timeout=300, check=False)
        assert result.returncode == 1, result.stderr
        assert result.stderr.startswith(f"chatbi: error: {says}") and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
