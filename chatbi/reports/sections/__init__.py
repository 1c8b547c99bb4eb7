"""Section builders: one module per section type, each ``build(ctx, spec) -> Section``.

A section that fails (an unreachable warehouse, a metric a user may not see) becomes a section
with a one-line warning; the rest of the report is still built.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ...errors import ChatBIError
from ..context import Context
from ..result import Section, Text
from ..spec import SectionSpec, text_in
from . import anomalies, breakdown, kpis, question, rootcause, trend

__all__ = ["build_section"]

log = logging.getLogger("chatbi.reports")

_BUILDERS: dict[str, Callable[[Context, Any], Section]] = {
    "kpis": kpis.build, "trend": trend.build, "breakdown": breakdown.build, "anomalies": anomalies.build,
    "root_cause": rootcause.build, "question": question.build,
}


def build_section(ctx: Context, spec: SectionSpec) -> Section:
    try:
        return _BUILDERS[spec.type](ctx, spec)
    except (ChatBIError, ValueError, KeyError, PermissionError) as exc:
        # an expected failure (bad data, access, a metric with no data): say why, keep the report
        reason = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
        log.info("report section %s failed: %s", spec.type, reason)
        return _failed(ctx, spec, reason)
    except Exception as exc:
        log.exception("report section %s failed", spec.type)
        return _failed(ctx, spec, type(exc).__name__)


def _failed(ctx: Context, spec: SectionSpec, reason: str) -> Section:
    title = text_in(spec.title, ctx.language) or ctx.say(f"section.{spec.type}")
    return Section(spec.type, ctx.key(spec.type), title, (Text(ctx.say("failed", reason=reason), "warning"),),
                   error=reason)
