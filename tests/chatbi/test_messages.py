"""The message catalogs: every key in every language, the same placeholders, English fallback."""

from __future__ import annotations

import pytest

from chatbi.messages import CATALOG, Catalog, MessageKeyError, language_of, message, phrases

#: (language, key) -> placeholders a translation uses differently from English, and why.
DIFFERENCES = {
    ("zh", "narrative.more"): {"n"},  # "等" ("and others") names no count
    ("zh", "analysis.change"): {"delta", "size"},  # 上升/下降 say the direction: the amount goes unsigned
    ("zh", "analysis.flat"): {"base", "delta", "pct"},  # "与上期持平" needs no numbers of the baseline
    ("zh", "number.money"): {"symbol", "word"},  # 8.81 亿元 names money by its word, ¥881M by its symbol
    ("zh", "number.money_label"): {"symbol", "word"},  # 收入（元） / Revenue (¥)
    ("zh", "bucket.month"): {"month", "month_abbr"},  # 2025年11月 / Nov 2025
    ("zh", "alerts.day"): {"year", "month", "day", "iso"},  # 2025年12月31日 / the ISO date
    ("zh", "bucket.month_spelled"): {"month", "month_name"},  # 2025年11月 / November 2025 (prose)
    ("zh", "bucket.day_spelled"): {"month", "month_name"},  # 2025年12月31日 / December 31, 2025
}


def test_catalogs_agree_on_keys_and_placeholders():
    assert len(CATALOG.languages) >= 2
    assert CATALOG.problems(DIFFERENCES) == []


def test_problems_name_the_file_and_key(tmp_path):
    (tmp_path / "en.yaml").write_text("a:\n  n: '{n} rows'\n  m: more\n", encoding="utf-8")
    (tmp_path / "zh.yaml").write_text("a:\n  n: '{count} 行'\n  x: extra\n", encoding="utf-8")
    assert Catalog(tmp_path).problems({("zh", "a.m"): {"k"}}) == [
        "zh.yaml: a.m: missing or not in en.yaml",
        "zh.yaml: a.x: missing or not in en.yaml",
        "zh.yaml: a.n: placeholders ['count'], en.yaml has ['n']",
        "zh.yaml: a.m: declared difference for a message that does not exist",
    ]
    (tmp_path / "zh.yaml").write_text("a:\n  n: '{n} 行'\n  m: 更多\n", encoding="utf-8")
    assert Catalog(tmp_path).problems({("zh", "a.n"): {"n"}}) == [
        "zh.yaml: a.n: placeholders ['n'], en.yaml has ['n'], declared differences ['n']"]


def test_languages_and_lookup():
    assert CATALOG.languages[0] == "en" and "zh" in CATALOG.languages
    assert language_of("zh-CN") == language_of("ZH_hans") == "zh"
    assert language_of("fr") == language_of("") == language_of(None) == "en"
    assert message("detect.span", "zh", first="2025-11-01", last="2025-11-03") == "2025-11-01至2025-11-03"
    assert phrases("narrative", "zh")["end"] == "。"


def test_a_third_language_is_one_file_and_falls_back_to_english(tmp_path):
    (tmp_path / "en.yaml").write_text("a:\n  hello: 'Hello {name}'\n  bye: Bye\n", encoding="utf-8")
    (tmp_path / "ja.yaml").write_text("a:\n  hello: 'こんにちは {name}'\n", encoding="utf-8")
    catalog = Catalog(tmp_path)
    assert catalog.languages == ("en", "ja")
    assert catalog.language_of("ja-JP") == "ja"
    assert catalog.message("a.hello", "ja", name="X") == "こんにちは X"
    assert catalog.message("a.bye", "ja") == "Bye"
    assert catalog.missing_keys("ja") == ["a.bye"]
    assert catalog.phrases("a", "ja") == {"hello": "こんにちは {name}", "bye": "Bye"}


def test_unknown_key_is_a_clear_error(tmp_path):
    (tmp_path / "en.yaml").write_text("a: b\n", encoding="utf-8")
    with pytest.raises(MessageKeyError, match="no message 'nope'"):
        Catalog(tmp_path).message("nope", "en")
    with pytest.raises(KeyError):
        message("narrative.does_not_exist", "zh")


def test_a_list_value_is_refused_with_the_file_and_key(tmp_path):
    (tmp_path / "en.yaml").write_text("a:\n  b: [1, 2]\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"en.yaml: a.b: a message must be text"):
        Catalog(tmp_path).tables  # noqa: B018 -- loading is the point
