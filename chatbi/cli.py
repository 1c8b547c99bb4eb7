"""The ``chatbi`` command line. Every error is one clear message and a non-zero exit, never a traceback.

Each subcommand is a ``_cmd_*`` function registered in :func:`build_parser`; add new
commands the same way.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from semantic_layer import ModelError, SemanticLayerError, SemanticModel

from .cli_support import OneLineParser, column_labels, progress, user_language
from .errors import ChatBIError

__all__ = ["main", "build_parser", "parse_filter"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (ChatBIError, SemanticLayerError, OSError) as exc:
        print(f"chatbi: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="chatbi", description="Ask a warehouse questions through a semantic layer.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sample = sub.add_parser("sample", help="the telecom sample warehouse").add_subparsers(dest="sample_command")
    build = sample.add_parser("build", help="build the sample warehouse (DuckDB)")
    build.add_argument("--out", type=Path, help="write the warehouse to this file (default: the cache)")
    build.set_defaults(func=_cmd_sample_build)

    model = sub.add_parser("model", help="semantic model tools").add_subparsers(dest="model_command")
    check = model.add_parser("check", help="validate a semantic model YAML file")
    check.add_argument("path", type=Path)
    check.add_argument("--database", help="also check join keys in this database (fan-out)")
    check.set_defaults(func=_cmd_model_check)

    from .modeling.cli import add_data_option, add_model_commands  # draft, import-metricflow, docs

    add_model_commands(model)

    query = sub.add_parser("query", help="run a structured query and print its SQL and result")
    _add_source_args(query)
    query.add_argument("-m", "--metric", action="append", default=[], help="metric name (repeatable)")
    query.add_argument("-d", "--dimension", action="append", default=[], help="dimension, e.g. province or date.month")
    query.add_argument("-f", "--filter", action="append", default=[],
                       help="filter: 'province=广东,浙江', 'channel!=线上', 'revenue>1e6' (repeatable)")
    query.add_argument("--from", dest="start", help="first date (inclusive, ISO)")
    query.add_argument("--to", dest="end", help="last date (inclusive, ISO)")
    query.add_argument("--compare", choices=["previous_period", "year_over_year", "pop", "yoy"])
    query.add_argument("--baseline", metavar="START..END", help="compare with this period (ISO dates), e.g. "
                                                                 "2025-10-01..2025-10-31")
    query.add_argument("--share", action="store_true", help="add each row's share of the total")
    query.add_argument("--order-by", action="append", default=[], help="metric or dimension; descending as --order-by=-name")
    query.add_argument("--limit", type=int)
    query.add_argument("--format", choices=["table", "csv", "json"], default="table")
    query.add_argument("--sql-only", action="store_true",
                       help="print the SQL without running it (no connection to the warehouse)")
    query.set_defaults(func=_cmd_query)

    ask = sub.add_parser("ask", help="ask a question in Chinese or English (follow-ups with --then)")
    _add_source_args(ask)
    ask.add_argument("question", nargs="*", help="the question (leave out with --interactive)")
    ask.add_argument("--then", dest="followups", action="append", default=[], metavar="QUESTION",
                     help="a follow-up question in the same conversation (repeatable)")
    ask.add_argument("-i", "--interactive", action="store_true",
                     help="one conversation, a question per line from stdin (empty line or EOF ends)")
    ask.add_argument("--lang", choices=["zh", "en"], help="answer language (default: the question's)")
    ask.add_argument("--format", choices=["table", "csv", "json"], default="table")
    ask.add_argument("--sql-only", action="store_true", help="print the SQL without running it")
    ask.add_argument("--anchor", metavar="DATE", type=_iso_date,
                     help="the date relative periods (last month, YTD ...) count from, instead of the newest "
                          "date in the data")
    ask.set_defaults(func=_cmd_ask)

    evaluate = sub.add_parser("eval", help="score question answering on a question set (YAML)")
    _add_source_args(evaluate)
    evaluate.add_argument("path", type=Path, help="question set, e.g. sample_data/telecom/questions/dev.yaml")
    evaluate.add_argument("--json", dest="json_out", type=Path, help="also write the full report as JSON")
    evaluate.add_argument("--min-accuracy", type=float, help="exit 1 when overall accuracy is below this (0..1)")
    evaluate.add_argument("--full", action="store_true", help="also build charts, texts and root-cause reports")
    evaluate.set_defaults(func=_cmd_eval)

    from .serve_cli import add_serve_command  # `chatbi serve`: the app under a production server

    add_serve_command(sub, _add_source_args)

    from .alerts.cli import add_alerts_commands  # the alerts commands live with the alerts package

    add_alerts_commands(sub, _add_source_args)

    from .security.cli import add_security_commands  # `chatbi security ...` and `chatbi audit`

    add_security_commands(sub, _add_source_args)

    from .reports.cli import add_report_commands  # `chatbi report` and `chatbi reports ...`

    add_report_commands(sub, _add_source_args)
    add_data_option(sub)  # `chatbi ask --data sales.csv "..."`: after `ask` is registered
    return parser


def _add_source_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", type=Path, help="semantic model YAML (default: the telecom sample)")
    parser.add_argument("--database", help="DuckDB file or database URL (default: the telecom sample)")
    parser.add_argument("--security", type=Path, help="users and roles (security.yaml; default $CHATBI_SECURITY)")
    parser.add_argument("--as-user", metavar="USER", help="answer as this user sees it (needs --security)")


def open_chatbi(args: argparse.Namespace) -> Any:
    """A ``ChatBI`` for the command's --model/--database (the sample when neither is given), seen as
    ``--as-user`` when given (``chatbi.security``: their rows and masked columns, audited)."""
    bi = _open_source(args)
    user = getattr(args, "as_user", None)
    if not user:
        return bi
    from .errors import ConfigError
    from .security.audit import AuditLog
    from .security.cli import open_security

    security = open_security(getattr(args, "security", None), bi.model)
    if security is None:
        raise ConfigError("--as-user needs --security FILE (or $CHATBI_SECURITY)")
    return bi.for_user(user, security=security, audit=AuditLog(getattr(args, "app_db", None)))


def _open_source(args: argparse.Namespace) -> Any:
    from .api import ChatBI

    if getattr(args, "data", None):  # files asked directly: a model is drafted unless --model is given
        return ChatBI.from_files(*args.data, model=args.model)
    if args.model is None and args.database is None:
        from .api import sample_warehouse_path

        sample_warehouse_path(progress=progress)  # the first use builds it: say so, it takes a while
        return ChatBI.sample()
    if args.model is None or args.database is None:
        from .errors import ConfigError

        raise ConfigError("give both --model and --database, or neither to use the telecom sample")
    return ChatBI(args.model, args.database)


def _cmd_sample_build(args: argparse.Namespace) -> int:
    if args.out is not None:
        from sample_data.telecom import build_warehouse

        path = build_warehouse(args.out)
    else:
        from .api import sample_warehouse_path

        path = sample_warehouse_path(progress=progress)
    print(path)
    return 0


def _cmd_model_check(args: argparse.Namespace) -> int:
    try:
        model = SemanticModel.from_yaml(args.path)
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    from .modeling.checks import model_warnings

    engine = None
    if getattr(args, "database", None):
        from .warehouse import connect

        engine = connect(args.database)
    try:
        warnings = [p for p in model.problems() if p.severity != "error"] + model_warnings(model, engine)
    finally:
        if engine is not None:
            engine.close()
    for p in warnings:
        print(f"warning: {args.path}: {p.path}: {p.message}")
    spec = model.spec
    print(f"ok: {args.path}: model {spec.name!r} with {len(spec.tables)} tables, {len(spec.dimensions)} dimensions, "
          f"{len(spec.metrics)} metrics, {len(spec.hierarchies)} hierarchies, {len(spec.metric_trees)} metric trees")
    return 0


_FILTER = re.compile(r"^\s*([\w.]+)\s*(!=|>=|<=|=|>|<)\s*(.+?)\s*$")


def parse_filter(text: str, metric_names: set[str] | frozenset[str] | Any) -> dict[str, Any]:
    """Parse a CLI filter into a filter dict.

    >>> parse_filter("province=广东,浙江", set())
    {'op': 'in', 'dimension': 'province', 'values': ['广东', '浙江']}
    >>> parse_filter("revenue>1e6", {"revenue"})
    {'op': '>', 'metric': 'revenue', 'value': 1000000.0}
    """
    match = _FILTER.match(text)
    if not match:
        from .errors import ConfigError

        raise ConfigError(f"cannot read filter {text!r}; write it like 'province=广东,浙江' or 'revenue>1000000'")
    name, op, raw = match.groups()
    if name in metric_names:
        return {"op": op, "metric": name, "value": _number(raw)}
    if op in {"=", "!="}:
        return {"op": "in" if op == "=" else "not_in", "dimension": name, "values": [v.strip() for v in raw.split(",")]}
    return {"op": op, "dimension": name, "value": raw}


def _number(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def _cmd_query(args: argparse.Namespace) -> int:
    bi = open_chatbi(args)
    filters = [parse_filter(f, set(bi.model.metrics)) for f in args.filter]
    time_range = None
    if args.start or args.end:
        time_range = (args.start or "0001-01-01", args.end or "9999-12-31")
    baseline = None
    if args.baseline:
        start, sep, end = args.baseline.partition("..")
        if not sep:
            from .errors import ConfigError

            raise ConfigError(f"--baseline {args.baseline!r}: give START..END, e.g. 2025-10-01..2025-10-31")
        baseline = (start.strip(), end.strip())
    fields = {"metrics": args.metric, "dimensions": args.dimension, "filters": filters, "time_range": time_range,
              "compare": args.compare, "order_by": args.order_by, "limit": args.limit, "share": args.share,
              "baseline": baseline}
    if args.sql_only:
        sql = _sql_without_running(bi, fields)
        print(f"-- SQL\n{sql}\n" if args.format == "table" else sql)
        return 0
    answer = bi.query(**fields)
    return print_answer(answer, fmt=args.format, sql_only=args.sql_only, model=bi.model, labels=args.format == "table")


def _sql_without_running(bi: Any, fields: dict[str, Any]) -> str:
    """The guarded SQL of a structured query, compiled without touching the warehouse.

    Structured queries from the command line have no relative periods, so no anchor is read;
    member values are not checked against the data (the query is not run either).
    """
    from pydantic import ValidationError

    from semantic_layer import SemanticQuery
    from semantic_layer.compiler import compile_query

    from .errors import ConfigError

    try:
        query = SemanticQuery(**fields)
    except ValidationError as exc:
        raise ConfigError(f"invalid query: {exc.errors()[0]['msg']}") from None
    compiled = compile_query(bi.model, query, bi.engine.dialect, policy=bi.policy)
    return str(bi.guard.check_expression(compiled.expression, copy=False))


def _iso_date(text: str) -> Any:
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (write YYYY-MM-DD)") from None


def _cmd_ask(args: argparse.Namespace) -> int:
    from .conversation import Conversation

    bi = open_chatbi(args)
    if args.anchor is not None:
        bi.metadata.pin_anchor(args.anchor)
    conv = Conversation(language=args.lang)
    questions = ([" ".join(args.question)] if args.question else []) + list(args.followups)
    if not questions and not args.interactive:
        from .errors import ConfigError

        raise ConfigError("give a question, or --interactive to type several")
    # column names a drafted model invented (col3 for a header 金额) never show: labels everywhere
    labels_everywhere = bool(getattr(args, "data", None)) and args.model is None
    code = 0
    for text in questions:
        answer = _ask(bi, text, conv, args)
        if args.format == "table" and (args.interactive or len(questions) > 1):
            print(f"> {text}")
        code = _show(bi, answer, args, labels_everywhere) or code
    while args.interactive:
        try:
            text = input("> ").strip()
        except EOFError:
            break
        if not text:
            break
        _show(bi, _ask(bi, text, conv, args), args, labels_everywhere)
    return code


def _ask(bi: Any, text: str, conv: Any, args: argparse.Namespace) -> Any:
    if not text.strip():  # nothing to read the language from: --lang, the last question's, the locale
        last = conv.turns[-1].language if len(conv) else None
        return bi.ask(text, conversation=conv, language=args.lang or last or user_language())
    return bi.ask(text, conversation=conv)


def _show(bi: Any, answer: Any, args: argparse.Namespace, labels_everywhere: bool) -> int:
    from .conversation import understood_line

    if args.format == "table" and answer.ok and answer.understood:
        print(understood_line(answer, bi.model))
    return print_answer(answer, fmt=args.format, sql_only=args.sql_only, model=bi.model,
                        labels=args.format == "table" or labels_everywhere)


def _cmd_eval(args: argparse.Namespace) -> int:
    from .evaluation import evaluate, load_items

    items = load_items(args.path)
    bi = open_chatbi(args)
    report = evaluate(bi, items, full=args.full)
    print(report.format())
    if args.json_out is not None:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=1, default=str),
                                 encoding="utf-8")
        print(f"wrote {args.json_out}")
    if args.min_accuracy is not None and report.accuracy < args.min_accuracy:
        return 1
    return 0


def print_answer(answer: Any, *, fmt: str = "table", sql_only: bool = False, model: Any = None,
                 labels: bool = False) -> int:
    """Print an Answer for a terminal; returns the exit code (1 for errors).

    With ``labels`` (and the ``model``) columns are headed by the model's labels in the answer's
    language; CSV and JSON keep the names unless asked, so scripts can rely on them. Numbers go
    through the one number layer: exact and grouped for people (never 6.421513e+10), noise-free
    for machines (2168576190.47, not 2168576190.4700007).
    """
    if answer.status == "error":
        print(f"chatbi: error: {answer.error or answer.text}", file=sys.stderr)
        return 1
    if answer.status == "clarify":
        print(answer.text)
        for i, option in enumerate(answer.clarification, 1):
            print(f"  {i}. {option.label}")
        return 0
    if answer.sql:
        print(f"-- SQL\n{answer.sql}\n" if fmt == "table" else "", end="")
    if sql_only:
        return 0
    if answer.text and fmt == "table":
        print(answer.text)
    frame = answer.data
    if frame is None:
        return 0
    from .charts.tables import clean_records, exact_frame, machine_frame

    names = column_labels(frame.columns, model, answer.language or "en") if labels and model is not None else {}
    if fmt == "csv":
        from .csvsafe import to_csv

        print(to_csv(machine_frame(frame, answer.query, model).rename(columns=names)), end="")
    elif fmt == "json":
        records = clean_records(frame, answer.query, model)
        print(json.dumps([{names.get(k, k): v for k, v in r.items()} for r in records], ensure_ascii=False, indent=1))
    else:
        import pandas as pd

        shown = exact_frame(frame, answer.query, model, answer.language).rename(columns=names)
        with pd.option_context("display.max_rows", 200, "display.max_columns", 50, "display.width", 200,
                               "display.colheader_justify", "left"):
            print(shown.to_string(index=False, justify="left"))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
