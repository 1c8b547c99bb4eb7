"""Database errors reach a restricted user as a sentence and a reference; the audit log keeps the text."""

from __future__ import annotations

import re

from chatbi.security import AuditLog


def test_a_restricted_user_gets_a_reference_not_the_databases_words(sample_bi, security, tmp_path) -> None:
    audit = AuditLog(tmp_path / "app.sqlite3")
    alice = sample_bi.for_user("alice", security=security, audit=audit)
    answer = alice.run_sql("SELECT CAST(city AS INTEGER) AS n FROM dim_region")
    assert answer.status == "error"
    found = re.search(r"(E-[0-9A-F]{8})", answer.text)
    assert found, answer.text
    assert "广州" not in answer.text and "Conversion" not in answer.text and "INT32" not in answer.text
    event = audit.events(user="alice", limit=1)[0]
    assert found.group(1) in event.detail and "Could not convert string" in event.detail
    assert ("错误编号" in answer.text) == (answer.language == "zh")  # in the answer's language


def test_timeouts_and_cost_refusals_keep_their_words(sample_bi, security) -> None:
    alice = sample_bi.for_user("alice", security=security)
    costly = alice.run_sql("SELECT COUNT(*) FROM fact_daily a, fact_daily b")
    assert costly.status == "error" and "without a join condition" in costly.text


def test_an_unrestricted_user_sees_the_database_error(sample_bi, security) -> None:
    root = sample_bi.for_user("root", security=security)
    answer = root.run_sql("SELECT CAST(city AS INTEGER) AS n FROM dim_region")
    assert answer.status == "error" and "Could not convert string" in answer.text
