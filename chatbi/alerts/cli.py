"""``chatbi alerts ...``: run due rules (for system cron), run the schedule as a daemon, send a test,
check a rules file, inspect the outbox. Registered by :func:`chatbi.cli.build_parser`.

Heavy imports (the warehouse, Jinja2, kaleido) happen inside the commands so ``chatbi --help``
stays fast.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["add_alerts_commands", "parse_instant"]


def add_alerts_commands(sub: Any, add_source_args: Callable[[argparse.ArgumentParser], None]) -> None:
    alerts = sub.add_parser("alerts", help="scheduled alert digests by email").add_subparsers(dest="alerts_command")

    run = alerts.add_parser("run", help="evaluate the rules due at an instant and send their digests (for cron)")
    _common(run, add_source_args)
    run.add_argument("--at", help="the instant (ISO, e.g. 2025-12-01T09:00+08:00; naive = --tz); default now")
    run.set_defaults(func=_cmd_run)

    daemon = alerts.add_parser("daemon", help="run the schedule: evaluate rules when due, retry the outbox")
    _common(daemon, add_source_args)
    daemon.add_argument("--max-sleep", type=float, default=60.0, help="seconds between checks at most")
    daemon.set_defaults(func=_cmd_daemon)

    test = alerts.add_parser("test", help="evaluate one rule now and send it, triggered or not")
    _common(test, add_source_args)
    test.add_argument("rule", help="rule id")
    test.add_argument("--to", action="append", required=True, help="recipient address (repeatable)")
    test.add_argument("--at", help="evaluate as if run at this instant (default now)")
    test.set_defaults(func=_cmd_test)

    check = alerts.add_parser("check", help="validate a rules file against the semantic model")
    check.add_argument("path", type=Path, nargs="?")
    add_source_args(check)
    check.set_defaults(func=_cmd_check, rules=None)

    outbox = alerts.add_parser("outbox", help="list the outbox (digests pending, sent, failed)")
    outbox.add_argument("--app-db", type=Path, help="app database (default: $CHATBI_CACHE_DIR/app.sqlite3)")
    outbox.add_argument("--requeue", action="store_true", help="put failed digests back in the queue")
    outbox.set_defaults(func=_cmd_outbox)


def _common(parser: argparse.ArgumentParser, add_source_args: Callable[[argparse.ArgumentParser], None]) -> None:
    add_source_args(parser)
    parser.add_argument("--rules", type=Path, help="rules YAML (default: $CHATBI_ALERT_RULES, or the sample's rules)")
    parser.add_argument("--app-db", type=Path, help="app database (default: $CHATBI_CACHE_DIR/app.sqlite3)")
    parser.add_argument("--tz", default="Asia/Shanghai", help="time zone of naive --at values")
    parser.add_argument("--smtp-host", help="default $CHATBI_SMTP_HOST or localhost")
    parser.add_argument("--smtp-port", type=int, help="default $CHATBI_SMTP_PORT or 25/587/465")
    parser.add_argument("--smtp-user", help="default $CHATBI_SMTP_USER (password: $CHATBI_SMTP_PASSWORD)")
    parser.add_argument("--starttls", action="store_const", const=True, help="upgrade with STARTTLS")
    parser.add_argument("--ssl", action="store_const", const=True, help="SMTP over TLS (port 465)")
    parser.add_argument("--mail-from", help="default $CHATBI_MAIL_FROM")
    parser.add_argument("--dashboard-url", help="link in the digest (default $CHATBI_DASHBOARD_URL)")
    parser.add_argument("--no-charts", action="store_true", help="send digests without chart images")


def parse_instant(text: str | None, zone: str) -> dt.datetime | None:
    """``--at`` as an aware instant; naive values are wall time in ``zone``."""
    from ..errors import ConfigError
    from .schedule import check_timezone, to_utc

    if text is None or text.strip().lower() == "now":
        return None
    if check_timezone(zone):
        raise ConfigError(check_timezone(zone)[0])  # type: ignore[index]
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"--at {text!r} is not an ISO timestamp such as 2025-12-01T09:00+08:00") from None
    return to_utc(value, zone)


def _rules_path(args: argparse.Namespace) -> Path:
    from ..errors import ConfigError

    path = args.rules or (Path(os.environ["CHATBI_ALERT_RULES"]) if os.environ.get("CHATBI_ALERT_RULES") else None)
    if path is None:
        if getattr(args, "model", None) is None and getattr(args, "database", None) is None:
            from sample_data import TELECOM_DIR

            return TELECOM_DIR / "alerts.yaml"  # the sample's rules go with the sample warehouse
        raise ConfigError("give --rules FILE (or set CHATBI_ALERT_RULES)")
    return path


def _runner(args: argparse.Namespace) -> Any:
    from ..cli import open_chatbi
    from .mailer import SMTPMailer, SMTPSettings
    from .outbox import Outbox
    from .rules import load_rules
    from .runner import AlertRunner

    settings = SMTPSettings.from_env(host=args.smtp_host, port=args.smtp_port, user=args.smtp_user,
                                     starttls=args.starttls, ssl=args.ssl, sender=args.mail_from)
    bi = open_chatbi(args)
    rules = load_rules(_rules_path(args), bi.model, bi.members.as_sets())
    dashboard = args.dashboard_url or os.environ.get("CHATBI_DASHBOARD_URL") or None
    from ..security.audit import AuditLog
    from ..security.cli import open_security

    # rules with an `owner` are evaluated with that user's access (--security / $CHATBI_SECURITY)
    security = open_security(getattr(args, "security", None), bi.model)
    return AlertRunner(bi, rules, Outbox(args.app_db), SMTPMailer(settings), sender=settings.sender,
                       dashboard_url=dashboard, charts=not args.no_charts,
                       send_when_quiet=rules.spec.defaults.send_when_quiet, security=security,
                       audit=AuditLog(args.app_db) if security is not None else None)


def _print_report(report: Any) -> int:
    print(report.summary())
    for error in report.errors:
        print(f"warning: rule {error}", file=sys.stderr)
    for key in report.delivery.retrying + report.delivery.failed:
        print(f"warning: digest {key[:12]} not sent yet (see `chatbi alerts outbox`)", file=sys.stderr)
    return 1 if report.delivery.failed else 0


def _cmd_run(args: argparse.Namespace) -> int:
    at = parse_instant(args.at, args.tz)
    return _print_report(_runner(args).run(at))


def _cmd_test(args: argparse.Namespace) -> int:
    at = parse_instant(args.at, args.tz)
    report = _runner(args).send_test(args.rule, args.to, at)
    code = _print_report(report)
    return 1 if code or not report.delivery.sent else 0


def _cmd_daemon(args: argparse.Namespace) -> int:
    import logging

    from .runner import run_daemon

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    runner = _runner(args)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    print(f"chatbi alerts daemon: {len(runner.rules.enabled)} rule(s), app database {runner.outbox.path}", flush=True)
    run_daemon(runner, stop=stop, max_sleep=args.max_sleep)
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from ..cli import open_chatbi
    from .rules import load_rules

    path = args.path or _rules_path(args)
    bi = open_chatbi(args)
    rules = load_rules(path, bi.model, bi.members.as_sets())
    print(f"ok: {path}: {len(rules)} rule(s), {len(rules.enabled)} enabled")
    for rule in rules:
        nxt = rule.schedule.next(dt.datetime.now(dt.timezone.utc)).astimezone(rule.schedule.zone)
        print(f"  {rule.id}: {rule.metric}, {rule.spec.condition.type}, '{rule.schedule.cron}' "
              f"{rule.schedule.timezone} (next {nxt:%Y-%m-%d %H:%M %Z}) -> {', '.join(rule.recipients)}")
    return 0


def _cmd_outbox(args: argparse.Namespace) -> int:
    from .outbox import Outbox

    outbox = Outbox(args.app_db)
    if args.requeue:
        print(f"requeued {outbox.requeue()} digest(s)")
    for e in outbox.entries():
        when = (e.sent or e.created)
        print(f"{e.key[:12]}  {e.status:<8} attempts={e.attempts}  {when:%Y-%m-%d %H:%M}Z  "  # type: ignore[str-format]
              f"{', '.join(e.recipients)}  {e.subject}" + (f"  [{e.last_error}]" if e.last_error else ""))
    return 0
