"""The sample telecom warehouse: a deterministic DuckDB file with documented anomalies.

``build_warehouse(path, seed=...)`` writes it; ``STORIES`` describes the planted anomalies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sample_data.telecom._stories import STORIES, Story

if TYPE_CHECKING:
    from sample_data.telecom.generate import DEFAULT_SEED, build_warehouse

__all__ = ["DEFAULT_SEED", "STORIES", "Story", "build_warehouse"]


def __getattr__(name: str) -> Any:
    # Imported lazily so that ``python -m sample_data.telecom.generate`` does not find the
    # module already imported by its own package (runpy warns about that), and so that
    # importing the package for STORIES does not pull in DuckDB and pandas.
    if name in ("build_warehouse", "DEFAULT_SEED"):
        from sample_data.telecom import generate

        return getattr(generate, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
