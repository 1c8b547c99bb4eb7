"""No data is not "all clear": a rule whose period has no data, or whose data is older than its
schedule implies, is reported as such -- in the evaluation's status, the digest and its subject --
and a digest goes out for it even when nothing triggered. The sample warehouse ends 2025-12-31."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from chatbi.alerts import AlertRunner, Outbox, group_rules, load_rules, render_digest, rules_from_dict
from chatbi.alerts.evaluate import evaluate_rule, resolve_period

from .conftest import GD_RULE, QUIET_RULE, rules_doc

UTC = dt.UTC
#: 1 March 2026, 09:00 in Shanghai: the schedule asks for February 2026, the data ends in December 2025
LATE = dt.datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
ON_TIME = dt.datetime(2025, 12, 1, 1, 0, tzinfo=UTC)


def _rule(bi, relative_to: str = "schedule", **extra):
    spec = copy.deepcopy(GD_RULE)
    spec["period"] = {"unit": "month", "offset": 1, "relative_to": relative_to}
    spec.update(extra)
    rules = rules_from_dict(rules_doc("zh", gd_revenue=spec, js_churn=dict(QUIET_RULE)), bi.model)
    return rules, rules["gd_revenue"]


def _evaluate(bi, rule, fire):
    return evaluate_rule(bi, rule, resolve_period(rule, fire, bi.anchor), fire=fire)


def test_a_period_without_data_is_missing_not_quiet(sample_bi):
    _, rule = _rule(sample_bi)
    ev = _evaluate(sample_bi, rule, LATE)
    assert ev.period == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert ev.status == "no_data" and not ev.triggered and ev.error is None
    assert ev.data_end == dt.date(2025, 12, 31) and ev.expected_end == dt.date(2026, 2, 28)


def test_auto_evaluates_the_datas_last_complete_period_and_says_it_is_stale(sample_bi):
    _, rule = _rule(sample_bi, "auto")
    ev = _evaluate(sample_bi, rule, LATE)
    assert ev.period == (dt.date(2025, 12, 1), dt.date(2025, 12, 31))  # the last month with data
    assert ev.status == "stale" and ev.headline is not None and ev.headline.value is not None
    fresh = _evaluate(sample_bi, rule, ON_TIME)  # on time, auto reads the schedule's own month
    assert fresh.period == (dt.date(2025, 11, 1), dt.date(2025, 11, 30)) and fresh.freshness == "fresh"
    assert fresh.status == "triggered"  # November's planted drop in Guangdong


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_digest_for_a_period_without_data_says_so(sample_bi, language):
    spec = copy.deepcopy(GD_RULE)
    quiet = copy.deepcopy(QUIET_RULE)
    quiet["period"] = {"unit": "month", "offset": 1, "relative_to": "auto"}
    rules = rules_from_dict(rules_doc(language, gd_revenue=spec, js_churn=quiet), sample_bi.model)
    [group] = group_rules(rules)
    evaluations = [_evaluate(sample_bi, rule, LATE) for rule in group.rules]
    assert [e.status for e in evaluations] == ["no_data", "stale"]
    digest = render_digest(sample_bi, group, evaluations, key="f" * 64, sender="chatbi@example.com", when=LATE)
    if language == "zh":
        assert "本期无指标触发预警" not in digest.html + digest.text  # never "all clear"
        assert "已检查的规则中无指标触发预警" in digest.html
        assert "广东收入（2026年2月）本期没有数据，数据只到 2025年12月31日；此规则未能检查" in digest.text
        assert "数据只到 2025年12月31日，按计划应到 2026年2月28日" in digest.text
        assert digest.subject.endswith("· 2 项规则缺少最新数据")
    else:
        assert "No metrics flagged this time" not in digest.text and "No metrics flagged</h1>" not in digest.html
        assert "no data for this period (the data ends 2025-12-31); the rule could not check anything" in digest.text
        assert "the data ends 2025-12-31, older than the schedule expects (2026-02-28)" in digest.text
        assert digest.subject.endswith("· 2 rule(s) without current data")
    assert digest.html.index('class="notices"') < digest.html.index("notice-no_data")
    # the rule without data is not listed among the rules that "did not trigger"
    quiet_part = digest.text.split("==")[-2] if "==" in digest.text else ""
    assert "2026年2月" not in quiet_part and "2026-02" not in quiet_part


def test_a_stale_rule_sends_its_digest_even_when_nothing_triggered(sample_bi, write_rules, tmp_path):
    class Recorder:
        def __init__(self):
            self.sent = []

        def send(self, message, sender, recipients):
            self.sent.append(message)

    for notify, stored in ((True, 1), (False, 0)):
        quiet = copy.deepcopy(QUIET_RULE)
        quiet["notify_stale"] = notify
        path = write_rules(rules_doc("zh", js_churn=quiet))
        rules = load_rules(path, sample_bi.model)
        outbox = Outbox(tmp_path / f"app-{notify}.sqlite3", clock=lambda: LATE)
        report = AlertRunner(sample_bi, rules, outbox, Recorder(), sender="bi@example.com").run(LATE, deliver=False)
        assert len(report.stored) == stored, report.summary()
        assert [e.status for e in report.evaluations] == ["no_data"]


def test_the_sample_rules_read_the_datas_last_complete_period(sample_bi):
    from sample_data import TELECOM_DIR

    rules = load_rules(TELECOM_DIR / "alerts.yaml", sample_bi.model, sample_bi.members.as_sets())
    monthly = rules["gd_revenue_mom"]
    assert monthly.spec.period.relative_to == "auto"
    assert resolve_period(monthly, LATE, sample_bi.anchor) == (dt.date(2025, 12, 1), dt.date(2025, 12, 31))
    daily = rules["zj_dropped_calls_anomaly"]
    assert resolve_period(daily, LATE, sample_bi.anchor) == (dt.date(2025, 12, 31), dt.date(2025, 12, 31))
