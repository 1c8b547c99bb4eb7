"""The runner: which rules are due, evaluate them, store digests in the outbox, deliver.

``AlertRunner.run(at)`` is one pass (what ``chatbi alerts run`` does for a system cron);
:func:`chatbi.alerts.daemon.run_daemon` loops over the schedule itself. Both keep the rules'
fire state in the app database, keyed by the rules file's namespace and the rule id.

What a pass promises:

* **Every fire is evaluated or reported.** After downtime a rule's missed fires are evaluated one
  by one, oldest first, each for its own period (at most the rule's ``catch_up``); older ones are
  recorded as missed, with the reason, and the next digest of the rule says so.
* **One bad rule never stops the others.** A rule whose schedule, owner or evaluation fails is an
  error of that rule; a group whose digest cannot be rendered or stored is an error of that group.
* **A fire that could not be evaluated stays due** (the warehouse is down): it is retried by the
  next pass, first fires included, and its later fires wait behind it so that none is skipped.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import os
import signal
from collections.abc import Callable, Sequence
from typing import Any

from .digest import DigestGroup, group_rules, idempotency_key, render_digest
from .errors import OutboxError
from .evaluate import Evaluation, evaluate_rule, explain, resolve_period
from .firestate import MissedFire
from .mailer import Mailer
from .outbox import DeliveryReport, Outbox, OutboxEntry
from .report import RunReport
from .rules import Rule, RuleSet
from .schedule import UTC, to_utc

__all__ = ["AlertRunner", "RunReport", "run_daemon", "CRASH_ENV", "DEFAULT_GRACE"]

log = logging.getLogger("chatbi.alerts")

#: test hook: ``after_store`` / ``after_send`` makes the process SIGKILL itself at that point
CRASH_ENV = "CHATBI_ALERTS_CRASH_AT"
#: a rule seen for the first time counts fires from this long before the run (a cron run a little late)
DEFAULT_GRACE = dt.timedelta(minutes=15)
#: how far back a pass looks for fires of a rule (bounds the work after a very long outage)
_MAX_LOOKBACK = dt.timedelta(days=400)
#: a rule that could not be evaluated is retried after this long, doubling up to the cap
_RETRY_BASE, _RETRY_CAP = dt.timedelta(minutes=1), dt.timedelta(minutes=30)


def _crash_point(name: str) -> None:
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


class AlertRunner:
    """Evaluates rules with a ``ChatBI`` and sends digests through an outbox and a mailer."""

    def __init__(self, bi: Any, rules: RuleSet, outbox: Outbox, mailer: Mailer, *, sender: str,
                 dashboard_url: str | None = None, charts: bool = True, send_when_quiet: bool = False,
                 grace: dt.timedelta = DEFAULT_GRACE, security: Any = None, audit: Any = None,
                 loader: Callable[[], RuleSet] | None = None) -> None:
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
        #: reads the rules file again (the daemon picks up edits); None: the rules are fixed
        self.loader = loader
        #: rule id -> (consecutive failed passes, when to try again): the daemon wakes up for these
        self.retry_at: dict[str, tuple[int, dt.datetime]] = {}

    @property
    def clock(self) -> Callable[[], dt.datetime]:
        return self.outbox.clock

    @property
    def namespace(self) -> str:
        return self.rules.namespace

    # -- what is due -------------------------------------------------------------------------
    def pending(self, at: dt.datetime, errors: list[str] | None = None) -> dict[str, list[dt.datetime]]:
        """Rule id -> its fire instants after its recorded fire, up to ``at`` (oldest first).

        A rule never seen before counts from ``at - grace``. A rule whose schedule cannot be
        computed is an error (added to ``errors``), not a failed pass.
        """
        at = to_utc(at)
        last = self.outbox.last_fires(self.namespace)
        out: dict[str, list[dt.datetime]] = {}
        for rule in self.rules.enabled:
            since = last.get(rule.id) or at - self.grace
            try:
                fires = list(rule.schedule.fires(max(since, at - _MAX_LOOKBACK), at))
            except Exception as exc:  # noqa: BLE001 - one rule's schedule must not stop the others
                if errors is not None:
                    errors.append(f"{rule.id}: schedule {rule.schedule.cron!r}: {exc}")
                continue
            if fires:
                out[rule.id] = fires
        return out

    def due(self, at: dt.datetime) -> list[tuple[Rule, dt.datetime]]:
        """Rules with a fire instant in ``(last recorded fire, at]``, with their latest such fire."""
        pending = self.pending(at)
        return [(rule, pending[rule.id][-1]) for rule in self.rules.enabled if rule.id in pending]

    # -- one pass ----------------------------------------------------------------------------
    def run(self, at: dt.datetime | None = None, *, deliver: bool = True) -> RunReport:
        """Evaluate what is due at ``at`` (default: now), store the digests, deliver the outbox.

        Storage failures (a full disk) raise :class:`OutboxError`; everything about a single rule
        or digest is reported in the :class:`RunReport` instead.
        """
        at = to_utc(at) if at is not None else self.clock().astimezone(UTC)
        report = RunReport(at, invalid=self.rules.problems_text())
        ns = self.namespace
        self.outbox.register_rules([r.id for r in self.rules.enabled], at - self.grace, ns)
        pending = self.pending(at, report.errors)
        self._record_missed(pending, report)
        rules = {r.id: r for r in self.rules.enabled}
        blocked: set[str] = set()
        # catching up: every fire but each rule's latest, oldest first, rules firing together in one digest
        instants = sorted({f for fires in pending.values() for f in fires[:-1]})
        for instant in instants:
            here = [rules[i] for i, fires in pending.items() if instant in fires[:-1] and i not in blocked]
            for group in group_rules(here):
                report.caught_up += len(group.rules)
                blocked |= self._run_group_safely(group, {r.id: instant for r in group.rules}, report)
        # the latest fire of every rule, grouped as usual
        latest = [rules[i] for i in pending if i not in blocked]
        for group in group_rules(latest):
            blocked |= self._run_group_safely(group, {r.id: pending[r.id][-1] for r in group.rules}, report)
        report.due = list(pending)
        self._schedule_retries(set(pending) & blocked, at)
        if deliver:
            report.delivery = self.deliver()
        pruned = self.outbox.prune(at)
        if pruned:
            log.info("outbox retention: %d delivered digest(s) pruned", pruned)
        report.outbox = self.outbox.counts()
        return report

    def _record_missed(self, pending: dict[str, list[dt.datetime]], report: RunReport) -> None:
        """Fires beyond each rule's ``catch_up`` are not evaluated: record them, with why."""
        gaps = []
        errors = self.outbox.last_errors(self.namespace)
        for rule in self.rules.enabled:
            fires = pending.get(rule.id, [])
            if len(fires) <= rule.catch_up:
                continue
            old, pending[rule.id] = fires[:-rule.catch_up], fires[-rule.catch_up:]
            reason = f"error: {errors[rule.id]}" if rule.id in errors else "not running"
            gaps.append((rule.id, old[0], old[-1], len(old), reason))
            log.warning("alert rule %s: %d fire(s) from %s to %s not evaluated (%s); reported as missed",
                        rule.id, len(old), old[0].isoformat(), old[-1].isoformat(), reason)
        if gaps:
            self.outbox.record_missed(gaps, self.namespace)
            report.missed += [g[:4] for g in gaps]

    def _schedule_retries(self, failing: set[str], at: dt.datetime) -> None:
        for rule_id in list(self.retry_at):
            if rule_id not in failing:
                del self.retry_at[rule_id]
        for rule_id in failing:
            count = self.retry_at.get(rule_id, (0, at))[0] + 1
            delay = min(_RETRY_CAP, _RETRY_BASE * 2 ** (count - 1))
            self.retry_at[rule_id] = (count, at + delay)

    def _run_group_safely(self, group: DigestGroup, fires: dict[str, dt.datetime], report: RunReport) -> set[str]:
        """Run one group; returns its rule ids when the fire must stay due (nothing evaluated)."""
        try:
            return self._run_group(group, fires, report, force=False)
        except OutboxError:
            raise  # storage is down: the whole pass fails and is retried
        except Exception as exc:  # one group's failure (rendering, charts) stays in that group
            log.exception("alert digest for %s failed", ", ".join(r.id for r in group.rules))
            report.errors += [f"{r.id}: digest failed: {type(exc).__name__}: {exc}" for r in group.rules]
            return {r.id for r in group.rules}

    def send_test(self, rule_id: str, to: Sequence[str], at: dt.datetime | None = None) -> RunReport:
        """``chatbi alerts test``: evaluate one rule now and send it to ``to``, triggered or not."""
        from .addresses import address_problem
        from .errors import RuleError, RuleProblem

        bad = [p for p in map(address_problem, to) if p]
        if bad:
            raise RuleError([RuleProblem("--to", p) for p in bad])
        at = to_utc(at) if at is not None else self.clock().astimezone(UTC)
        rule = self.rules[rule_id]
        report = RunReport(at, due=[rule.id])
        group = DigestGroup(tuple(to), rule.language, (rule,))
        self._run_group(group, {}, report, force=True, salt=f"test:{at.isoformat()}", fire=at)
        report.delivery = self.deliver()
        report.outbox = self.outbox.counts()
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
                   salt: str = "", fire: dt.datetime | None = None) -> set[str]:
        ns = self.namespace
        periods = [resolve_period(r, fires.get(r.id, fire), _anchor(self.bi)) for r in group.rules]
        key = idempotency_key(group, periods, salt=salt, namespace=ns)
        if self.outbox.has(key):
            # rendered before (perhaps by a run that then crashed): the stored bytes are what goes out
            report.skipped.append(key)
            self.outbox.record_fires(fires, ns)
            return set()
        evaluations = [self._evaluate(rule, period, fires.get(rule.id, fire))
                       for rule, period in zip(group.rules, periods)]
        failed = [e for e in evaluations if e.error]
        report.errors += [f"{e.rule.id}: {e.error}" for e in failed]
        if failed and len(failed) == len(evaluations) and not force:
            # the warehouse is probably down: keep the rules due so the next pass tries again
            self.outbox.note_error([e.rule.id for e in failed], failed[0].error or "", ns)
            return {r.id for r in group.rules}
        missed = [] if force else self.outbox.missed(ns, [r.id for r in group.rules], unreported=True)
        # data missing or older than the schedule implies is news too: silence would read as "all clear"
        unfresh = [e for e in evaluations if e.status in ("stale", "no_data") and e.rule.spec.notify_stale]
        news = any(e.triggered for e in evaluations) or failed or missed or unfresh
        if not (force or self.send_when_quiet or news):
            report.quiet.append(key)
            report.evaluations += evaluations
            self.outbox.record_fires(fires, ns)
            return set()
        evaluations = self._explained(evaluations, force)
        report.evaluations += evaluations
        digest = render_digest(self.bi, group, evaluations, key=key, sender=self.sender,
                               dashboard_url=self.dashboard_url, when=self.clock(), missed=missed)
        envelope_from = email.utils.parseaddr(self.sender)[1] or self.sender  # "ChatBI <bi@x>" -> bi@x
        entry = OutboxEntry(key, digest.message_id, envelope_from, group.recipients, digest.subject, digest.mime,
                            tuple(r.id for r in group.rules))
        if self.outbox.put(entry, fires=fires, namespace=ns, reported=missed):
            report.stored.append(key)
        else:
            report.skipped.append(key)
        _crash_point("after_store")
        return set()

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

    # -- for the daemon ----------------------------------------------------------------------
    def next_wakeup(self, now: dt.datetime) -> dt.datetime | None:
        """The earliest of the rules' next fires, the outbox's next retry and the failing rules' retries."""
        wakeups = [when for _, when in self.retry_at.values()]
        for rule in self.rules.enabled:
            try:
                wakeups.append(rule.schedule.next(now))
            except ValueError:
                continue  # never fires: reported when the rules were loaded
        retry = self.outbox.next_attempt()
        if retry is not None:
            wakeups.append(retry)
        return min(wakeups) if wakeups else None

    def reload_rules(self) -> bool:
        """Read the rules file again when it changed (the daemon calls this each cycle), or when
        rules were left out and the warehouse's data version moved since they were loaded: a rule
        about a member that did not exist yet (a new channel) comes into force once its rows
        arrive, without a restart.

        A file that no longer loads keeps the rules that were running, and says why; returns True
        when new rules are in force.
        """
        source = self.rules.source
        if self.loader is None or not source:
            return False
        try:
            mtime = os.stat(source).st_mtime_ns
        except OSError as exc:
            log.error("rules file %s: %s; keeping the %d rule(s) loaded before", source, exc, len(self.rules))
            return False
        version = _data_version(self.bi)
        first = not hasattr(self, "_mtime")
        edited = mtime != getattr(self, "_mtime", None)
        new_data = bool(self.rules.invalid) and not first and version != getattr(self, "_version", version)
        if not edited and not new_data:
            return False
        self._mtime, self._version = mtime, version
        if first and self.rules.rules:
            return False  # the rules given to the constructor are this version of the file
        if not edited:
            log.info("new data in the warehouse: checking the %d rule(s) left out again", len(self.rules.invalid))
        try:
            rules = self.loader()
        except Exception as exc:  # noqa: BLE001 - a broken edit must not stop the daemon
            log.error("rules file changed but does not load; keeping the %d rule(s) loaded before: %s",
                      len(self.rules), exc)
            return False
        self.rules = rules
        log.info("rules file reloaded: %d rule(s), %d enabled", len(rules), len(rules.enabled))
        for line in rules.problems_text():
            log.error("rule left out: %s", line)
        return True


def _data_version(bi: Any) -> str | None:
    """The warehouse's data version (``ChatBI.data_version``, probed at most every TTL), or None."""
    probe = getattr(bi, "data_version", None)
    if not callable(probe):
        return None
    try:
        return str(probe())
    except Exception:  # noqa: BLE001 - the version only decides whether to look at left-out rules again
        return None


def _anchor(bi: Any) -> dt.date | None:
    try:
        return bi.anchor
    except Exception:  # noqa: BLE001 - only rules with relative_to: data need it
        return None


def run_daemon(*args: Any, **kwargs: Any) -> int:
    """See :func:`chatbi.alerts.daemon.run_daemon` (kept here for existing imports)."""
    from .daemon import run_daemon as loop

    return loop(*args, **kwargs)


def missed_fires_of(outbox: Outbox, rules: RuleSet) -> list[MissedFire]:
    """Every missed fire of ``rules`` recorded in ``outbox`` (for the Alerts page)."""
    return outbox.missed(rules.namespace, [r.id for r in rules])
