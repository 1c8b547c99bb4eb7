"""A report as an email: the report inline (HTML with PNG charts, and plain text) plus the PDF attached.

Mail clients run no scripts and many drop ``<style>`` blocks, so the mail body is its own template
with inline styles and the charts as PNGs embedded by Content-ID (exported with the chart
exporter's Chromium, ``chatbi.charts.export``). The PDF is the full report, appendix included.
The Message-ID is derived from the delivery's idempotency key, so a resend is recognisable (see
:mod:`chatbi.alerts.outbox`).
"""

from __future__ import annotations

import datetime as dt
import email.policy
import email.utils
import logging
from dataclasses import dataclass
from email.message import EmailMessage
from functools import lru_cache
from typing import cast

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from .catalog import say, words
from .errors import RenderError
from .html import TEMPLATES, ref_ranges
from .result import Bullets, Chart, Report, Table, Text, Tiles

__all__ = ["RenderedMail", "render_mail", "chart_pngs"]

log = logging.getLogger("chatbi.reports")
#: chart width in the mail (CSS pixels); exported at twice that for sharp screens
MAIL_CHART_WIDTH = 640


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    message_id: str
    mime: bytes
    html: str
    text: str
    pdf: bytes | None
    charts: int


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined, autoescape=True,
                      trim_blocks=True, lstrip_blocks=True)
    env.globals.update(is_text=lambda b: isinstance(b, Text), is_bullets=lambda b: isinstance(b, Bullets),
                       is_tiles=lambda b: isinstance(b, Tiles), is_chart=lambda b: isinstance(b, Chart),
                       is_table=lambda b: isinstance(b, Table), ref_ranges=ref_ranges)
    return env


def chart_pngs(report: Report) -> dict[str, bytes]:
    """Every chart as PNG (one browser session for all); empty when no browser can export them."""
    from ..charts import export_image, export_session

    charts = [c for s in report.sections for c in s.charts()]
    if not charts:
        return {}
    out: dict[str, bytes] = {}
    try:
        with export_session():
            for chart in charts:
                out[chart.key] = export_image(chart.figure, "png", width=MAIL_CHART_WIDTH,
                                              height=round(chart.height * 0.85), scale=2)
    except Exception as exc:  # noqa: BLE001 - the mail goes out with its text and tables, and the PDF
        log.warning("report charts could not be exported for the mail: %s", exc)
        return {}
    return out


def message_id_for(key: str, sender: str) -> str:
    domain = sender.rpartition("@")[2].strip("> ") or "chatbi.local"
    return f"<{key[:32]}.report@{domain}>"


def render_mail(report: Report, *, key: str, sender: str, recipients: tuple[str, ...], schedule: str = "",
                app_url: str | None = None, when: dt.datetime | None = None, pdf: bool = True,
                pngs: dict[str, bytes] | None = None) -> RenderedMail:
    """The MIME bytes of the report mail (``multipart/mixed``: the body, then the PDF)."""
    lang = report.language
    when = when or dt.datetime.now(dt.UTC)
    pngs = chart_pngs(report) if pngs is None else pngs
    pdf_bytes: bytes | None = None
    pdf_error = ""
    if pdf:
        try:
            pdf_bytes = report.to_pdf()
        except RenderError as exc:  # the report still goes out inline; the mail says why there is no PDF
            log.warning("report PDF failed: %s", exc)
            pdf_error = str(exc)
    subject = say("mail.subject", lang, title=report.title, period=report.period_label)
    cids = {k: f"{k}.{key[:12]}@chatbi" for k in pngs}
    context = {"report": report, "w": words(lang), "cids": cids, "app_url": app_url, "pdf_attached": pdf_bytes is not None,
               "pdf_error": pdf_error, "sent_by": say("mail.sent_by", lang, schedule=schedule) if schedule else "",
               "generated": report.generated.astimezone().strftime("%Y-%m-%d %H:%M")}
    html = _env().get_template("mail.html.j2").render(**context)
    text = report.text() + "\n\n" + (say("mail.attached", lang) if pdf_bytes is not None else pdf_error)
    message_id = message_id_for(key, sender)

    msg = EmailMessage(policy=email.policy.SMTP)
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = email.utils.format_datetime(when)
    msg["Message-ID"] = message_id
    msg["X-ChatBI-Report"] = key
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies to a robot
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    html_part = cast(EmailMessage, msg.get_payload()[1])  # type: ignore[index]
    for chart_key, png in pngs.items():
        html_part.add_related(png, maintype="image", subtype="png", cid=f"<{cids[chart_key]}>",
                              filename=f"{chart_key}.png", disposition="inline")
    if pdf_bytes is not None:
        msg.add_attachment(pdf_bytes, maintype="application", subtype="pdf", filename=_filename(report))
    return RenderedMail(subject, message_id, msg.as_bytes(), html, text, pdf_bytes, len(pngs))


def _filename(report: Report) -> str:
    return f"{report.name}-{report.period[0].isoformat()}.pdf"
