"""Write a DuckDB file so readers never see a half-built warehouse."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["replace_duckdb_file"]


def replace_duckdb_file(target: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` to build a DuckDB file beside ``target``, then move it into place."""
    handle, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    tmp = Path(tmp_name)
    tmp.unlink()  # DuckDB wants to create the file itself; we only reserved a unique name.
    try:
        write(tmp)
        # A WAL left by an earlier writer of the target would be replayed onto the new file.
        with contextlib.suppress(FileNotFoundError):
            Path(f"{target}.wal").unlink()
        os.replace(tmp, target)
    finally:
        for leftover in (tmp, Path(f"{tmp}.wal")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
    return target
