"""The LLM prompt of a restricted user never names what the user may not see, hierarchies included."""

from __future__ import annotations

import datetime as dt

from chatbi.security import Security
from chatbi.translate.prompt import select_context, system_prompt


def test_hidden_levels_are_left_out_of_hierarchy_paths(sample_bi) -> None:
    security = Security.from_dict({"users": {"u": {"roles": ["r"]}},
                                   "roles": {"r": {"columns": {"city": "hide", "plan": "hide"}}}},
                                  model=sample_bi.model)
    view = sample_bi.for_user("u", security=security)
    members = view.members.members
    question = "各省收入按地区和省份拆分"
    prompt = system_prompt(sample_bi.model, select_context(sample_bi.model, question, members=members),
                           anchor=dt.date(2025, 12, 31), members=members, language="zh")
    paths = [line for line in prompt.splitlines() if " > " in line]
    assert paths and all("city" not in line and "plan" not in line.split(":")[1].split(" > ") for line in paths)
    assert "region > province" in prompt
    everyone = system_prompt(sample_bi.model, select_context(sample_bi.model, question, members=sample_bi.members.members),
                             anchor=dt.date(2025, 12, 31), members=sample_bi.members.members, language="zh")
    assert "province > city" in everyone  # the path is there for users who may see cities
