"""Scheduled reports by email, through the alerts outbox (``chatbi.alerts.outbox``).

A spec's ``schedules`` say when (cron in a time zone), to whom, in which language and as whom
(``owner``: the report is built with that user's access). One run:

1. finds the deliveries with a fire instant after their last recorded fire (the outbox keeps
   that state, under ``report:<spec>:<schedule>``, next to the alert rules');
2. for each, the report period (``offset`` whole units before the run's local date, or before the
   data's newest date), and an idempotency key (spec, schedule, recipients, language, period);
3. builds the report, renders the mail (report inline, PDF attached) and stores it in the outbox
   *in the same transaction* that records the fire -- the commit point;
4. delivers the outbox (retries with backoff; a digest or report is sent once, see the outbox).

So an SMTP outage delays a report and a crash before the store re-renders it; neither loses nor
doubles it. A failing warehouse leaves the delivery due for the next run.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import json
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from semantic_layer.compiler.timeframe import add_units, unit_start

from ..alerts.outbox import DeliveryReport, Outbox, OutboxEntry
from ..alerts.schedule import UTC, Schedule, to_utc
from .mail import render_mail
from .period import Period, last_complete, unit_end
from .scope import scope_text
from .spec import DeliverySpec, ReportSpec

__all__ = ["Delivery", "ReportRunner", "ReportRun", "deliveries", "delivery_period", "delivery_key",
           "run_report_daemon", "DEFAULT_GRACE"]

log = logging.getLogger("chatbi.reports")
#: a delivery never run before is due if its last fire is at most this old (a cron run a little late)
DEFAULT_GRACE = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class Delivery:
    spec: ReportSpec
    schedule: DeliverySpec
    when: Schedule

    @property
    def id(self) -> str:
        """The outbox's state key (alert rule ids have no ``:``, so the two never collide)."""
        return f"report:{self.spec.name}:{self.schedule.id}"

    @property
    def language(self) -> str:
        return self.schedule.language or self.spec.language or "zh"

    @property
    def recipients(self) -> tuple[str, ...]:
        return tuple(sorted({a.strip().lower() for a in self.schedule.recipients}))


def deliveries(specs: Iterable[ReportSpec]) -> list[Delivery]:
    """The enabled schedules of ``specs`` (checked specs: cron and zones are valid)."""
    return [Delivery(spec, d, Schedule.parse(d.cron, d.timezone)) for spec in specs for d in spec.schedules
            if d.enabled]


def delivery_period(delivery: Delivery, fire: dt.datetime, data_end: dt.date | None) -> Period:
    """``offset`` whole units before the one holding the run's local date (or the data's newest date)."""
    unit, offset = delivery.spec.period, delivery.schedule.offset
    if delivery.schedule.relative_to == "data" and data_end is not None:
        return last_complete(data_end, unit, offset)
    local = delivery.when.local(fire).date()
    first = add_units(unit_start(local, unit), unit, -offset)
    return first, unit_end(first, unit)


def delivery_key(delivery: Delivery, period: Period, *, salt: str = "") -> str:
    """Same spec + schedule + recipients + language + period -> same key, however often it runs."""
    payload = {"report": delivery.spec.name, "schedule": delivery.schedule.id, "recipients": list(delivery.recipients),
               "language": delivery.language, "owner": delivery.schedule.owner,
               "period": [period[0].isoformat(), period[1].isoformat()], "salt": salt}
    if delivery.schedule.scope:  # only when given: keys of schedules without a scope stay what they were
        payload["scope"] = scope_text(delivery.schedule.scope)
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


@dataclass
class ReportRun:
    at: dt.datetime
    due: list[str] = field(default_factory=list)
    stored: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    delivery: DeliveryReport = field(default_factory=DeliveryReport)

    def summary(self) -> str:
        return (f"{self.at.isoformat()}: {len(self.due)} report(s) due, {len(self.stored)} stored, "
                f"{len(self.skipped)} already stored, {len(self.errors)} failed to build, "
                f"{len(self.delivery.sent)} sent, {len(self.delivery.retrying)} to retry, "
                f"{len(self.delivery.failed)} failed")


