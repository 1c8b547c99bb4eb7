"""What one pass of the runner did, in a form cron and operators can act on (summary + exit code)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from .outbox import DeliveryReport

__all__ = ["RunReport", "EXIT_OK", "EXIT_ATTENTION"]

#: every due rule evaluated, every digest delivered
EXIT_OK = 0
#: the pass ran, but something needs attention: a rule errored or was left out, a digest failed,
#: was partly refused or is waiting for a retry (details on stderr, counts in the summary line)
EXIT_ATTENTION = 3


@dataclass
class RunReport:
    at: dt.datetime
    #: rules with at least one fire evaluated in this pass
    due: list[str] = field(default_factory=list)
    stored: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # digest keys already in the outbox
    quiet: list[str] = field(default_factory=list)    # groups where nothing triggered
    #: ``"rule: message"`` for each rule that could not be evaluated
    errors: list[str] = field(default_factory=list)
    #: rules left out of the rules file because they have problems (one line each)
    invalid: list[str] = field(default_factory=list)
    #: ``(rule, first fire, last fire, count)`` recorded as missed in this pass
    missed: list[tuple[str, dt.datetime, dt.datetime, int]] = field(default_factory=list)
    #: fires evaluated on top of each rule's latest (catching up after downtime)
    caught_up: int = 0
    evaluations: list[Any] = field(default_factory=list)
    delivery: DeliveryReport = field(default_factory=DeliveryReport)
    #: the outbox after delivery: rows per status and ``waiting``
    outbox: dict[str, int] = field(default_factory=dict)

    @property
    def undelivered(self) -> int:
        """Digests that are not (fully) delivered: failed, partly refused or waiting for a retry."""
        return self.outbox.get("failed", 0) + self.outbox.get("partial", 0) + self.outbox.get("waiting", 0)

    @property
    def exit_code(self) -> int:
        return EXIT_ATTENTION if self.errors or self.invalid or self.undelivered else EXIT_OK

    def summary(self) -> str:
        """One line: what was due, stored and sent, and what needs attention."""
        at = self.at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        parts = [f"{len(self.due)} rule(s) due",
                 f"{len(self.stored)} digest(s) stored, {len(self.skipped)} already stored, {len(self.quiet)} quiet",
                 f"{len(self.delivery.sent)} sent, {len(self.delivery.retrying)} to retry, "
                 f"{len(self.delivery.failed)} failed"]
        if self.delivery.partial:
            parts.append(f"{len(self.delivery.partial)} partly refused")
        if self.caught_up or self.missed:
            parts.append(f"caught up {self.caught_up} missed fire(s), "
                         f"{sum(m[3] for m in self.missed)} too old (reported as missed)")
        if self.errors or self.invalid:
            parts.append(f"{len(self.errors)} rule error(s), {len(self.invalid)} rule(s) left out")
        outbox = self.outbox
        parts.append(f"outbox: {outbox.get('waiting', 0)} waiting, {outbox.get('failed', 0)} failed, "
                     f"{outbox.get('partial', 0)} partly refused")
        status = "ok" if self.exit_code == EXIT_OK else "attention"
        return f"alerts {status} at {at}: " + "; ".join(parts)
