"""The audit log (who asked what, the SQL, rows, denials) and the security / audit commands."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from chatbi.cli import main
from chatbi.security import AuditLog
from chatbi.security.audit import parse_since

from .conftest import PASSWORDS, telecom_security_doc


def test_every_kind_of_request_is_recorded_with_its_sql_and_rows(sample_bi, security, audit):
    alice = sample_bi.for_user("alice", security=security, audit=audit)
    alice.ask("2025年11月各城市收入")
    alice.ask("杭州的收入")
    alice.run_sql("SELECT city, COUNT(*) AS n FROM dim_region GROUP BY city")
    alice.run_sql("DROP TABLE dim_region")
    alice.explain_change("revenue", ("2025-11-01", "2025-11-30"), dimensions=["city"])
    sample_bi.for_user("viewer", security=security, audit=audit).run_sql("SELECT 1 AS x")
    events = list(reversed(audit.events()))
    assert [(e.user, e.action, e.status, e.denied) for e in events] == [
        ("alice", "ask", "ok", False), ("alice", "ask", "error", True), ("alice", "sql", "ok", False),
        ("alice", "sql", "error", True), ("alice", "explain_change", "ok", False), ("viewer", "sql", "error", True)]
    first = events[0]
    assert first.question == "2025年11月各城市收入" and first.rows == 3 and "广东" in first.sql
    assert json.loads(first.query_json)["dimensions"] == ["city"] and first.roles == "guangdong_analyst"
    assert "杭州" in events[1].detail
    assert events[2].rows == 3 and "dim_region" in events[2].sql
    assert "read_only" in events[3].detail
    assert events[4].sql.count("SELECT") >= 3  # every statement the analysis ran, attributed to the call
    assert audit.events(user="viewer")[0].detail == "sql not allowed for the role"
    assert len(audit.events(denied=True)) == 3 and len(audit.events(action="sql")) == 3


def test_since_accepts_dates_and_spans():
    now = dt.datetime(2025, 12, 31, 12, tzinfo=dt.UTC)
    assert parse_since("24h", now) == now - dt.timedelta(hours=24)
    assert parse_since("7d", now) == now - dt.timedelta(days=7)
    assert parse_since("2025-12-01").date() == dt.date(2025, 12, 1)
    with pytest.raises(ValueError, match="24h"):
        parse_since("yesterday-ish")


def test_audit_command_filters_by_user_denials_and_time(sample_bi, security, audit, capsys):
    sample_bi.for_user("alice", security=security, audit=audit).run_sql("DELETE FROM dim_region")
    sample_bi.for_user("root", security=security, audit=audit).query(metrics=["revenue"])
    assert main(["audit", "--app-db", str(audit.path), "--denied"]) == 0
    out = capsys.readouterr().out
    assert "alice" in out and "DENIED" in out and "root" not in out and "reason:" in out
    assert main(["audit", "--app-db", str(audit.path), "--user", "root", "--sql", "--format", "table"]) == 0
    out = capsys.readouterr().out
    assert "root" in out and "SUM(fact_daily.revenue)" in out and "alice" not in out
    assert main(["audit", "--app-db", str(audit.path), "--since", "1h", "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2
    assert main(["audit", "--app-db", str(audit.path), "--since", "2999-01-01"]) == 0
    assert "no audit events" in capsys.readouterr().out
    assert main(["audit", "--app-db", str(audit.path), "--since", "soon"]) == 1
    assert "24h" in capsys.readouterr().err


def test_security_commands(tmp_path, capsys, monkeypatch, sample_db_path):
    import io
    import sys

    import yaml

    monkeypatch.setattr(sys, "stdin", io.StringIO("correct horse\n"))
    assert main(["security", "hash-password", "--password-stdin"]) == 0
    stored = capsys.readouterr().out.strip()
    from chatbi.security.passwords import verify_password

    assert stored.startswith("scrypt$") and verify_password("correct horse", stored)

    path = tmp_path / "security.yaml"
    path.write_text(yaml.safe_dump(telecom_security_doc(), allow_unicode=True), encoding="utf-8")
    assert main(["security", "check", str(path)]) == 0
    assert "7 users, 4 roles" in capsys.readouterr().out
    assert main(["security", "policy", "bob", str(path)]) == 0
    out = capsys.readouterr().out
    assert "region in ['华东']" in out and "column revenue: mask round_to" in out
    assert main(["security", "operators"]) == 0
    assert "phone" in capsys.readouterr().out

    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"roles": {"r": {"rows": [{"provnce": "x"}]}}}), encoding="utf-8")
    assert main(["security", "check", str(bad)]) == 1
    assert "Did you mean 'province'" in capsys.readouterr().err

    # impersonation: the CLI answers as the user sees it, and the audit log says who
    app_db = tmp_path / "app.sqlite3"
    monkeypatch.setenv("CHATBI_CACHE_DIR", str(tmp_path))
    from sample_data import TELECOM_MODEL

    source = ["--model", str(TELECOM_MODEL), "--database", str(sample_db_path), "--security", str(path)]
    assert main(["query", *source, "--as-user", "alice", "-m", "revenue", "-d", "province", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "province,revenue" and len(out.splitlines()) == 2 and "广东" in out
    assert main(["query", *source, "--as-user", "mallory", "-m", "revenue"]) == 1
    assert "unknown user 'mallory'" in capsys.readouterr().err
    assert AuditLog(app_db).events(user="alice")[0].action == "query"
    assert PASSWORDS["alice"] not in path.read_text(encoding="utf-8")