class ReportRunner:
    """Builds due reports with a ``ChatBI`` and sends them through an outbox and a mailer."""

    def __init__(self, bi: Any, specs: Sequence[ReportSpec], outbox: Outbox, mailer: Any, *, sender: str,
                 dashboard_url: str | None = None, security: Any = None, audit: Any = None,
                 grace: dt.timedelta = DEFAULT_GRACE, pdf: bool = True) -> None:
        self.bi = bi
        self.deliveries = deliveries(specs)
        self.outbox = outbox
        self.mailer = mailer
        self.sender = sender
        self.dashboard_url = dashboard_url
        self.security = security
        self.audit = audit
        self.grace = grace
        self.pdf = pdf
        self._views: dict[str, Any] = {}
        self._lock = threading.Lock()

    @property
    def clock(self) -> Callable[[], dt.datetime]:
        return self.outbox.clock

    def due(self, at: dt.datetime) -> list[tuple[Delivery, dt.datetime]]:
        """Deliveries with a fire instant in ``(last recorded fire, at]`` (or within ``grace`` when never run)."""
        at = to_utc(at)
        last = self.outbox.last_fires()
        out = []
        for d in self.deliveries:
            fire = d.when.previous(at)
            if fire is None:
                continue
            seen = last.get(d.id)
            if (seen is not None and fire > seen) or (seen is None and at - fire <= self.grace):
                out.append((d, fire))
        return out

    def bi_for(self, delivery: Delivery) -> Any:
        """The ChatBI the report is built with: its owner's view (rows, masks), never wider."""
        owner = delivery.schedule.owner
        if owner is None or getattr(self.bi, "principal", None) is not None:
            return self.bi
        if self.security is None:
            from ..errors import ConfigError

            raise ConfigError(f"schedule {delivery.id!r} has owner {owner!r} but no security configuration was given")
        with self._lock:
            if owner not in self._views:
                self._views[owner] = self.bi.for_user(owner, security=self.security, audit=self.audit)
            return self._views[owner]

    def run(self, at: dt.datetime | None = None, *, deliver: bool = True) -> ReportRun:
        """Build and store the reports due at ``at`` (default: now), then deliver the outbox."""
        at = to_utc(at) if at is not None else self.clock().astimezone(UTC)
        run = ReportRun(at)
        due = self.due(at)
        run.due = [d.id for d, _ in due]
        for delivery, fire in due:
            self._one(delivery, fire, run)
        if deliver:
            run.delivery = self.outbox.deliver(self.mailer)
        return run

    def send_now(self, spec_name: str, schedule_id: str, to: Sequence[str], at: dt.datetime | None = None) -> ReportRun:
        """Build one scheduled report now and send it to ``to`` (a test; its schedule state is untouched)."""
        at = to_utc(at) if at is not None else self.clock().astimezone(UTC)
        found = [d for d in self.deliveries if d.spec.name == spec_name and d.schedule.id == schedule_id]
        if not found:
            from ..errors import ConfigError

            raise ConfigError(f"no schedule {schedule_id!r} in report {spec_name!r}")
        d = found[0]
        test = Delivery(d.spec, d.schedule.model_copy(update={"recipients": tuple(to)}), d.when)
        run = ReportRun(at, due=[test.id])
        self._one(test, at, run, salt=f"test:{at.isoformat()}", record=False)
        run.delivery = self.outbox.deliver(self.mailer)
        return run

    def _one(self, delivery: Delivery, fire: dt.datetime, run: ReportRun, *, salt: str = "",
             record: bool = True) -> None:
        fires = {delivery.id: fire} if record else {}
        try:
            bi = self.bi_for(delivery)
            period = delivery_period(delivery, fire, _anchor(bi))
        except Exception as exc:  # noqa: BLE001 - an unknown owner or a dead warehouse fails this delivery only
            run.errors.append(f"{delivery.id}: {exc}")
            return
        key = delivery_key(delivery, period, salt=salt)
        if self.outbox.has(key):
            # built before (perhaps by a run that then crashed): the stored bytes are what goes out
            run.skipped.append(key)
            if fires:
                self.outbox.record_fires(fires)
            return
        try:
            report = bi.report(delivery.spec, period=period, language=delivery.language,
                               scope=delivery.schedule.scope or None)
            mail = render_mail(report, key=key, sender=self.sender, recipients=delivery.recipients,
                               schedule=f"{delivery.spec.name}/{delivery.schedule.id} ({delivery.schedule.cron}, "
                                        f"{delivery.schedule.timezone})",
                               app_url=self.dashboard_url, when=self.clock(), pdf=self.pdf)
        except Exception as exc:  # noqa: BLE001 - keep it due: the next run tries again (logged)
            log.warning("report %s could not be built: %s", delivery.id, exc)
            run.errors.append(f"{delivery.id}: {exc}")
            return
        envelope_from = email.utils.parseaddr(self.sender)[1] or self.sender
        entry = OutboxEntry(key, mail.message_id, envelope_from, delivery.recipients, mail.subject, mail.mime,
                            (delivery.id,))
        (run.stored if self.outbox.put(entry, fires=fires) else run.skipped).append(key)


def _anchor(bi: Any) -> dt.date | None:
    try:
        return bi.anchor
    except Exception:  # noqa: BLE001 - only relative_to: data needs it
        return None


def run_report_daemon(runner: ReportRunner, *, stop: threading.Event | None = None, max_sleep: float = 60.0,
                      on_cycle: Callable[[ReportRun], None] | None = None,
                      wait: Callable[[float], bool] | None = None) -> None:
    """Run the schedules until ``stop`` is set: a pass at each fire time and each outbox retry time."""
    stop = stop or threading.Event()
    wait = wait or stop.wait
    while not stop.is_set():
        now = runner.clock().astimezone(UTC)
        try:
            run = runner.run(now)
            if run.due or run.delivery.sent or run.delivery.retrying or run.delivery.failed:
                log.info("%s", run.summary())
            if on_cycle is not None:
                on_cycle(run)
        except Exception:
            log.exception("report pass failed")
        wakeups = [d.when.next(now) for d in runner.deliveries]
        retry = runner.outbox.next_attempt()
        if retry is not None:
            wakeups.append(retry)
        later = min(wakeups) if wakeups else now + dt.timedelta(seconds=max_sleep)
        seconds = (later - runner.clock().astimezone(UTC)).total_seconds()
        if wait(min(max(seconds, 0.5), max_sleep)):
            return
