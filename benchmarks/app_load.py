"""App load: N simulated users asking questions over HTTP against ``chatbi serve`` as shipped.

Each user is a thread with its own cookie jar, behaving as a browser does: it opens the page
(``/``, the layout, the router callback) and then, until the time is up, asks a question through
the Ask page's Dash callback, waits a think time (uniform ``--think``, default 0.5-1.5 s) and asks
the next; one question in four is a follow-up of the previous answer ("只看5G", "top 3 only").
Only loopback addresses are used. The run is bounded: ``--duration`` seconds of asking, every
request times out after ``--timeout`` seconds (a timeout counts as an error).

Reported: requests, errors (HTTP failures, timeouts, the app's "internal error" cards), answer
statuses, p50/p95/p99 and max latency of the question requests, throughput, the server's resident
memory (all its processes, sampled every second: peak and at the end) and the machine's load
average at the start and the end (the machine may be shared: compare runs at similar load).

Run ``python -m benchmarks.app_load [--users 50] [--duration 60] [--label before]`` -- it starts
``chatbi serve`` on a free port with a fresh app database (the sample warehouse is the shared
cached one); ``--serve-arg=--workers=2`` passes options through, ``--url`` measures a server that
is already running. Results: ``benchmarks/results/app_load[-LABEL].json``. Aim: 0 errors and
p95 <= 1 s for 50 users on the sample warehouse.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from benchmarks._common import percentile, print_table, write_result
from benchmarks.app_latency import QUESTIONS

FOLLOWUPS = ["只看5G", "按城市拆开", "改看ARPU", "top 3 only", "前一个月", "只看广东", "by channel", "同比呢"]
_LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


@dataclass
class Sample:
    kind: str  # page | ask | followup
    ms: float
    outcome: str  # ok | clarify | error-card | internal-error | http-<code> | timeout | failed


@dataclass
class Results:
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)


class Dash:
    """The request bodies of the app's callbacks, read from ``/_dash-dependencies``."""

    def __init__(self, deps: list[dict[str, Any]]) -> None:
        self.ask = _find(deps, "ask-send", "n_clicks")
        self.route = _find(deps, "url", "pathname")

    @staticmethod
    def _outputs(dep: dict[str, Any]) -> list[dict[str, str]]:
        out = []
        for part in dep["output"].strip(".").split("..."):
            ident, prop = part.split(".", 1)
            out.append({"id": ident, "property": prop})
        return out

    def ask_body(self, question: str, clicks: int, lang: str) -> dict[str, Any]:
        return {"output": self.ask["output"], "outputs": self._outputs(self.ask),
                "inputs": [{"id": "ask-send", "property": "n_clicks", "value": clicks},
                           {"id": "ask-input", "property": "n_submit", "value": 0}],
                "changedPropIds": ["ask-send.n_clicks"],
                "state": [{"id": "ask-input", "property": "value", "value": question},
                          {"id": "lang", "property": "data", "value": lang}]}

    def route_body(self, path: str, lang: str) -> dict[str, Any]:
        return {"output": self.route["output"], "outputs": self._outputs(self.route),
                "inputs": [{"id": "url", "property": "pathname", "value": path},
                           {"id": "lang", "property": "data", "value": lang}],
                "changedPropIds": ["url.pathname"], "state": [{"id": "url", "property": "search", "value": ""}]}


def _find(deps: list[dict[str, Any]], ident: str, prop: str) -> dict[str, Any]:
    for dep in deps:
        if any(i["id"] == ident and i["property"] == prop for i in dep["inputs"]):
            return dep
    raise SystemExit(f"the app has no callback on {ident}.{prop}: is this ChatBI?")


def _outcome(response: httpx.Response) -> str:
    if response.status_code != 200:
        return f"http-{response.status_code}"
    text = response.text
    if "I could not answer that right now (" in text or "\\u6682\\u65f6\\u65e0\\u6cd5\\u56de\\u7b54" in text:
        return "internal-error"
    if "answer-ok" in text:
        return "ok"
    if "answer-clarify" in text:
        return "clarify"
    if "answer-error" in text:
        return "error-card"
    return "other"


def user(index: int, base: str, dash: Dash, stop: threading.Event, results: Results, args: argparse.Namespace) -> None:
    rng = random.Random(args.seed * 1000 + index)
    lang = "zh" if index % 2 == 0 else "en"
    with httpx.Client(base_url=base, timeout=args.timeout, headers={"Accept-Language": lang}) as client:
        def timed(kind: str, send: Any) -> str:
            started = time.perf_counter()
            try:
                response = send()
                outcome = _outcome(response) if kind != "page" else (
                    "ok" if response.status_code == 200 else f"http-{response.status_code}")
            except httpx.TimeoutException:
                outcome = "timeout"
            except httpx.HTTPError:
                outcome = "failed"
            results.add(Sample(kind, (time.perf_counter() - started) * 1000, outcome))
            return outcome

        timed("page", lambda: client.get("/"))
        timed("page", lambda: client.get("/_dash-layout"))
        timed("page", lambda: client.post("/_dash-update-component", json=dash.route_body("/", lang)))
        clicks, asked = 0, False
        while not stop.is_set():
            clicks += 1
            followup = asked and rng.random() < 0.25
            question = rng.choice(FOLLOWUPS) if followup else rng.choice(QUESTIONS)
            outcome = timed("followup" if followup else "ask",
                            lambda q=question, c=clicks: client.post("/_dash-update-component",
                                                                     json=dash.ask_body(q, c, lang)))
            asked = asked or outcome == "ok"
            stop.wait(rng.uniform(*args.think))


