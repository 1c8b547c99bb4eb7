"""A metro operator's warehouse (lines, stations, ridership, train operations, fares, incidents):
the round's blind set for a model as drafted from a warehouse ChatBI had never seen.

``build_warehouse(path)`` writes the DuckDB file; ``DRAFTED_MODEL`` is what ``chatbi model draft``
wrote from it, unedited; ``QUESTIONS`` the bilingual question set (see its header).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

__all__ = ["METRO_DIR", "DRAFTED_MODEL", "QUESTIONS", "build_warehouse", "warehouse_path"]

METRO_DIR = Path(__file__).parent
DRAFTED_MODEL = METRO_DIR / "model.drafted.yaml"
QUESTIONS = METRO_DIR / "questions.yaml"


def build_warehouse(path: str | os.PathLike[str]) -> Path:
    from sample_data.metro import generate

    generate.build(Path(path))
    return Path(path)


def warehouse_path(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The cached metro warehouse, built on first use (keyed by the generator's source)."""
    from sample_data.metro import generate

    root = Path(cache_dir or os.environ.get("CHATBI_CACHE_DIR") or Path.home() / ".cache" / "chatbi")
    digest = hashlib.sha256(Path(generate.__file__).read_bytes()).hexdigest()[:10]
    path = root / f"metro-{digest}.duckdb"
    if not path.exists():
        root.mkdir(parents=True, exist_ok=True)
        build_warehouse(path)
    return path
