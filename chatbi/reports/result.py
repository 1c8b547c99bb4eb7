"""What a built report is: sections of render blocks, the structured results behind them, the SQL.

A :class:`Report` is built once (``chatbi.reports.build``) and then rendered many ways (HTML,
PDF, email, the app) without touching the warehouse again. Blocks hold display strings that the
formatting layer made from the structured ``items`` (KPI rows, movers, anomalies, root-cause
reports, answers); ``sql`` ids point into :attr:`Report.sql`, the appendix.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from .period import Period

__all__ = ["Tone", "SQLEntry", "Text", "Bullets", "Tiles", "Tile", "Chart", "Table", "Block", "Section", "Report",
           "KpiRow", "Delta", "Mover", "AnomalyItem"]

Tone = Literal["good", "bad", "neutral"]


@dataclass(frozen=True)
class SQLEntry:
    """One statement that produced numbers of the report (numbered from 1 in the appendix)."""

    id: int
    purpose: str
    sql: str


# -- render blocks ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Text:
    text: str
    style: Literal["lead", "body", "note", "warning", "question"] = "body"
    sql: tuple[int, ...] = ()


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]
    sql: tuple[int, ...] = ()


@dataclass(frozen=True)
class Delta:
    """A change shown under a KPI value: ``环比 -3.2%`` coloured by whether it is good news."""

    label: str
    text: str
    tone: Tone = "neutral"


@dataclass(frozen=True)
class Tile:
    label: str
    value: str
    deltas: tuple[Delta, ...] = ()
    sql: tuple[int, ...] = ()


@dataclass(frozen=True)
class Tiles:
    tiles: tuple[Tile, ...]


@dataclass(frozen=True, eq=False)
class Chart:
    """A Plotly figure; ``key`` is unique in the report (HTML element id, email Content-ID)."""

    key: str
    figure: Any
    caption: str = ""
    sql: tuple[int, ...] = ()
    height: int = 340


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    #: per column: "l" or "r"
    align: tuple[str, ...] = ()
    #: per row, per cell: a tone for coloured change cells ("" for none)
    tones: tuple[tuple[str, ...], ...] = ()
    sql: tuple[int, ...] = ()


Block = Text | Bullets | Tiles | Chart | Table


# -- structured results ---------------------------------------------------------------------------
@dataclass(frozen=True)
class KpiRow:
    metric: str
    label: str
    value: float | None
    #: compare kind -> (comparison value, change, relative change)
    comparisons: dict[str, tuple[float | None, float | None, float | None]] = field(default_factory=dict)
    format: str = "number"
    unit: str = ""
    favorable: str = "up"
    sql: tuple[int, ...] = ()


@dataclass(frozen=True)
class Mover:
    dimension: str
    member: str
    label: str
    value: float | None
    previous: float | None
    change: float | None
    change_pct: float | None


@dataclass(frozen=True)
class AnomalyItem:
    """An abnormal value of ``metric`` for ``members`` in the bucket starting ``bucket``."""

    metric: str
    metric_label: str
    members: tuple[tuple[str, str], ...]
    label: str
    bucket: dt.date
    bucket_label: str
    actual: float
    expected: float
    deviation: float
    severity: float
    in_period: bool
    #: how many members share this bucket's anomaly (a broad move is one item, not many)
    breadth: int = 1
    #: the combination of members that drives it (``代理商``, ``厂商B × n78``), when explained
    driver: str = ""
    driver_members: tuple[tuple[str, str], ...] = ()
    driver_deviation: float | None = None
    text: str = ""


@dataclass(frozen=True, eq=False)
class Section:
    kind: str
    key: str
    title: str
    blocks: tuple[Block, ...] = ()
    #: the structured results the blocks were made from (KpiRow, Mover, AnomalyItem, RootCauseReport, Answer)
    items: tuple[Any, ...] = ()
    sql: tuple[int, ...] = ()
    #: the one-line findings this section adds to the report's summary
    highlights: tuple[str, ...] = ()
    error: str | None = None

    def charts(self) -> list[Chart]:
        return [b for b in self.blocks if isinstance(b, Chart)]


@dataclass(frozen=True, eq=False)
class Report:
    name: str
    title: str
    subtitle: str
    language: str
    unit: str
    period: Period
    period_label: str
    sections: tuple[Section, ...]
    sql: tuple[SQLEntry, ...]
    summary: tuple[str, ...]
    generated: dt.datetime
    model_name: str
    model_label: str
    #: whose view it was built with (None: unrestricted)
    user: str | None = None
    restricted: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    #: the member filters the report is about (``bi.report(scope=...)``) and their names
    scope: tuple[Any, ...] = ()
    scope_label: str | None = None
    #: the highlights worded as one paragraph by a language model (``.polish``), its numbers checked
    overview: str | None = None

    # -- structured access --------------------------------------------------------------------
    def section(self, kind: str) -> Section:
        """The first section of ``kind`` (KeyError naming the kinds present)."""
        for s in self.sections:
            if s.kind == kind:
                return s
        raise KeyError(f"no {kind!r} section; this report has {[s.kind for s in self.sections]}")

    def items(self, kind: type) -> list[Any]:
        """Every structured result of a type across sections (``report.items(AnomalyItem)``)."""
        return [i for s in self.sections for i in s.items if isinstance(i, kind)]

    def kpis(self) -> pd.DataFrame:
        """The KPI rows as a frame: metric, value, then previous / change / change_pct per comparison."""
        rows = []
        for row in self.items(KpiRow):
            out: dict[str, Any] = {"metric": row.metric, "label": row.label, "value": row.value}
            for kind, (prev, change, pct) in row.comparisons.items():
                out.update({f"{kind}": prev, f"{kind}__change": change, f"{kind}__change_pct": pct})
            rows.append(out)
        return pd.DataFrame(rows)

    def text(self) -> str:
        """The report as plain text: title, summary, then each section's paragraphs and bullets."""
        lines = [self.title, self.subtitle, ""]
        if self.overview:
            lines += [self.overview, ""]
        lines += [f"- {s}" for s in self.summary]
        for section in self.sections:
            lines += ["", section.title]
            for block in section.blocks:
                if isinstance(block, Text):
                    lines.append(block.text)
                elif isinstance(block, Bullets):
                    lines += [f"- {b}" for b in block.items]
                elif isinstance(block, Tiles):
                    lines += [f"- {t.label}: {t.value}" + "".join(f"; {d.label} {d.text}" for d in t.deltas)
                              for t in block.tiles]
        return "\n".join(lines)

    # -- outputs ------------------------------------------------------------------------------
    def to_html(self, *, plotlyjs: str = "inline") -> str:
        """A self-contained HTML page (charts inline; ``plotlyjs`` = "inline" or a script URL)."""
        from .html import render_html

        return render_html(self, plotlyjs=plotlyjs)

    def to_pdf(self) -> bytes:
        """The report printed by the system's Chromium (A4; charts a little smaller than on screen)."""
        from .html import render_html
        from .pdf import html_to_pdf

        return html_to_pdf(render_html(self, chart_scale=0.85))

    def save(self, path: Any) -> Any:
        """Write ``.html`` or ``.pdf`` (by the suffix); returns the path."""
        from .pdf import save_report

        return save_report(self, path)
