"""App latency: time from submitting a question to its answer card (with its chart) being visible,
measured inside headless Chromium on the sample warehouse.

The clock is the page's own ``performance.now()``: it starts when the Ask button is clicked and
stops on the first animation frame where the new card is in the thread and, when the card has a
chart, plotly has drawn its SVG. So the figure includes the callback round trip, translation,
SQL, chart building, JSON transfer and rendering.

``--first N`` measures the first chart of a session instead: N fresh browser contexts (own cache,
as a new visitor), each asking one question as soon as the page is ready; it records when the
card (text) appeared and when its chart was drawn, so the blank gap between them is visible.

Run ``python -m benchmarks.app_latency [--rounds N] [--first N]``; results go to
``benchmarks/results/app_latency.json`` (``app_first_chart.json`` for ``--first``). Needs
/usr/bin/chromium and the ``playwright`` package. Target: p50 <= 1 s.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import print_table, summarise, write_result

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

QUESTIONS = [
    "2025年11月各省收入",
    "top 5 cities by revenue in 2025",
    "近三个月5G套餐的ARPU趋势",
    "monthly churn rate by plan type in 2025",
    "2025年各渠道新增用户同比",
    "call drop rate by vendor in August 2025",
    "2025年各大区收入占比",
    "revenue by channel in Q3 2025",
    "2025年每月净增用户",
    "complaints by province in 2025",
    "2025年上半年各套餐收入",
    "DOU by plan type in 2025",
    "最近7天每天的收入",
    "active subscribers by region at the end of 2025",
    "2025年第三季度各城市掉话率前10",
    "new subscribers by segment in 2025",
    "2025年各省ARPU环比",
    "weekly revenue in the last 3 months",
    "2025年12月政企客户收入",
    "availability by band in 2025",
]

# click Ask, then poll once per animation frame until the n-th turn's card (and its chart) is drawn
_MEASURE = """async (n) => {
  const button = document.getElementById('ask-send');
  // the button is disabled while the previous answer is still being applied
  while (button.disabled) { await new Promise((r) => requestAnimationFrame(r)); }
  const t0 = performance.now();
  button.click();
  let card = null;  // when the card (its text) first showed
  return await new Promise((resolve, reject) => {
    const limit = setTimeout(() => reject(new Error('no answer card within 30 s')), 30000);
    const check = () => {
      const turn = document.querySelectorAll('#thread > .turn')[n];
      if (turn && turn.querySelector('.answer-card')) {
        if (card === null) { card = performance.now() - t0; }
        const graph = turn.querySelector('.answer-graph');
        if (!graph || graph.querySelector('svg.main-svg')) {
          clearTimeout(limit);
          resolve({ms: performance.now() - t0, card_ms: card, chart: !!graph,
                   status: turn.querySelector('.answer-error') ? 'error'
                         : turn.querySelector('.answer-clarify') ? 'clarify' : 'ok'});
          return;
        }
      }
      requestAnimationFrame(check);
    };
    check();
  });
}"""


def _serve(app: Any) -> tuple[Any, str]:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def run(rounds: int = 1) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    from chatbi import ChatBI
    from dashboards import create_app

    bi = ChatBI.sample()
    with tempfile.TemporaryDirectory() as tmp:
        server, url = _serve(create_app(bi, app_db=Path(tmp) / "app.sqlite3"))
        rows: list[dict[str, Any]] = []
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(url)
                page.locator("#ask-input").wait_for()
                n = 0
                # warm-up: loads plotly.js and fills the member index, as a first visitor would pay once
                page.fill("#ask-input", "2025年各省收入")
                page.evaluate(_MEASURE, n)
                n += 1
                for r in range(rounds):
                    for question in QUESTIONS:
                        page.fill("#ask-input", question)
                        result = page.evaluate(_MEASURE, n)
                        n += 1
                        rows.append({"round": r, "question": question, **result})
                browser.close()
        finally:
            server.shutdown()
    bi.close()
    stats = summarise([row["ms"] for row in rows])
    return {"target_p50_ms": 1000, **stats, "questions": rows}


def run_first(sessions: int = 5) -> dict[str, Any]:
    """The first chart of ``sessions`` new visitors (fresh contexts: nothing cached in the browser)."""
    from playwright.sync_api import sync_playwright

    from chatbi import ChatBI
    from dashboards import create_app

    bi = ChatBI.sample()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        server, url = _serve(create_app(bi, app_db=Path(tmp) / "app.sqlite3"))
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                # the server's own first answer (member index, translator) is not the browser's cost
                warm = browser.new_page()
                warm.goto(url)
                warm.locator("#ask-input").wait_for()
                warm.fill("#ask-input", QUESTIONS[0])
                warm.evaluate(_MEASURE, 0)
                warm.context.close()
                for i in range(sessions):
                    context = browser.new_context(viewport={"width": 1280, "height": 900})
                    page = context.new_page()
                    page.goto(url)
                    page.locator("#ask-input").wait_for()
                    question = QUESTIONS[i % len(QUESTIONS)]
                    page.fill("#ask-input", question)
                    result = page.evaluate(_MEASURE, 0)
                    rows.append({"session": i, "question": question, **result,
                                 "blank_ms": result["ms"] - result["card_ms"]})
                    context.close()
                browser.close()
        finally:
            server.shutdown()
    bi.close()
    stats = summarise([row["ms"] for row in rows])
    blank = summarise([row["blank_ms"] for row in rows])
    return {**stats, "blank_p50_ms": blank["p50_ms"], "blank_max_ms": blank["max_ms"], "sessions": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1, help="times to ask the whole question set")
    parser.add_argument("--first", type=int, default=0, metavar="N",
                        help="measure the first chart of N new sessions instead")
    args = parser.parse_args(argv)
    if args.first:
        first = run_first(args.first)
        print_table([{k: r[k] for k in ("session", "question", "card_ms", "ms", "blank_ms")}
                     for r in first["sessions"]], ["session", "question", "card_ms", "ms", "blank_ms"])
        print()
        print_table([first], ["n", "p50_ms", "p95_ms", "max_ms", "blank_p50_ms", "blank_max_ms"])
        print(f"\nwritten: {write_result('app_first_chart', first)}")
        return 0
    result = run(args.rounds)
    print_table([{"question": r["question"], "status": r["status"], "chart": r["chart"], "ms": r["ms"]}
                 for r in result["questions"]], ["question", "status", "chart", "ms"])
    print()
    print_table([{k: result[k] for k in ("n", "p50_ms", "p95_ms", "mean_ms", "max_ms", "target_p50_ms")}],
                ["n", "p50_ms", "p95_ms", "mean_ms", "max_ms", "target_p50_ms"])
    path = write_result("app_latency", result)
    print(f"\nwritten: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
