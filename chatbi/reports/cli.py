"""``chatbi report`` (build one report) and ``chatbi reports ...`` (list, check, run schedules, daemon).

Registered by :func:`chatbi.cli.build_parser`. Heavy imports happen inside the commands so
``chatbi --help`` stays fast. Scheduled reports go through the alerts outbox (``chatbi alerts
outbox`` lists them next to the digests).
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

__all__ = ["add_report_commands"]


def add_report_commands(sub: Any, add_source_args: Callable[[argparse.ArgumentParser], None]) -> None:
    report = sub.add_parser("report", help="build a business report (HTML, PDF or text)",
                            description="Build an illustrated business report from the semantic layer. Without "
                                        "--spec, the model's default report; without --out, the text to stdout.")
    add_source_args(report)
    report.add_argument("--spec", help="a spec name beside the model (see `chatbi reports list`) or a YAML file")
    report.add_argument("--period", help="e.g. 2025-11, 2025-Q4, 2025-W45, 2025-07-12 (default: the last complete one)")
    report.add_argument("--out", type=Path, help="write report.html or report.pdf")
    report.add_argument("--lang", choices=["zh", "en"], help="language (default: the spec's, else the model's)")
    report.add_argument("--scope", action="append", default=[], metavar="DIMENSION=MEMBER[,MEMBER]",
                        help="a report about these members only, e.g. province=Guangdong (repeatable)")
    report.set_defaults(func=_cmd_report)

    reports = sub.add_parser("reports", help="report specs and scheduled reports by email").add_subparsers(
        dest="reports_command")
    listing = reports.add_parser("list", help="the report specs beside the model and their schedules")
    add_source_args(listing)
    listing.set_defaults(func=_cmd_list)

    check = reports.add_parser("check", help="validate report specs against the semantic model")
    add_source_args(check)
    check.add_argument("paths", type=Path, nargs="*", help="spec files (default: every spec beside the model)")
    check.set_defaults(func=_cmd_check)

    run = reports.add_parser("run", help="build the reports due at an instant and send them (for cron)")
    _delivery_args(run, add_source_args)
    run.add_argument("--at", help="the instant (ISO, e.g. 2025-12-02T09:00+08:00; naive = --tz); default now")
    run.set_defaults(func=_cmd_run)

    daemon = reports.add_parser("daemon", help="run the report schedules: build when due, retry the outbox")
    _delivery_args(daemon, add_source_args)
    daemon.add_argument("--max-sleep", type=float, default=60.0, help="seconds between checks at most")
    daemon.set_defaults(func=_cmd_daemon)

    send = reports.add_parser("send", help="build one scheduled report now and send it to --to (a test)")
    _delivery_args(send, add_source_args)
    send.add_argument("report", help="SPEC/SCHEDULE, e.g. monthly_review/executives")
    send.add_argument("--to", action="append", required=True, help="recipient address (repeatable)")
    send.set_defaults(func=_cmd_send)


def _delivery_args(parser: argparse.ArgumentParser, add_source_args: Callable[[argparse.ArgumentParser], None]) -> None:
    add_source_args(parser)
    parser.add_argument("--spec", action="append", type=Path, default=[],
                        help="spec file (repeatable; default: every spec beside the model)")
    parser.add_argument("--app-db", type=Path, help="app database (default: $CHATBI_CACHE_DIR/app.sqlite3)")
    parser.add_argument("--tz", default="Asia/Shanghai", help="time zone of naive --at values")
    parser.add_argument("--smtp-host", help="default $CHATBI_SMTP_HOST or localhost")
    parser.add_argument("--smtp-port", type=int, help="default $CHATBI_SMTP_PORT or 25/587/465")
    parser.add_argument("--smtp-user", help="default $CHATBI_SMTP_USER (password: $CHATBI_SMTP_PASSWORD)")
    parser.add_argument("--starttls", action="store_const", const=True, help="upgrade with STARTTLS")
    parser.add_argument("--ssl", action="store_const", const=True, help="SMTP over TLS (port 465)")
    parser.add_argument("--mail-from", help="default $CHATBI_MAIL_FROM")
    parser.add_argument("--dashboard-url", help="link in the mail (default $CHATBI_DASHBOARD_URL)")


# -- one report -----------------------------------------------------------------------------------
def _quiet() -> None:
    """numpy's all-NaN notice from the anomaly baselines (expected: no history yet) is not for the reader;
    the analysis silences it per call, which its worker threads race (warning filters are process-wide)."""
    import warnings

    warnings.filterwarnings("ignore", "All-NaN slice encountered", RuntimeWarning)


def _cmd_report(args: argparse.Namespace) -> int:
    from ..cli import open_chatbi
    from ..errors import ConfigError

    if args.out is not None and args.out.suffix.lower() not in (".html", ".htm", ".pdf"):
        raise ConfigError(f"cannot write {str(args.out)!r}: use a .html or .pdf file name")
    _quiet()
    bi = open_chatbi(args)
    report = bi.report(args.spec, period=args.period, language=args.lang, scope=_scope_arg(args.scope) or None)
    if args.out is None:
        print(report.text())
        return 0
    path = report.save(args.out)
    print(f"{path}: {report.title} · {report.period_label} ({len(report.sections)} sections, "
          f"{len(report.sql)} SQL statements, built in {report.timings.get('total_ms', 0) / 1000:.1f} s)")
    for line in report.summary:
        print(f"  - {line}")
    return 0


def _scope_arg(items: list[str]) -> tuple[Any, ...]:
    """``--scope province=广东`` (repeatable; ``a,b`` for several members, ``!=`` to exclude)."""
    from .scope import parse_scope_text

    return tuple(f for item in items for f in parse_scope_text(item))


def _cmd_list(args: argparse.Namespace) -> int:
    from ..cli import open_chatbi
    from .build import available_specs
    from .loader import specs_dir

    bi = open_chatbi(args)
    where = specs_dir(bi.model)
    for name, spec in available_specs(bi).items():
        origin = "generated from the model" if name == "default" else f"{where}/{name}.yaml"
        print(f"{name}: {spec.title_in(bi.language)} (one {spec.period}; {len(spec.sections)} sections; {origin})")
        for d in spec.schedules:
            print(f"  schedule {d.id}: '{d.cron}' {d.timezone} -> {', '.join(d.recipients)}"
                  + (f" as {d.owner}" if d.owner else ""))
    return 0


def _specs(args: argparse.Namespace, bi: Any) -> list[Any]:
    from .loader import find_specs, load_spec

    members = getattr(bi, "base", bi).members.as_sets()
    paths = getattr(args, "spec", None) or getattr(args, "paths", None)
    if paths:
        return [load_spec(p, bi.model, members) for p in paths]
    return list(find_specs(bi.model, members).values())


def _cmd_check(args: argparse.Namespace) -> int:
    from ..cli import open_chatbi
    from ..errors import ConfigError
    from .delivery import deliveries

    bi = open_chatbi(args)
    specs = _specs(args, bi)
    if not specs:
        raise ConfigError("no report specs found; give spec files, or put them in reports/ beside the model")
    now = dt.datetime.now(dt.UTC)
    for spec in specs:
        print(f"ok: {spec.name}: {len(spec.sections)} sections, {len(spec.schedules)} schedule(s)")
        for d in deliveries([spec]):
            nxt = d.when.next(now).astimezone(d.when.zone)
            print(f"  {d.schedule.id}: '{d.schedule.cron}' {d.schedule.timezone} (next {nxt:%Y-%m-%d %H:%M %Z})"
                  f" -> {', '.join(d.schedule.recipients)}")
    return 0


# -- schedules ------------------------------------------------------------------------------------
def _runner(args: argparse.Namespace) -> Any:
    from ..alerts.mailer import SMTPMailer, SMTPSettings
    from ..alerts.outbox import Outbox
    from ..cli import open_chatbi
    from ..security.audit import AuditLog
    from ..security.cli import open_security
    from .delivery import ReportRunner

    settings = SMTPSettings.from_env(host=args.smtp_host, port=args.smtp_port, user=args.smtp_user,
                                     starttls=args.starttls, ssl=args.ssl, sender=args.mail_from)
    _quiet()
    bi = open_chatbi(args)
    security = open_security(getattr(args, "security", None), bi.model)  # schedules with an owner
    dashboard = args.dashboard_url or os.environ.get("CHATBI_DASHBOARD_URL") or None
    return ReportRunner(bi, _specs(args, bi), Outbox(args.app_db), SMTPMailer(settings), sender=settings.sender,
                        dashboard_url=dashboard, security=security,
                        audit=AuditLog(args.app_db) if security is not None else None)


def _print_run(run: Any) -> int:
    print(run.summary())
    for error in run.errors:
        print(f"warning: {error}", file=sys.stderr)
    for key in run.delivery.retrying + run.delivery.failed:
        print(f"warning: report {key[:12]} not sent yet (see `chatbi alerts outbox`)", file=sys.stderr)
    return 1 if run.delivery.failed else 0


def _cmd_run(args: argparse.Namespace) -> int:
    from ..alerts.cli import parse_instant

    return _print_run(_runner(args).run(parse_instant(args.at, args.tz)))


def _cmd_send(args: argparse.Namespace) -> int:
    from ..errors import ConfigError

    spec, _, schedule = args.report.partition("/")
    if not schedule:
        raise ConfigError(f"{args.report!r}: name the report and its schedule as SPEC/SCHEDULE")
    run = _runner(args).send_now(spec, schedule, args.to)
    code = _print_run(run)
    return 1 if code or not run.delivery.sent else 0


def _cmd_daemon(args: argparse.Namespace) -> int:
    import logging

    from .delivery import run_report_daemon

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    runner = _runner(args)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    print(f"chatbi reports daemon: {len(runner.deliveries)} schedule(s), app database {runner.outbox.path}", flush=True)
    run_report_daemon(runner, stop=stop, max_sleep=args.max_sleep)
    return 0
