"""The ``chatbi model draft | import-metricflow | docs`` commands and the ``--data`` option of ``chatbi ask``.

Registered from :func:`chatbi.cli.build_parser`; each handler returns an exit code and lets
ChatBI / semantic layer errors reach the CLI's one-line error printer.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_model_commands", "add_data_option"]


def add_model_commands(model: Any) -> None:
    """Add ``draft``, ``import-metricflow`` and ``docs`` to the ``chatbi model`` subcommands."""
    draft = model.add_parser("draft", help="draft a semantic model from a database or from CSV/Parquet files")
    source = draft.add_mutually_exclusive_group(required=True)
    source.add_argument("--database", help="DuckDB file or database URL (postgresql+psycopg://..., sqlite:///...)")
    source.add_argument("--files", nargs="+", metavar="FILE", help="CSV, Parquet or JSON files (one table each)")
    draft.add_argument("--tables", nargs="+", metavar="TABLE", help="only these tables (shell patterns allowed)")
    draft.add_argument("--name", help="model name (default: from the database or first file)")
    draft.add_argument("--out", type=Path, help="write the YAML here (default: print it)")
    draft.add_argument("--sample-rows", type=int, default=None, help="profile larger tables on a sample of this size")
    draft.set_defaults(func=_cmd_draft)

    mf = model.add_parser("import-metricflow", help="import dbt MetricFlow semantic models and metrics")
    mf.add_argument("path", type=Path, help="a dbt project folder (or one YAML file)")
    mf.add_argument("--name", help="model name (default: the dbt project's name)")
    mf.add_argument("--out", type=Path, help="write the YAML here (default: print it)")
    mf.add_argument("--dialect", help="SQL dialect of the project's expr SQL (default: from its profile)")
    mf.add_argument("--database", help="check the declared primary keys for duplicates in this database")
    mf.set_defaults(func=_cmd_import_metricflow)

    docs = model.add_parser("docs", help="write Markdown and HTML documentation of a model")
    docs.add_argument("path", type=Path, help="semantic model YAML")
    docs.add_argument("--out", type=Path, default=Path("model-docs"), help="output folder (default: model-docs)")
    docs.set_defaults(func=_cmd_docs)


def add_data_option(sub: Any) -> None:
    """``chatbi ask --data FILE``: the option on the ``ask`` command (``open_chatbi`` honours it)."""
    ask = sub.choices.get("ask")
    if ask is not None:
        ask.add_argument("--data", action="append", metavar="FILE",
                         help="ask CSV/Parquet/JSON files directly (repeatable); a model is drafted in memory "
                              "unless --model is given")


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}", file=sys.stderr)


def _cmd_draft(args: argparse.Namespace) -> int:
    from ..warehouse import connect
    from . import SAMPLE_ROWS, draft_model, model_to_yaml, open_files
    from .session import database_name

    rows = args.sample_rows or SAMPLE_ROWS
    originals: dict[str, str] = {}
    if args.files:
        opened = open_files(args.files)
        engine, originals = opened.engine, opened.original_names
        names = [Path(p).name for p in opened.paths.values()]
        name, source = args.name or next(iter(opened.paths)), ", ".join(names)
        title = "Drafted by: chatbi model draft --files " + " ".join(names)
    else:
        engine = connect(args.database)
        name = args.name or database_name(args.database)
        source = str(getattr(engine, "safe_url", None) or Path(args.database).name)
        title = f"Drafted by: chatbi model draft --database {source}"
    try:
        draft = draft_model(engine, args.tables, name=name, source=source, sample_rows=rows,
                            original_names=originals)
    finally:
        engine.close()
    if args.files:
        title += ("\nTables are views over the files: ask them with "
                  f"`chatbi ask --data FILE --model {args.out or 'MODEL.yaml'} \"...\"`")
    title += "\n\nWhat the drafter decided (review before use):"
    _emit(model_to_yaml(draft.model, draft.notes, title=title), args.out)
    if args.out is not None:
        from semantic_layer import SemanticModel

        SemanticModel.from_yaml(args.out)  # the written file must load
    return 0


def _cmd_import_metricflow(args: argparse.Namespace) -> int:
    from . import import_metricflow, model_to_yaml

    engine = None
    if args.database:
        from ..warehouse import connect

        engine = connect(args.database)
    try:
        report = import_metricflow(args.path, name=args.name, dialect=args.dialect, engine=engine)
    finally:
        if engine is not None:
            engine.close()
    _emit(model_to_yaml(report.model, report.comments(),
                        title=f"Imported by: chatbi model import-metricflow {args.path.name}"), args.out)
    stream = sys.stderr if args.out is None else sys.stdout
    print(report.text(), file=stream)
    return 0


def _cmd_docs(args: argparse.Namespace) -> int:
    from semantic_layer import SemanticModel

    from . import write_docs

    model = SemanticModel.from_yaml(args.path)
    md, page = write_docs(model, args.out)
    print(md)
    print(page)
    return 0
