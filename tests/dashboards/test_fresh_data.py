"""New rows loaded into the warehouse of a running ``chatbi serve`` (two worker processes) are seen
without a restart or a HUP: "this month" moves to the new month and a new channel is known, in
every worker, once the data-version probe (``$CHATBI_DATA_VERSION_TTL``) looks again.

The warehouse is PostgreSQL (the suite's real server): DuckDB locks its file while it is open."""

from __future__ import annotations

import time

import pytest
from servers.growing import NEW_CHANNEL, growing_warehouse, load_january

pytestmark = pytest.mark.postgres

TTL_S = 1


def test_a_running_server_follows_new_rows_without_a_restart(postgres_url, sample_db_path, tmp_path):
    from sample_data import TELECOM_MODEL

    from .served import DashClient, Served, texts

    url = growing_warehouse(postgres_url, sample_db_path, "chatbi_fresh_serve")
    args = ["--model", str(TELECOM_MODEL), "--database", url, "--app-db", str(tmp_path / "app.sqlite3"),
            "--workers", "2", "--threads", "2"]
    env = {"CHATBI_DATA_VERSION_TTL": str(TTL_S)}
    with Served(args, cache_dir=tmp_path / "cache", env=env) as server:
        before: dict[str, str] = {}
        for _attempt in range(20):  # both workers answer for December, each with its own anchor
            with DashClient(server.url, fresh_connections=True) as browser:
                response = browser.ask("本月收入")
            before[response.headers["X-ChatBI-Worker"]] = " ".join(texts(response.json()))
            if len(before) == 2:
                break
        assert len(before) == 2, "one worker answered every question"
        for said in before.values():
            assert "2025年12月收入" in said and "数据截至 2025-12-31" in said, said[:300]
        with DashClient(server.url) as browser:
            unknown = " ".join(texts(browser.ask(f"本月{NEW_CHANNEL}渠道收入").json()))
        assert f"{NEW_CHANNEL}收入" not in unknown  # not a member yet: never answered as one

        load_january(url)  # no HUP, no restart

        after: dict[str, str] = {}
        deadline = time.monotonic() + 60  # the probe's TTL plus the statistics collector's flush
        while time.monotonic() < deadline and (len(after) < 2 or not all("2026" in s for s in after.values())):
            with DashClient(server.url, fresh_connections=True) as browser:
                response = browser.ask("本月收入")
            after[response.headers["X-ChatBI-Worker"]] = " ".join(texts(response.json()))
            time.sleep(0.2)
        assert set(after) == set(before), "a worker was replaced: the test is about the running ones"
        for said in after.values():
            assert "2026年1月收入" in said and "数据截至 2026-01-31" in said, said[:300]

        channel: dict[str, str] = {}
        for _attempt in range(20):  # every worker now knows the new channel
            with DashClient(server.url, fresh_connections=True) as browser:
                response = browser.ask(f"本月{NEW_CHANNEL}渠道收入")
            channel[response.headers["X-ChatBI-Worker"]] = " ".join(texts(response.json()))
            if len(channel) == 2:
                break
        assert len(channel) == 2, "one worker answered every question"
        for said in channel.values():
            assert f"2026年1月{NEW_CHANNEL}收入" in said and "数据截至 2026-01-31" in said, said[:300]
    assert server.proc is not None and server.proc.returncode == 0
