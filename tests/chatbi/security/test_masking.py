"""The masking operators: what each shows, that nothing raw slips through, nulls and junk input."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from chatbi.errors import ConfigError
from chatbi.security.masking import KEYED, OPERATORS, REDACTED, check_operator, mask_series, mask_value

EXPECTED = [
    ("phone", "13812345678", {}, "138****5678"),
    ("phone", "+86 138-1234-5678", {}, "+86138****5678"),
    ("landline", "010-62345678", {}, "010-****5678"),
    ("email", "zhangsan@example.com", {}, "z***@example.com"),
    ("email_domain", "zhangsan@example.com", {}, "***@example.com"),
    ("id_card", "110101199003071234", {}, "110101********1234"),
    ("id_card_birth_year", "110101199003071234", {}, "1990"),
    ("id_card_region", "110101199003071234", {}, "110101"),
    ("bank_card", "6222 0212 3456 7890", {}, "622202******7890"),
    ("card_last4", "6222021234567890", {}, "**** **** **** 7890"),
    ("name", "张三丰", {}, "张**"),
    ("name", "李四", {}, "李*"),
    ("name", "John Smith", {}, "J*** S****"),
    ("name_middle", "张三丰", {}, "张*丰"),
    ("address", "广东省深圳市南山区科技园1号", {}, "广东省深圳市****"),
    ("address_city", "广东省深圳市南山区科技园1号", {}, "广东省深圳市"),
    ("postcode", "518057", {}, "518***"),
    ("ip", "192.168.10.23", {}, "192.168.*.*"),
    ("ip_subnet", "192.168.10.23", {}, "192.168.10.0/24"),
    ("mac", "00:1A:2B:3C:4D:5E", {}, "00:1A:2B:**:**:**"),
    ("plate", "粤B·12345", {}, "粤B****5"),
    ("uscc", "91440300MA5ABCDE1X", {}, "91440300********1X"),
    ("date_to_month", "2025-11-23", {}, "2025-11"),
    ("date_to_quarter", "2025-11-23", {}, "2025-Q4"),
    ("date_to_year", pd.Timestamp("2025-11-23"), {}, "2025"),
    ("datetime_to_hour", "2025-11-23T14:35:10", {}, "2025-11-23 14:00"),
    ("birthdate_to_age_band", "1990-03-07", {"on": "2025-12-31"}, "30-39"),
    ("number_range", 12345, {"width": 1000}, "12000-12999"),
    ("bucket", 250, {"edges": [0, 100, 1000]}, "100-1000"),
    ("bucket", 5000, {"edges": [0, 100, 1000]}, ">=1000"),
    ("age_band", 37, {}, "30-39"),
    ("round_to", 12377, {"step": 100}, 12400),
    ("floor_to", 12377, {"step": 1000}, 12000),
    ("significant", 12377, {"figures": 2}, 12000),
    ("magnitude", 12377, {}, "10^4"),
    ("top_code", 250000, {"limit": 100000}, ">=100000"),
    ("redact", "anything", {}, REDACTED),
    ("constant", "anything", {"value": "N/A"}, "N/A"),
    ("truncate", "abcdef", {"n": 2}, "ab"),
    ("initials", "John Ronald Tolkien", {}, "J. R. T."),
]


@pytest.mark.parametrize(("name", "value", "params", "expected"), EXPECTED)
def test_operator_output(name: str, value, params: dict, expected) -> None:
    assert mask_value(value, name, **params) == expected


def test_there_are_many_operators_each_documented() -> None:
    assert len(OPERATORS) >= 50
    for op in OPERATORS.values():
        assert op.description and op.kind in {"text", "number", "date", "any"}


SALT = "k3y-0f-the-operator-9f2c"


def _params(name: str) -> dict[str, str]:
    return {"salt": SALT} if name in KEYED else {}


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_every_operator_passes_nulls_and_survives_junk(name: str) -> None:
    assert mask_value(None, name, **_params(name)) is None
    for junk in ("", "???", "not-a-date", "x" * 300, -1.5, 0, float("inf")):
        mask_value(junk, name, **_params(name))  # never raises: what it cannot read it redacts


@pytest.mark.parametrize("name", ["phone", "email", "id_card", "bank_card", "name", "hash", "tokenize", "partial",
                                  "keep_last", "mask_all", "passport", "account", "imei"])
def test_identifying_operators_never_return_the_raw_value(name: str) -> None:
    for raw in ("13812345678", "zhangsan@example.com", "110101199003071234", "6222021234567890", "张三丰"):
        out = mask_value(raw, name, **_params(name))
        assert out != raw and raw not in str(out)


def test_hashes_and_tokens_are_keyed_and_stable() -> None:
    a = mask_value("13812345678", "hash", salt=SALT)
    assert a == mask_value("13812345678", "hash", salt=SALT)
    assert a != mask_value("13812345678", "hash", salt=SALT + "x")  # a key the attacker lacks defeats lookup tables
    assert mask_value("x", "tokenize", salt=SALT).startswith("TKN_")


@pytest.mark.parametrize("name", sorted(KEYED))
def test_keyed_operators_never_use_a_built_in_key(name: str) -> None:
    """Without a salt the value is redacted (a constant key from the public source is a dictionary away)."""
    assert mask_value("2025-11-23", name) in (REDACTED, None)
    with pytest.raises(ConfigError, match="needs a secret `salt`"):
        check_operator(name, {})
    for weak in ("k1", "chatbi", "a" * 40):
        with pytest.raises(ConfigError, match="salt") as info:
            check_operator(name, {"salt": weak})
        assert weak not in str(info.value)  # a secret is never echoed
    check_operator(name, {"salt": SALT})


@pytest.mark.parametrize(("name", "params", "problem"), [
    ("round_to", {"step": -1}, "step must be a number greater than 0"),
    ("round_to", {"step": 0}, "greater than 0"),
    ("floor_to", {"step": "1000"}, "greater than 0"),
    ("number_range", {"width": 0}, "width"),
    ("noise", {"salt": SALT, "pct": 0}, "pct must be a fraction"),
    ("noise", {"salt": SALT, "pct": 3}, "pct must be a fraction"),
    ("hash", {"salt": SALT, "length": 1}, "length must be a whole number from 4 to 64"),
    ("date_shift", {"salt": SALT, "max_days": 0}, "max_days"),
    ("significant", {"figures": 0}, "figures"),
    ("keep_first", {"char": "**"}, "one character"),
    ("bucket", {"edges": []}, "non-empty list"),
    ("regex_replace", {"pattern": "("}, "not a valid regular expression"),
    ("birthdate_to_age_band", {"on": "yesterday"}, "ISO date"),
    ("ip_subnet", {"prefix_v4": 40}, "prefix_v4"),
])
def test_parameters_that_would_show_values_are_refused(name: str, params: dict, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        check_operator(name, params)


def test_noise_is_bounded_and_deterministic() -> None:
    values = [mask_value(1000.0, "noise", pct=0.05, salt=SALT) for _ in range(3)]
    assert len(set(values)) == 1 and 950 <= values[0] <= 1050


def test_mask_series_keeps_numbers_numeric_and_text_text() -> None:
    numbers = mask_series(pd.Series([12377.0, None, 9.0]), "round_to", {"step": 100})
    assert pd.api.types.is_numeric_dtype(numbers) and numbers.iloc[0] == 12400 and math.isnan(numbers.iloc[1])
    phones = mask_series(pd.Series(["13812345678", None]), "phone")
    assert phones.tolist() == ["138****5678", None]


def test_unknown_operators_and_parameters_are_clear_errors() -> None:
    with pytest.raises(ConfigError, match="Did you mean 'phone'"):
        check_operator("phon", {})
    with pytest.raises(ConfigError, match="takes no parameter 'widht'"):
        check_operator("number_range", {"widht": 10})
    check_operator("constant", {"value": "x"})
