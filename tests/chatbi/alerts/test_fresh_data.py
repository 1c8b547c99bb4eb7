"""The alerts daemon follows new data without a restart: rows for a new month loaded into its
warehouse (the suite's real PostgreSQL) while it runs move the period its next pass evaluates,
and a rule about a channel that did not exist yet comes into force once that channel's rows arrive."""

from __future__ import annotations

import copy
import datetime as dt
import time

import pytest
from servers.growing import NEW_CHANNEL, growing_warehouse, load_january

from chatbi import ChatBI
from chatbi.alerts import AlertRunner, Outbox, SMTPMailer, SMTPSettings, load_rules, run_daemon

from .conftest import GD_RULE, SMTPServer, VirtualClock, rules_doc

pytestmark = pytest.mark.postgres

UTC = dt.UTC
#: 1 February 2026, 08:55 in Shanghai: the schedule asks for January, the warehouse ends in December
START = dt.datetime(2026, 2, 1, 0, 55, tzinfo=UTC)
SENDER = "chatbi@example.com"


def test_the_daemon_sees_a_new_month_and_a_new_channel_without_a_restart(postgres_url, sample_db_path, write_rules,
                                                                         tmp_path, smtp_server: SMTPServer,
                                                                         monkeypatch) -> None:
    from sample_data import TELECOM_MODEL

    monkeypatch.setenv("CHATBI_DATA_VERSION_TTL", "1")
    url = growing_warehouse(postgres_url, sample_db_path, "chatbi_fresh_alerts")
    bi = ChatBI(TELECOM_MODEL, url)
    daily = {"schedule": {"cron": "0 9 * * *", "timezone": "Asia/Shanghai"},
             "period": {"unit": "month", "offset": 1, "relative_to": "auto"}}
    gd = {**copy.deepcopy(GD_RULE), **daily}
    channel = {**copy.deepcopy(GD_RULE), **daily, "name": {"zh": "小程序收入", "en": "Mini-program revenue"},
               "filters": {"province": "广东", "channel": NEW_CHANNEL}}
    path = write_rules(rules_doc("zh", gd_revenue=gd, mini_program=channel))

    def load():  # as `chatbi alerts daemon` loads its rules: against the members of the moment
        return load_rules(path, bi.model, bi.members.as_sets(), strict=False)

    clock = VirtualClock(START)
    mailer = SMTPMailer(SMTPSettings(host="127.0.0.1", port=smtp_server.port, sender=SENDER, timeout=5))
    runner = AlertRunner(bi, load(), Outbox(tmp_path / "app.sqlite3", clock=clock), mailer, sender=SENDER,
                         charts=False, loader=load, send_when_quiet=True)
    assert list(runner.rules.invalid) == ["mini_program"]  # no such channel yet: left out, reported
    passes: list[dict[str, tuple[tuple[dt.date, dt.date], str]]] = []
    first_version = bi.data_version()
    loaded: list[str] = []

    def record(report) -> None:
        if report.evaluations:
            passes.append({e.rule.id: (e.period, e.status) for e in report.evaluations})

    def wait(seconds: float) -> bool:
        if len(passes) == 1 and not loaded:  # after the first fire: the nightly load; the daemon sleeps on
            loaded.append(url)
            load_january(url)
            deadline = time.monotonic() + 30  # the probe's TTL and the statistics collector's flush
            while bi.data_version() == first_version and time.monotonic() < deadline:
                time.sleep(0.2)
        clock.advance(seconds=seconds)
        return len(passes) >= 2 and clock.now > dt.datetime(2026, 2, 2, 1, 0, tzinfo=UTC)

    assert run_daemon(runner, wait=wait, on_cycle=record, max_sleep=3600) == 0
    fired = passes
    december, january = (dt.date(2025, 12, 1), dt.date(2025, 12, 31)), (dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    # before the load: the data ends in December, so the rule reads December and says it is stale
    assert fired[0] == {"gd_revenue": (december, "stale")}
    # the next morning, same process: January, current; and the new channel's rule now runs
    period, status = fired[1]["gd_revenue"]
    assert period == january and status in {"ok", "triggered"}
    assert fired[1]["mini_program"][0] == january and fired[1]["mini_program"][1] in {"ok", "triggered"}
    assert not runner.rules.invalid
    texts = [m.message.get_body(("plain",)).get_content() for m in smtp_server.wait_for(2)]
    assert "2025年12月" in texts[0] and "2026年1月" in texts[-1] and "小程序收入" in texts[-1]
    bi.close()
