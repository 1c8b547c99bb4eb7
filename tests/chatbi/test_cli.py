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
