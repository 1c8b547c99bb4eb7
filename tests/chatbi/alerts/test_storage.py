"""A full disk under the app database: the daemon backs off and goes on, a one-shot run says so in one line.

Two real ways to fill the disk: SQLite's ``max_page_count`` on the outbox's connections (in process),
and a file-size limit (RLIMIT_FSIZE) on a real ``chatbi alerts`` process, lifted with ``prlimit``
while it runs -- what an operator freeing disk space looks like to the daemon.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from chatbi.alerts import AlertRunner, Outbox, SMTPMailer, SMTPSettings, load_rules, run_daemon

from .conftest import GD_RULE, SMTPServer, VirtualClock, rules_doc

UTC = dt.UTC
FIRE = dt.datetime(2025, 12, 1, 1, 0, tzinfo=UTC)
SENDER = "chatbi@example.com"


class FullDisk(Outbox):
    """The real outbox; while ``full`` is set, SQLite may not grow the database (SQLITE_FULL)."""

    full = False

    def _connect(self) -> sqlite3.Connection:
        con = super()._connect()
        if self.full:
            pages = con.execute("PRAGMA page_count").fetchone()[0]
            con.execute(f"PRAGMA max_page_count = {pages}")
        return con


def test_the_daemon_outlives_a_full_disk_and_delivers_afterwards(sample_bi, write_rules, tmp_path, smtp_server,
                                                                  caplog) -> None:
    rules = load_rules(write_rules(rules_doc(gd_revenue=dict(GD_RULE))), sample_bi.model)
    clock = VirtualClock(FIRE - dt.timedelta(minutes=1))
    outbox = FullDisk(tmp_path / "app.sqlite3", clock=clock)
    mailer = SMTPMailer(SMTPSettings(host="127.0.0.1", port=smtp_server.port, sender=SENDER, timeout=5))
    runner = AlertRunner(sample_bi, rules, outbox, mailer, sender=SENDER, charts=False)
    outbox.register_rules(["gd_revenue"], FIRE - dt.timedelta(hours=1), rules.namespace)
    outbox.full = True
    sleeps: list[float] = []

    def wait(seconds: float) -> bool:
        sleeps.append(seconds)
        clock.advance(seconds=seconds)
        if len(sleeps) == 4:
            outbox.full = False  # the operator freed some space
        return len(sleeps) >= 6 or bool(smtp_server.received)

    with caplog.at_level(logging.INFO, logger="chatbi.alerts"):
        code = run_daemon(runner, wait=wait, max_sleep=600)
    assert code == 0  # stopped by the test, not by the error
    failures = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert failures and failures[0].startswith("alert pass failed (attempt 1): app database")
    assert "database or disk is full" in failures[0] and "retrying in 5 s" in failures[0]
    assert "retrying in 10 s" in failures[1]  # backoff doubles
    assert sleeps[1:3] == [5.0, 10.0]
    assert len(smtp_server.wait_for(1)) == 1  # nothing lost: the fire stayed due
    assert any("succeeded again" in r.getMessage() for r in caplog.records)


def test_a_database_that_is_not_a_database_stops_the_daemon_loudly(sample_bi, write_rules, tmp_path, smtp_server,
                                                                   caplog) -> None:
    rules = load_rules(write_rules(rules_doc(gd_revenue=dict(GD_RULE))), sample_bi.model)
    db = tmp_path / "app.sqlite3"
    clock = VirtualClock(FIRE)
    runner = AlertRunner(sample_bi, rules, Outbox(db, clock=clock),
                         SMTPMailer(SMTPSettings(host="127.0.0.1", port=smtp_server.port, sender=SENDER)),
                         sender=SENDER, charts=False)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    db.write_bytes(b"this is not a database" * 300)
    with caplog.at_level(logging.INFO, logger="chatbi.alerts"):
        assert run_daemon(runner, wait=lambda s: False, max_sleep=1) == 1
    assert any(r.levelno == logging.CRITICAL and "alerts daemon stopping" in r.getMessage() for r in caplog.records)


def _limited(limit: int) -> Any:
    def apply() -> None:  # in the child, before exec: writes past `limit` bytes fail with EFBIG
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
    return apply


@pytest.fixture
def cli(tmp_path: Path, sample_db_path: Path, smtp_server: SMTPServer) -> list[str]:
    from sample_data import TELECOM_MODEL

    rules = tmp_path / "alerts.yaml"
    rules.write_text(yaml.safe_dump(rules_doc(gd_revenue=dict(GD_RULE)), allow_unicode=True), encoding="utf-8")
    Outbox(tmp_path / "app.sqlite3")  # the app database exists (as it does after the first run)
    return ["--model", str(TELECOM_MODEL), "--database", str(sample_db_path), "--rules", str(rules),
            "--app-db", str(tmp_path / "app.sqlite3"), "--smtp-host", "127.0.0.1", "--smtp-port",
            str(smtp_server.port), "--mail-from", SENDER, "--no-charts"]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}


def test_a_one_shot_run_on_a_full_disk_is_one_line_and_loses_nothing(cli, tmp_path, smtp_server) -> None:
    limit = 32 * 1024 + 512  # room for SQLite's shared-memory index (32 KiB), not for one more page
    full = subprocess.run([sys.executable, "-m", "chatbi.cli", "alerts", "run", *cli, "--at", "2025-12-01T09:00"],
                          capture_output=True, text=True, timeout=180, env=_env(), preexec_fn=_limited(limit), check=False)
    assert full.returncode == 1, full.stdout + full.stderr
    assert "Traceback" not in full.stderr and full.stderr.count("\n") == 1
    assert full.stderr.startswith("chatbi: error: app database") and "nothing was lost" in full.stderr
    assert smtp_server.received == []
    again = subprocess.run([sys.executable, "-m", "chatbi.cli", "alerts", "run", *cli, "--at", "2025-12-01T09:00"],
                           capture_output=True, text=True, timeout=180, env=_env(), check=False)
    assert again.returncode == 0, again.stderr
    assert len(smtp_server.wait_for(1)) == 1


def test_the_daemon_process_survives_a_full_disk_until_space_is_freed(cli, tmp_path, smtp_server) -> None:
    # the daemon runs at the real clock; a rule that fires every minute is due within a minute
    rules = Path(cli[cli.index("--rules") + 1])
    rules.write_text(yaml.safe_dump(rules_doc(gd_revenue={**GD_RULE, "schedule": "* * * * *",
                                                          "condition": {"type": "threshold", "op": ">", "value": 0}}),
                                    allow_unicode=True), encoding="utf-8")
    log = tmp_path / "daemon.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "chatbi.cli", "alerts", "daemon", *cli, "--max-sleep", "2"],
                                stdout=out, stderr=subprocess.STDOUT, env=_env(),
                                preexec_fn=_limited(32 * 1024 + 512))  # noqa: PLW1509 -- the child's disk limit; no threads yet
    try:
        deadline = time.monotonic() + 150
        while "alert pass failed (attempt 1)" not in log.read_text() and time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            time.sleep(0.5)
        assert "alert pass failed (attempt 1): app database" in log.read_text(), log.read_text()
        time.sleep(5)
        assert proc.poll() is None, log.read_text()  # still running, backing off
        assert "alert pass failed (attempt 2)" in log.read_text()
        assert smtp_server.received == []
        resource.prlimit(proc.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        assert len(smtp_server.wait_for(1, timeout=120)) >= 1, log.read_text()
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, log.read_text()
    assert "Traceback" not in log.read_text()
