"""The digest email end to end: sample warehouse -> rules -> root cause + charts -> real SMTP server.

One run sends two digests (Chinese to the managers, English to the CFO) with inline PNG charts;
the tests read the messages the server received.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest

from chatbi.alerts import AlertRunner, Outbox, SMTPMailer, SMTPSettings, load_rules, message_id_for
from chatbi.charts.formatting import format_delta, format_value

from .conftest import GD_RULE, MANAGERS, SMTPServer, VirtualClock, free_port, rules_doc

UTC = dt.UTC
FIRE = dt.datetime(2025, 12, 1, 1, 0, tzinfo=UTC)
SENDER = "ChatBI <chatbi@example.com>"
PNG = b"\x89PNG\r\n\x1a\n"
DASHBOARD = "https://bi.example.com/dashboards/south"
CFO = "cfo-office@example.com"


@pytest.fixture(scope="module")
def sent(sample_bi, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("digest")
    doc = rules_doc()
    doc["rules"]["gd_revenue_en"] = {**GD_RULE, "language": "en", "recipients": [CFO]}
    doc["rules"]["gd_revenue_by_city"] = {**GD_RULE, "name": None, "breakdown": "city"}
    path = tmp / "alerts.yaml"
    import yaml

    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    rules = load_rules(path, sample_bi.model, sample_bi.members.as_sets())
    server = SMTPServer(free_port()).start()
    try:
        outbox = Outbox(tmp / "app.sqlite3", clock=VirtualClock(FIRE))
        mailer = SMTPMailer(SMTPSettings(host="127.0.0.1", port=server.port, sender="chatbi@example.com"))
        runner = AlertRunner(sample_bi, rules, outbox, mailer, sender=SENDER, dashboard_url=DASHBOARD)
        report = runner.run(FIRE)
        server.wait_for(2)
        by_to = {tuple(sorted(r.recipients)): r for r in server.received}
        yield {"report": report, "zh": by_to[tuple(sorted(MANAGERS))], "en": by_to[(CFO,)], "outbox": outbox,
               "received": list(server.received)}
    finally:
        server.stop()


def _parts(message: EmailMessage) -> tuple[str, str, dict[str, bytes]]:
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    images = {part["Content-ID"].strip("<>"): part.get_payload(decode=True)
              for part in message.walk() if part.get_content_maintype() == "image"}
    return text, html, images


def test_one_digest_per_recipient_list_and_language(sent) -> None:
    report = sent["report"]
    assert len(sent["received"]) == 2 and len(report.stored) == 2 and len(report.delivery.sent) == 2
    zh, en = sent["zh"], sent["en"]
    assert sorted(zh.recipients) == sorted(MANAGERS) and en.recipients == [CFO]
    assert zh.sender == "chatbi@example.com"
    assert zh.message["From"] == SENDER and set(zh.message["To"].split(", ")) == set(MANAGERS)
    assert zh.message["Message-ID"].strip() in {message_id_for(k, SENDER) for k in report.stored}
    assert zh.message["Auto-Submitted"] == "auto-generated"


def test_subject_summarises_in_each_language(sent) -> None:
    assert sent["zh"].message["Subject"] == "ChatBI 预警: 2 项指标异常 — 广东东莞收入环比 -11.2%"
    assert sent["en"].message["Subject"] == "ChatBI alert: 1 metric flagged — Guangdong revenue -10.1% vs previous period"


def test_html_and_text_alternatives_with_embedded_png_charts(sent) -> None:
    message = sent["zh"].message
    assert message.get_content_type() == "multipart/alternative"
    text, html, images = _parts(message)
    assert message.get_body(("html",)).get_content_type() == "text/html"  # type: ignore[union-attr]
    assert len(images) == 2  # one chart per triggered rule
    for cid, data in images.items():
        assert data[:8] == PNG and len(data) > 5_000
        assert f'src="cid:{cid}"' in html
    assert "<html" not in text and "<html" in html


def test_values_changes_and_root_cause_lines(sent, sample_bi) -> None:
    text, html, _ = _parts(sent["zh"].message)
    frame = sample_bi.query(metrics=["revenue"], filters=[{"op": "in", "dimension": "province", "values": ["广东"]}],
                            time_range=("2025-11-01", "2025-11-30"), compare="previous_period").data
    value = format_value(frame["revenue"].iloc[0], "currency", "CNY", "zh")
    assert value == "8.81 亿元"
    for body in (text, html):
        assert value in body and "-10.1%" in body
        assert "2025年11月" in body and "2025年10月" in body
    # the planted story: 5G plans sold online in Guangdong, November 2025
    causes = re.findall(r"^\s+\d\. (.+)$", text, flags=re.MULTILINE)
    assert causes and "5G" in causes[0] and "线上" in causes[0], text
    # the same driver, measure and number as the app's "why" card (RootCauseReport.drivers)
    report = sample_bi.explain_change("revenue", ("2025-11-01", "2025-11-30"), language="zh",
                                      filters=[{"op": "in", "dimension": "province", "values": ["广东"]}])
    top = report.drivers.top
    assert causes[0].startswith(f"{top.label}：{format_delta(top.impact, 'currency', 'CNY', 'zh')}（比预期）")
    assert "占异常变化的" in causes[0]
    assert html.count('class="contributor"') >= 1 and "5G × 线上" in html

    en_text, en_html, en_images = _parts(sent["en"].message)
    en_causes = re.findall(r"^\s+\d\. (.+)$", en_text, flags=re.MULTILINE)
    assert en_causes and "5G" in en_causes[0] and "online" in en_causes[0]
    assert "vs expected" in en_causes[0] and "of the abnormal change" in en_causes[0]
    assert "November 2025" in en_text and "Top contributors" in en_html and len(en_images) == 1


def test_quiet_rules_and_dashboard_link(sent) -> None:
    text, html, _ = _parts(sent["zh"].message)
    assert "未触发的规则" in text and "未触发的规则" in html
    quiet = text.split("== 未触发的规则 ==")[1]
    assert "江苏离网率" in quiet and "值 > 50.00%" in quiet
    assert DASHBOARD in text and f'href="{DASHBOARD}"' in html
    en_text, _, _ = _parts(sent["en"].message)
    assert "Rules that did not trigger" not in en_text  # the English digest has one rule, and it triggered
    assert DASHBOARD in en_text


def test_outbox_holds_exactly_what_was_sent(sent) -> None:
    entries = sent["outbox"].entries()
    assert {e.status for e in entries} == {"sent"}
    assert sorted(e.mime for e in entries) == sorted(r.raw for r in sent["received"]) or \
        all(e.message_id in r.raw.decode("ascii", "replace") for e, r in zip(entries, sent["received"]))
