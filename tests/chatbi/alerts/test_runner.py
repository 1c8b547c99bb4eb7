"""The runner against the real sample warehouse and a real SMTP server: due rules, idempotency,
quiet digests, broken rules, the daemon loop with persistent last-fire state."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from chatbi.alerts import AlertRunner, Outbox, SMTPMailer, SMTPSettings, load_rules, rules_from_dict, run_daemon

from .conftest import GD_RULE, MANAGERS, QUIET_RULE, SMTPServer, VirtualClock, rules_doc

UTC = dt.UTC
FIRE = dt.datetime(2025, 12, 1, 1, 0, tzinfo=UTC)  # 09:00 Asia/Shanghai on 1 December
SENDER = "chatbi@example.com"


def _runner(bi, rules, tmp_path: Path, server: SMTPServer, clock: VirtualClock, **kw) -> AlertRunner:  # type: ignore[no-untyped-def]
    outbox = Outbox(tmp_path / "app.sqlite3", clock=clock)
    mailer = SMTPMailer(SMTPSettings(host="127.0.0.1", port=server.port, sender=SENDER, timeout=5))
    return AlertRunner(bi, rules, outbox, mailer, sender=SENDER, charts=False, **kw)


def test_due_rules_and_persistent_last_fire(sample_bi, write_rules, tmp_path, smtp_server, clock) -> None:
    rules = load_rules(write_rules(rules_doc()), sample_bi.model)
    runner = _runner(sample_bi, rules, tmp_path, smtp_server, clock)
    assert [r.id for r, _ in runner.due(FIRE)] == ["gd_revenue", "js_churn"]
    assert runner.due(FIRE + dt.timedelta(minutes=14))  # a cron run a little late still counts
    assert runner.due(FIRE + dt.timedelta(hours=2)) == []  # never run: an old fire is not replayed
    assert runner.due(FIRE - dt.timedelta(minutes=1)) == []

    report = runner.run(FIRE)
    assert report.due == ["gd_revenue", "js_churn"] and len(report.stored) == 1
    assert runner.due(FIRE) == []  # recorded in the app database
    # a restarted runner (new objects, same database) knows it too
    again = _runner(sample_bi, rules, tmp_path, smtp_server, clock)
    assert again.due(FIRE + dt.timedelta(days=3)) == []
    # after downtime the latest missed fire is caught up once (2026-01-01 09:00 -> December's data)
    late = dt.datetime(2026, 1, 3, 12, 0, tzinfo=UTC)
    due = again.due(late)
    assert [(r.id, f) for r, f in due] == [("gd_revenue", dt.datetime(2026, 1, 1, 1, 0, tzinfo=UTC)),
                                           ("js_churn", dt.datetime(2026, 1, 1, 1, 0, tzinfo=UTC))]


def test_same_period_is_never_sent_twice(sample_bi, write_rules, tmp_path, smtp_server, clock) -> None:
    # a daily schedule over a monthly period: 1 and 2 December both look at November
    doc = rules_doc(gd_revenue={**GD_RULE, "schedule": {"cron": "0 9 * * *"}})
    runner = _runner(sample_bi, load_rules(write_rules(doc), sample_bi.model), tmp_path, smtp_server, clock)
    first = runner.run(FIRE)
    assert len(first.stored) == 1 and len(first.delivery.sent) == 1
    second = runner.run(FIRE + dt.timedelta(days=1))
    assert second.due == ["gd_revenue"] and second.stored == [] and second.skipped == first.stored
    assert len(smtp_server.wait_for(1)) == 1
    got = smtp_server.received[0]
    assert sorted(got.recipients) == sorted(MANAGERS)
    assert got.message["Subject"].startswith("ChatBI 预警: 1 项指标异常 — 广东收入环比 -10.1%")


def test_quiet_groups_send_nothing_unless_asked(sample_bi, write_rules, tmp_path, smtp_server, clock) -> None:
    doc = rules_doc(js_churn=dict(QUIET_RULE))
    rules = load_rules(write_rules(doc), sample_bi.model)
    report = _runner(sample_bi, rules, tmp_path, smtp_server, clock).run(FIRE)
    assert len(report.quiet) == 1 and report.stored == [] and smtp_server.received == []
    assert report.evaluations[0].headline.value == pytest.approx(  # type: ignore[union-attr]
        sample_bi.query(metrics=["churn_rate"], filters=[{"op": "in", "dimension": "province", "values": ["江苏"]}],
                        time_range=("2025-11-01", "2025-11-30")).data["churn_rate"].iloc[0])

    status = _runner(sample_bi, rules, tmp_path / "b", smtp_server, clock, send_when_quiet=True).run(FIRE)
    assert len(status.delivery.sent) == 1
    message = smtp_server.wait_for(1)[0].message
    assert message["Subject"] == "ChatBI 预警: 无指标异常（1 项规则）"
    assert "江苏离网率" in message.get_body(("plain",)).get_content()


def test_a_broken_rule_is_reported_and_an_all_broken_group_stays_due(sample_bi, tmp_path, smtp_server,
                                                                     clock) -> None:
    # checked without the model, so the loader lets the unknown metric through: evaluation fails
    broken = {**QUIET_RULE, "metric": "no_such_metric"}
    rules = rules_from_dict(rules_doc(gd_revenue=dict(GD_RULE), broken=broken))
    report = _runner(sample_bi, rules, tmp_path, smtp_server, clock).run(FIRE)
    assert len(report.delivery.sent) == 1 and report.errors and report.errors[0].startswith("broken:")
    text = smtp_server.wait_for(1)[0].message.get_body(("plain",)).get_content()
    assert "无法计算" in text and "no_such_metric" in text

    only_broken = rules_from_dict(rules_doc(broken=broken))
    runner = _runner(sample_bi, only_broken, tmp_path / "b", smtp_server, clock)
    assert runner.run(FIRE).stored == []
    assert [r.id for r, _ in runner.due(FIRE)] == ["broken"]  # e.g. the warehouse was down: try again


def test_daemon_fires_on_schedule_once_across_restarts(sample_bi, write_rules, tmp_path, smtp_server) -> None:
    rules = load_rules(write_rules(rules_doc(gd_revenue=dict(GD_RULE))), sample_bi.model)
    clock = VirtualClock(FIRE - dt.timedelta(minutes=5))
    runner = _runner(sample_bi, rules, tmp_path, smtp_server, clock)
    cycles: list[tuple[dt.datetime, int]] = []

    def wait(seconds: float, limit: int = 4) -> bool:
        cycles.append((clock.now, len(smtp_server.received)))
        clock.advance(seconds=seconds)
        return len(cycles) >= limit

    run_daemon(runner, wait=wait, max_sleep=600)
    # it slept exactly until the fire time, sent there, then slept towards the next fire
    assert cycles[0][0] == FIRE - dt.timedelta(minutes=5) and cycles[1][0] == FIRE
    assert len(smtp_server.wait_for(1)) == 1

    restarted = _runner(sample_bi, rules, tmp_path, smtp_server, clock)
    cycles.clear()
    run_daemon(restarted, wait=lambda s: wait(s, limit=2), max_sleep=600)
    assert len(smtp_server.received) == 1
    with sqlite3.connect(tmp_path / "app.sqlite3") as con:
        assert con.execute("SELECT count(*) FROM alert_outbox WHERE status = 'sent'").fetchone() == (1,)


def test_runner_through_an_smtp_outage_delivers_once(sample_bi, write_rules, tmp_path, smtp_down, clock) -> None:
    rules = load_rules(write_rules(rules_doc()), sample_bi.model)
    runner = _runner(sample_bi, rules, tmp_path, smtp_down, clock)
    down = runner.run(FIRE)
    assert len(down.stored) == 1 and down.delivery.retrying == down.stored and down.delivery.sent == []
    smtp_down.start()
    clock.advance(minutes=2)  # past the first backoff (60 s)
    up = runner.run()  # the rules are no longer due; the outbox still has the digest
    assert up.due == [] and up.delivery.sent == down.stored
    clock.advance(hours=1)
    assert runner.run().delivery.sent == []
    assert len(smtp_down.wait_for(1)) == 1