def _rss_kb(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants (Linux /proc)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                todo.extend(int(c) for c in children)
        except (OSError, ValueError):
            continue
    return total


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(base: str, proc: subprocess.Popen[bytes] | None, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"chatbi serve exited with {proc.returncode}")
        for path in ("/readyz", "/"):
            try:
                response = httpx.get(base + path, timeout=2)
            except httpx.HTTPError:
                break
            if response.status_code == 200:
                return time.monotonic() - started
            if response.status_code != 404:
                break
        time.sleep(0.5)
    raise SystemExit(f"chatbi serve was not ready within {timeout:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of asking (default 60)")
    parser.add_argument("--ramp", type=float, default=5.0, help="seconds over which users arrive (default 5)")
    parser.add_argument("--think", type=float, nargs=2, default=(0.5, 1.5), metavar=("MIN", "MAX"))
    parser.add_argument("--timeout", type=float, default=30.0, help="per request (default 30 s)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--url", help="measure a running server on this loopback URL instead of starting one")
    parser.add_argument("--serve-arg", action="append", default=[], help="passed to chatbi serve (repeatable)")
    parser.add_argument("--label", default="", help="suffix of the results file (before, after ...)")
    parser.add_argument("--startup-timeout", type=float, default=300.0)
    args = parser.parse_args(argv)

    proc = None
    tmp = tempfile.TemporaryDirectory(prefix="chatbi-load-")
    load_start = os.getloadavg()
    if args.url:
        base = args.url.rstrip("/")
        if httpx.URL(base).host not in _LOOPBACK:
            raise SystemExit("--url must be a loopback address (127.0.0.1)")
    else:
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        command = [sys.executable, "-m", "chatbi", "serve", "--port", str(port), "--host", "127.0.0.1",
                   "--app-db", str(Path(tmp.name) / "app.sqlite3"), *args.serve_arg]
        log = open(Path(tmp.name) / "serve.log", "wb")  # noqa: SIM115 - closed with the directory
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        startup_s = _wait_ready(base, proc, args.startup_timeout)
        dash = Dash(httpx.get(base + "/_dash-dependencies", timeout=30).json())
        results, stop = Results(), threading.Event()
        rss_peak, rss_last = 0, 0
        sampling = threading.Event()

        def sample_rss() -> None:
            nonlocal rss_peak, rss_last
            while not sampling.wait(1.0):
                if proc is not None:
                    rss_last = _rss_kb(proc.pid)
                    rss_peak = max(rss_peak, rss_last)

        sampler = threading.Thread(target=sample_rss, daemon=True)
        sampler.start()
        threads = [threading.Thread(target=user, args=(i, base, dash, stop, results, args), daemon=True)
                   for i in range(args.users)]
        began = time.monotonic()
        for _i, thread in enumerate(threads):
            thread.start()
            time.sleep(args.ramp / max(1, args.users))
        stop.wait(max(0.0, args.duration - (time.monotonic() - began)))
        stop.set()
        for thread in threads:
            thread.join(timeout=args.timeout + 5)
        elapsed = time.monotonic() - began
        sampling.set()
        sampler.join(timeout=5)
        if proc is not None:
            rss_last = _rss_kb(proc.pid) or rss_last
            rss_peak = max(rss_peak, rss_last)
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        serve_log = (Path(tmp.name) / "serve.log").read_text(errors="replace")[-3000:] if proc is not None else ""
        tmp.cleanup()

    asks = [s for s in results.samples if s.kind in ("ask", "followup")]
    errors = [s for s in results.samples if s.outcome not in ("ok", "clarify", "error-card")]
    outcomes: dict[str, int] = {}
    for s in asks:
        outcomes[s.outcome] = outcomes.get(s.outcome, 0) + 1
    ms = [s.ms for s in asks]
    payload = {
        "users": args.users, "duration_s": round(elapsed, 1), "think_s": list(args.think),
        "serve_args": args.serve_arg, "startup_s": round(startup_s, 1),
        "requests": len(results.samples), "questions": len(asks), "errors": len(errors),
        "error_kinds": sorted({s.outcome for s in errors}), "outcomes": outcomes,
        "p50_ms": percentile(ms, 0.5), "p95_ms": percentile(ms, 0.95), "p99_ms": percentile(ms, 0.99),
        "max_ms": max(ms, default=0.0), "throughput_rps": len(asks) / elapsed if elapsed else 0.0,
        "server_rss_peak_mb": round(rss_peak / 1024, 1), "server_rss_end_mb": round(rss_last / 1024, 1),
        "load_avg_start": [round(x, 2) for x in load_start], "load_avg_end": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
    }
    name = "app_load" + (f"-{args.label}" if args.label else "")
    path = write_result(name, payload)
    print_table([payload], ["users", "questions", "errors", "p50_ms", "p95_ms", "p99_ms", "throughput_rps",
                            "server_rss_peak_mb"])
    print(f"load average {payload['load_avg_start']} -> {payload['load_avg_end']} on {payload['cpus']} cpus; "
          f"outcomes {outcomes}; startup {payload['startup_s']} s")
    if errors and serve_log:
        print("server log (tail):\n" + serve_log, file=sys.stderr)
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
