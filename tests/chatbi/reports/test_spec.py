"""Report specs: the samples load against their models; mistakes name file, line, field and a fix."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from chatbi.reports import SpecError, default_spec, find_specs, headline_metrics, load_spec, resolve_spec
from chatbi.reports.period import report_period
from sample_data import TELECOM_DIR
from sample_data.oilfield import MODEL as OILFIELD_MODEL
from semantic_layer import SemanticModel

REVIEW = TELECOM_DIR / "reports" / "monthly_review.yaml"


def _write(tmp_path: Path, doc: dict | str, name: str = "spec.yaml") -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    return path


def _doc(**changes: object) -> dict:
    doc = yaml.safe_load(REVIEW.read_text(encoding="utf-8"))
    doc.update(changes)
    return doc


def test_the_sample_specs_load_against_their_models(sample_model) -> None:
    review = load_spec(REVIEW, sample_model)
    assert review.name == "monthly_review" and review.period == "month"
    assert [s.type for s in review.sections][:2] == ["kpis", "trend"]
    assert review.schedules[0].recipients == ("ceo-office@example.com",)
    assert set(find_specs(sample_model)) == {"monthly_review"}
    oil = SemanticModel.from_yaml(OILFIELD_MODEL)
    daily = find_specs(oil)["daily_production"]
    assert daily.period == "day" and "生产日报" in daily.synonyms


def test_unknown_metric_names_file_line_field_and_suggestion(tmp_path: Path, sample_model) -> None:
    doc = _doc()
    doc["sections"][0]["metrics"][1] = "arpuu"
    path = _write(tmp_path, doc)
    with pytest.raises(SpecError) as err:
        load_spec(path, sample_model)
    message = str(err.value)
    assert message.startswith(f"{path}: line ")
    assert "sections[0].metrics[1]: unknown metric 'arpuu'" in message and "Did you mean 'arpu'?" in message
    line = int(message.split("line ")[1].split(":")[0])
    assert "arpuu" in path.read_text(encoding="utf-8").splitlines()[line - 1]


def test_every_problem_is_reported_at_once(tmp_path: Path, sample_model) -> None:
    doc = _doc()
    doc["sections"][2]["by"] = "provnce"                 # breakdown dimension
    doc["sections"][1]["metrik"] = ["revenue"]           # unknown field next to a valid one
    doc["sections"].append({"type": "trends", "metrics": ["revenue"]})
    doc["schedules"][0]["cron"] = "0 25 * * *"
    path = _write(tmp_path, doc)
    with pytest.raises(SpecError) as err:
        load_spec(path, sample_model)
    text = str(err.value)
    assert "sections[1].metrik: unknown field" in text
    assert "sections[8].type: 'trends' is not a section type" in text and "Did you mean 'trend'?" in text
    # shape problems stop before the model checks: fix them, then the names are checked
    doc["sections"][1].pop("metrik")
    doc["sections"].pop()
    path = _write(tmp_path, doc)
    with pytest.raises(SpecError) as err:
        load_spec(path, sample_model)
    text = str(err.value)
    assert "2 problems" in text
    assert "sections[2].by: unknown dimension 'provnce'" in text and "Did you mean 'province'?" in text
    assert "schedules[0].cron: invalid cron expression" in text


def test_filters_members_grains_and_the_model_name_are_checked(tmp_path: Path, sample_model, sample_bi) -> None:
    doc = _doc(model="oilfield", period="hour")
    doc["sections"][0]["filters"] = {"province": "广栋"}
    with pytest.raises(SpecError) as err:
        load_spec(_write(tmp_path, doc), sample_model)
    assert "period: 'hour' is not one of day, week, month, quarter, year" in str(err.value)
    doc["period"] = "month"
    with pytest.raises(SpecError) as err:
        load_spec(_write(tmp_path, doc), sample_model, sample_bi.members.as_sets())
    text = str(err.value)
    assert "model: the spec is written for the model 'oilfield', not 'telecom'" in text
    assert "sections[0].filters[0]: province has no member '广栋' Did you mean '广东'?" in text


def test_bad_yaml_and_missing_files_are_one_line(tmp_path: Path, sample_model) -> None:
    path = _write(tmp_path, "name: x\nsections: [\n")
    with pytest.raises(SpecError, match=r"spec.yaml: line \d+: not valid YAML"):
        load_spec(path, sample_model)
    with pytest.raises(SpecError, match="cannot read the report spec"):
        load_spec(tmp_path / "nope.yaml", sample_model)


def test_specs_resolve_by_name_path_and_mapping(sample_bi, tmp_path: Path) -> None:
    assert resolve_spec(sample_bi, None).name == "default"
    assert resolve_spec(sample_bi, "monthly_review").name == "monthly_review"
    assert resolve_spec(sample_bi, REVIEW).name == "monthly_review"
    small = {"name": "mini", "title": "Mini", "sections": [{"type": "kpis", "metrics": ["revenue"]}]}
    assert resolve_spec(sample_bi, small).sections[0].metrics == ("revenue",)
    with pytest.raises(SpecError, match=r"no report spec called 'monthly_reveiw'.*Did you mean 'monthly_review'"):
        resolve_spec(sample_bi, "monthly_reveiw")


def test_default_spec_comes_from_the_model(sample_model, sample_bi) -> None:
    headline = headline_metrics(sample_model)
    # metric-tree roots and their parts, then what the model watches for going the wrong way
    assert headline[:3] == ("revenue", "avg_active_subscribers", "new_subscribers")
    assert {"net_adds", "call_drop_rate", "complaints", "churn_rate"} <= set(headline)
    spec = default_spec(sample_model, sample_bi.members)
    kinds = {s.type: s for s in spec.sections}
    assert kinds["breakdown"].by == "province"        # the first hierarchy, the finest level that fits a chart
    assert kinds["anomalies"].by == "province" and "complaints" in kinds["anomalies"].metrics
    assert kinds["root_cause"].metrics == ("revenue",) and kinds["root_cause"].largest == 2
    oil = SemanticModel.from_yaml(OILFIELD_MODEL)
    oil_spec = default_spec(oil)
    assert {s.type: s for s in oil_spec.sections}["breakdown"].by == "block"


def test_report_periods() -> None:
    end = dt.date(2025, 12, 31)
    assert report_period("2025-11", "month", end) == (dt.date(2025, 11, 1), dt.date(2025, 11, 30))
    assert report_period(None, "month", end) == (dt.date(2025, 12, 1), dt.date(2025, 12, 31))
    assert report_period("latest", "day", dt.date(2025, 7, 12)) == (dt.date(2025, 7, 12),) * 2
    assert report_period("2025-Q3", "quarter", end) == (dt.date(2025, 7, 1), dt.date(2025, 9, 30))
    with pytest.raises(ValueError, match=r"this report covers one month; '2025-11-05' is not one .*2025-11"):
        report_period("2025-11-05", "month", end)
    with pytest.raises(ValueError, match="cannot read a period"):
        report_period("November", "month", end)
