"""Crash safety with a real process: ``chatbi alerts run`` killed with SIGKILL at a hook point.

* killed after the digest is stored, before it is sent -> the next run sends it exactly once;
* killed after the SMTP server accepted it, before it is marked sent -> the next run resends it
  (at-least-once, the documented window) with the *same* Message-ID, so the duplicate is
  recognisable.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from chatbi.alerts import Outbox, SMTPMailer, SMTPSettings
from chatbi.alerts.runner import CRASH_ENV

from .conftest import SMTPServer, VirtualClock, rules_doc

AT = "2025-12-01T09:00+08:00"


def _run(args: list[str], env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != CRASH_ENV}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "chatbi.cli", "alerts", "run", *args], env=env,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def cli_args(tmp_path: Path, sample_db_path: Path, smtp_server: SMTPServer) -> list[str]:
    from sample_data import TELECOM_MODEL

    rules = tmp_path / "alerts.yaml"
    rules.write_text(yaml.safe_dump(rules_doc(), allow_unicode=True), encoding="utf-8")
    return ["--model", str(TELECOM_MODEL), "--database", str(sample_db_path), "--rules", str(rules),
            "--app-db", str(tmp_path / "app.sqlite3"), "--at", AT, "--smtp-host", "127.0.0.1",
            "--smtp-port", str(smtp_server.port), "--mail-from", "chatbi@example.com", "--no-charts"]


def test_killed_between_render_and_send_delivers_exactly_once(cli_args, tmp_path, smtp_server) -> None:
    crashed = _run(cli_args, {CRASH_ENV: "after_store"})
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    assert smtp_server.received == []
    pending = Outbox(tmp_path / "app.sqlite3").entries()
    assert [e.status for e in pending] == ["pending"]  # stored before the crash: not lost

    resumed = _run(cli_args)
    assert resumed.returncode == 0, resumed.stderr
    # the fire was recorded in the same transaction as the digest: nothing is re-evaluated, the
    # stored bytes are sent
    assert "0 rule(s) due" in resumed.stdout and "1 sent" in resumed.stdout
    assert len(smtp_server.wait_for(1)) == 1
    assert smtp_server.received[0].message["Message-ID"].strip() == pending[0].message_id

    again = _run(cli_args)
    assert again.returncode == 0 and "0 rule(s) due" in again.stdout and " 0 sent" in again.stdout
    assert len(smtp_server.received) == 1
    assert [e.status for e in Outbox(tmp_path / "app.sqlite3").entries()] == ["sent"]


def test_killed_between_send_and_mark_resends_with_the_same_message_id(cli_args, tmp_path, smtp_server) -> None:
    crashed = _run(cli_args, {CRASH_ENV: "after_send"})
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    assert len(smtp_server.wait_for(1)) == 1
    db = tmp_path / "app.sqlite3"
    [entry] = Outbox(db).entries()
    assert entry.status == "sending"  # claimed; the process died holding it

    # a runner started before the claim's lease ran out leaves it alone (the owner may be alive)
    now = dt.datetime.now(dt.UTC)
    mailer = SMTPMailer(SMTPSettings(host="127.0.0.1", port=smtp_server.port, sender="chatbi@example.com"))
    assert Outbox(db, clock=VirtualClock(now)).deliver(mailer).sent == []
    # after the lease the row is in doubt: resent, at least once, recognisably the same message
    late = Outbox(db, clock=VirtualClock(now + dt.timedelta(minutes=10)))
    assert late.deliver(mailer).sent == [entry.key]
    first, second = smtp_server.wait_for(2)
    assert first.message["Message-ID"] == second.message["Message-ID"]
    assert first.raw == second.raw
    assert late.deliver(mailer).sent == [] and late.entries()[0].status == "sent"
