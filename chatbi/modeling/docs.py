"""``chatbi model docs``: a browsable description of a semantic model, as Markdown and one HTML file.

Both renderings come from one list of blocks (headings, paragraphs, tables, nested lists), so
they always say the same: every metric with its definition, labels and synonyms; dimensions
and their members; hierarchies; metric trees; tables and joins; example questions.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from pathlib import Path

from semantic_layer import SemanticModel
from semantic_layer.spec import (
    DerivedMetricSpec,
    MetricSpec,
    RatioMetricSpec,
    SemiAdditiveMetricSpec,
    SimpleMetricSpec,
)

__all__ = ["model_docs_markdown", "model_docs_html", "write_docs", "metric_definition", "example_questions"]


@dataclass(frozen=True)
class _Block:
    kind: str  # "h2" | "p" | "table" | "list"
    text: str = ""
    anchor: str = ""
    headers: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    items: tuple[tuple[int, str], ...] = field(default=())  # (depth, text)


def metric_definition(model: SemanticModel, name: str) -> str:
    """How a metric is computed, in one line (``SUM(fact_daily.revenue)``, ``revenue / subscribers``)."""
    m: MetricSpec = model.metrics[name]
    if isinstance(m, (SimpleMetricSpec, SemiAdditiveMetricSpec)):
        arg = "*" if m.column == "*" else f"{m.table}.{m.column}"
        agg = "COUNT(DISTINCT " if isinstance(m, SimpleMetricSpec) and m.agg == "count_distinct" else f"{m.agg.upper()}("
        text = f"{agg}{arg})"
        if m.column == "*":
            text += f" rows of {m.table}"
        if isinstance(m, SemiAdditiveMetricSpec):
            text += f", {m.time_agg} value of each period"
        for f in m.filters:
            text += f" where {f.dimension} {'in' if f.op == 'in' else 'not in'} ({', '.join(map(str, f.values))})"
        return text
    if isinstance(m, RatioMetricSpec):
        text = f"{m.numerator} / {m.denominator}"
        return f"({text}) × {m.scale:g}" if m.scale != 1 else text
    assert isinstance(m, DerivedMetricSpec)
    return m.formula


def _labels(obj: object) -> str:
    label = getattr(obj, "label", {}) or {}
    return " / ".join(dict.fromkeys(v for v in (label.get("en"), label.get("zh"), *label.values()) if v))


def example_questions(model: SemanticModel, n: int = 6) -> list[str]:
    """The model's examples, then questions built from its metrics and dimensions (both languages)."""
    out = list(model.spec.examples)
    metrics = list(model.visible_metrics)[:n]
    dims = [d for d, spec in model.dimensions.items() if spec.type == "categorical"]
    for i, name in enumerate(metrics):
        reach = [d for d in dims if all(model.reachable(t, d) for t in model.metric_tables(name))]
        dim = reach[i % len(reach)] if reach else None
        en, zh = model.label(name, "en"), model.label(name, "zh")
        if dim:
            out.append(f"{en} by {model.label(dim, 'en').lower()} last month")
            if zh != en or model.spec.default_language == "zh":
                out.append(f"上个月各{model.label(dim, 'zh')}的{zh}")
        else:
            out.append(f"monthly {en.lower()} this year")
    return list(dict.fromkeys(out))


