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


@pytest.fixture(scope="session")
def crm_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The warehouse of the CRM part of mf_project: idioms of a MetricFlow import, checkable by hand."""
    import duckdb

    path = tmp_path_factory.mktemp("crm") / "crm.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("""
            CREATE TABLE companies (company_id VARCHAR, company_name VARCHAR, state_code VARCHAR,
                                    industry VARCHAR, created_at DATE);
            INSERT INTO companies VALUES ('k1', 'Acme', 'CA', 'software', DATE '2025-01-10'),
              ('k2', 'Bolt', 'NY', 'hardware', DATE '2025-02-01'), ('k3', 'Cora', 'TX', 'software', DATE '2025-03-05');
            -- two addresses per company: the declared primary key is not unique
            CREATE TABLE company_addresses (company_id VARCHAR, state_code VARCHAR, address_type VARCHAR);
            INSERT INTO company_addresses VALUES ('k1', 'CA', 'billing'), ('k1', 'NV', 'shipping'),
              ('k2', 'NY', 'billing'), ('k2', 'NJ', 'shipping');
            CREATE TABLE deals (deal_id VARCHAR, company_id VARCHAR, deal_stage VARCHAR, created_at TIMESTAMP,
                                closed_at DATE, company_deal_number INTEGER, amount DOUBLE);
            INSERT INTO deals VALUES
              ('d1', 'k1', 'won',  TIMESTAMP '2025-01-15 10:00', DATE '2025-02-14', 1, 1500),
              ('d2', 'k1', 'lost', TIMESTAMP '2025-02-01 09:00', DATE '2025-02-11', 2, 300),
              ('d3', 'k2', 'won',  TIMESTAMP '2025-03-01 08:00', DATE '2025-03-21', 1, 800),
              ('d4', 'k2', 'open', TIMESTAMP '2025-03-10 12:00', NULL, 2, 2000),
              ('d5', NULL, 'open', TIMESTAMP '2025-03-20 12:00', NULL, 1, 100);
            CREATE TABLE deal_wins (deal_id VARCHAR, won_at DATE);
            INSERT INTO deal_wins VALUES ('d1', DATE '2025-02-14'), ('d3', DATE '2025-03-21');
        """)
    return path
