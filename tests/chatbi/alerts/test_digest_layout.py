"""What a digest shows and how it looks: the anomaly block's period value is the period's total
(the flagged day on a line of its own), a quiet rule names the member closest to its threshold,
and the HTML is fluid -- rendered to PNG in Chromium at 390 px (a phone) and 1200 px it never
scrolls sideways. The PNGs land in test-artifacts/ (``digest-<lang>-<width>.png``).
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from chatbi.alerts import load_rules
from chatbi.alerts.digest import DigestGroup, render_digest
from chatbi.alerts.evaluate import evaluate_rule, explain
from chatbi.charts.formatting import format_value
from semantic_layer import SemanticQuery

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
AUGUST = (dt.date(2025, 8, 1), dt.date(2025, 8, 31))
NOVEMBER = (dt.date(2025, 11, 1), dt.date(2025, 11, 30))
RULES = {
    "version": 1,
    "defaults": {"timezone": "Asia/Shanghai"},
    "rules": {
        "gd_revenue": {"name": {"zh": "广东收入", "en": "Guangdong revenue"}, "metric": "revenue",
                       "filters": {"province": "广东"}, "period": {"unit": "month", "offset": 1},
                       "condition": {"type": "change", "compare": "previous_period", "op": "<", "value": "-5%"},
                       "schedule": {"cron": "0 9 1 * *"}, "recipients": ["ops@example.com"], "top_contributors": 3},
        "zj_dropped_calls": {"metric": "dropped_calls", "filters": {"province": "浙江"},
                             "period": {"unit": "month", "offset": 1},
                             "condition": {"type": "anomaly", "grain": "day", "lookback": 120, "sensitivity": 3.0,
                                           "direction": "up"},
                             "schedule": {"cron": "0 9 1 * *"}, "recipients": ["ops@example.com"]},
        "churn_by_province": {"metric": "churn_rate", "breakdown": "province", "period": {"unit": "month", "offset": 1},
                              "condition": {"type": "threshold", "op": ">", "value": 0.02},
                              "schedule": {"cron": "0 9 1 * *"}, "recipients": ["ops@example.com"]},
    },
}


@pytest.fixture(scope="module")
def rules(sample_bi, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The rules in both languages, by id."""
    out: dict[str, dict[str, Any]] = {}
    for lang in ("zh", "en"):
        doc = {**RULES, "defaults": {**RULES["defaults"], "language": lang}}
        path = tmp_path_factory.mktemp(f"rules-{lang}") / "alerts.yaml"
        path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        out[lang] = {r.id: r for r in load_rules(path, sample_bi.model, sample_bi.members.as_sets())}
    return out


@pytest.fixture(scope="module")
def digests(sample_bi, rules) -> Iterator[dict[str, Any]]:
    """One rendered digest per language: a change rule and an anomaly rule that trigger, a quiet threshold."""
    from chatbi.charts import export_session

    out: dict[str, Any] = {}
    with export_session():
        for lang, by_id in rules.items():
            evaluations = [explain(sample_bi, evaluate_rule(sample_bi, by_id["gd_revenue"], NOVEMBER)),
                           explain(sample_bi, evaluate_rule(sample_bi, by_id["zj_dropped_calls"], AUGUST)),
                           evaluate_rule(sample_bi, by_id["churn_by_province"], NOVEMBER)]
            group = DigestGroup(("ops@example.com",), lang, tuple(by_id.values()))
            rendered = render_digest(sample_bi, group, evaluations, key=f"layout-{lang}" * 4,
                                     sender="chatbi@example.com")
            out[lang] = {"evaluations": evaluations, "rendered": rendered}
    yield out


def test_anomaly_block_shows_the_period_total_and_the_flagged_day_apart(sample_bi, digests) -> None:
    total = sample_bi.run(SemanticQuery(metrics=["dropped_calls"], time_range=AUGUST,
                                        filters=[{"op": "in", "dimension": "province", "values": ["浙江"]}]),
                          language="zh").data["dropped_calls"].iloc[0]
    for lang, words in (("zh", "异常点："), ("en", "Anomaly: ")):
        evaluation = digests[lang]["evaluations"][1]
        assert evaluation.triggered and evaluation.headline.point is not None
        assert evaluation.headline.value == pytest.approx(total)  # the period's value is the period's
        point = evaluation.headline.point
        assert AUGUST[0] <= point.at <= AUGUST[1] and point.actual < total
        html = digests[lang]["rendered"].html
        values = re.findall(r'class="period-value"[^>]*>([^<]+)<', html)
        assert format_value(total, "integer", "", lang) in values  # the tile under the period
        assert words in html and format_value(point.actual, "integer", "", lang) in html  # the day, apart
        assert words.strip() in digests[lang]["rendered"].text
        # the explanation compares what the tiles compare: August with July, named as the tiles name it
        assert evaluation.baseline == (dt.date(2025, 7, 1), dt.date(2025, 7, 31))
        july = {"zh": "2025年7月", "en": "July 2025"}[lang]
        assert july in evaluation.root_cause_text, evaluation.root_cause_text


def test_quiet_threshold_rule_names_the_member_closest_to_it(sample_bi, digests) -> None:
    frame = sample_bi.run(SemanticQuery(metrics=["churn_rate"], dimensions=["province"], time_range=NOVEMBER),
                          language="zh").data
    closest = frame.loc[(frame["churn_rate"] - 0.02).abs().idxmin()]
    evaluation = digests["zh"]["evaluations"][2]
    assert not evaluation.triggered
    assert evaluation.headline.member == closest["province"]
    text = digests["zh"]["rendered"].text
    assert f"最接近触发：{closest['province']} {format_value(closest['churn_rate'], 'percent', '', 'zh')}" in text


def _inline_images(rendered: Any) -> str:
    """The HTML with its cid: images inlined as data URIs, as a mail client shows them."""
    import email
    import email.policy

    html = rendered.html
    message = email.message_from_bytes(rendered.mime, policy=email.policy.default)
    for part in message.walk():
        if part.get_content_maintype() == "image":
            cid = part["Content-ID"].strip("<>")
            data = base64.b64encode(part.get_payload(decode=True)).decode()
            html = html.replace(f"cid:{cid}", f"data:image/png;base64,{data}")
    return html


@pytest.mark.browser
@pytest.mark.parametrize("width", [390, 1200])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_digest_html_is_fluid(chromium, digests, lang, width) -> None:
    page = chromium.new_page(viewport={"width": width, "height": 900})
    try:
        page.set_content(_inline_images(digests[lang]["rendered"]), wait_until="load")
        scroll = page.evaluate("document.documentElement.scrollWidth")
        card = page.evaluate("""() => { const t = document.querySelectorAll('table')[1].getBoundingClientRect();
                                return {left: t.left, right: t.right, width: t.width}; }""")
        images = page.evaluate("[...document.images].map((i) => [i.naturalWidth, i.getBoundingClientRect().right])")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"digest-{lang}-{width}.png"), full_page=True)
    finally:
        page.close()
    assert scroll <= width, f"the digest scrolls sideways at {width} px ({scroll} px wide)"
    assert card["width"] <= 680 and card["right"] <= width
    if width > 700:  # centred on a wide screen
        assert abs(card["left"] - (width - card["right"])) <= 2
    assert images and all(natural > 0 and right <= width for natural, right in images)
