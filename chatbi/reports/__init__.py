"""Illustrated business reports (图文报表): specs in YAML, built from the semantic layer, rendered to
HTML (charts inline), PDF (the system's Chromium) and email, on demand or on a schedule.

>>> from chatbi import ChatBI                                    # doctest: +SKIP
>>> bi = ChatBI.sample()                                         # doctest: +SKIP
>>> report = bi.report(None, period="2025-11")                   # the model's default report  # doctest: +SKIP
>>> report.save("review.html"); report.save("review.pdf")        # doctest: +SKIP
>>> bi.report("monthly_review", period="2025-11", language="en")  # a spec beside the model  # doctest: +SKIP

Every number comes from SQL compiled by the semantic layer (listed in the report's appendix);
a ``ChatBI.for_user`` view builds the report that user may see.
"""

from __future__ import annotations

from .build import as_of, available_specs, build_report, resolve_spec
from .defaults import default_spec, headline_metrics
from .errors import RenderError, ReportError, SpecError, SpecProblem
from .loader import check_spec, find_specs, load_spec, spec_from_dict, specs_dir
from .result import AnomalyItem, KpiRow, Mover, Report, Section, SQLEntry
from .spec import ReportSpec

__all__ = [
    "build_report", "resolve_spec", "available_specs", "as_of",
    "default_spec", "headline_metrics",
    "ReportError", "SpecError", "SpecProblem", "RenderError",
    "load_spec", "spec_from_dict", "check_spec", "find_specs", "specs_dir",
    "Report", "Section", "SQLEntry", "KpiRow", "Mover", "AnomalyItem", "ReportSpec",
]
