"""``ChatBI.from_files`` / ``ChatBI.from_database``: a ready ChatBI over data nobody modelled yet.

The model is drafted in memory (:func:`~chatbi.modeling.draft.draft_model`) unless one is
given, e.g. a draft the user refined and saved.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..warehouse import Engine, connect
from .draft import draft_model
from .files import open_files
from .naming import identifier

if TYPE_CHECKING:
    from ..api import ChatBI

__all__ = ["chatbi_from_files", "chatbi_from_database", "database_name"]

ModelArg = Any  # SemanticModel | path | mapping, as ChatBI accepts


def _flatten(files: Sequence[Any]) -> Iterable[Any] | Mapping[str, Any]:
    if len(files) == 1 and isinstance(files[0], Mapping):
        return files[0]
    out: list[Any] = []
    for f in files:
        out.extend(f if isinstance(f, (list, tuple)) else [f])
    return out


def chatbi_from_files(cls: type[ChatBI], files: Sequence[Any], *, model: ModelArg = None, name: str | None = None,
                      **kwargs: Any) -> ChatBI:
    opened = open_files(_flatten(files))  # type: ignore[arg-type]
    engine = opened.engine
    try:
        if model is None:
            source = ", ".join(Path(p).name for p in opened.paths.values())
            model = draft_model(engine, name=name or next(iter(opened.paths)), source=source,
                                original_names=opened.original_names).model
        return cls(model, engine, **kwargs)
    except BaseException:
        engine.close()
        raise


def database_name(database: str | os.PathLike[str] | Engine) -> str:
    """A model name for a database: the file's stem or the URL's database name."""
    if isinstance(database, (str, os.PathLike)):
        text = os.fspath(database)
        if "://" in text:
            tail = text.rsplit("/", 1)[-1].split("?", 1)[0]
            return identifier(Path(tail).stem or "warehouse")
        return identifier(Path(text).stem or "warehouse")
    return "warehouse"


def chatbi_from_database(cls: type[ChatBI], database: str | os.PathLike[str] | Engine, *,
                         tables: Sequence[str] | None = None, model: ModelArg = None, name: str | None = None,
                         **kwargs: Any) -> ChatBI:
    engine = connect(database)
    try:
        if model is None:
            source = database_name(database) if not isinstance(database, (str, os.PathLike)) else \
                (getattr(engine, "safe_url", None) or Path(os.fspath(database)).name)
            model = draft_model(engine, tables, name=name or database_name(database), source=str(source)).model
        return cls(model, engine, **kwargs)
    except BaseException:
        if engine is not database:
            engine.close()
        raise
