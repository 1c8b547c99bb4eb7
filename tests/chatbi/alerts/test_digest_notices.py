"""A digest that could not check everything says so first: a failed rule and missed runs, in both
languages, rendered in headless Chromium at desktop and phone widths (screenshots in test-artifacts/)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from chatbi.alerts import group_rules, render_digest, rules_from_dict
from chatbi.alerts.evaluate import Evaluation, evaluate_rule, resolve_period
from chatbi.alerts.firestate import MissedFire

from .conftest import GD_RULE, QUIET_RULE, rules_doc

UTC = dt.UTC
FIRE = dt.datetime(2025, 12, 1, 1, 0, tzinfo=UTC)


def _digest(bi: Any, language: str) -> Any:
    rules = rules_from_dict(rules_doc(language, gd_revenue=dict(GD_RULE), js_churn=dict(QUIET_RULE)), bi.model)
    [group] = group_rules(rules)
    evaluations = []
    for rule in group.rules:
        period = resolve_period(rule, FIRE, None)
        if rule.id == "gd_revenue":  # the warehouse refused this one
            evaluations.append(Evaluation(rule, period, None, FIRE, error="warehouse unavailable: connection refused"))
        else:
            evaluations.append(evaluate_rule(bi, rule, period, fire=FIRE))
    missed = [MissedFire(rules.namespace, "js_churn", dt.datetime(2025, 9, 1, 1, 0, tzinfo=UTC),
                         dt.datetime(2025, 10, 1, 1, 0, tzinfo=UTC), 2, "not running", FIRE)]
    return render_digest(bi, group, evaluations, key="k" * 64, sender="chatbi@example.com", when=FIRE, missed=missed)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_failed_rules_and_missed_runs_come_first(sample_bi, language) -> None:
    digest = _digest(sample_bi, language)
    if language == "zh":
        assert digest.subject.endswith("· 1 项规则无法计算 · 错过 2 次运行")
        assert "已检查的规则中无指标触发预警" in digest.html and "本期无指标触发预警" not in digest.html
        assert "广东收入（2025年11月）无法计算：warehouse unavailable" in digest.text
        assert "江苏离网率：错过 2 次计划运行（2025-09-01 09:00 至 2025-10-01 09:00），原因是 ChatBI 当时未运行" \
            in digest.text
    else:
        assert digest.subject.endswith("· 1 rule could not be evaluated · 2 scheduled runs missed")
        assert "No metrics flagged among the rules that could be checked" in digest.html
        assert "could not be evaluated: warehouse unavailable" in digest.text
        assert "2 scheduled runs missed (2025-09-01 09:00 to 2025-10-01 09:00) because ChatBI was not running" \
            in digest.text
    # the notices come before any numbers
    assert digest.html.index('class="notices"') < digest.html.index("</h1>") + 400


@pytest.mark.browser
@pytest.mark.parametrize("language", ["zh", "en"])
def test_digest_notices_look_right(sample_bi, chromium, language) -> None:
    from tests.dashboards.browser import ARTIFACTS

    html = _digest(sample_bi, language).html
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"digest-notices-{language}.html").write_text(html, encoding="utf-8")
    for name, width, height in [("desktop", 1400, 900), ("phone", 390, 844)]:
        page = chromium.new_page(viewport={"width": width, "height": height})
        try:
            page.set_content(html)
            notices = page.locator("td.notices")
            assert notices.count() == 1 and notices.is_visible()
            box = notices.bounding_box()
            assert box is not None and box["y"] < 200  # right under the header, not below the fold
            page.screenshot(path=str(ARTIFACTS / f"digest-notices-{language}-{name}.png"), full_page=True)
        finally:
            page.close()
