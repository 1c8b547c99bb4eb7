"""Column masking and small-cell suppression on a CRM warehouse with real personal data.

agent masks names, phones and e-mails and cannot see ID cards; gd_agent does the same for 广东's
customers only; analyst sees no personal column and no aggregate of fewer than 3 customers.
"""

from __future__ import annotations

import pandas as pd
import pytest

from chatbi import Conversation
from chatbi.translate.prompt import select_context, system_prompt

from .conftest import CUSTOMERS, EMAILS, ID_CARDS, NAMES, PHONES

PERSONAL = PHONES | NAMES | ID_CARDS | EMAILS


def raw_in(text: str, values: set[str] = PERSONAL) -> set[str]:
    return {v for v in values if v in text}


@pytest.fixture(scope="module")
def agent(crm, crm_security):
    return crm.for_user("agent", security=crm_security)


@pytest.fixture(scope="module")
def analyst(crm, crm_security):
    return crm.for_user("analyst", security=crm_security)


def test_masked_columns_reach_the_answer_chart_and_csv_masked(agent):
    answer = agent.query(metrics=["spend"], dimensions=["customer", "phone", "email"], order_by=["-spend"])
    assert answer.ok and len(answer.data) == len(CUSTOMERS)
    assert set(answer.data["phone"]) == {p[:3] + "****" + p[-4:] for p in PHONES}
    assert "张**" in set(answer.data["customer"]) and "z***@example.com" in set(answer.data["email"])
    surfaces = answer.data.to_csv(index=False) + answer.text + answer.data.to_json(force_ascii=False)
    if answer.figure is not None:
        surfaces += str(answer.figure.to_plotly_json())
    assert not raw_in(surfaces)


def test_hidden_columns_cannot_be_used_at_all(agent):
    for kwargs in ({"metrics": ["spend"], "dimensions": ["id_card"]}, {"dimensions": ["id_card"]},
                   {"metrics": ["spend"], "filters": [{"op": "in", "dimension": "id_card",
                                                        "values": [CUSTOMERS[0][3]]}]}):
        answer = agent.query(**kwargs)
        assert answer.status == "error" and "not available" in answer.text and not raw_in(answer.text)


def test_masked_columns_cannot_be_probed_by_filters(agent):
    probe = agent.query(metrics=["spend"], filters=[{"op": "in", "dimension": "phone", "values": ["13812345678"]}])
    assert probe.status == "error" and "masked" in probe.text
    prefix = agent.query(metrics=["customers"], filters=[{"op": ">=", "dimension": "phone", "value": "138"}])
    assert prefix.status == "error"


SQL_PROBES = [
    "SELECT phone FROM dim_customer",
    "SELECT substr(phone, 1, 3) AS p FROM dim_customer",
    "SELECT COUNT(*) FROM dim_customer WHERE phone LIKE '138%'",
    "SELECT name, SUM(spend) FROM fact_usage JOIN dim_customer USING (customer_id) GROUP BY name",
    "SELECT id_card FROM dim_customer",
    "SELECT c.email FROM dim_customer AS c",
    "WITH c AS (SELECT * FROM dim_customer) SELECT phone FROM c",
]


@pytest.mark.parametrize("sql", SQL_PROBES)
def test_edited_sql_cannot_read_masked_or_hidden_columns(agent, sql):
    answer = agent.run_sql(sql)
    assert answer.status == "error" and "column" in answer.text and answer.data is None


def test_select_star_leaves_personal_columns_out(agent):
    answer = agent.run_sql("SELECT * FROM dim_customer ORDER BY customer_id")
    assert answer.ok and list(answer.data.columns) == ["customer_id", "city", "province", "birth_date"]
    assert not raw_in(answer.data.to_csv(index=False))


def test_member_index_and_llm_prompt_hold_no_personal_values(crm, agent):
    assert raw_in(str(crm.members.members))  # the unrestricted index has them (the check can see them)
    assert not raw_in(str(agent.members.members)) and "phone" not in agent.members.members
    members = agent.members.members
    selection = select_context(agent.model, "每个客户的手机号和消费", members=members)
    prompt = system_prompt(agent.model, selection, anchor=agent.anchor, members=members, free_sql=True)
    assert not raw_in(prompt)
    assert "id_card" not in prompt  # hidden: not even offered to the model
    assert "phone varchar" not in prompt  # no masked column offered for free SQL


def test_questions_in_chinese_are_answered_masked(agent):
    answer = agent.ask("各客户的消费", conversation=Conversation())
    assert answer.ok, answer.text
    assert not raw_in(answer.text + answer.data.to_csv(index=False))
    assert any(name.endswith("*") for name in answer.data["customer"])


def test_row_filters_and_masks_combine(crm, crm_security):
    gd_agent = crm.for_user("gd_agent", security=crm_security)
    answer = gd_agent.query(metrics=["spend"], dimensions=["city", "phone"])
    assert set(answer.data["city"]) == {"深圳", "广州"} and len(answer.data) == 8
    assert not raw_in(answer.data.to_csv(index=False))
    assert gd_agent.run_sql("SELECT DISTINCT city FROM dim_customer").data["city"].tolist() in (
        ["深圳", "广州"], ["广州", "深圳"])


def test_small_cells_are_suppressed(analyst, crm):
    answer = analyst.query(metrics=["spend", "customers"], dimensions=["city"])
    frame = answer.data.set_index("city")
    assert pd.isna(frame.loc["南京", "spend"]) and pd.isna(frame.loc["南京", "customers"])  # 1 customer
    assert frame.loc["杭州", "customers"] == 3 and frame.loc["深圳", "customers"] == 5
    assert "南京" not in answer.text  # the narrative does not call the suppressed cell the lowest
    truth = crm.query(metrics=["spend"], dimensions=["city"]).data.set_index("city")
    assert frame.loc["深圳", "spend"] == pytest.approx(truth.loc["深圳", "spend"])
    # one customer's spend stays hidden however the cell is reached: a single day, a filter, a drill-down
    for kwargs in ({"filters": [{"op": "in", "dimension": "city", "values": ["南京"]}]},
                   {"dimensions": ["province"], "filters": [{"op": "in", "dimension": "province", "values": ["江苏"]}]}):
        cell = analyst.query(metrics=["spend"], **kwargs).data
        assert cell["spend"].isna().all(), kwargs
    personal = analyst.query(metrics=["spend"], dimensions=["customer"])
    assert personal.status == "error"
