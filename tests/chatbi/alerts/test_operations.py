"""Alerts an operator can trust: nothing goes quiet silently. Real sample warehouse, real SMTP on loopback.

Each test is one failure an operator met: a cron that never fires, a duplicate rule id, two rules
files in one app database, missed fires after downtime, a first fire during a warehouse outage,
a refused recipient, credentials fixed after a failure, exit codes cron can act on, retention.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import yaml

from chatbi.alerts import AlertRunner, Outbox, RuleError, SMTPMailer, SMTPSettings, load_rules, rules_from_dict
from chatbi.cli import main
from chatbi.errors import EngineError

from .conftest import GD_RULE, MANAGERS, QUIET_RULE, SMTPServer, VirtualClock, rules_doc

UTC = dt.UTC
FIRE = dt.datetime(2025, 12, 1, 1, 0, tzinfo=UTC)  # 09:00 Asia/Shanghai on 1 December
SENDER = "chatbi@example.com"
#: a daily rule over the previous day (each fire has its own period)
DAILY = {**QUIET_RULE, "period": {"unit": "day", "offset": 1}, "schedule": "0 9 * * *"}


def _runner(bi: Any, rules: Any, db: Path, server: SMTPServer, clock: VirtualClock, **kw: Any) -> AlertRunner:
    outbox = kw.pop("outbox", None) or Outbox(db, clock=clock)
    mailer = SMTPMailer(SMTPSettings(host="127.0.0.1", port=server.port, sender=SENDER, timeout=5, **kw.pop("smtp", {})))
    return AlertRunner(bi, rules, outbox, mailer, sender=SENDER, charts=False, **kw)


@pytest.fixture
def source(sample_db_path: Path) -> list[str]:
    from sample_data import TELECOM_MODEL

    return ["--model", str(TELECOM_MODEL), "--database", str(sample_db_path)]


def _smtp_env(monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    monkeypatch.setenv("CHATBI_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CHATBI_SMTP_PORT", str(port))
    monkeypatch.setenv("CHATBI_MAIL_FROM", SENDER)


# -- rules files ------------------------------------------------------------------------------
def test_a_cron_that_never_fires_is_refused_by_check_and_left_out_by_run(
        source, write_rules, tmp_path, smtp_server, capsys, monkeypatch) -> None:
    doc = rules_doc(gd_revenue=dict(GD_RULE), feb31={**QUIET_RULE, "schedule": "0 9 31 2 *"})
    path = write_rules(doc)
    assert main(["alerts", "check", str(path), *source]) == 1
    err = capsys.readouterr().err
    assert "rules.feb31.schedule.cron: cron '0 9 31 2 *' never fires" in err and "Traceback" not in err
    assert err.count("\n") == 1  # one problem, one line

    # `run` evaluates the good rule, reports the bad one and says so in its exit code
    _smtp_env(monkeypatch, smtp_server.port)
    code = main(["alerts", "run", *source, "--rules", str(path), "--app-db", str(tmp_path / "app.sqlite3"),
                 "--at", "2025-12-01T09:00", "--no-charts"])
    out, err = capsys.readouterr()
    assert code == 3, err
    assert "1 rule(s) due" in out and "1 sent" in out and "1 rule(s) left out" in out
    assert "rule left out" in err and "feb31" in err and "never fires" in err
    assert len(smtp_server.wait_for(1)) == 1


def test_duplicate_rule_ids_are_errors_with_both_lines(sample_bi, write_rules) -> None:
    text = yaml.safe_dump(rules_doc(), allow_unicode=True, sort_keys=False)
    text += "  gd_revenue:\n    metric: arpu\n    condition: {type: threshold, op: '>', value: 1}\n" \
            "    schedule: '0 9 * * *'\n    recipients: [managers]\n"
    path = write_rules(text)
    with pytest.raises(RuleError) as caught:
        load_rules(path, sample_bi.model)
    message = str(caught.value)
    first = text.splitlines().index("  gd_revenue:") + 1
    second = len(text.splitlines()) - 4
    assert f"line {second}: rules.gd_revenue: duplicate key 'gd_revenue' (first defined at line {first}" in message
    # a run leaves the ambiguous rule out and keeps the others
    lenient = load_rules(path, sample_bi.model, strict=False)
    assert list(lenient.rules) == ["js_churn"] and list(lenient.invalid) == ["gd_revenue"]


def test_percent_thresholds_follow_the_metric_unit(sample_bi, write_rules) -> None:
    def rule(metric: str, value: Any) -> dict[str, Any]:
        return {**QUIET_RULE, "metric": metric, "condition": {"type": "threshold", "op": ">", "value": value}}

    rules = load_rules(write_rules(rules_doc(churn=rule("churn_rate", "2%"), avail=rule("availability_pct", "99.5%"),
                                             mille=rule("churn_rate", "1.5‰"))), sample_bi.model)
    assert rules["churn"].spec.condition.value == pytest.approx(0.02)       # stored as a fraction
    assert rules["avail"].spec.condition.value == pytest.approx(99.5)       # stored in percent
    assert rules["mille"].spec.condition.value == pytest.approx(0.0015)
    with pytest.raises(RuleError) as caught:
        load_rules(write_rules(rules_doc(rev=rule("revenue", "2%"), bad=rule("churn_rate", "two"))), sample_bi.model)
    message = str(caught.value)
    assert "rules.rev.condition.value: 2% is a percentage, but 'revenue' is not a percentage metric" in message
    assert "rules.bad.condition.value: 'two': expected a number such as 0.02, or a percentage" in message


def test_recipient_addresses_are_checked(sample_bi, write_rules) -> None:
    with pytest.raises(RuleError, match=r"'cfo@example' is not an email address"):
        load_rules(write_rules(rules_doc(js_churn={**QUIET_RULE, "recipients": ["cfo@example"]})), sample_bi.model)


def test_alerts_test_refuses_a_bad_address_before_doing_anything(source, write_rules, tmp_path, smtp_server, capsys,
                                                                  monkeypatch) -> None:
    _smtp_env(monkeypatch, smtp_server.port)
    db = tmp_path / "app.sqlite3"
    code = main(["alerts", "test", "js_churn", "--to", "not-an-address", *source, "--rules",
                 str(write_rules(rules_doc())), "--app-db", str(db), "--no-charts"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1
    assert "'not-an-address' is not an email address" in err and "nothing was sent" in err
    assert not db.exists() and smtp_server.received == []


# -- fire state -------------------------------------------------------------------------------
def test_two_rules_files_with_the_same_rule_id_keep_separate_state(sample_bi, write_rules, tmp_path, smtp_server,
                                                                    clock) -> None:
    team_a = load_rules(write_rules(rules_doc(revenue_daily=dict(GD_RULE)), "team_a.yaml"), sample_bi.model)
    other = {**GD_RULE, "filters": {"province": "浙江"}, "recipients": ["team-b@example.com"],
             "condition": {"type": "threshold", "op": ">", "value": 0}}
    team_b = load_rules(write_rules(rules_doc(revenue_daily=other), "team_b.yaml"), sample_bi.model)
    db = tmp_path / "app.sqlite3"
    assert _runner(sample_bi, team_a, db, smtp_server, clock).run(FIRE).due == ["revenue_daily"]
    report_b = _runner(sample_bi, team_b, db, smtp_server, clock).run(FIRE)
    assert report_b.due == ["revenue_daily"] and len(report_b.stored) == 1
    got = smtp_server.wait_for(2)
    assert sorted(tuple(sorted(r.recipients)) for r in got) == sorted([tuple(sorted(MANAGERS)), ("team-b@example.com",)])


class _Outage:
    """The real ChatBI, with its warehouse "down" while ``down`` is set (the engine's own error)."""

    def __init__(self, bi: Any) -> None:
        self._bi, self.down = bi, True

    def __getattr__(self, name: str) -> Any:
        return getattr(self._bi, name)

    def run(self, *args: Any, **kwargs: Any) -> Any:
        if self.down:
            raise EngineError("cannot connect to the warehouse: connection refused")
        return self._bi.run(*args, **kwargs)


def test_a_first_fire_during_a_long_warehouse_outage_is_sent_when_it_is_back(sample_bi, write_rules, tmp_path,
                                                                             smtp_server, clock) -> None:
    rules = load_rules(write_rules(rules_doc(gd_revenue=dict(GD_RULE))), sample_bi.model)
    bi = _Outage(sample_bi)
    runner = _runner(bi, rules, tmp_path / "app.sqlite3", smtp_server, clock)
    down = runner.run(FIRE)
    assert down.errors and down.exit_code == 3 and down.stored == []
    # two hours later (far past the grace window) the warehouse is back: the first fire is not lost
    bi.down = False
    back = runner.run(FIRE + dt.timedelta(hours=2))
    assert back.due == ["gd_revenue"] and len(back.stored) == 1 and back.exit_code == 0
    assert "广东收入" in smtp_server.wait_for(1)[0].message["Subject"]


def test_missed_fires_are_caught_up_one_by_one(sample_bi, write_rules, tmp_path, smtp_server, clock) -> None:
    rules = load_rules(write_rules(rules_doc(js_daily=dict(DAILY))), sample_bi.model)
    db = tmp_path / "app.sqlite3"
    _runner(sample_bi, rules, db, smtp_server, clock).run(dt.datetime(2025, 11, 19, 1, 0, tzinfo=UTC))
    # down from 19 November after the run until 22 November 12:00: fires of 20, 21 and 22 November
    report = _runner(sample_bi, rules, db, smtp_server, clock).run(dt.datetime(2025, 11, 22, 4, 0, tzinfo=UTC))
    periods = [ev.period[0].isoformat() for ev in report.evaluations]
    assert periods == ["2025-11-19", "2025-11-20", "2025-11-21"]  # each fire looks at its own day
    assert report.caught_up == 2 and report.missed == [] and report.exit_code == 0


def test_fires_beyond_catch_up_are_reported_as_missed_in_the_next_digest(sample_bi, write_rules, tmp_path,
                                                                         smtp_server, clock) -> None:
    doc = rules_doc(js_daily={**DAILY, "catch_up": 2})
    rules = load_rules(write_rules(doc), sample_bi.model)
    db = tmp_path / "app.sqlite3"
    _runner(sample_bi, rules, db, smtp_server, clock).run(dt.datetime(2025, 11, 15, 1, 0, tzinfo=UTC))
    report = _runner(sample_bi, rules, db, smtp_server, clock).run(dt.datetime(2025, 11, 22, 4, 0, tzinfo=UTC))
    assert [ev.period[0].isoformat() for ev in report.evaluations] == ["2025-11-20", "2025-11-21"]
    first, last = dt.datetime(2025, 11, 16, 1, 0, tzinfo=UTC), dt.datetime(2025, 11, 20, 1, 0, tzinfo=UTC)
    assert report.missed == [("js_daily", first, last, 5)]
    # the rule did not trigger, but the missed runs are news: a digest says so
    [mail] = smtp_server.wait_for(1)
    text = mail.message.get_body(("plain",)).get_content()
    assert "错过 5 次计划运行（2025-11-16 09:00 至 2025-11-20 09:00）" in text and "ChatBI 当时未运行" in text
    assert "错过 5 次运行" in mail.message["Subject"]
    [missed] = Outbox(db).missed()
    assert missed.reported == report.stored[0] and missed.count == 5
    # reported once: the next day's digest (if any) does not repeat it
    again = _runner(sample_bi, rules, db, smtp_server, clock).run(dt.datetime(2025, 11, 23, 1, 0, tzinfo=UTC))
    assert again.stored == [] and again.quiet


# -- delivery ---------------------------------------------------------------------------------
def test_a_refused_recipient_is_a_failure_for_that_recipient(sample_bi, write_rules, tmp_path, smtp_server,
                                                             clock) -> None:
    smtp_server.refuse = {"cfo@example.com": "550 5.1.1 no such user"}
    rules = load_rules(write_rules(rules_doc(gd_revenue=dict(GD_RULE))), sample_bi.model)
    report = _runner(sample_bi, rules, tmp_path / "app.sqlite3", smtp_server, clock).run(FIRE)
    assert report.delivery.partial == report.stored and report.delivery.sent == []
    assert report.exit_code == 3 and "1 partly refused" in report.summary()
    [got] = smtp_server.wait_for(1)
    assert got.recipients == ["gd-manager@example.com"]
    [entry] = Outbox(tmp_path / "app.sqlite3").entries()
    assert entry.status == "partial" and entry.refused() == {"cfo@example.com": (550, "5.1.1 no such user")}
    assert entry.recipient_status["gd-manager@example.com"][0] == "sent"


def test_a_deferred_recipient_is_retried_alone(tmp_path, smtp_server, clock) -> None:
    from .test_delivery import _entry

    smtp_server.refuse = {"b@example.com": "451 4.3.0 try again later"}
    outbox = Outbox(tmp_path / "app.sqlite3", clock=clock)
    outbox.put(_entry())
    mailer = SMTPMailer(SMTPSettings(host="127.0.0.1", port=smtp_server.port, sender=SENDER, timeout=5))
    assert outbox.deliver(mailer).retrying == ["k1"]
    smtp_server.refuse = {}
    clock.advance(minutes=2)
    assert outbox.deliver(mailer).sent == ["k1"]
    first, second = smtp_server.wait_for(2)
    assert first.recipients == ["a@example.com"] and second.recipients == ["b@example.com"]


def test_exit_codes_and_summary_for_cron(source, write_rules, tmp_path, smtp_down, capsys, monkeypatch) -> None:
    _smtp_env(monkeypatch, smtp_down.port)
    rules = write_rules(rules_doc(gd_revenue=dict(GD_RULE)))
    args = ["alerts", "run", *source, "--rules", str(rules), "--app-db", str(tmp_path / "app.sqlite3"), "--no-charts"]
    assert main([*args, "--at", "2025-12-01T09:00"]) == 3  # SMTP down: the digest waits
    out, err = capsys.readouterr()
    assert "alerts attention" in out and "1 to retry" in out and "outbox: 1 waiting" in out
    assert "will be retried" in err
    # the next run has nothing due, but the digest is still waiting: still not "all well"
    assert main([*args, "--at", "2025-12-01T09:01"]) == 3
    assert "outbox: 1 waiting" in capsys.readouterr().out
    # the server is back; once the backoff has passed the digest goes out and all is well again
    smtp_down.start()
    later = VirtualClock(dt.datetime.now(UTC) + dt.timedelta(minutes=2))
    mailer = SMTPMailer(SMTPSettings(host="127.0.0.1", port=smtp_down.port, sender=SENDER, timeout=5))
    assert len(Outbox(tmp_path / "app.sqlite3", clock=later).deliver(mailer).sent) == 1
    assert main([*args, "--at", "2025-12-01T09:02"]) == 0
    assert "alerts ok" in capsys.readouterr().out


def test_most_rules_failing_is_a_non_zero_exit(sample_bi, tmp_path, smtp_server, clock) -> None:
    broken = {f"broken{i}": {**QUIET_RULE, "metric": "no_such_metric"} for i in range(3)}
    rules = rules_from_dict(rules_doc(gd_revenue=dict(GD_RULE), **broken))
    report = _runner(sample_bi, rules, tmp_path / "app.sqlite3", smtp_server, clock).run(FIRE)
    assert report.exit_code == 3 and len(report.errors) == 3 and "3 rule error(s)" in report.summary()
    text = smtp_server.wait_for(1)[0].message.get_body(("plain",)).get_content()
    assert text.count("无法计算") >= 3 and "部分规则未能检查" in text


def test_retention_drops_bodies_and_keeps_keys(sample_bi, write_rules, tmp_path, smtp_server, clock) -> None:
    doc = rules_doc(gd_revenue={**GD_RULE, "schedule": {"cron": "0 9 * * *"}})  # daily over a monthly period
    rules = load_rules(write_rules(doc), sample_bi.model)
    db = tmp_path / "app.sqlite3"
    outbox = Outbox(db, clock=clock, retention=dt.timedelta(days=30))
    runner = _runner(sample_bi, rules, db, smtp_server, clock, outbox=outbox)
    first = runner.run(FIRE)
    assert len(first.delivery.sent) == 1 and len(outbox.get(first.stored[0]).mime) > 1000  # type: ignore[union-attr]
    clock.advance(days=31)
    later = runner.run(FIRE + dt.timedelta(days=31))  # 1 January: December's digest; November's is 31 days old
    november = outbox.get(first.stored[0])
    assert november is not None and november.mime == b"" and november.status == "sent"
    assert len(later.delivery.sent) == 1 and len(smtp_server.wait_for(2)) == 2
    # the key stays: a re-run over November (e.g. --at in the past) never sends it again
    assert outbox.has(first.stored[0])


def test_an_old_app_database_is_upgraded_in_place(sample_bi, write_rules, tmp_path, smtp_server, clock) -> None:
    db = tmp_path / "app.sqlite3"
    with sqlite3.connect(db) as con:  # the schema before fire state was namespaced
        con.executescript("""
            CREATE TABLE alert_outbox (key TEXT PRIMARY KEY, message_id TEXT NOT NULL, sender TEXT NOT NULL,
              recipients TEXT NOT NULL, subject TEXT NOT NULL, mime BLOB NOT NULL, rules TEXT NOT NULL,
              status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0, next_attempt REAL NOT NULL,
              lease_until REAL, last_error TEXT, created REAL NOT NULL, sent REAL);
            CREATE TABLE alert_rule_state (rule_id TEXT PRIMARY KEY, last_fire REAL NOT NULL, updated REAL NOT NULL);
        """)
        con.execute("INSERT INTO alert_rule_state VALUES ('gd_revenue', ?, ?)", (FIRE.timestamp(), FIRE.timestamp()))
    rules = load_rules(write_rules(rules_doc(gd_revenue=dict(GD_RULE))), sample_bi.model)
    runner = _runner(sample_bi, rules, db, smtp_server, clock)
    assert runner.run(FIRE).due == []  # the legacy state says 1 December was done
    assert runner.run(dt.datetime(2026, 1, 1, 1, 0, tzinfo=UTC)).due == ["gd_revenue"]
