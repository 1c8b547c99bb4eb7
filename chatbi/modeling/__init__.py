"""Bring your own data: draft a semantic model from a database or files, import dbt MetricFlow
models, check models for risky or unused parts, and write browsable documentation.

>>> from chatbi.modeling import draft_model, open_files       # doctest: +SKIP
>>> files = open_files(["sales.csv"])                          # doctest: +SKIP
>>> draft = draft_model(files.engine, name="sales", original_names=files.original_names)  # doctest: +SKIP
>>> write_model(draft.model, "model.yaml", draft.notes)       # doctest: +SKIP
"""

from __future__ import annotations

from .checks import model_warnings
from .docs import model_docs_html, model_docs_markdown, write_docs
from .draft import Draft, draft_from_profile, draft_model
from .files import FileTables, open_files
from .introspect import SAMPLE_ROWS, ColumnProfile, DatabaseProfile, TableProfile, profile_engine
from .metricflow import ImportReport, import_metricflow
from .writer import model_to_yaml, write_model

__all__ = [
    "Draft",
    "draft_model",
    "draft_from_profile",
    "open_files",
    "FileTables",
    "profile_engine",
    "SAMPLE_ROWS",
    "ColumnProfile",
    "TableProfile",
    "DatabaseProfile",
    "model_to_yaml",
    "write_model",
    "ImportReport",
    "import_metricflow",
    "model_warnings",
    "model_docs_markdown",
    "model_docs_html",
    "write_docs",
]
