"""``chatbi serve``: the real command, started as a process on a free loopback port."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from chatbi.cli import build_parser, main


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_arguments():
    args = build_parser().parse_args(["serve", "--port", "9000", "--host", "0.0.0.0"])
    assert (args.port, args.host, args.model, args.database) == (9000, "0.0.0.0", None, None)
    assert build_parser().parse_args(["serve"]).port == 8050


def test_serve_needs_model_and_database_together(capsys, tmp_path):
    assert main(["serve", "--model", str(tmp_path / "m.yaml")]) == 1
    assert "give both --model and --database" in capsys.readouterr().err


def test_chatbi_serve_answers_over_http(sample_db_path, tmp_path):
    from sample_data import TELECOM_MODEL

    port = _free_port()
    env = {**os.environ, "CHATBI_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "chatbi.cli", "serve", "--model", str(TELECOM_MODEL), "--database",
         str(sample_db_path), "--port", str(port), "--app-db", str(tmp_path / "app.sqlite3")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/", timeout=2) as response:
                    page = response.read().decode()
                    cookie = response.headers.get("Set-Cookie", "")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"chatbi serve did not start: {proc.stdout.read().decode()[-2000:]}")
                time.sleep(0.3)
        assert "<title>ChatBI" in page and cookie.startswith("chatbi_sid=")
        request = urllib.request.Request(base + "/_dash-layout", headers={"Accept-Language": "en-US,en;q=0.9"})
        with urllib.request.urlopen(request, timeout=10) as response:
            layout = json.loads(response.read())
        stores = [c["props"] for c in layout["props"]["children"] if c.get("type") == "Store"]
        assert {"id": "lang", "data": "en", "storage_type": "local"} in stores
        assert (tmp_path / "app.sqlite3").exists()  # the app database, not the warehouse
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# -- the production server: several workers, one state --------------------------------------------
@pytest.mark.slow
def test_two_workers_serve_one_sessions_follow_up(sample_db_path, tmp_path):
    """A follow-up answered by another worker process than the question it follows still builds on
    it: the conversation lives in the app database, not in the worker that asked first."""
    from sample_data import TELECOM_MODEL

    from .served import DashClient, Served, texts

    args = ["--model", str(TELECOM_MODEL), "--database", str(sample_db_path), "--app-db", str(tmp_path / "app.sqlite3"),
            "--workers", "2", "--threads", "2"]
    with Served(args, cache_dir=tmp_path / "cache") as server:
        assert "2 worker processes x 2 threads, gunicorn" in server.output()
        crossed = 0
        for _attempt in range(12):
            with DashClient(server.url, fresh_connections=True) as browser:
                first = browser.ask("2025年11月各省收入")
                follow = browser.ask("只看5G")
            said = " ".join(texts(follow.json()))
            # the follow-up kept the question's month and breakdown and added the filter
            assert "2025年11月5G" in said and "11 个省份" in said and "5.88 亿元" in said, said[:500]
            if first.headers["X-ChatBI-Worker"] != follow.headers["X-ChatBI-Worker"]:
                crossed += 1
                if crossed >= 2:
                    break
        assert crossed >= 1, "every follow-up happened to land on the question's worker"
        import httpx

        workers = {httpx.get(server.url + "/healthz", headers={"Connection": "close"}).headers["X-ChatBI-Worker"]
                   for _ in range(30)}
        assert len(workers) == 2  # both workers answer


def test_health_and_readiness(sample_db_path, tmp_path):
    from sample_data import TELECOM_MODEL

    from .served import Served

    args = ["--model", str(TELECOM_MODEL), "--database", str(sample_db_path), "--app-db", str(tmp_path / "app.sqlite3"),
            "--workers", "1", "--threads", "2", "--root-path", "/bi"]
    with Served(args, cache_dir=tmp_path / "cache", prefix="/bi") as server:
        import httpx

        assert httpx.get(server.root + "/healthz").json() == {"status": "ok"}
        ready = httpx.get(server.root + "/readyz").json()
        assert ready["status"] == "ready" and ready["checks"]["warm"] == "ok" and ready["checks"]["state"] == "ok"
        assert httpx.get(server.url + "/readyz").status_code == 200  # under the prefix too
        page = httpx.get(server.url + "/")
        assert page.status_code == 200 and "/bi/_dash-component-suites/" in page.text
        assert httpx.get(server.root + "/", follow_redirects=False).headers["location"].endswith("/bi/")
        assert httpx.get(server.root + "/alerts").status_code == 404  # outside the prefix: not the app
        assert "serving on http://127.0.0.1:" in server.output() and "/bi/ (" in server.output()


def test_bad_serve_options_are_one_line(capsys, tmp_path):
    for argv, words in ((["--workers", "0"], "out of range (1-64)"), (["--threads", "many"], "not a whole number")):
        with pytest.raises(SystemExit) as stop:
            main(["serve", *argv])
        assert stop.value.code == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and words in err
    assert main(["serve", "--root-path", "bi prefix", "--port", str(_free_port())]) == 1
    assert "--root-path 'bi prefix' is not a URL path" in capsys.readouterr().err
    assert main(["serve", "--state", "mysql://x/y", "--port", str(_free_port())]) == 1
    assert "unsupported state store mysql://" in capsys.readouterr().err


@pytest.mark.slow
def test_new_data_after_a_reload_and_workers_that_leave_cleanly(sample_db_path, tmp_path):
    """The README's way to load a DuckDB file under a running server: rows loaded into a copy, the
    copy moved over the file, HUP to the main process. New workers open the new file: "this month"
    and a new channel follow; the old workers finish and exit without aborting (DuckDB, imported
    before the fork, used to end them with SIGABRT), and so do the new ones on stop."""
    import shutil
    import signal

    import duckdb

    from sample_data import TELECOM_MODEL

    from .served import DashClient, Served, texts

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(sample_db_path, warehouse)
    args = ["--model", str(TELECOM_MODEL), "--database", str(warehouse), "--app-db", str(tmp_path / "app.sqlite3"),
            "--workers", "2", "--threads", "2"]
    with Served(args, cache_dir=tmp_path / "cache") as server:
        with DashClient(server.url) as browser:
            said = " ".join(texts(browser.ask("本月收入").json()))
        assert "2025年12月收入" in said and "数据截至 2025-12-31" in said, said[:300]
        loading = tmp_path / "loading.duckdb"
        shutil.copyfile(warehouse, loading)
        with duckdb.connect(str(loading)) as con:  # five more days, and a channel nobody sold through before
            con.execute("INSERT INTO fact_daily SELECT date + INTERVAL 5 DAY, city_id, plan_id, channel, segment, "
                        "active_subscribers, new_subscribers, churned_subscribers, revenue, data_traffic_gb, "
                        "voice_minutes, complaints FROM fact_daily WHERE date >= DATE '2025-12-27'")
            con.execute("INSERT INTO fact_daily SELECT date, city_id, plan_id, '小程序', segment, 0, new_subscribers, "
                        "0, revenue / 10, 0, 0, 0 FROM fact_daily WHERE date >= DATE '2026-01-01' AND channel = '线上'")
        os.replace(loading, warehouse)
        assert server.proc is not None
        server.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 120
        while True:
            with DashClient(server.url, fresh_connections=True) as browser:
                said = " ".join(texts(browser.ask("本月小程序渠道收入").json()))
            if "数据截至 2026-01-05" in said or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert "2026年1月1日至2026年1月5日小程序收入" in said and "数据截至 2026-01-05" in said, said[:300]
    assert server.proc.returncode == 0
    log = server.output()
    assert "SIGABRT" not in log and "terminate called" not in log, log[-2000:]
