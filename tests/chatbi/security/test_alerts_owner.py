"""Alert digests are evaluated with the rule owner's access: a real SMTP server receives them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import yaml

from chatbi.alerts import AlertRunner, Outbox, SMTPMailer, SMTPSettings, load_rules

from ..alerts.conftest import SMTPServer, VirtualClock, free_port

UTC = dt.UTC
FIRE = dt.datetime(2025, 12, 1, 1, 0, tzinfo=UTC)
OTHER_PROVINCES = ("江苏", "浙江", "山东", "福建", "河北", "山西", "湖北", "河南", "四川", "云南")


def rule(owner: str | None, to: str, **extra: Any) -> dict[str, Any]:
    spec = {"metric": "revenue", "breakdown": "province", "period": {"unit": "month", "offset": 1},
            "condition": {"type": "threshold", "op": ">", "value": 0}, "schedule": "0 9 1 * *",
            "recipients": [to], "language": "zh", "top_contributors": 0, **extra}
    if owner is not None:
        spec["owner"] = owner
    return spec


def digests(sample_bi, security, tmp_path, rules: dict[str, Any]) -> tuple[Any, dict[str, str]]:
    path = tmp_path / "alerts.yaml"
    path.write_text(yaml.safe_dump({"defaults": {"timezone": "Asia/Shanghai"}, "rules": rules}, allow_unicode=True),
                    encoding="utf-8")
    ruleset = load_rules(path, sample_bi.model, sample_bi.members.as_sets())
    server = SMTPServer(free_port()).start()
    try:
        runner = AlertRunner(sample_bi, ruleset, Outbox(tmp_path / "app.sqlite3", clock=VirtualClock(FIRE)),
                             SMTPMailer(SMTPSettings(host="127.0.0.1", port=server.port, sender="bi@example.com")),
                             sender="bi@example.com", charts=False, security=security)
        report = runner.run(FIRE)
        server.wait_for(len({r["recipients"][0] for r in rules.values()}))
        bodies = {}
        for received in server.received:
            message = received.message
            bodies[received.recipients[0]] = message.get_body(("plain",)).get_content() + \
                message.get_body(("html",)).get_content()
        return report, bodies
    finally:
        server.stop()


def test_each_digest_shows_what_its_owner_may_see(sample_bi, security, tmp_path):
    report, bodies = digests(sample_bi, security, tmp_path, {
        "alice_rule": rule("alice", "alice@example.com"),
        "root_rule": rule("root", "root@example.com"),
        "service_rule": rule(None, "ops@example.com"),
    })
    assert not report.errors
    alice = bodies["alice@example.com"]
    assert "广东" in alice and not [p for p in OTHER_PROVINCES if p in alice]
    assert all(p in bodies["root@example.com"] for p in OTHER_PROVINCES)
    assert all(p in bodies["ops@example.com"] for p in OTHER_PROVINCES)  # no owner: the service's access


def test_an_owner_cannot_widen_a_rule_to_hidden_rows(sample_bi, security, tmp_path):
    report, bodies = digests(sample_bi, security, tmp_path, {
        "peek": rule("alice", "alice@example.com", breakdown=None, filters={"province": "浙江"}),
        "ghost": rule("mallory", "alice@example.com"),
    })
    assert any(e.startswith("peek:") for e in report.errors) and any("mallory" in e for e in report.errors)
    text = bodies.get("alice@example.com", "")
    revenue = sample_bi.query(metrics=["revenue"], time_range=("2025-11-01", "2025-11-30"),
                              filters=[{"op": "in", "dimension": "province", "values": ["浙江"]}]).data.iloc[0, 0]
    assert f"{revenue / 1e8:.2f}" not in text


def test_a_rule_with_an_owner_needs_a_security_configuration(sample_bi, tmp_path):
    from chatbi.alerts.evaluate import resolve_period

    path = tmp_path / "alerts.yaml"
    path.write_text(yaml.safe_dump({"rules": {"r": rule("alice", "a@example.com")}}, allow_unicode=True),
                    encoding="utf-8")
    runner = AlertRunner(sample_bi, load_rules(path, sample_bi.model), Outbox(tmp_path / "app.sqlite3"),
                         SMTPMailer(SMTPSettings(host="127.0.0.1", port=free_port(), sender="bi@example.com")),
                         sender="bi@example.com", charts=False)
    only = next(iter(runner.rules))
    evaluation = runner._evaluate(only, resolve_period(only, FIRE, sample_bi.anchor), FIRE)
    assert evaluation.error and "no security configuration" in evaluation.error
    with pytest.raises(Exception, match="no security configuration"):
        runner.bi_for(only)
