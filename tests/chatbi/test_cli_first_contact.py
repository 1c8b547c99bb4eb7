"""First contact on the command line: each mistake a new user makes gets one line, a non-zero exit,
nothing created, and the right hint. Run as a new user would: the real console entry point."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from chatbi.cli import main


def _chatbi(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "chatbi", *args], capture_output=True, text=True, timeout=300,
                          env=full, cwd=cwd, check=False)


def _one_line_error(result: subprocess.CompletedProcess[str], code: int = 1) -> str:
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def rows() -> str:
    body = "".join(f"{p},{c},{i * 10 + m},2025-{m:02d}-01\n" for i, (p, c) in
                   enumerate([("广东", "广州"), ("广东", "深圳"), ("浙江", "杭州")]) for m in range(1, 13))
    return "省份,城市,金额,日期\n" + body


def test_port_out_of_range_is_one_line(tmp_path: Path) -> None:
    line = _one_line_error(_chatbi("serve", "--port", "99999", cwd=tmp_path), code=2)
    assert "--port" in line and "99999 is not a port number (1-65535)" in line and "--help" in line


def test_a_busy_port_is_one_line_before_anything_says_serving(tmp_path: Path, sample_db_path: Path) -> None:
    from sample_data import TELECOM_MODEL

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = _chatbi("serve", "--model", str(TELECOM_MODEL), "--database", str(sample_db_path), "--port", str(port),
                         "--app-db", str(tmp_path / "app.sqlite3"))
    line = _one_line_error(result)
    assert f"port {port} on 127.0.0.1 is already in use" in line and "--port" in line
    assert "serving on" not in result.stdout + result.stderr


def test_unknown_option_is_one_line(tmp_path: Path) -> None:
    line = _one_line_error(_chatbi("query", "--metrc", "revenue", cwd=tmp_path), code=2)
    assert "unrecognized arguments: --metrc" in line


def test_postgres_scheme_gets_the_right_form(tmp_path: Path) -> None:
    line = _one_line_error(_chatbi("model", "draft", "--database", "postgres://bi@localhost/dw", cwd=tmp_path))
    assert "postgresql://bi@localhost/dw" in line and "pip install" not in line


def test_a_missing_sqlite_file_is_not_created(tmp_path: Path) -> None:
    line = _one_line_error(_chatbi("model", "draft", "--database", "sqlite:///missing.db", cwd=tmp_path))
    assert "missing.db" in line and "does not exist" in line
    assert list(tmp_path.iterdir()) == []


def test_a_missing_duckdb_file_is_not_created(tmp_path: Path) -> None:
    from sample_data import TELECOM_MODEL

    line = _one_line_error(_chatbi("query", "--model", str(TELECOM_MODEL), "--database", "missing.duckdb",
                                   "-m", "revenue", cwd=tmp_path))
    assert "missing.duckdb" in line
    assert list(tmp_path.iterdir()) == []


def test_a_data_file_given_as_database_points_to_data(tmp_path: Path, rows: str) -> None:
    (tmp_path / "sales.csv").write_text(rows, encoding="utf-8")
    line = _one_line_error(_chatbi("model", "draft", "--database", "sales.csv", cwd=tmp_path))
    assert "--files" in line or "--data" in line


def test_a_gbk_csv_is_read_and_its_headers_are_the_labels(tmp_path: Path, rows: str, capsys) -> None:
    csv = tmp_path / "sales.csv"
    csv.write_bytes(rows.encode("gb18030"))  # what Excel saves in a Chinese locale
    assert main(["ask", "--data", str(csv), "各省份的金额"]) == 0
    out = capsys.readouterr().out
    understood = next(line for line in out.splitlines() if line.startswith("理解为"))
    assert "金额" in understood and "省份" in understood and "col" not in understood
    header = out.strip().splitlines()[-3]  # the table's header line (the SQL above keeps column names)
    assert header.split() == ["省份", "金额"]


def test_a_bom_csv_is_read(tmp_path: Path, rows: str, capsys) -> None:
    csv = tmp_path / "sales.csv"
    csv.write_bytes(b"\xef\xbb\xbf" + rows.encode("utf-8"))
    assert main(["ask", "--data", str(csv), "各省份的金额"]) == 0
    assert "浙江" in capsys.readouterr().out


@pytest.mark.parametrize(("content", "expected"), [
    (b"", "sales.csv is empty"),
    ("省份,金额\n".encode("gb18030"), "sales.csv (read as GB18030) has a header (省份, 金额) but no rows of data"),
    (b"a,b,c\n1,2,3\n4,5\n6,7,8\n", "sales.csv: line 3 has 2 fields where the header has 3 (a, b, c)"),
    (b'name,amount\n"abc,1\ndef,2\n', "sales.csv: line 2: a quote opened here is never closed"),
    (("name,amount\n" + "".join(f"n{i},{i}\n" for i in range(20)) + "x,n/a\n").encode(),
     "sales.csv: column 'amount' holds numbers except line 22: 'n/a'"),
])
def test_broken_csv_files_are_one_line_with_the_row(tmp_path: Path, content: bytes, expected: str) -> None:
    (tmp_path / "sales.csv").write_bytes(content)
    line = _one_line_error(_chatbi("ask", "--data", "sales.csv", "amount", cwd=tmp_path))
    assert expected in line


def test_an_empty_question_answers_in_the_users_language(tmp_path: Path, sample_db_path: Path) -> None:
    from sample_data import TELECOM_MODEL

    source = ["--model", str(TELECOM_MODEL), "--database", str(sample_db_path)]
    english = _one_line_error(_chatbi("ask", *source, " ", env={"LANG": "en_US.UTF-8", "LC_ALL": ""}, cwd=tmp_path))
    assert english == "chatbi: error: Please ask a question."
    chinese = _one_line_error(_chatbi("ask", *source, " ", env={"LANG": "zh_CN.UTF-8", "LC_ALL": ""}, cwd=tmp_path))
    assert chinese == "chatbi: error: 请输入一个问题。"
    explicit = _one_line_error(_chatbi("ask", *source, "--lang", "en", "", env={"LANG": "zh_CN.UTF-8"}, cwd=tmp_path))
    assert explicit == "chatbi: error: Please ask a question."


def test_the_first_sample_build_says_what_it_is_doing(tmp_path: Path) -> None:
    result = _chatbi("sample", "build", env={"CHATBI_CACHE_DIR": str(tmp_path / "cache")})
    assert result.returncode == 0, result.stderr
    assert "building the sample warehouse" in result.stderr and "built in" in result.stderr
    again = _chatbi("sample", "build", env={"CHATBI_CACHE_DIR": str(tmp_path / "cache")})
    assert "building" not in again.stderr  # cached: nothing to say
