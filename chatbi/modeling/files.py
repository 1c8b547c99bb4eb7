"""CSV, Parquet and JSON files as tables of an in-memory DuckDB.

Each file becomes a view named after it (``sales.csv`` -> ``sales``) over DuckDB's
``read_csv_auto`` / ``read_parquet`` / ``read_json_auto``. Views read the file on each query, so
nothing is copied or loaded whole. Creating the views is engine setup done by ChatBI, not user
SQL: questions only ever reach the views, which are the model's tables.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from semantic_layer.sqlbuild import RowSource, file_columns_sql, file_view_sql, head_sql

from ..errors import ConfigError
from ..warehouse import DuckDBEngine
from .csvread import prepare_csv
from .naming import identifier, unique_name

__all__ = ["FileTables", "open_files", "table_name_for", "READERS"]

#: file suffix -> DuckDB table function
READERS: dict[str, str] = {
    ".csv": "read_csv_auto", ".tsv": "read_csv_auto", ".txt": "read_csv_auto",
    ".parquet": "read_parquet", ".pq": "read_parquet",
    ".json": "read_json_auto", ".jsonl": "read_json_auto", ".ndjson": "read_json_auto",
}
_COMPRESSED = (".gz", ".zst")

FileArg = str | os.PathLike[str]
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _suffix(path: str) -> str:
    name = path.lower()
    for c in _COMPRESSED:
        name = name.removesuffix(c)
    return os.path.splitext(name)[1]


def table_name_for(path: FileArg) -> str:
    """The view name for a file: its stem as an identifier (``Sales 2025.csv`` -> ``sales_2025``)."""
    name = os.path.basename(str(path))
    for c in _COMPRESSED:
        name = name.removesuffix(c)
    stem = os.path.splitext(name)[0].replace("*", "").strip("_- ") or "data"
    return identifier(stem)


def _check(path: str) -> None:
    if any(ch in path for ch in "*?["):
        if not glob.glob(path):
            raise ConfigError(f"no file matches {path!r}")
        return
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"file not found: {path}")
    if p.is_dir():
        raise ConfigError(f"{path} is a folder; give the files (a glob like '{path}/*.parquet' works too)")


@dataclass(frozen=True)
class FileTables:
    """An in-memory DuckDB engine with one view per file."""

    engine: DuckDBEngine
    #: view -> the file (or glob) it reads
    paths: dict[str, str]
    #: "view" or "view.column" -> the name in the file, where the view renamed it to a plain ASCII name
    original_names: dict[str, str] = field(default_factory=dict)


def _plain(name: str) -> bool:
    return bool(_PLAIN.fullmatch(name))


def open_files(files: Iterable[FileArg] | Mapping[str, FileArg]) -> FileTables:
    """One DuckDB view per file: a list of paths (views named after the files) or ``{view: path}``.

    Views get plain ASCII table and column names (``销售额`` becomes ``col2``; the original name is
    kept in :attr:`FileTables.original_names` for labels), because ChatBI's SQL guard accepts only
    plain ASCII names unquoted. Raises :class:`~chatbi.errors.ConfigError` for missing files,
    unknown formats or files DuckDB cannot read, naming the file.
    """
    pairs: list[tuple[str, str]] = []
    originals: dict[str, str] = {}
    taken: set[str] = set()
    items = files.items() if isinstance(files, Mapping) else ((None, f) for f in files)
    for i, (name, path) in enumerate(items, 1):
        text = os.fspath(path)
        wanted = identifier(name) if name else table_name_for(text)
        view = unique_name(wanted if _plain(wanted) else f"data{i}", taken)
        if view != wanted:
            originals[view] = name or Path(text).name.split(".")[0]
        taken.add(view)
        pairs.append((view, text))
    if not pairs:
        raise ConfigError("give at least one CSV, Parquet or JSON file")
    conn = duckdb.connect(":memory:")
    read_from: list[str] = []  # what the views read (a UTF-8 copy of a GBK file, not the file): nothing else may be
    try:
        for view, path in pairs:
            _check(path)
            reader = READERS.get(_suffix(path))
            if reader is None:
                known = ", ".join(sorted(READERS))
                raise ConfigError(f"cannot read {path}: unknown file type (known: {known})")
            source = str(Path(path).absolute()) if "*" not in path else path
            label = Path(path).name
            if reader == "read_csv_auto" and "*" not in path and _suffix(path) == Path(path).suffix.lower():
                # encoding found (GBK -> a UTF-8 copy), empty / ragged files refused with their line
                prepared = prepare_csv(path)
                source = str(prepared.path.absolute())
                if prepared.path != prepared.original:
                    label = f"{Path(path).name} (read as {prepared.encoding.upper()})"
            read_from.append(source if "*" not in source else str(Path(source).absolute().parent) + os.sep)
            try:
                columns = [d[0] for d in conn.execute(file_columns_sql(reader, source)).description]
                conn.execute(file_view_sql(view, reader, source, _renamed(view, columns, originals)))
                conn.execute(head_sql(RowSource(view), "duckdb", 1))
            except duckdb.Error as exc:
                raise ConfigError(f"cannot read {label}: {str(exc).splitlines()[0]}") from None
    except BaseException:
        conn.close()
        raise
    # the views read these files and nothing else may be read (the engine locks file access down)
    return FileTables(DuckDBEngine(connection=conn, allowed_paths=read_from), dict(pairs), originals)


def _renamed(view: str, columns: list[str], originals: dict[str, str]) -> list[tuple[str, str]]:
    """The view's columns as (name in the file, name in the view): plain names as they are,
    others renamed to ASCII names (recorded in ``originals``)."""
    out: list[tuple[str, str]] = []
    taken: set[str] = set()
    for i, col in enumerate(columns, 1):
        clean = identifier(col)
        name = unique_name(clean if _plain(clean) else f"col{i}", taken)
        taken.add(name)
        out.append((col, name))
        if name != col and not _plain(clean):
            originals[f"{view}.{name}"] = col
    return out
