"""Scheduled alert digests by email: rules in YAML, schedules with time zones, root cause in the
mail, delivered through an outbox in the app database (exactly once for a crash before sending).

>>> from chatbi import ChatBI                                                # doctest: +SKIP
>>> from chatbi.alerts import AlertRunner, Outbox, SMTPMailer, load_rules   # doctest: +SKIP
>>> bi = ChatBI.sample()                                                     # doctest: +SKIP
>>> rules = load_rules("sample_data/telecom/alerts.yaml", bi.model, bi.members.as_sets())  # doctest: +SKIP
>>> runner = AlertRunner(bi, rules, Outbox(), SMTPMailer(), sender="chatbi@example.com")  # doctest: +SKIP
>>> runner.run()                                                             # doctest: +SKIP
"""

from __future__ import annotations

from .digest import DigestGroup, RenderedDigest, group_rules, idempotency_key, message_id_for, render_digest
from .errors import AlertError, MailerError, OutboxError, RuleError, RuleProblem
from .evaluate import Contributor, Evaluation, MemberResult, evaluate_rule, explain, resolve_period
from .mailer import Mailer, SMTPMailer, SMTPSettings
from .outbox import DeliveryReport, MissedFire, Outbox, OutboxEntry, default_app_db_path
from .rules import Rule, RuleSet, RuleSpec, load_rules, rules_from_dict
from .runner import AlertRunner, RunReport, run_daemon
from .schedule import Schedule
from .store import RuleStore

__all__ = [
    "AlertError", "RuleError", "RuleProblem", "MailerError", "OutboxError",
    "Rule", "RuleSpec", "RuleSet", "RuleStore", "load_rules", "rules_from_dict",
    "Schedule",
    "Evaluation", "MemberResult", "Contributor", "evaluate_rule", "explain", "resolve_period",
    "DigestGroup", "RenderedDigest", "group_rules", "idempotency_key", "message_id_for", "render_digest",
    "Mailer", "SMTPMailer", "SMTPSettings",
    "Outbox", "OutboxEntry", "DeliveryReport", "MissedFire", "default_app_db_path",
    "AlertRunner", "RunReport", "run_daemon",
]
