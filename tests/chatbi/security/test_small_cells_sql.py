"""Small-cell protection that holds: SQL would aggregate single rows, so a role with ``min_group_size``
(or a mask of counted rows) gets no hand-written SQL unless the operator accepts that explicitly."""

from __future__ import annotations

import copy

import pytest
import yaml

from chatbi import ChatBI
from chatbi.security import Security, SecurityConfigError
from chatbi.security.config import sql_risks

from .conftest import CRM_MODEL, CRM_SECURITY


def _doc(**marketing: object) -> dict:
    doc = copy.deepcopy(CRM_SECURITY)
    doc["roles"]["marketing"].update(marketing)
    return doc


def test_min_group_size_turns_sql_off_by_default(crm, crm_security) -> None:
    analyst = crm.for_user("analyst", security=crm_security)
    assert not crm_security.may_use_sql(analyst.principal)
    refused = analyst.run_sql("SELECT customer_id, spend FROM fact_usage LIMIT 5")
    assert refused.status == "error" and refused.data is None and "hand-written SQL" in refused.text
    answered = analyst.query(metrics=["spend"], dimensions=["city"])  # questions keep working, suppressed
    assert answered.status == "ok"
    assert crm_security.may_use_sql(crm.for_user("agent", security=crm_security).principal)  # masks of columns: fine


def test_sql_true_with_small_cells_is_a_configuration_error(crm, tmp_path, capsys) -> None:
    with pytest.raises(SecurityConfigError, match=r"roles.marketing: sql: true lets hand-written SQL get around "
                                                  r"small-cell suppression \(min_group_size 3\)"):
        Security.from_dict(_doc(sql=True), model=crm.model)
    from chatbi.cli import main

    path = tmp_path / "security.yaml"
    path.write_text(yaml.safe_dump(_doc(sql=True), allow_unicode=True), encoding="utf-8")
    model = tmp_path / "crm.yaml"
    model.write_text(yaml.safe_dump(CRM_MODEL, allow_unicode=True), encoding="utf-8")
    assert main(["security", "check", str(path), "--model", str(model), "--database", str(crm.engine.path)]) == 1
    assert "sql_unprotected" in capsys.readouterr().err


def test_the_operator_may_accept_it_explicitly(crm, tmp_path, capsys) -> None:
    security = Security.from_dict(_doc(sql=True, sql_unprotected=True), model=crm.model)
    analyst = crm.for_user("analyst", security=security)
    assert security.may_use_sql(analyst.principal)
    assert analyst.run_sql("SELECT COUNT(*) AS n FROM fact_usage").status == "ok"
    assert any("sql_unprotected" in w and "min_group_size 3" in w for w in security.warnings())


def test_a_mask_of_counted_rows_turns_sql_off(tmp_path) -> None:
    """A ``count(*)`` metric has no column SQL could be kept from: ``COUNT(*)`` shows it unmasked."""
    from .conftest import build_crm

    model = copy.deepcopy(CRM_MODEL)
    model["metrics"]["visits"] = {"table": "fact_usage", "agg": "count", "column": "*"}
    doc = copy.deepcopy(CRM_SECURITY)
    doc["roles"]["counter"] = {"columns": {"visits": {"mask": "round_to", "step": 100}}}
    doc["users"]["cora"] = {"roles": ["counter"]}
    bi = ChatBI(model, build_crm(tmp_path / "crm.duckdb"), translator="offline")
    try:
        security = Security.from_dict(doc, model=bi.model)
        cora = security.principal("cora")
        assert sql_risks(cora.policy, bi.model) == ["the mask of 'visits': it counts rows, and SQL can count them exactly"]
        assert not security.may_use_sql(cora)
        doc["roles"]["counter"]["sql"] = True
        with pytest.raises(SecurityConfigError, match="the mask of 'visits'"):
            Security.from_dict(doc, model=bi.model)
    finally:
        bi.close()


def test_security_policy_says_why_sql_is_off(crm, tmp_path, capsys) -> None:
    from chatbi.cli import main

    path = tmp_path / "security.yaml"
    path.write_text(yaml.safe_dump(CRM_SECURITY, allow_unicode=True), encoding="utf-8")
    model = tmp_path / "crm.yaml"
    model.write_text(yaml.safe_dump(CRM_MODEL, allow_unicode=True), encoding="utf-8")
    assert main(["security", "policy", "analyst", str(path), "--model", str(model),
                 "--database", str(crm.engine.path)]) == 0
    assert "hand-written SQL: not allowed (it would get around small-cell suppression" in capsys.readouterr().out
