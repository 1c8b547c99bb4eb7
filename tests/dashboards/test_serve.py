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
