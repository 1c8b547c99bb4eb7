"""The Alerts page over the sample rules, with a real SMTP server on loopback for the test digest."""

from __future__ import annotations

import socket
import time

import pytest

from dashboards import create_app
from dashboards.pages import alerts

from .helpers import find, text_of


class Inbox:
    """An aiosmtpd server on 127.0.0.1 that keeps what it receives."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.messages: list[tuple[list[str], bytes]] = []
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd hook
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 OK"


@pytest.fixture()
def alerts_ctx(sample_bi, tmp_path):
    from sample_data import TELECOM_DIR

    return create_app(sample_bi, app_db=tmp_path / "app.sqlite3", alert_rules=TELECOM_DIR / "alerts.yaml").chatbi_context


def test_rules_are_listed_in_both_languages(alerts_ctx):
    page = alerts.layout(alerts_ctx, "zh", "x" * 32, {})
    rules = text_of(find(page, cls="alert-rules"))
    assert "广东收入" in rules and "环比 < -5.0%" in rules and "0 9 1 * *" in rules
    assert "还没有发送过摘要" in text_of(page)
    en = text_of(alerts.layout(alerts_ctx, "en", "x" * 32, {}))
    assert "Guangdong revenue" in en and "Send a test digest" in en


def test_test_digest_is_mailed_and_shows_in_last_runs(alerts_ctx, monkeypatch):
    inbox = Inbox()
    inbox.controller.start()
    try:
        monkeypatch.setenv("CHATBI_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("CHATBI_SMTP_PORT", str(inbox.port))
        assert alerts.send_test(alerts_ctx, "gd_revenue_mom", "not-an-address", "en") == \
            (False, "Please enter a valid email address.")
        # without sign-in a test goes only to the rule's own recipients
        assert alerts.send_test(alerts_ctx, "gd_revenue_mom", "boss@example.com", "en") == \
            (False, "A test digest goes only to your own address or to the rule's recipients.")
        ok, message = alerts.send_test(alerts_ctx, "gd_revenue_mom", "gd-manager@example.com", "en")
        assert ok, message
        deadline = time.monotonic() + 5
        while not inbox.messages and time.monotonic() < deadline:
            time.sleep(0.05)
        assert inbox.messages and inbox.messages[0][0] == ["gd-manager@example.com"]
    finally:
        inbox.controller.stop()
    runs = alerts.run_rows(alerts_ctx, "en")
    assert runs[0]["status"] == "sent" and runs[0]["recipients"] == "gd-manager@example.com"
    page = alerts.layout(alerts_ctx, "en", "x" * 32, {})
    assert "gd-manager@example.com" in text_of(find(page, cls="alert-runs"))


def test_smtp_down_is_a_clear_message(alerts_ctx, monkeypatch):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once the socket closes
    monkeypatch.setenv("CHATBI_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CHATBI_SMTP_PORT", str(port))
    monkeypatch.setenv("CHATBI_SMTP_TIMEOUT", "2")
    ok, message = alerts.send_test(alerts_ctx, "gd_revenue_mom", "gd-manager@example.com", "en")
    assert not ok and message and "Traceback" not in message


def test_without_rules_the_page_says_how_to_add_them(ctx):
    assert "CHATBI_ALERT_RULES" in text_of(alerts.layout(ctx, "en", "x" * 32, {}))


def test_rules_without_current_data_say_so(sample_model, sample_db_path, tmp_path):
    """Seen on 1 March 2026 the sample (data until 2025-12-31) is old for every rule; on
    1 December 2025 it is not."""
    import datetime as dt

    from chatbi import ChatBI
    from sample_data import TELECOM_DIR

    for day, stale in ((dt.datetime(2026, 3, 1, 9), True), (dt.datetime(2025, 12, 1, 9), False)):
        bi = ChatBI(sample_model, sample_db_path, clock=lambda d=day: d)
        ctx = create_app(bi, app_db=tmp_path / f"{day:%Y%m}.sqlite3", alert_rules=TELECOM_DIR / "alerts.yaml") \
            .chatbi_context
        rules, _ = alerts.load_rules(ctx)
        statuses = {row["id"]: row["status"] for row in alerts.rule_rows(ctx, rules, "zh")}
        if stale:  # each rule's own expectation: last month, yesterday, last week (Mon-Sun)
            expected = {"gd_revenue_mom": "2026-02-28", "churn_rate_by_province": "2026-02-28",
                        "new_5g_subscribers_yoy": "2026-02-28", "zj_dropped_calls_anomaly": "2026-02-28",
                        "revenue_weekly_en": "2026-02-22"}
            assert statuses == {rid: f"数据过期：只到 2025-12-31，按计划应到 {end}" for rid, end in expected.items()}
        else:
            assert not any("数据过期" in s or "无数据" in s for s in statuses.values()), statuses
        bi.close()
