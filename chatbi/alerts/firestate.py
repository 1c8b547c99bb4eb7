"""When each rule last fired, and the fires that were missed: SQL on one open transaction.

State is keyed by ``(namespace, rule id)``: two rules files sharing the app database may both
have a ``revenue_daily`` and never see each other's fires (the namespace is the file's
``namespace:`` or its absolute path, :attr:`chatbi.alerts.rules.RuleSet.namespace`).

A rule is *registered* the first time a run sees it: its state starts at the instant from
which its fires count (the run's time less the grace window). From then on every fire after
the recorded one is due, so a first fire is retried like any later one when the warehouse is
down for longer than the grace window. Fires that a run does not evaluate (more than a rule's
``catch_up`` after downtime) are written to ``alert_missed_fires`` with the reason, and stay
there, marked with the digest that reported them.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .db import from_ts, ts

__all__ = ["MissedFire", "record_fires", "last_fires", "register", "record_missed", "missed", "mark_reported",
           "note_error"]


@dataclass(frozen=True)
class MissedFire:
    """Scheduled fires of one rule that were not evaluated: ``count`` fires from ``fire`` to
    ``last_fire``, and why (``reported``: the digest that told its recipients)."""

    namespace: str
    rule_id: str
    fire: dt.datetime
    last_fire: dt.datetime
    count: int
    reason: str
    recorded: dt.datetime
    reported: str | None = None


def record_fires(con: sqlite3.Connection, namespace: str, fires: Mapping[str, dt.datetime], now: float) -> None:
    for rule_id, fire in fires.items():
        con.execute("INSERT INTO alert_fire_state (namespace, rule_id, last_fire, updated) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(namespace, rule_id) DO UPDATE SET last_fire = max(last_fire, excluded.last_fire), "
                    "updated = excluded.updated, last_error = NULL", (namespace, rule_id, ts(fire), now))


def note_error(con: sqlite3.Connection, namespace: str, rule_ids: Iterable[str], error: str, now: float) -> None:
    """Remember why a rule's pending fire could not be evaluated (the reason if it is later missed)."""
    for rule_id in rule_ids:
        con.execute("UPDATE alert_fire_state SET last_error = ?, updated = ? WHERE namespace = ? AND rule_id = ?",
                    (error[:500], now, namespace, rule_id))


def last_errors(con: sqlite3.Connection, namespace: str) -> dict[str, str]:
    return dict(con.execute("SELECT rule_id, last_error FROM alert_fire_state WHERE namespace = ? AND last_error"
                            " IS NOT NULL", (namespace,)).fetchall())


def last_fires(con: sqlite3.Connection, namespace: str) -> dict[str, dt.datetime]:
    rows = con.execute("SELECT rule_id, last_fire FROM alert_fire_state WHERE namespace = ?", (namespace,)).fetchall()
    return {rule_id: from_ts(value) for rule_id, value in rows}  # type: ignore[misc]


def register(con: sqlite3.Connection, namespace: str, rule_ids: Iterable[str], baseline: dt.datetime,
             now: float) -> None:
    """Start the state of rules never seen before at ``baseline`` (kept if a state exists).

    A database written before states were namespaced has ``alert_rule_state`` keyed by rule id
    alone: a rule found there continues from its recorded fire, so an upgrade misses nothing.
    """
    legacy: dict[str, float] = {}
    if con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alert_rule_state'").fetchone():
        legacy = dict(con.execute("SELECT rule_id, last_fire FROM alert_rule_state").fetchall())
    for rule_id in rule_ids:
        start = legacy.get(rule_id, ts(baseline))
        con.execute("INSERT OR IGNORE INTO alert_fire_state (namespace, rule_id, last_fire, updated) "
                    "VALUES (?, ?, ?, ?)", (namespace, rule_id, start, now))


def record_missed(con: sqlite3.Connection, namespace: str,
                  gaps: Iterable[tuple[str, dt.datetime, dt.datetime, int, str]], now: float) -> None:
    """Write ``(rule id, first fire, last fire, count, reason)`` gaps that will not be evaluated,
    and advance each rule's state past them."""
    for rule_id, first, last, count, reason in gaps:
        con.execute("INSERT OR IGNORE INTO alert_missed_fires (namespace, rule_id, fire, last_fire, count, reason,"
                    " recorded) VALUES (?, ?, ?, ?, ?, ?, ?)", (namespace, rule_id, ts(first), ts(last), count,
                                                                reason, now))
        record_fires(con, namespace, {rule_id: last}, now)


def missed(con: sqlite3.Connection, namespace: str | None = None, rule_ids: Iterable[str] | None = None,
           *, unreported: bool = False) -> list[MissedFire]:
    sql = ("SELECT namespace, rule_id, fire, last_fire, count, reason, recorded, reported FROM alert_missed_fires"
           " WHERE 1 = 1")
    args: list[object] = []
    if namespace is not None:
        sql += " AND namespace = ?"
        args.append(namespace)
    if unreported:
        sql += " AND reported IS NULL"
    rows = con.execute(sql + " ORDER BY fire, rule_id", args).fetchall()
    wanted = None if rule_ids is None else set(rule_ids)
    return [MissedFire(r[0], r[1], from_ts(r[2]), from_ts(r[3]), r[4], r[5], from_ts(r[6]), r[7])  # type: ignore[arg-type]
            for r in rows if wanted is None or r[1] in wanted]


def mark_reported(con: sqlite3.Connection, fires: Iterable[MissedFire], key: str) -> None:
    for item in fires:
        con.execute("UPDATE alert_missed_fires SET reported = ? WHERE namespace = ? AND rule_id = ? AND fire = ?"
                    " AND reported IS NULL", (key, item.namespace, item.rule_id, ts(item.fire)))
