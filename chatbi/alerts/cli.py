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
from typing import Any, Literal

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

    check = alerts.add_parser("check", help="validate a rules file against the semantic model, show next fire times")
    check.add_argument("path", type=Path, nargs="?")
    add_source_args(check)
    check.add_argument("--fires", type=int, default=3, metavar="N", help="next fire times to show per rule (3)")
    check.set_defaults(func=_cmd_check, rules=None)

    outbox = alerts.add_parser("outbox", help="list the outbox (digests pending, sent, failed) and missed fires")
    outbox.add_argument("--app-db", type=Path, help="app database (default: $CHATBI_CACHE_DIR/app.sqlite3)")
    outbox.add_argument("--requeue", nargs="*", metavar="KEY",
                        help="put failed or partly refused digests (all, or these keys) back in the queue")
    outbox.add_argument("--dismiss", nargs="+", metavar="KEY",
                        help="mark failed or partly refused digests as seen ('all' for every one)")
    _retention_args(outbox)
    outbox.add_argument("--prune-now", action="store_true", help="apply the retention now")
    outbox.set_defaults(func=_cmd_outbox)


def _retention_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--retention-days", type=float, metavar="DAYS",
                        help="drop delivered digests' bodies after DAYS (default $CHATBI_ALERTS_RETENTION_DAYS or 30;"
                             " 0 keeps them)")
    parser.add_argument("--prune", choices=["bodies", "rows"],
                        help="what retention drops: the MIME bodies (rows and keys kept, the default) or whole rows")


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
    _retention_args(parser)


def parse_instant(text: str | None, zone: str) -> dt.datetime | None:
    """``--at`` as an aware instant; naive values are wall time in ``zone``."""
    from ..errors import ConfigError
    from .schedule import check_timezone, to_utc

    if text is None or text.strip().lower() == "now":
        return None
    if check_timezone(zone):
        raise ConfigError(check_timezone(zone)[0])  # type: ignore[index]
    try:
        value = dt.datetime.fromisoformat(text.strip())
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


def _outbox(args: argparse.Namespace, clock: Any = None) -> Any:
    """The outbox with the retention from the options or the environment."""
    from ..errors import ConfigError
    from .outbox import DEFAULT_RETENTION, Outbox

    days: Any = getattr(args, "retention_days", None)
    if days is None and os.environ.get("CHATBI_ALERTS_RETENTION_DAYS"):
        try:
            days = float(os.environ["CHATBI_ALERTS_RETENTION_DAYS"])
        except ValueError:
            raise ConfigError(f"CHATBI_ALERTS_RETENTION_DAYS={os.environ['CHATBI_ALERTS_RETENTION_DAYS']!r}: "
                              "expected a number of days (0 keeps digests forever)") from None
    if days is not None and days < 0:
        raise ConfigError(f"--retention-days {days:g}: expected 0 (keep forever) or more days")
    retention = DEFAULT_RETENTION if days is None else (dt.timedelta(days=days) if days > 0 else None)
    prune = getattr(args, "prune", None) or os.environ.get("CHATBI_ALERTS_PRUNE") or "bodies"
    if prune not in ("bodies", "rows"):
        raise ConfigError(f"CHATBI_ALERTS_PRUNE={prune!r}: expected 'bodies' or 'rows'")
    mode: Literal["bodies", "rows"] = "rows" if prune == "rows" else "bodies"
    return Outbox(args.app_db, retention=retention, prune=mode, **({"clock": clock} if clock else {}))


def _runner(args: argparse.Namespace) -> Any:
    from ..cli import open_chatbi
    from .mailer import SMTPMailer, SMTPSettings
    from .rules import load_rules
    from .runner import AlertRunner

    settings = SMTPSettings.from_env(host=args.smtp_host, port=args.smtp_port, user=args.smtp_user,
                                     starttls=args.starttls, ssl=args.ssl, sender=args.mail_from)
    outbox = _outbox(args)  # before the warehouse: a bad app database is reported at once
    bi = open_chatbi(args)
    path = _rules_path(args)

    def load() -> Any:
        # one bad rule is left out (and reported); the others run
        return load_rules(path, bi.model, bi.members.as_sets(), strict=False)

    rules = load()
    dashboard = args.dashboard_url or os.environ.get("CHATBI_DASHBOARD_URL") or None
    from ..security.audit import AuditLog
    from ..security.cli import open_security

    # rules with an `owner` are evaluated with that user's access (--security / $CHATBI_SECURITY)
    security = open_security(getattr(args, "security", None), bi.model)
    return AlertRunner(bi, rules, outbox, SMTPMailer(settings), sender=settings.sender,
                       dashboard_url=dashboard, charts=not args.no_charts,
                       send_when_quiet=rules.spec.defaults.send_when_quiet, security=security,
                       audit=AuditLog(args.app_db) if security is not None else None, loader=load)


