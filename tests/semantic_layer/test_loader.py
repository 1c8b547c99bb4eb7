"""YAML model errors name the file, the field and a suggestion."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sample_data import TELECOM_MODEL
from semantic_layer import ModelError, SemanticModel

BASE = yaml.safe_load(TELECOM_MODEL.read_text(encoding="utf-8"))


def _write(tmp_path: Path, data: object, name: str = "model.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True) if not isinstance(data, str) else data, encoding="utf-8")
    return path


def _mutated(**patch: object) -> dict:
    import copy

    data = copy.deepcopy(BASE)
    for dotted, value in patch.items():
        node = data
        *parents, last = dotted.split("__")
        for p in parents:
            node = node[p]
        node[last] = value
    return data


def test_sample_model_loads() -> None:
    model = SemanticModel.from_yaml(TELECOM_MODEL)
    assert set(model.visible_metrics) >= {"revenue", "arpu", "churn_rate", "call_drop_rate", "active_subscribers"}
    assert model.hierarchies["geography"].levels == ("region", "province", "city")


def test_typo_in_field_names_file_path_and_suggestion(tmp_path: Path) -> None:
    data = _mutated()
    data["metrics"]["arpu"]["numerater"] = data["metrics"]["arpu"].pop("numerator")
    path = _write(tmp_path, data)
    with pytest.raises(ModelError) as info:
        SemanticModel.from_yaml(path)
    text = str(info.value)
    assert str(path) in text
    assert "metrics.arpu.numerater" in text
    assert "Did you mean 'numerator'?" in text


def test_unknown_metric_reference_is_suggested(tmp_path: Path) -> None:
    path = _write(tmp_path, _mutated(metrics__churn_rate__numerator="churned_subscriber"))
    with pytest.raises(ModelError) as info:
        SemanticModel.from_yaml(path)
    assert info.value.path == "metrics.churn_rate.numerator"
    assert "churned_subscribers" in info.value.candidates


def test_bad_aggregation_value_lists_choices(tmp_path: Path) -> None:
    data = _mutated()
    data["metrics"]["revenue"]["agg"] = "summ"
    with pytest.raises(ModelError) as info:
        SemanticModel.from_yaml(_write(tmp_path, data))
    assert "metrics.revenue.agg" in str(info.value)
    assert "'sum'" in str(info.value)


def test_unknown_column_and_table(tmp_path: Path) -> None:
    data = _mutated()
    data["metrics"]["revenue"]["column"] = "revenu"
    data["dimensions"]["city"]["table"] = "dim_regoin"
    with pytest.raises(ModelError) as info:
        SemanticModel.from_yaml(_write(tmp_path, data))
    text = str(info.value)
    assert "2 problems" in text
    assert "metrics.revenue.column" in text and "'revenue'" in text
    assert "dimensions.city.table" in text and "'dim_region'" in text


def test_formula_cycle_is_reported(tmp_path: Path) -> None:
    data = _mutated()
    data["metrics"]["net_adds"]["formula"] = "new_subscribers - net_adds"
    with pytest.raises(ModelError, match="refers to itself"):
        SemanticModel.from_yaml(_write(tmp_path, data))


def test_invalid_yaml_names_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "name: x\ntables: [unclosed\n")
    with pytest.raises(ModelError) as info:
        SemanticModel.from_yaml(path)
    assert "line" in str(info.value) and str(path) in str(info.value)


def test_missing_file_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="cannot read"):
        SemanticModel.from_yaml(tmp_path / "nope.yaml")


def test_model_error_is_a_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        SemanticModel.from_dict({"name": "x"})


def test_hierarchy_with_unknown_grain(tmp_path: Path) -> None:
    data = _mutated()
    data["hierarchies"]["time"]["levels"] = ["date.year", "date.hour"]
    with pytest.raises(ModelError, match="no grain 'hour'"):
        SemanticModel.from_yaml(_write(tmp_path, data))


def test_bad_default_period_is_named_with_a_suggestion(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as info:
        SemanticModel.from_yaml(_write(tmp_path, _mutated(default_period="latest_complet_month")))
    assert info.value.path == "default_period"
    assert "latest_complete_month" in info.value.candidates
    assert "'all'" in str(info.value)


def test_default_period_values_load(tmp_path: Path) -> None:
    for value in ("all", "latest_month", "latest_complete_quarter", "latest_complete_day"):
        assert SemanticModel.from_yaml(_write(tmp_path, _mutated(default_period=value))).spec.default_period == value


def test_per_month_only_on_ratio_and_derived_metrics(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as info:
        SemanticModel.from_yaml(_write(tmp_path, _mutated(metrics__revenue__per="month")))
    assert info.value.path == "metrics.revenue.per"
    with pytest.raises(ModelError) as info:
        SemanticModel.from_yaml(_write(tmp_path, _mutated(metrics__arpu__per="year")))
    assert "metrics.arpu.per" in str(info.value) and "month" in str(info.value)
