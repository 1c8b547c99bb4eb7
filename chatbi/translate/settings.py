"""Settings of the LLM translator: read from the environment, overridable by arguments.

Every OpenAI-compatible endpoint works the same way: OpenAI itself (only ``OPENAI_API_KEY``),
a local vLLM / Ollama server (``OPENAI_BASE_URL=http://localhost:11434/v1``, no key needed),
Azure OpenAI's v1 API, DeepSeek, Qwen DashScope compatible mode ... (base URL + key).

Plain pydantic instead of pydantic-settings keeps the dependency list short; the few
variables are read by :meth:`LLMSettings.from_env`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from ..errors import ConfigError

__all__ = ["LLMSettings", "ENV_VARS", "TranslatorKind", "resolve_translator_kind"]

TranslatorKind = Literal["offline", "llm", "hybrid"]

#: field -> environment variable
ENV_VARS: dict[str, str] = {
    "api_key": "OPENAI_API_KEY",
    "base_url": "OPENAI_BASE_URL",
    "model": "CHATBI_LLM_MODEL",
    "timeout": "CHATBI_LLM_TIMEOUT",
    "total_timeout": "CHATBI_LLM_TOTAL_TIMEOUT",
    "max_retries": "CHATBI_LLM_MAX_RETRIES",
    "max_repair_rounds": "CHATBI_LLM_MAX_REPAIRS",
    "strict": "CHATBI_LLM_STRICT",
    "share_data": "CHATBI_LLM_SHARE_DATA",
    "free_sql": "CHATBI_LLM_FREE_SQL",
}
TRANSLATOR_ENV = "CHATBI_TRANSLATOR"

# Endpoints known to accept ``strict: true`` function schemas; others get the plain schema,
# which every OpenAI-compatible server (vLLM, Ollama, DashScope, DeepSeek) understands.
_STRICT_HOSTS = ("api.openai.com", ".openai.azure.com")


class LLMSettings(BaseModel):
    """How to reach the model and how hard to try.

    >>> LLMSettings(base_url="http://localhost:11434/v1", model="qwen2.5").configured
    True
    >>> LLMSettings().configured
    False
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    api_key: SecretStr | None = None
    base_url: str | None = None
    model: str = "gpt-4o-mini"
    #: seconds per HTTP request (connect + read); a slow endpoint never hangs a question
    timeout: float = Field(default=30.0, gt=0, le=600)
    #: seconds for a whole translation (all repair rounds); checked before each request
    total_timeout: float = Field(default=60.0, gt=0, le=3600)
    #: longest wait between retries, whatever ``Retry-After`` the server asks for
    retry_wait_cap: float = Field(default=5.0, ge=0, le=120)
    #: the openai client's own retries of 408/409/429/5xx and connection errors, with backoff
    max_retries: int = Field(default=2, ge=0, le=10)
    #: how many times validation problems are sent back before asking the user instead
    max_repair_rounds: int = Field(default=2, ge=0, le=10)
    #: ``strict`` function calling; None = on for endpoints known to support it
    strict: bool | None = None
    #: None omits it (reasoning models accept only their default)
    temperature: float | None = Field(default=0.0, ge=0, le=2)
    #: send result rows to the model (only to word the narrative); off by default
    share_data: bool = False
    #: let the model write SQL over the model's tables when no semantic query fits
    free_sql: bool = False
    #: models with at most this many metrics + dimensions go into the prompt whole
    full_model_items: int = Field(default=60, ge=1)
    #: otherwise this many metrics and dimensions most similar to the question
    top_k: int = Field(default=15, ge=1)
    #: None omits it (reasoning models want ``max_completion_tokens`` instead)
    max_tokens: int | None = Field(default=1024, ge=1)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> LLMSettings:
        """Settings from ``env`` (default ``os.environ``); keyword arguments win over it."""
        env = os.environ if env is None else env
        data: dict[str, Any] = {}
        for name, var in ENV_VARS.items():
            value = env.get(var)
            if value is not None and value.strip() != "":
                data[name] = value.strip()
        data.update(overrides)  # explicit None wins too: ``temperature=None`` leaves it out
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(_settings_message(exc)) from None

    @classmethod
    def coerce(cls, value: LLMSettings | Mapping[str, Any] | None, **overrides: Any) -> LLMSettings:
        """Accept settings (used as given), a dict of fields or None (both over the environment), plus overrides."""
        if isinstance(value, LLMSettings):
            return cls.model_validate({**value.model_dump(), **overrides}) if overrides else value
        return cls.from_env(**{**dict(value or {}), **overrides})

    @property
    def configured(self) -> bool:
        """An endpoint is configured when a key or a base URL is given."""
        return bool(self.base_url) or (self.api_key is not None and self.api_key.get_secret_value() != "")

    @property
    def use_strict(self) -> bool:
        if self.strict is not None:
            return self.strict
        if not self.base_url:
            return True
        host = urlparse(self.base_url).hostname or ""
        return any(host == h or (h.startswith(".") and host.endswith(h)) for h in _STRICT_HOSTS)

    def client_kwargs(self) -> dict[str, Any]:
        """Arguments for ``openai.OpenAI``; local servers need no key but the client wants one."""
        key = self.api_key.get_secret_value() if self.api_key else ""
        return {"api_key": key or "not-needed", "base_url": self.base_url or None,
                "timeout": self.timeout, "max_retries": self.max_retries}


def resolve_translator_kind(kind: str | None, settings: LLMSettings,
                            env: Mapping[str, str] | None = None) -> TranslatorKind:
    """``offline`` unless an endpoint is configured (then ``hybrid``); ``CHATBI_TRANSLATOR`` overrides.

    >>> resolve_translator_kind(None, LLMSettings(), env={})
    'offline'
    >>> resolve_translator_kind(None, LLMSettings(base_url="http://127.0.0.1:8000/v1"), env={})
    'hybrid'
    """
    env = os.environ if env is None else env
    chosen = kind or env.get(TRANSLATOR_ENV) or ("hybrid" if settings.configured else "offline")
    chosen = chosen.strip().lower()
    if chosen not in ("offline", "llm", "hybrid"):
        raise ConfigError(f"translator must be 'offline', 'llm' or 'hybrid', not {chosen!r}")
    if chosen != "offline" and not settings.configured:
        raise ConfigError(f"translator={chosen!r} needs an LLM endpoint: set OPENAI_API_KEY and/or "
                          "OPENAI_BASE_URL, or pass llm=LLMSettings(api_key=..., base_url=...)")
    return chosen  # type: ignore[return-value]


def _settings_message(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"])
        var = ENV_VARS.get(field)
        where = f"{field} ({var})" if var else field
        parts.append(f"{where}: {err['msg']}")
    return "invalid LLM settings: " + "; ".join(parts)
