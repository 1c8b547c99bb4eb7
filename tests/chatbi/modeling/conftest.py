"""Fixtures for the modeling tests: the oil-field warehouse and drafts of both sample warehouses."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def oil_db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The oil-field sample warehouse, built once per session (about a second)."""
    from sample_data.oilfield import build_warehouse

    return build_warehouse(tmp_path_factory.mktemp("oilfield") / "oilfield.duckdb")


@pytest.fixture(scope="session")
def telecom_draft(sample_db_path: Path):
    """The model drafted from the telecom sample warehouse (the draft under test, not a fixture model)."""
    from chatbi.modeling import draft_model
    from chatbi.warehouse import DuckDBEngine

    engine = DuckDBEngine(sample_db_path)
    try:
        yield draft_model(engine, name="telecom_draft", source="telecom.duckdb")
    finally:
        engine.close()


@pytest.fixture(scope="session")
def telecom_draft_bi(sample_db_path: Path, telecom_draft, tmp_path_factory: pytest.TempPathFactory):
    """A ChatBI over the telecom warehouse with the drafted model, loaded back from the written YAML."""
    from chatbi import ChatBI
    from chatbi.modeling import write_model

    path = write_model(telecom_draft.model, tmp_path_factory.mktemp("draft") / "telecom.yaml", telecom_draft.notes)
    bi = ChatBI(path, sample_db_path)
    yield bi
    bi.close()
