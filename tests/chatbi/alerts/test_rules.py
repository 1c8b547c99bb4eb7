"""Rules files: the sample loads; mistakes are clear errors at load time (file, path, line, did you mean)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from chatbi.alerts import RuleError, RuleStore, load_rules
from chatbi.alerts.rules import AnomalyCondition, ChangeCondition, ThresholdCondition
from chatbi.errors import ChatBIError

from .conftest import GD_RULE, MANAGERS, rules_doc

SAMPLE = Path(__file__).resolve().parents[3] / "sample_data" / "telecom" / "alerts.yaml"
MEMBERS = {"province": frozenset({"广东", "浙江", "江苏"}), "plan_type": frozenset({"5G", "4G"})}


def test_sample_rules_file_loads_against_the_model(sample_model) -> None:
    rules = load_rules(SAMPLE, sample_model, MEMBERS)
    assert len(rules) >= 4
    kinds = {type(r.spec.condition) for r in rules}
    assert kinds == {ThresholdCondition, ChangeCondition, AnomalyCondition}
    gd = rules["gd_revenue_mom"]
    assert gd.schedule.timezone == "Asia/Shanghai" and gd.schedule.cron == "0 9 1 * *"
    assert set(gd.recipients) == {"south-ops@example.com", "gd-manager@example.com"}  # list name resolved
    assert gd.spec.condition.value == pytest.approx(-0.05)  # "-5%" read as a fraction
    assert rules["revenue_weekly_en"].language == "en"


def test_defaults_and_shorthands(write_rules, sample_model) -> None:
    rules = load_rules(write_rules(rules_doc()), sample_model)
    gd = rules["gd_revenue"]
    assert gd.recipients == tuple(MANAGERS)
    assert gd.language == "zh"
    assert gd.spec.filters[0].model_dump() == {"op": "in", "dimension": "province", "values": ("广东",)}
    assert rules["js_churn"].schedule.timezone == "Asia/Shanghai"  # cron string + default zone


def _error(path: Path, model, members=None) -> RuleError:
    with pytest.raises(RuleError) as info:
        load_rules(path, model, members)
    assert isinstance(info.value, ChatBIError) and isinstance(info.value, ValueError)
    return info.value


def test_bad_yaml_names_file_and_line(write_rules, sample_model) -> None:
    path = write_rules("rules:\n  a:\n    metric: revenue\n   condition: [\n")
    err = _error(path, sample_model)
    assert str(path) in str(err)
    assert "not valid YAML" in str(err)
    assert err.problems[0].line is not None and err.problems[0].line >= 3


def test_unknown_metric_is_reported_with_suggestion_and_line(write_rules, sample_model) -> None:
    doc = rules_doc()
    doc["rules"]["gd_revenue"]["metric"] = "revnue"
    path = write_rules(doc)
    err = _error(path, sample_model)
    assert len(err.problems) == 1
    problem = err.problems[0]
    assert problem.path == "rules.gd_revenue.metric"
    assert "unknown metric 'revnue'" in problem.message and problem.candidates[0] == "revenue"
    line = path.read_text(encoding="utf-8").splitlines()[problem.line - 1]
    assert "revnue" in line
    assert "Did you mean 'revenue'?" in str(err)


def test_invalid_cron_and_timezone(write_rules, sample_model) -> None:
    doc = rules_doc()
    doc["rules"]["gd_revenue"]["schedule"] = {"cron": "0 25 * * *", "timezone": "Asia/Shangai"}
    doc["rules"]["js_churn"]["schedule"] = "every monday"
    err = _error(write_rules(doc), sample_model)
    by_path = {p.path: p for p in err.problems}
    assert "invalid cron expression '0 25 * * *'" in by_path["rules.gd_revenue.schedule.cron"].message
    assert "expected 5 fields" in by_path["rules.js_churn.schedule.cron"].message
    zone = by_path["rules.gd_revenue.schedule.timezone"]
    assert "unknown time zone 'Asia/Shangai'" in zone.message and zone.candidates[0] == "Asia/Shanghai"


def test_bad_filter_breakdown_member_and_recipients(write_rules, sample_model) -> None:
    doc = rules_doc()
    rule = doc["rules"]["gd_revenue"]
    rule["filters"] = [{"op": "in", "dimension": "provnce", "values": ["广东"]}]
    rule["breakdown"] = "citty"
    doc["rules"]["js_churn"]["filters"] = {"province": "广冬"}
    doc["rules"]["js_churn"]["recipients"] = ["managerz", "not-an-address"]
    err = _error(write_rules(doc), sample_model, MEMBERS)
    text = str(err)
    assert "rules.gd_revenue.filters[0]: unknown dimension 'provnce' Did you mean 'province'?" in text
    assert "rules.gd_revenue.breakdown: unknown dimension 'citty' Did you mean 'city'?" in text
    assert "rules.js_churn.filters[0]: province has no member '广冬'" in text
    assert "rules.js_churn.recipients[0]: 'managerz' is neither an email address nor a recipient list " \
           "Did you mean 'managers'?" in text
    assert "rules.js_churn.recipients[1]" in text


def test_misspelt_field_and_condition_type(write_rules, sample_model) -> None:
    doc = rules_doc()
    rule = doc["rules"]["gd_revenue"]
    rule["recipient"] = rule.pop("recipients")
    rule["condition"] = {"type": "treshold", "op": ">", "value": 1}
    doc["rules"]["js_churn"]["condition"]["op"] = "=>"
    err = _error(write_rules(doc), sample_model)
    text = str(err)
    assert "rules.gd_revenue.recipient: unknown field Did you mean 'recipients'?" in text
    assert "rules.gd_revenue.recipients: required field is missing" not in text  # the typo explains it
    assert "rules.gd_revenue.condition.type: 'treshold' is not one of threshold, change, anomaly " \
           "Did you mean 'threshold'?" in text
    assert "rules.js_churn.condition.op: '=>' is not one of" in text


def test_not_a_mapping(write_rules) -> None:
    with pytest.raises(RuleError, match="a rules file is a mapping"):
        load_rules(write_rules("- just\n- a list\n"))


def test_rule_store_add_update_delete_keeps_the_file_valid(tmp_path: Path, sample_model) -> None:
    path = tmp_path / "rules" / "alerts.yaml"
    store = RuleStore(path, sample_model, MEMBERS)
    assert len(store.load()) == 0
    store.set_recipient_list("managers", MANAGERS)
    added = store.add("gd_revenue", copy.deepcopy(GD_RULE))
    assert added.recipients == tuple(MANAGERS)
    with pytest.raises(RuleError, match="exists"):
        store.add("gd_revenue", copy.deepcopy(GD_RULE))

    updated = store.update("gd_revenue", {"breakdown": "city", "language": "en"})
    assert updated.spec.breakdown == "city" and updated.language == "en"
    assert load_rules(path, sample_model)["gd_revenue"].spec.breakdown == "city"  # persisted

    before = path.read_bytes()
    with pytest.raises(RuleError, match="unknown metric 'revnue'"):
        store.update("gd_revenue", {"metric": "revnue"})
    with pytest.raises(RuleError, match="invalid cron"):
        store.add("other", {**GD_RULE, "schedule": "61 * * * *"})
    assert path.read_bytes() == before  # a rejected edit loses nothing and writes nothing

    store.update("gd_revenue", {"breakdown": None})
    assert store.get("gd_revenue").spec.breakdown is None
    store.delete("gd_revenue")
    assert len(store.load()) == 0
    with pytest.raises(RuleError, match="no rule 'gd_revenue'"):
        store.delete("gd_revenue")
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["recipient_lists"]["managers"] == MANAGERS
