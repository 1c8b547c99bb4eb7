"""Outbox size per digest before and after retention: ``python -m benchmarks.outbox_retention [--digests 30]``.

Renders one real digest of the sample warehouse (with its chart, as sent), stores it under
``--digests`` keys in a fresh app database, marks them sent, then applies retention (bodies
dropped, rows and idempotency keys kept). Reports the bytes the outbox holds per digest, before and
after, measured as SQLite pages in use (a freed page is reused by the next digest).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sqlite3
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from ._common import print_table, write_result

UTC = dt.UTC


def _used_bytes(db: Path) -> int:
    with sqlite3.connect(db) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages, free, size = (con.execute(f"PRAGMA {p}").fetchone()[0]
                             for p in ("page_count", "freelist_count", "page_size"))
    return (pages - free) * size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.outbox_retention")
    parser.add_argument("--digests", type=int, default=30)
    parser.add_argument("--no-charts", action="store_true", help="digests without the chart image")
    args = parser.parse_args(argv)

    from chatbi import ChatBI
    from chatbi.alerts import AlertRunner, Outbox, SMTPMailer, SMTPSettings, rules_from_dict

    bi = ChatBI.sample()
    rule = {"name": {"zh": "广东收入"}, "metric": "revenue", "filters": {"province": "广东"},
            "period": {"unit": "month", "offset": 1}, "schedule": "0 9 1 * *", "recipients": ["a@example.com"],
            "condition": {"type": "change", "op": "<", "value": "-5%"}}
    rules = rules_from_dict({"rules": {"gd_revenue": rule}}, bi.model)
    fire = dt.datetime(2025, 12, 1, 1, 0, tzinfo=UTC)
    clock = [fire]
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "app.sqlite3"
        outbox = Outbox(db, clock=lambda: clock[0], retention=dt.timedelta(days=30))
        runner = AlertRunner(bi, rules, outbox, SMTPMailer(SMTPSettings(host="127.0.0.1", port=9)),
                             sender="chatbi@example.com", charts=not args.no_charts)
        started = time.perf_counter()
        runner.run(fire, deliver=False)
        render_s = time.perf_counter() - started
        [first] = outbox.entries()
        empty = _used_bytes(db)
        for i in range(1, args.digests):
            outbox.put(replace(first, key=f"{first.key[:-6]}{i:06d}"))
        with sqlite3.connect(db) as con:
            con.execute("UPDATE alert_outbox SET status = 'sent', sent = ?", (fire.timestamp(),))
        before = _used_bytes(db)
        clock[0] = fire + dt.timedelta(days=31)
        started = time.perf_counter()
        pruned = outbox.prune()
        prune_ms = (time.perf_counter() - started) * 1000
        after = _used_bytes(db)
        keys_kept = sum(outbox.has(e.key) for e in outbox.entries(include_mime=False))
    rows = [{"state": "stored (sent)", "digests": args.digests, "kb_per_digest": before / args.digests / 1024,
             "total_kb": before / 1024},
            {"state": "after retention", "digests": keys_kept, "kb_per_digest": after / args.digests / 1024,
             "total_kb": after / 1024}]
    print_table(rows, ["state", "digests", "kb_per_digest", "total_kb"])
    print(f"one digest's MIME: {len(first.mime) / 1024:.1f} KB (render {render_s:.1f} s); pruned {pruned} rows "
          f"in {prune_ms:.1f} ms; {keys_kept} idempotency keys kept")
    path = write_result("outbox_retention", {"digests": args.digests, "charts": not args.no_charts,
                                              "mime_kb": len(first.mime) / 1024, "empty_db_kb": empty / 1024,
                                              "rows": rows, "pruned": pruned, "prune_ms": prune_ms,
                                              "keys_kept": keys_kept})
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
