"""LLM settings: environment, arguments, which translator is chosen, strict-mode detection."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from chatbi.errors import ConfigError
from chatbi.translate.settings import LLMSettings, resolve_translator_kind


def test_environment_is_read() -> None:
    env = {"OPENAI_API_KEY": "sk-abc", "OPENAI_BASE_URL": "http://localhost:11434/v1", "CHATBI_LLM_MODEL": "qwen2.5:7b",
           "CHATBI_LLM_TIMEOUT": "12.5", "CHATBI_LLM_MAX_REPAIRS": "4", "CHATBI_LLM_MAX_RETRIES": "0",
           "CHATBI_LLM_SHARE_DATA": "true", "CHATBI_LLM_FREE_SQL": "1"}
    s = LLMSettings.from_env(env)
    assert s.api_key == SecretStr("sk-abc") and s.base_url == "http://localhost:11434/v1"
    assert (s.model, s.timeout, s.max_repair_rounds, s.max_retries) == ("qwen2.5:7b", 12.5, 4, 0)
    assert s.share_data is True and s.free_sql is True
    assert "sk-abc" not in repr(s)  # the key never shows up in logs


def test_arguments_win_over_the_environment() -> None:
    s = LLMSettings.from_env({"CHATBI_LLM_MODEL": "env-model", "CHATBI_LLM_TIMEOUT": "9"}, model="arg-model")
    assert s.model == "arg-model" and s.timeout == 9
    assert LLMSettings.coerce(s, timeout=3).timeout == 3
    assert LLMSettings.coerce({"model": "dict-model"}).model == "dict-model"


def test_defaults_are_private_and_bounded() -> None:
    s = LLMSettings.from_env({})
    assert not s.configured and s.share_data is False and s.free_sql is False
    assert s.timeout <= 60 and s.max_repair_rounds >= 1


@pytest.mark.parametrize(("env", "message"), [
    ({"CHATBI_LLM_TIMEOUT": "soon"}, "timeout (CHATBI_LLM_TIMEOUT)"),
    ({"CHATBI_LLM_MAX_REPAIRS": "-1"}, "max_repair_rounds (CHATBI_LLM_MAX_REPAIRS)"),
])
def test_bad_values_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        LLMSettings.from_env(env)


def test_client_arguments_for_a_keyless_local_server() -> None:
    kw = LLMSettings(base_url="http://localhost:8000/v1", timeout=7, max_retries=1).client_kwargs()
    assert kw == {"api_key": "not-needed", "base_url": "http://localhost:8000/v1", "timeout": 7, "max_retries": 1}


@pytest.mark.parametrize(("base_url", "strict"), [
    (None, True),
    ("https://api.openai.com/v1", True),
    ("https://my-resource.openai.azure.com/openai/v1/", True),
    ("http://localhost:11434/v1", False),
    ("https://api.deepseek.com", False),
    ("https://dashscope.aliyuncs.com/compatible-mode/v1", False),
])
def test_strict_mode_only_where_known_to_work(base_url: str | None, strict: bool) -> None:
    assert LLMSettings(base_url=base_url, api_key="k").use_strict is strict
    assert LLMSettings(base_url=base_url, api_key="k", strict=not strict).use_strict is (not strict)


def test_translator_kind_follows_configuration() -> None:
    assert resolve_translator_kind(None, LLMSettings(), env={}) == "offline"
    assert resolve_translator_kind(None, LLMSettings(api_key="sk"), env={}) == "hybrid"
    assert resolve_translator_kind(None, LLMSettings(api_key="sk"), env={"CHATBI_TRANSLATOR": "llm"}) == "llm"
    assert resolve_translator_kind("offline", LLMSettings(api_key="sk"), env={}) == "offline"
    with pytest.raises(ConfigError, match="needs an LLM endpoint"):
        resolve_translator_kind("llm", LLMSettings(), env={})
    with pytest.raises(ConfigError, match="'offline', 'llm' or 'hybrid'"):
        resolve_translator_kind("gpt", LLMSettings(api_key="sk"), env={})