def _blocks(model: SemanticModel) -> list[_Block]:
    spec = model.spec
    b: list[_Block] = []
    if spec.description:
        b.append(_Block("p", spec.description))
    b.append(_Block("p", f"{len(model.visible_metrics)} metrics, {len(spec.dimensions)} dimensions, "
                         f"{len(spec.hierarchies)} hierarchies, {len(spec.metric_trees)} metric trees, "
                         f"{len(spec.tables)} tables. Default language: {spec.default_language}; "
                         f"time dimension: {spec.time_dimension}; time anchor: {spec.time_anchor}."))
    b.append(_Block("h2", "Metrics", "metrics"))
    rows = []
    for name, m in spec.metrics.items():
        unit = " ".join(x for x in (m.unit, m.format if m.format != "number" else "") if x)
        rows.append((name + (" (hidden)" if m.hidden else ""), _labels(m), metric_definition(model, name), unit,
                     ", ".join(m.synonyms), m.description))
    b.append(_Block("table", headers=("Metric", "Label", "Definition", "Unit", "Synonyms", "Description"),
                    rows=tuple(rows)))
    b.append(_Block("h2", "Dimensions", "dimensions"))
    rows = []
    for name, d in spec.dimensions.items():
        if d.type == "time":
            source = f"time: {', '.join(d.grains)}" + (f" ({d.table}.{d.column})" if d.table else " (each fact's time column)")
        else:
            source = f"{d.table}.{d.column or name}" + (f" (English: {d.label_column})" if d.label_column else "")
        members = "; ".join(f"{v}" + (f" ({', '.join(s)})" if s else "") for v, s in list(d.members.items())[:12])
        if len(d.members) > 12:
            members += f"; … {len(d.members) - 12} more"
        rows.append((name, _labels(d), source, members, ", ".join(d.synonyms)))
    b.append(_Block("table", headers=("Dimension", "Label", "Source", "Members (synonyms)", "Synonyms"), rows=tuple(rows)))
    b.append(_Block("h2", "Hierarchies", "hierarchies"))
    if spec.hierarchies:
        b.append(_Block("table", headers=("Hierarchy", "Label", "Levels (coarsest first)"),
                        rows=tuple((n, _labels(h), " > ".join(h.levels)) for n, h in spec.hierarchies.items())))
    else:
        b.append(_Block("p", "None."))
    b.append(_Block("h2", "Metric trees", "metric-trees"))
    if spec.metric_trees:
        items: list[tuple[int, str]] = []
        by_metric = {t.metric: t for t in spec.metric_trees.values()}
        for tname, tree in spec.metric_trees.items():
            items.append((0, f"{tname}: {tree.metric} = {_op_text(tree.op, tree.children)}"
                             + (f" — {tree.description}" if tree.description else "")))
            _tree_items(model, by_metric, tree.children, 1, items, {tree.metric})
        b.append(_Block("list", items=tuple(items)))
    else:
        b.append(_Block("p", "None."))
    b.append(_Block("h2", "Example questions", "examples"))
    b.append(_Block("list", items=tuple((0, q) for q in example_questions(model))))
    b.append(_Block("h2", "Tables", "tables"))
    b.append(_Block("table", headers=("Table", "Description", "Time column", "Primary key", "Columns"),
                    rows=tuple((n, t.description, t.time_column or "", ", ".join(t.primary_key),
                                ", ".join(f"{c} {ty}" for c, ty in t.columns.items())) for n, t in spec.tables.items())))
    if spec.joins:
        b.append(_Block("h2", "Joins", "joins"))
        b.append(_Block("table", headers=("Left", "Right", "On", "Relationship"),
                        rows=tuple((j.left, j.right, ", ".join(f"{j.left}.{a} = {j.right}.{c}" for a, c in j.keys.items()),
                                    j.relationship) for j in spec.joins)))
    return b


_OPS = {"sum": " + ", "difference": " − ", "product": " × ", "ratio": " / "}


def _op_text(op: str, children: tuple[str, ...]) -> str:
    return _OPS[op].join(children)


def _tree_items(model: SemanticModel, by_metric: dict, children: tuple[str, ...], depth: int,
                items: list[tuple[int, str]], seen: set[str]) -> None:
    for child in children:
        sub = by_metric.get(child)
        text = f"{child} ({model.label(child, 'en')}"
        zh = model.label(child, "zh")
        text += f" / {zh})" if zh != model.label(child, "en") else ")"
        if sub is not None and child not in seen:
            items.append((depth, f"{text} = {_op_text(sub.op, sub.children)}"))
            _tree_items(model, by_metric, sub.children, depth + 1, items, seen | {child})
        else:
            items.append((depth, f"{text}: {metric_definition(model, child)}"))


