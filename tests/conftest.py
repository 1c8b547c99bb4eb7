"""Suite-wide fixtures. Server fixtures live in tests/servers/ and are re-exported here."""

from __future__ import annotations

import sys
from pathlib import Path

# tests/ is on sys.path under pytest's default import mode; make `servers` importable under
# --import-mode=importlib too. Appended, so it can never shadow the real packages.
_TESTS_DIR = str(Path(__file__).resolve().parent)
if _TESTS_DIR not in sys.path:
    sys.path.append(_TESTS_DIR)

from servers.postgres import postgres_url  # noqa: E402
from servers.redis import redis_url  # noqa: E402
from servers.spark import spark_connect_fixture, spark_connect_url  # noqa: E402

__all__ = ["postgres_url", "redis_url", "spark_connect_fixture", "spark_connect_url"]

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def sample_db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The telecom sample warehouse, built once per test session (read-only for tests)."""
    from chatbi.api import sample_warehouse_path

    return sample_warehouse_path(tmp_path_factory.mktemp("warehouse"))


@pytest.fixture(scope="session")
def sample_model():
    from sample_data import TELECOM_MODEL
    from semantic_layer import SemanticModel

    return SemanticModel.from_yaml(TELECOM_MODEL)


@pytest.fixture(scope="session")
def sample_bi(sample_db_path: Path, sample_model):
    """A ChatBI over the sample warehouse, shared by the session (ChatBI is thread-safe and stateless per query)."""
    from chatbi import ChatBI

    bi = ChatBI(sample_model, sample_db_path, translator="offline")
    yield bi
    bi.close()


__all__ += ["sample_db_path", "sample_model", "sample_bi"]


@pytest.fixture(autouse=True)
def _offline_translator_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's OPENAI_* variables must not turn tests into calls to a real endpoint."""
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "CHATBI_LLM_MODEL", "CHATBI_TRANSLATOR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for every browser test (Playwright allows one sync driver per thread)."""
    from .dashboards.browser import chromium_browser

    yield from chromium_browser()
