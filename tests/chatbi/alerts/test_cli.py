"""``chatbi alerts ...`` in-process: test send, check, outbox listing, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from chatbi.cli import main

from .conftest import SMTPServer, rules_doc


@pytest.fixture
def source(sample_db_path: Path) -> list[str]:
    from sample_data import TELECOM_MODEL

    return ["--model", str(TELECOM_MODEL), "--database", str(sample_db_path)]


def test_alerts_test_sends_one_rule_now(source, tmp_path, smtp_server: SMTPServer, capsys, monkeypatch) -> None:
    rules = tmp_path / "alerts.yaml"
    rules.write_text(yaml.safe_dump(rules_doc(), allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("CHATBI_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CHATBI_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("CHATBI_MAIL_FROM", "alerts@example.com")
    monkeypatch.setenv("CHATBI_DASHBOARD_URL", "https://bi.example.com/")
    app_db = tmp_path / "app.sqlite3"
    code = main(["alerts", "test", "js_churn", "--to", "me@example.com", *source, "--rules", str(rules),
                 "--app-db", str(app_db), "--at", "2025-12-01T09:00", "--no-charts"])
    assert code == 0, capsys.readouterr().err
    [got] = smtp_server.wait_for(1)
    assert got.recipients == ["me@example.com"] and got.sender == "alerts@example.com"
    # a test send goes out whether or not the rule triggered (this one did not)
    assert got.message["Subject"] == "ChatBI 预警: 无指标异常（1 项规则）"
    assert "江苏离网率（2025年11月）" in got.message.get_body(("plain",)).get_content()
    assert "https://bi.example.com/" in got.message.get_body(("plain",)).get_content()

    capsys.readouterr()
    assert main(["alerts", "outbox", "--app-db", str(app_db)]) == 0
    listing = capsys.readouterr().out
    assert "sent" in listing and "me@example.com" in listing

    assert main(["alerts", "test", "js_chrun", "--to", "me@example.com", *source, "--rules", str(rules),
                 "--app-db", str(app_db), "--no-charts"]) == 1
    assert "no rule 'js_chrun' Did you mean 'js_churn'?" in capsys.readouterr().err


def test_alerts_check_reports_problems_without_traceback(source, tmp_path, capsys) -> None:
    doc = rules_doc()
    doc["rules"]["gd_revenue"]["metric"] = "revnue"
    doc["rules"]["js_churn"]["schedule"] = "0 9 1 13 *"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    assert main(["alerts", "check", str(bad), *source]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"chatbi: error: {bad}: 2 problems:")
    assert "rules.gd_revenue.metric: unknown metric 'revnue' Did you mean 'revenue'?" in err
    assert "rules.js_churn.schedule.cron: invalid cron expression '0 9 1 13 *'" in err
    assert "Traceback" not in err

    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(rules_doc(), allow_unicode=True), encoding="utf-8")
    assert main(["alerts", "check", str(good), *source]) == 0
    assert "ok:" in capsys.readouterr().out


def test_bad_instant_and_smtp_settings_are_clear_errors(source, tmp_path, capsys, monkeypatch) -> None:
    rules = tmp_path / "alerts.yaml"
    rules.write_text(yaml.safe_dump(rules_doc(), allow_unicode=True), encoding="utf-8")
    assert main(["alerts", "run", *source, "--rules", str(rules), "--at", "yesterday-ish"]) == 1
    assert "is not an ISO timestamp" in capsys.readouterr().err
    monkeypatch.setenv("CHATBI_SMTP_STARTTLS", "perhaps")
    assert main(["alerts", "run", *source, "--rules", str(rules)]) == 1
    assert "CHATBI_SMTP_STARTTLS='perhaps'" in capsys.readouterr().err
