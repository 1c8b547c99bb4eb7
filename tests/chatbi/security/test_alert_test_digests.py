"""Test digests from the Alerts page: only to the user's own address or (for the rule's owner) its
recipients, a few an hour, and nobody sees the addresses of someone else's rules."""

from __future__ import annotations

import time

import pytest
import yaml

from chatbi.security import Security
from dashboards.pages import alerts

from ..security.test_app import as_request, sign_in
from .conftest import telecom_security_doc


@pytest.fixture()
def app(sample_bi, sample_model, tmp_path):
    from dashboards import create_app
    from sample_data import TELECOM_DIR

    rules = yaml.safe_load((TELECOM_DIR / "alerts.yaml").read_text(encoding="utf-8"))
    rules["rules"]["gd_revenue_mom"]["owner"] = "alice"  # alice's own rule; the others belong to nobody
    path = tmp_path / "alerts.yaml"
    path.write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    doc = telecom_security_doc()
    doc["users"]["alice"]["email"] = "alice@example.com"
    doc["users"]["bob"]["email"] = "bob@example.com"
    security = Security.from_dict(doc, model=sample_model)
    return create_app(sample_bi, app_db=tmp_path / "app.sqlite3", security=security, alert_rules=path)


def as_user(app, user: str):
    client = app.server.test_client()
    sign_in(client, user)
    return as_request(app, client)


@pytest.fixture()
def inbox(monkeypatch):
    from tests.dashboards.test_alerts_page import Inbox

    box = Inbox()
    box.controller.start()
    monkeypatch.setenv("CHATBI_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CHATBI_SMTP_PORT", str(box.port))
    yield box
    box.controller.stop()


def test_where_a_test_digest_may_go(app, inbox) -> None:
    ctx = app.chatbi_context
    refused = (False, "A test digest goes only to your own address or to the rule's recipients.")
    request = as_user(app, "alice")
    try:
        assert alerts.send_test(ctx, "gd_revenue_mom", "attacker@example.net", "en") == refused
        assert alerts.send_test(ctx, "gd_revenue_mom", "gd-manager@example.com", "en")[0]  # her rule's recipient
        assert alerts.send_test(ctx, "gd_revenue_mom", "Alice@Example.com", "en")[0]  # her own address
        assert alerts.send_test(ctx, "revenue_weekly_en", "ceo-office@example.com", "en") == refused  # not hers
    finally:
        request.pop()
    request = as_user(app, "bob")
    try:
        assert alerts.send_test(ctx, "gd_revenue_mom", "gd-manager@example.com", "en") == refused  # alice's rule
        assert alerts.send_test(ctx, "gd_revenue_mom", "bob@example.com", "en")[0]
    finally:
        request.pop()
    request = as_user(app, "root")  # sees all data: may test an unowned rule with its recipients
    try:
        rule = next(r for r in alerts.load_rules(ctx)[0] if r.spec.owner is None)
        assert alerts.send_test(ctx, rule.id, rule.recipients[0], "en")[0]
    finally:
        request.pop()
    deadline = time.monotonic() + 5
    while len(inbox.messages) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    sent_to = sorted(to for rcpts, _ in inbox.messages for to in rcpts)
    assert "attacker@example.net" not in sent_to and len(sent_to) == 4


def test_test_digests_are_rate_limited_per_user(app, inbox) -> None:
    ctx = app.chatbi_context
    request = as_user(app, "alice")
    try:
        for _ in range(5):
            assert alerts.send_test(ctx, "gd_revenue_mom", "alice@example.com", "en")[0]
        ok, message = alerts.send_test(ctx, "gd_revenue_mom", "alice@example.com", "en")
        assert not ok and "5 test digests were sent in the last hour" in message
    finally:
        request.pop()
    request = as_user(app, "bob")  # someone else's budget is their own
    try:
        assert alerts.send_test(ctx, "gd_revenue_mom", "bob@example.com", "en")[0]
    finally:
        request.pop()


def test_recipients_of_other_users_rules_are_hidden(app) -> None:
    ctx = app.chatbi_context
    for user, visible in (("alice", {"gd_revenue_mom"}), ("bob", set()), ("root", set())):
        request = as_user(app, user)
        try:
            rules, _ = alerts.load_rules(ctx)
            rows = {r["id"]: r["recipients"] for r in alerts.rule_rows(ctx, rules, "en")}
        finally:
            request.pop()
        for rule_id, shown in rows.items():
            if rule_id in visible:
                assert "@example.com" in shown, (user, rule_id)
            else:
                assert "@" not in shown and shown == "(someone else's rule)", (user, rule_id, shown)