def _print_report(report: Any) -> int:
    """The summary line on stdout, each problem on stderr; the exit code says whether all is well."""
    print(report.summary())
    for line in report.invalid:
        print(f"error: rule left out: {line}", file=sys.stderr)
    for error in report.errors:
        print(f"error: rule {error}", file=sys.stderr)
    for rule_id, first, last, count in report.missed:
        print(f"warning: rule {rule_id}: {count} fire(s) from {first:%Y-%m-%d %H:%M}Z to {last:%Y-%m-%d %H:%M}Z "
              "were not evaluated (too old to catch up); the next digest reports them", file=sys.stderr)
    for key in report.delivery.retrying:
        print(f"warning: digest {key[:12]} not sent yet, will be retried (see `chatbi alerts outbox`)",
              file=sys.stderr)
    for key in report.delivery.failed + report.delivery.partial:
        print(f"error: digest {key[:12]} not delivered to every recipient (see `chatbi alerts outbox`)",
              file=sys.stderr)
    return int(report.exit_code)


def _cmd_run(args: argparse.Namespace) -> int:
    at = parse_instant(args.at, args.tz)
    return _print_report(_runner(args).run(at))


def _check_addresses(addresses: list[str]) -> None:
    from ..errors import ConfigError
    from .addresses import address_problem

    for address in addresses:
        problem = address_problem(address)
        if problem:
            raise ConfigError(f"--to {problem}; nothing was sent")


def _cmd_test(args: argparse.Namespace) -> int:
    _check_addresses(args.to)  # before anything is evaluated or stored
    at = parse_instant(args.at, args.tz)
    report = _runner(args).send_test(args.rule, args.to, at)
    print(report.summary())
    for error in report.errors:
        print(f"error: rule {error}", file=sys.stderr)
    if report.delivery.sent:
        return 0
    for key in report.delivery.retrying + report.delivery.failed + report.delivery.partial:
        print(f"error: the test digest {key[:12]} was not delivered (see `chatbi alerts outbox`)", file=sys.stderr)
    return 1


def _cmd_daemon(args: argparse.Namespace) -> int:
    import logging

    from .daemon import run_daemon

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    runner = _runner(args)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    print(f"chatbi alerts daemon: {len(runner.rules.enabled)} rule(s), app database {runner.outbox.path}", flush=True)
    for line in runner.rules.problems_text():
        logging.getLogger("chatbi.alerts").error("rule left out: %s", line)
    return run_daemon(runner, stop=stop, max_sleep=args.max_sleep)


def _cmd_check(args: argparse.Namespace) -> int:
    from ..cli import open_chatbi
    from .rules import load_rules

    path = args.path or _rules_path(args)
    bi = open_chatbi(args)
    rules = load_rules(path, bi.model, bi.members.as_sets())
    print(f"ok: {path}: {len(rules)} rule(s), {len(rules.enabled)} enabled")
    now = dt.datetime.now(dt.UTC)
    for rule in rules:
        fires = ", ".join(f"{t.astimezone(rule.schedule.zone):%Y-%m-%d %H:%M}"
                          for t in rule.schedule.upcoming(now, max(1, args.fires)))
        print(f"  {rule.id}: {rule.metric}, {rule.spec.condition.type}, '{rule.schedule.cron}' "
              f"{rule.schedule.timezone} (next {fires}) -> {', '.join(rule.recipients)}")
    return 0


def _cmd_outbox(args: argparse.Namespace) -> int:
    outbox = _outbox(args)
    if args.requeue is not None:
        print(f"requeued {outbox.requeue(args.requeue or None)} digest(s)")
    if args.dismiss:
        keys = None if [k.lower() for k in args.dismiss] == ["all"] else args.dismiss
        print(f"dismissed {outbox.dismiss(keys)} digest(s)")
    if args.prune_now:
        print(f"pruned {outbox.prune()} digest(s)")
    for e in outbox.entries(include_mime=False):
        when = (e.sent or e.created)
        print(f"{e.key[:12]}  {e.status:<9} attempts={e.attempts}  {when:%Y-%m-%d %H:%M}Z  "  # type: ignore[str-format]
              f"{', '.join(e.recipients)}  {e.subject}" + (f"  [{e.last_error}]" if e.last_error else ""))
        for address, (status, code, message) in e.recipient_status.items():
            if status != "sent":
                print(f"    {address}: {status} {code} {message}")
    for m in outbox.missed():
        told = f"reported in {m.reported[:12]}" if m.reported else "not reported yet"
        print(f"missed  {m.rule_id}: {m.count} fire(s) {m.fire:%Y-%m-%d %H:%M}Z..{m.last_fire:%Y-%m-%d %H:%M}Z "
              f"({m.reason}; {told})")
    counts = outbox.counts()
    return 3 if counts.get("failed", 0) + counts.get("partial", 0) + counts.get("waiting", 0) else 0
