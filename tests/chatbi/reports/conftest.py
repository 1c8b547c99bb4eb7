"""Fixtures of the report tests: the sample's default November 2025 report in both languages
(built once per session), plain DuckDB access to the warehouse for checking numbers, and users."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from chatbi.security import Security, hash_password

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


@pytest.fixture(scope="session")
def november(sample_bi) -> dict[str, Any]:
    """The default report (no spec) for November 2025, zh and en."""
    return {lang: sample_bi.report(None, period="2025-11", language=lang) for lang in ("zh", "en")}


@pytest.fixture(scope="session")
def november_html(november) -> dict[str, str]:
    return {lang: report.to_html() for lang, report in november.items()}


@pytest.fixture(scope="session")
def warehouse(sample_db_path: Path):
    """The warehouse file read directly (hand-written SQL, not the semantic layer) to check numbers."""
    con = duckdb.connect(str(sample_db_path), read_only=True)
    yield lambda sql: con.execute(sql).fetchone()[0]
    con.close()


@pytest.fixture(scope="session")
def security(sample_model) -> Security:
    doc = {
        "secret_key": "t3st-r3p0rts-5e1b9c07d24f8a63b0e9c1d7f2a4",  # test key of the strength asked for
        "users": {
            "alice": {"password": hash_password("alice-pw", n=2 ** 10), "roles": ["guangdong_analyst"]},
            "bob": {"roles": ["masked_east"], "attributes": {"region": "华东"}},
        },
        "roles": {
            "guangdong_analyst": {"rows": [{"province": "广东"}]},
            "masked_east": {"rows": [{"region": "{{ user.region }}"}],
                            "columns": {"revenue": {"mask": "round_to", "step": 100000000}}},
        },
    }
    return Security.from_dict(doc, model=sample_model)


# -- a real SMTP server on loopback and a virtual clock (shared with the alerts tests) -------------
@pytest.fixture
def smtp_down():
    """An aiosmtpd server on a free loopback port that is NOT started yet (the test starts it)."""
    from tests.chatbi.alerts.conftest import SMTPServer, free_port

    server = SMTPServer(free_port())
    yield server
    server.stop()


@pytest.fixture
def clock():
    import datetime as dt

    from tests.chatbi.alerts.conftest import VirtualClock

    return VirtualClock(dt.datetime(2025, 12, 2, 1, 0, tzinfo=dt.UTC))  # 09:00 on the 2nd in Shanghai
