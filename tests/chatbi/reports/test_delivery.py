"""Scheduled reports: built on schedule, stored in the alerts outbox, delivered once through a real
SMTP server on loopback even when the server is down at first; the report inline, the PDF attached."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from chatbi.alerts import Outbox, SMTPMailer, SMTPSettings
from chatbi.reports import load_spec
from chatbi.reports.delivery import ReportRunner, deliveries, delivery_key, delivery_period
from sample_data import TELECOM_DIR
from semantic_layer import MemberFilter

SENDER = "ChatBI <reports@example.com>"
TO = ["cfo@example.com", "ceo@example.com"]


def _spec(sample_model, **schedule: object):
    spec = load_spec(TELECOM_DIR / "reports" / "monthly_review.yaml", sample_model)
    delivery = spec.schedules[0].model_copy(update={"recipients": tuple(TO), "language": "en", **schedule})
    return spec.model_copy(update={"schedules": (delivery,)})


def test_periods_follow_the_schedule_or_the_data(sample_model) -> None:
    (d,) = deliveries([_spec(sample_model)])
    fire = dt.datetime(2025, 12, 2, 1, 0, tzinfo=dt.UTC)
    assert delivery_period(d, fire, None) == (dt.date(2025, 11, 1), dt.date(2025, 11, 30))
    (late,) = deliveries([_spec(sample_model, relative_to="data")])
    assert delivery_period(late, fire, dt.date(2025, 10, 20)) == (dt.date(2025, 9, 1), dt.date(2025, 9, 30))
    assert delivery_period(late, fire, dt.date(2025, 10, 31)) == (dt.date(2025, 10, 1), dt.date(2025, 10, 31))


@pytest.mark.browser
def test_scheduled_report_is_delivered_once_across_an_smtp_outage(tmp_path: Path, sample_bi, sample_model,
                                                                  smtp_down, clock, chromium) -> None:
    outbox = Outbox(tmp_path / "app.sqlite3", clock=clock, backoff_base=60)
    mailer = SMTPMailer(SMTPSettings(host="127.0.0.1", port=smtp_down.port, sender="reports@example.com", timeout=5))
    runner = ReportRunner(sample_bi, [_spec(sample_model)], outbox, mailer, sender=SENDER,
                          dashboard_url="http://bi.example.com/reports")

    first = runner.run()                       # 09:00 on Dec 2 in Shanghai: November's review is due
    assert first.due == ["report:monthly_review:executives"] and len(first.stored) == 1 and not first.errors
    assert first.delivery.retrying == first.stored and not first.delivery.sent   # the server is down
    key = first.stored[0]
    # the same instant again (a cron run twice, or a restart): nothing is due, nothing is built again
    again = ReportRunner(sample_bi, [_spec(sample_model)], outbox, mailer, sender=SENDER).run()
    assert not again.due and not again.stored and not again.delivery.sent

    smtp_down.start()
    clock.advance(seconds=61)                  # the retry is due and the server is back
    assert runner.run().delivery.sent == [key]
    clock.advance(hours=6)
    assert runner.run().delivery.sent == []
    received = smtp_down.wait_for(1)
    assert len(received) == 1
    assert sorted(received[0].recipients) == sorted(TO)

    message = received[0].message
    assert message["Subject"] == "Monthly business review | Nov 2025"
    assert message["Message-ID"] == outbox.get(key).message_id  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()
    assert "Guangdong × 5G × online" in html and "cid:" in html
    images = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert len(images) == html.count("cid:") >= 8
    (pdf,) = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert pdf.get_filename() == "monthly_review-2025-11-01.pdf" and pdf.get_content().startswith(b"%PDF")
    text = message.get_body(("plain",)).get_content()
    assert "Revenue ¥6.20B" in text and "attached as a PDF" in text
    _screenshot(chromium, html, images, tmp_path)

    # a month later the December review goes out, under its own key
    clock.now = dt.datetime(2026, 1, 2, 1, 0, tzinfo=dt.UTC)
    later = runner.run()
    assert len(later.stored) == 1 and later.stored != [key] and later.delivery.sent == later.stored
    assert smtp_down.wait_for(2)[1].message["Subject"] == "Monthly business review | Dec 2025"


def _screenshot(chromium, html: str, images: list, tmp_path: Path) -> None:
    """The mail as a reader sees it (Content-IDs resolved), into test-artifacts/."""
    import base64

    from .conftest import ARTIFACTS

    for part in images:
        cid = part["Content-ID"].strip("<>")
        html = html.replace(f"cid:{cid}", "data:image/png;base64," + base64.b64encode(part.get_content()).decode())
    page_file = tmp_path / "mail.html"
    page_file.write_text(html, encoding="utf-8")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name, width in (("desktop", 1400), ("phone", 390)):
        context = chromium.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.goto(page_file.as_uri())
        # as wide as the screen: wide tables scroll in their own box, KPI tiles wrap two to a row on a phone
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        if name == "phone":
            tiles = page.evaluate("[...document.querySelectorAll('div')].filter(d => d.style.display == "
                                  "'inline-block').map(d => Math.round(d.getBoundingClientRect().right))")
            assert tiles and max(tiles) <= width
        page.screenshot(path=str(ARTIFACTS / f"report-mail-en-{name}.png"), full_page=True)
        context.close()


def test_a_schedule_keeps_its_key_unless_it_has_a_scope(sample_model) -> None:
    november = (dt.date(2025, 11, 1), dt.date(2025, 11, 30))
    spec = load_spec(TELECOM_DIR / "reports" / "monthly_review.yaml", sample_model)
    (plain,) = deliveries([spec])
    # the key a schedule without a scope had before scopes existed: nothing delivered is sent again
    assert delivery_key(plain, november) == "99cdd84b4402c8dc41a0a478734c0178752743bfec4767890f4d3b804e0030f0"
    scoped = spec.schedules[0].model_copy(update={"scope": (MemberFilter(op="in", dimension="province",
                                                                          values=("广东",)),)})
    (gd,) = deliveries([spec.model_copy(update={"schedules": (scoped,)})])
    assert delivery_key(gd, november) != delivery_key(plain, november)


@pytest.mark.browser
def test_a_schedule_with_a_scope_mails_that_provinces_report(tmp_path: Path, sample_bi, sample_model, smtp_down,
                                                             clock, chromium) -> None:
    from chatbi.reports import spec_from_dict

    doc = {"name": "gd_review", "title": {"zh": "月度经营分析报告", "en": "Monthly business review"},
           "sections": [{"type": "kpis", "metrics": ["revenue", "arpu"]},
                        {"type": "breakdown", "metric": "revenue", "by": "province"}],
           "schedules": [{"id": "gd", "cron": "0 9 2 * *", "recipients": ["gd@example.com"], "language": "en",
                          "scope": {"province": "广东"}}]}
    spec = spec_from_dict(doc, sample_model, sample_bi.members.as_sets())
    assert spec.schedules[0].scope[0].values == ("广东",)
    smtp_down.start()
    outbox = Outbox(tmp_path / "app.sqlite3", clock=clock)
    mailer = SMTPMailer(SMTPSettings(host="127.0.0.1", port=smtp_down.port, sender="reports@example.com", timeout=5))
    run = ReportRunner(sample_bi, [spec], outbox, mailer, sender=SENDER).run()
    assert len(run.delivery.sent) == 1 and not run.errors
    message = smtp_down.wait_for(1)[0].message
    assert message["Subject"] == "Monthly business review: Guangdong | Nov 2025"
    html = message.get_body(("html",)).get_content()
    assert "Revenue by City" in html and "Guangzhou" in html
    assert not any(name in html for name in ("Jiangsu", "Zhejiang", "Beijing", "Sichuan", "江苏", "浙江", "北京"))
    with pytest.raises(Exception, match=r"schedules\[0\]\.scope\[0\]\.values: no province called '广栋'"):
        spec_from_dict({**doc, "schedules": [{**doc["schedules"][0], "scope": {"province": "广栋"}}]}, sample_model,
                       sample_bi.members.as_sets())