def _title(model: SemanticModel) -> str:
    label = _labels(model.spec)
    return f"{label} ({model.name})" if label else model.name


# -- Markdown ----------------------------------------------------------------------------
def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def model_docs_markdown(model: SemanticModel) -> str:
    lines = [f"# {_title(model)}", ""]
    for block in _blocks(model):
        if block.kind == "h2":
            lines += [f"## {block.text}", ""]
        elif block.kind == "p":
            lines += [block.text, ""]
        elif block.kind == "table":
            lines.append("| " + " | ".join(block.headers) + " |")
            lines.append("|" + "---|" * len(block.headers))
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in block.rows]
            lines.append("")
        elif block.kind == "list":
            lines += [f"{'  ' * depth}- {text}" for depth, text in block.items]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


# -- HTML --------------------------------------------------------------------------------
_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;margin:0;color:#1f2328}
nav{position:sticky;top:0;background:#f6f8fa;border-bottom:1px solid #d0d7de;padding:.6em 2em;display:flex;gap:1.2em;
align-items:center;flex-wrap:wrap}nav a{color:#0969da;text-decoration:none}main{padding:0 2em 3em;max-width:1400px}
table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em;font-size:.92em}th,td{border:1px solid #d0d7de;
padding:.35em .6em;text-align:left;vertical-align:top}th{background:#f6f8fa}tr:nth-child(even) td{background:#fbfcfd}
code{background:#eff1f3;padding:0 .3em;border-radius:4px}input{padding:.3em .5em;min-width:16em}
""".strip()
_JS = """
document.getElementById('filter').addEventListener('input',function(e){var q=e.target.value.toLowerCase();
document.querySelectorAll('tbody tr, main li').forEach(function(r){r.style.display=
r.textContent.toLowerCase().indexOf(q)>=0?'':'none';});});
""".strip()


def model_docs_html(model: SemanticModel) -> str:
    e = html.escape
    title = _title(model)
    blocks = _blocks(model)
    nav = "".join(f'<a href="#{b.anchor}">{e(b.text)}</a>' for b in blocks if b.kind == "h2")
    body: list[str] = [f"<h1>{e(title)}</h1>"]
    for block in blocks:
        if block.kind == "h2":
            body.append(f'<h2 id="{block.anchor}">{e(block.text)}</h2>')
        elif block.kind == "p":
            body.append(f"<p>{e(block.text)}</p>")
        elif block.kind == "table":
            head = "".join(f"<th>{e(h)}</th>" for h in block.headers)
            rows = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in block.rows)
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        elif block.kind == "list":
            body.append(_html_list(list(block.items)))
    return (f'<!DOCTYPE html>\n<html lang="{e(model.spec.default_language)}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1"><title>{e(title)}</title>'
            f"<style>{_CSS}</style></head><body><nav><strong>{e(model.name)}</strong>{nav}"
            f'<input id="filter" type="search" placeholder="filter / 筛选"></nav><main>{"".join(body)}</main>'
            f"<script>{_JS}</script></body></html>\n")


def _html_list(items: list[tuple[int, str]]) -> str:
    out, depth = ["<ul>"], 0
    for i, (d, text) in enumerate(items):
        while depth < d:
            out.append("<ul>")
            depth += 1
        while depth > d:
            out.append("</ul></li>")
            depth -= 1
        nxt = items[i + 1][0] if i + 1 < len(items) else 0
        out.append(f"<li>{html.escape(text)}" + ("" if nxt > d else "</li>"))
    while depth > 0:
        out.append("</ul></li>")
        depth -= 1
    out.append("</ul>")
    return "".join(out)


def write_docs(model: SemanticModel, out_dir: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write ``<name>.md`` and ``<name>.html`` into ``out_dir``; return both paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    md, page = out / f"{model.name}.md", out / f"{model.name}.html"
    md.write_text(model_docs_markdown(model), encoding="utf-8")
    page.write_text(model_docs_html(model), encoding="utf-8")
    return md, page
