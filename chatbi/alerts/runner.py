"""The runner: which rules are due, evaluate them, store digests in the outbox, deliver.

``AlertRunner.run(at)`` is one pass (what ``chatbi alerts run`` does for a system cron);
:func:`run_daemon` loops over the schedule itself. Both keep the rules' last-fire state in the
app database, so a restarted daemon (or a cron run after an outage) catches up on a missed fire
once, never twice. See :mod:`chatbi.alerts.outbox` for the delivery guarantees.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import os
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .digest import DigestGroup, group_rules, idempotency_key, render_digest
from .evaluate import Evaluation, evaluate_rule, explain, resolve_period
from .mailer import Mailer
from .outbox import DeliveryReport, Outbox, OutboxEntry
from .rules import Rule, RuleSet
from .schedule import UTC, to_utc

__all__ = ["AlertRunner", "RunReport", "run_daemon", "CRASH_ENV", "DEFAULT_GRACE"]

log = logging.getLogger("chatbi.alerts")

#: test hook: ``after_store`` / ``after_send`` makes the process SIGKILL itself at that point
CRASH_ENV = "CHATBI_ALERTS_CRASH_AT"
#: a rule never run before is due if its last fire is at most this old (a cron run a little late)
DEFAULT_GRACE = dt.timedelta(minutes=15)


def _crash_point(name: str) -> None:
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


@dataclass
class RunReport:
    at: dt.datetime
    due: list[str] = field(default_factory=list)
    stored: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # digest keys already in the outbox
    quiet: list[str] = field(default_factory=list)    # groups where nothing triggered
    errors: list[str] = field(default_factory=list)
    evaluations: list[Evaluation] = field(default_factory=list)
    delivery: DeliveryReport = field(default_factory=DeliveryReport)

    def summary(self) -> str:
        return (f"{self.at.isoformat()}: {len(self.due)} rule(s) due, {len(self.stored)} digest(s) stored, "
                f"{len(self.skipped)} already stored, {len(self.quiet)} quiet, "
                f"{len(self.delivery.sent)} sent, {len(self.delivery.retrying)} to retry, "
                f"{len(self.delivery.failed)} failed")


class AlertRunner:
    """Evaluates rules with a ``ChatBI`` and sends digests through an outbox and a mailer."""

    def __init__(self, bi: Any, rules: RuleSet, outbox: Outbox, mailer: Mailer, *, sender: str,
                 dashboard_url: str | None = None, charts: bool = True, send_when_quiet: bool = False,
                 grace: dt.timedelta = DEFAULT_GRACE, security: Any = None, audit: Any = None) -> None:
        self.bi = bi
        #: ``chatbi.security.Security``: rules with an ``owner`` are evaluated with that user's access
        self.security = security
        self.audit = audit
        self._views: dict[str, Any] = {}
        self.rules = rules
        self.outbox = outbox
        self.mailer = mailer
        self.sender = sender
        self.dashboard_url = dashboard_url
        self.charts = charts
        self.send_when_quiet = send_when_quiet
        self.grace = grace

    @property
    def clock(self) -> Callable[[], dt.datetime]:
        return self.outbox.clock

    def due(self, at: dt.datetime) -> list[tuple[Rule, dt.datetime]]:
        """Rules with a fire instant in ``(last recorded fire, at]`` (or within ``grace`` when never run)."""
        at = to_utc(at)
        last = self.outbox.last_fires()
        out = []
        for rule in self.rules.enabled:
            fire = rule.schedule.previous(at)
            if fire is None:
                continue
            seen = last.get(rule.id)
            if (seen is not None and fire > seen) or (seen is None and at - fire <= self.grace):
                out.append((rule, fire))
        return out

    def run(self, at: dt.datetime | None = None, *, deliver: bool = True) -> RunReport:
        """Evaluate the rules due at ``at`` (default: now), store their digests, deliver the outbox."""
        at = to_utc(at) if at is not None else self.clock().astimezone(UTC)
        report = RunReport(at)
        due = self.due(at)
        report.due = [r.id for r, _ in due]
        fires = {r.id: f for r, f in due}
        for group in group_rules(r for r, _ in due):
            self._run_group(group, {r.id: fires[r.id] for r in group.rules}, report, force=False)
        if deliver:
            report.delivery = self.deliver()
        return report

    def send_test(self, rule_id: str, to: Sequence[str], at: dt.datetime | None = None) -> RunReport:
        """``chatbi alerts test``: evaluate one rule now and send it to ``to``, triggered or not."""
        at = to_utc(at) if at is not None else self.clock().astimezone(UTC)
        rule = self.rules[rule_id]
        report = RunReport(at, due=[rule.id])
        group = DigestGroup(tuple(to), rule.language, (rule,))
        self._run_group(group, {}, report, force=True, salt=f"test:{at.isoformat()}", fire=at)
        report.delivery = self.deliver()
        return report

    def bi_for(self, rule: Rule) -> Any:
        """The ChatBI a rule is evaluated with: its owner's view (row filters, masks), never wider.

        A runner made for one user's view (the app's test digest) evaluates every rule with that
        view: an owner must not widen what the person clicking sees.
        """
        owner = rule.spec.owner
        if getattr(self.bi, "principal", None) is not None or owner is None:
            return self.bi
        if self.security is None:
            from ..errors import ConfigError

            raise ConfigError(f"rule {rule.id!r} has owner {owner!r} but no security configuration was given")
        if owner not in self._views:
            self._views[owner] = self.bi.for_user(owner, security=self.security, audit=self.audit)
        return self._views[owner]

    def _evaluate(self, rule: Rule, period: tuple[dt.date, dt.date], fire: dt.datetime | None) -> Evaluation:
        try:
            bi = self.bi_for(rule)
        except Exception as exc:  # noqa: BLE001 - an unknown owner fails that rule, not the digest
            return Evaluation(rule, period, None, fire, error=str(exc) or type(exc).__name__)
        return evaluate_rule(bi, rule, period, fire=fire)

    def deliver(self) -> DeliveryReport:
        return self.outbox.deliver(self.mailer, after_send=lambda entry: _crash_point("after_send"))

    def _run_group(self, group: DigestGroup, fires: dict[str, dt.datetime], report: RunReport, *, force: bool,
                   salt: str = "", fire: dt.datetime | None = None) -> None:
        periods = [resolve_period(r, fires.get(r.id, fire), _anchor(self.bi)) for r in group.rules]
        key = idempotency_key(group, periods, salt=salt)
        if self.outbox.has(key):
            # rendered before (perhaps by a run that then crashed): the stored bytes are what goes out
            report.skipped.append(key)
            self.outbox.record_fires(fires)
            return
        evaluations = [self._evaluate(rule, period, fires.get(rule.id, fire))
                       for rule, period in zip(group.rules, periods)]
        report.errors += [f"{e.rule.id}: {e.error}" for e in evaluations if e.error]
        if all(e.error for e in evaluations) and not force:
            # the warehouse is probably down: keep the rules due so the next run tries again
            return
        if not (force or self.send_when_quiet or any(e.triggered for e in evaluations)):
            report.quiet.append(key)
            report.evaluations += evaluations
            self.outbox.record_fires(fires)
            return
        evaluations = self._explained(evaluations, force)
        report.evaluations += evaluations
        digest = render_digest(self.bi, group, evaluations, key=key, sender=self.sender,
                               dashboard_url=self.dashboard_url, when=self.clock())
        envelope_from = email.utils.parseaddr(self.sender)[1] or self.sender  # "ChatBI <bi@x>" -> bi@x
        entry = OutboxEntry(key, digest.message_id, envelope_from, group.recipients, digest.subject, digest.mime,
                            tuple(r.id for r in group.rules))
        if self.outbox.put(entry, fires=fires):
            report.stored.append(key)
        else:
            report.skipped.append(key)
        _crash_point("after_store")

    def _explained(self, evaluations: list[Evaluation], force: bool) -> list[Evaluation]:
        """Root cause and chart for the triggered rules, all charts exported in one browser session."""
        wanted = [not ev.error and (ev.triggered or force) for ev in evaluations]
        session = None
        if self.charts and any(wanted):
            from ..charts import export_session

            try:
                session = export_session()
                session.__enter__()
            except Exception as exc:  # noqa: BLE001 - no browser: the digest goes out without images
                log.warning("chart export unavailable: %s", exc)
                session = None
        try:
            return [explain(self.bi_for(ev.rule), ev, chart=session is not None) if want else ev
                    for ev, want in zip(evaluations, wanted)]
        finally:
            if session is not None:
                session.__exit__(None, None, None)


def _anchor(bi: Any) -> dt.date | None:
    try:
        return bi.anchor
    except Exception:  # noqa: BLE001 - only rules with relative_to: data need it
        return None


def run_daemon(runner: AlertRunner, *, stop: threading.Event | None = None, max_sleep: float = 60.0,
               on_cycle: Callable[[RunReport], None] | None = None,
               wait: Callable[[float], bool] | None = None) -> None:
    """Run the schedule until ``stop`` is set: a pass at each fire time and each retry time.

    ``wait(seconds)`` sleeps and returns True to stop (default: ``stop.wait``); tests drive a
    virtual clock with it. Last-fire state lives in the app database, so stopping and starting
    the daemon neither loses nor repeats a fire.
    """
    stop = stop or threading.Event()
    wait = wait or stop.wait
    while not stop.is_set():
        now = runner.clock().astimezone(UTC)
        try:
            report = runner.run(now)
            if report.due or report.delivery.sent or report.delivery.retrying or report.delivery.failed:
                log.info("%s", report.summary())
            if on_cycle is not None:
                on_cycle(report)
        except Exception:  # noqa: BLE001 - the daemon must outlive one bad pass (logged)
            log.exception("alert pass failed")
        wakeups = [r.schedule.next(now) for r in runner.rules.enabled]
        retry = runner.outbox.next_attempt()
        if retry is not None:
            wakeups.append(retry)
        later = min(wakeups) if wakeups else now + dt.timedelta(seconds=max_sleep)
        seconds = (later - runner.clock().astimezone(UTC)).total_seconds()
        if wait(min(max(seconds, 0.5), max_sleep)):
            return
