"""``chatbi security ...`` and ``chatbi audit``: password hashes, configuration checks, the audit log.

Registered by :func:`chatbi.cli.build_parser`. ``--security FILE --as-user NAME`` on ``ask`` /
``query`` (see ``chatbi.cli.open_chatbi``) answers as that user would see it.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from semantic_layer import MemberFilter, RangeFilter

__all__ = ["add_security_commands", "open_security", "SECURITY_ENV"]

SECURITY_ENV = "CHATBI_SECURITY"


def add_security_commands(sub: Any, add_source_args: Callable[[argparse.ArgumentParser], None]) -> None:
    security = sub.add_parser("security", help="users, roles and masking (access control)").add_subparsers(
        dest="security_command")

    hashing = security.add_parser("hash-password", help="print a password hash for security.yaml")
    hashing.add_argument("--method", choices=["scrypt", "pbkdf2_sha256"], default="scrypt")
    hashing.add_argument("--password-stdin", action="store_true", help="read the password from stdin (scripts)")
    hashing.set_defaults(func=_cmd_hash_password)

    check = security.add_parser("check", help="validate a security file against the semantic model")
    check.add_argument("path", type=Path)
    add_source_args(check)
    check.set_defaults(func=_cmd_check)

    policy = security.add_parser("policy", help="show a user's effective access (rows, columns, small cells)")
    policy.add_argument("user")
    policy.add_argument("path", type=Path, nargs="?", help="security file (default $CHATBI_SECURITY)")
    add_source_args(policy)
    policy.set_defaults(func=_cmd_policy)

    revoke = security.add_parser("revoke", help="end every app session of a user now (all workers)")
    revoke.add_argument("user")
    revoke.add_argument("--app-db", type=Path, help="app database (default: $CHATBI_CACHE_DIR/app.sqlite3)")
    revoke.set_defaults(func=_cmd_revoke)

    sessions = security.add_parser("sessions", help="list live app sessions")
    sessions.add_argument("--user", help="only this user")
    sessions.add_argument("--app-db", type=Path, help="app database (default: $CHATBI_CACHE_DIR/app.sqlite3)")
    sessions.set_defaults(func=_cmd_sessions)

    ops = security.add_parser("operators", help="list the masking operators")
    ops.set_defaults(func=_cmd_operators)

    audit = sub.add_parser("audit", help="the audit log: who asked what, the SQL, rows, denials")
    audit.add_argument("--user", help="only this user")
    audit.add_argument("--since", help="ISO date/time or a span back from now: 30m, 12h, 7d")
    audit.add_argument("--denied", action="store_true", help="only refused requests")
    audit.add_argument("--action", help="ask, query, sql, explain_change, login, ...")
    audit.add_argument("--limit", type=int, default=50)
    audit.add_argument("--sql", action="store_true", help="also print the SQL of each event")
    audit.add_argument("--format", choices=["table", "json"], default="table")
    audit.add_argument("--app-db", type=Path, help="app database (default: $CHATBI_CACHE_DIR/app.sqlite3)")
    audit.set_defaults(func=_cmd_audit)


def open_security(path: Path | str | None, model: Any = None) -> Any:
    """The ``Security`` of ``path`` (or $CHATBI_SECURITY), None when neither is set."""
    import os

    from .config import Security

    path = path or os.environ.get(SECURITY_ENV)
    return Security.load(path, model) if path else None


def _cmd_hash_password(args: argparse.Namespace) -> int:
    from ..errors import ConfigError
    from .passwords import hash_password

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            raise ConfigError("the passwords differ")
    try:
        print(hash_password(password, method=args.method))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from ..cli import open_chatbi

    bi = open_chatbi(args) if (args.model or args.database) else None
    model = bi.model if bi is not None else _sample_model()
    security = open_security(args.path, model)
    spec = security.spec
    print(f"ok: {args.path}: {len(spec.users)} users, {len(spec.roles)} roles"
          + (f", identity header {spec.identity.header}" if spec.identity else "")
          + ("" if security.secret_key else "; warning: no secret_key (set $CHATBI_SECRET_KEY for the app)"))
    for warning in security.warnings():
        print(f"warning: {warning}")
    return 0


def _sample_model() -> Any:
    from sample_data import TELECOM_MODEL
    from semantic_layer import SemanticModel

    return SemanticModel.from_yaml(TELECOM_MODEL)


def _cmd_policy(args: argparse.Namespace) -> int:
    from ..cli import open_chatbi
    from ..errors import ConfigError

    model = open_chatbi(args).model if (getattr(args, "model", None) or getattr(args, "database", None)) \
        else _sample_model()
    security = open_security(args.path, model)
    if security is None:
        raise ConfigError(f"give the security file or set ${SECURITY_ENV}")
    principal = security.principal(args.user)
    policy = principal.policy
    print(f"user {principal.user} ({principal.name}); roles: {', '.join(principal.roles) or '-'}")
    if policy.rows is None:
        print("rows: all")
    elif not policy.rows:
        print("rows: none")
    else:
        for i, alt in enumerate(policy.rows):
            parts = [f"{f.dimension} {f.op} {_operands(f)}" for f in alt]
            print(f"rows{' (or)' if i else ''}: " + " and ".join(parts))
    for rule in policy.columns:
        params = {k: ("<secret>" if k == "salt" else v) for k, v in rule.params}
        extra = f" {params}" if params else ""
        print(f"column {rule.target}: {rule.action}{' ' + rule.operator if rule.operator else ''}{extra}")
    if policy.min_group_size:
        print(f"small cells: aggregates of fewer than {policy.min_group_size} suppressed")
    from .config import sql_risks

    risks = sql_risks(policy, security.model)
    allowed = security.may_use_sql(principal)
    reason = "" if allowed or not risks else f" (it would get around {'; '.join(risks)})"
    print(f"hand-written SQL: {'allowed' if allowed else 'not allowed'}{reason}")
    return 0


def _operands(f: Any) -> list[Any]:
    """What a row filter compares with: its members, its value or its bounds."""
    if isinstance(f, MemberFilter):
        return list(f.values)
    if isinstance(f, RangeFilter):
        return [f.low, f.high]
    return [f.value]


def _cmd_revoke(args: argparse.Namespace) -> int:
    from .sessions import SignInSessions

    ended = SignInSessions(args.app_db).revoke_user(args.user)
    print(f"ended {ended} session(s) of {args.user}")
    return 0


def _cmd_sessions(args: argparse.Namespace) -> int:
    import datetime as dt

    from .sessions import SignInSessions

    records = SignInSessions(args.app_db).active(args.user)
    if not records:
        print("no live sessions")
    for r in records:
        def when(t: float) -> str:
            return dt.datetime.fromtimestamp(t, dt.UTC).isoformat(timespec="seconds")
        print(f"{r.user:<16} {r.via:<6} since {when(r.created_at)}  last seen {when(r.seen_at)}  "
              f"until {when(r.expires_at)}  from {r.remote or '?'}")
    return 0


def _cmd_operators(args: argparse.Namespace) -> int:
    from .masking import OPERATORS

    for op in OPERATORS.values():
        params = ", ".join(p.rstrip("_") for p in op.params)
        print(f"{op.name:<22} {op.kind:<7} {op.description}" + (f"  [{params}]" if params else "")
              + (f"  e.g. {op.example}" if op.example else ""))
    print(f"{len(OPERATORS)} operators")
    return 0


def _cmd_audit(args: argparse.Namespace) -> int:
    from ..errors import ConfigError
    from .audit import AuditLog, parse_since

    try:
        since = parse_since(args.since) if args.since else None
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    events = AuditLog(args.app_db).events(user=args.user, since=since, denied=True if args.denied else None,
                                          action=args.action, limit=args.limit)
    if args.format == "json":
        print(json.dumps([e.to_dict() for e in events], ensure_ascii=False, indent=1))
        return 0
    if not events:
        print("no audit events match")
        return 0
    for e in reversed(events):  # oldest first reads like a log
        what = (e.question or e.query_json or "").replace("\n", " ")
        flag = "DENIED " if e.denied else ""
        rows = "" if e.rows is None else f" rows={e.rows}"
        print(f"{e.at[:19]} {e.user:<12} {e.action:<15} {flag}{e.status}{rows}  {what[:100]}")
        if e.denied and e.detail:
            print(f"    reason: {e.detail[:200]}")
        if args.sql and e.sql:
            print("    " + e.sql.replace("\n", "\n    "))
    return 0
