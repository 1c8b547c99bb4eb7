"""The oil-field production sample: a second domain proving ChatBI is not telecom-specific.

``build_warehouse(path)`` writes the DuckDB warehouse; ``MODEL`` is the hand-refined model,
``DRAFTED_MODEL`` what ``chatbi model draft`` produced from the warehouse before refinement,
``QUESTIONS`` the bilingual question set for ``chatbi eval``.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

__all__ = ["OILFIELD_DIR", "MODEL", "DRAFTED_MODEL", "QUESTIONS", "build_warehouse", "warehouse_path"]

OILFIELD_DIR = Path(__file__).parent
MODEL = OILFIELD_DIR / "model.yaml"
DRAFTED_MODEL = OILFIELD_DIR / "model.drafted.yaml"
QUESTIONS = OILFIELD_DIR / "questions.yaml"


def __getattr__(name: str) -> Any:
    # lazy, so `python -m sample_data.oilfield.generate` does not import its own module twice
    if name in ("build_warehouse", "DEFAULT_SEED"):
        from sample_data.oilfield import generate

        return getattr(generate, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def warehouse_path(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The cached oil-field warehouse, built on first use (keyed by the generator's source)."""
    from sample_data.oilfield import generate

    root = Path(cache_dir or os.environ.get("CHATBI_CACHE_DIR") or Path.home() / ".cache" / "chatbi")
    digest = hashlib.sha256(Path(generate.__file__).read_bytes()).hexdigest()[:10]
    path = root / f"oilfield-{digest}.duckdb"
    if not path.exists():
        root.mkdir(parents=True, exist_ok=True)
        generate.build_warehouse(path)
    return path
