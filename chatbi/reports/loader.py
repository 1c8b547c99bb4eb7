"""Reading report specs: YAML -> :class:`ReportSpec`, checked against the semantic model.

Every problem is reported at once with the file, the line, the YAML path and a suggestion::

    monthly_review.yaml: line 12: sections[1].metrics[0]: unknown metric 'revnue' Did you mean 'revenue'?

Specs live beside the model: ``<directory of model.yaml>/reports/*.yaml`` (:func:`find_specs`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ValidationError

from semantic_layer import SemanticModel, SemanticQuery, validate_query
from semantic_layer.errors import suggest

from ..alerts.yamlio import LineIndex
from .errors import SpecError, SpecProblem
from .spec import (
    AnomaliesSpec,
    BreakdownSpec,
    DeliverySpec,
    KpiSpec,
    QuestionSpec,
    ReportSpec,
    RootCauseSpec,
    SectionSpec,
    TrendSpec,
)

__all__ = ["load_spec", "spec_from_dict", "check_spec", "find_specs", "specs_dir"]

Add = Callable[..., None]
_SECTION_TYPES: dict[str, type[BaseModel]] = {
    "kpis": KpiSpec, "trend": TrendSpec, "breakdown": BreakdownSpec, "anomalies": AnomaliesSpec,
    "root_cause": RootCauseSpec, "question": QuestionSpec}
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


def specs_dir(model: SemanticModel) -> Path | None:
    """Where the model's report specs live: ``reports/`` beside the model file (None for in-memory models)."""
    if not model.source:
        return None
    path = Path(model.source)
    return path.parent / "reports" if path.suffix in (".yaml", ".yml") else None


def find_specs(model: SemanticModel, members: Mapping[str, frozenset[str]] | None = None) -> dict[str, ReportSpec]:
    """Every spec beside the model, by name (sorted by file name); an invalid file raises ``SpecError``."""
    root = specs_dir(model)
    if root is None or not root.is_dir():
        return {}
    found: dict[str, ReportSpec] = {}
    for path in sorted([*root.glob("*.yaml"), *root.glob("*.yml")]):
        spec = load_spec(path, model, members)
        if spec.name in found:
            raise SpecError([SpecProblem("name", f"another spec in {root.name}/ is also called {spec.name!r}")],
                            source=str(path))
        found[spec.name] = spec
    return found


def load_spec(path: str | os.PathLike[str], model: SemanticModel | None = None,
              members: Mapping[str, frozenset[str]] | None = None) -> ReportSpec:
    """Read one spec file; raise :class:`SpecError` listing every problem (file, line, path, suggestion)."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError([SpecProblem("", f"cannot read the report spec ({exc.strerror})")], source=source) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = f"not valid YAML: {getattr(exc, 'problem', None) or exc}"
        raise SpecError([SpecProblem("", problem, line=mark.line + 1 if mark else None)], source=source) from None
    return spec_from_dict(data, model, members, source=source, text=text)


def spec_from_dict(data: Any, model: SemanticModel | None = None,
                   members: Mapping[str, frozenset[str]] | None = None, *, source: str | None = None,
                   text: str | None = None) -> ReportSpec:
    """Check a parsed spec (shape, then names against ``model`` when given)."""
    lines = LineIndex(text)
    problems: list[SpecProblem] = []

    def add(path: str, message: str, candidates: Iterable[str] = ()) -> None:
        problems.append(SpecProblem(path, message, tuple(candidates), lines.line(path)))

    if not isinstance(data, Mapping):
        raise SpecError([SpecProblem("", "a report spec is a mapping with 'name', 'title' and 'sections'")],
                        source=source)
    try:
        spec = ReportSpec.model_validate(data)
    except ValidationError as exc:
        for path, message, candidates in _explain(exc, data):
            add(path, message, candidates)
        raise SpecError(problems, source=source) from None
    if model is not None:
        check_spec(spec, model, members, add)
    if problems:
        raise SpecError(problems, source=source)
    return spec


def check_spec(spec: ReportSpec, model: SemanticModel, members: Mapping[str, frozenset[str]] | None = None,
               add: Add | None = None) -> list[SpecProblem]:
    """Names in ``spec`` against ``model``: metrics, dimensions, filters, grains, schedules.

    Problems go to ``add(path, message, candidates)`` when given; they are also returned.
    """
    found: list[SpecProblem] = []

    def report(path: str, message: str, candidates: Iterable[str] = ()) -> None:
        found.append(SpecProblem(path, message, tuple(candidates)))
        if add is not None:
            add(path, message, candidates)

    if spec.model is not None and spec.model != model.name:
        report("model", f"the spec is written for the model {spec.model!r}, not {model.name!r}")
    grains = model.dimension(model.time_dimension).grains if model.time_dimension else ()
    if spec.period not in grains:
        report("period", f"the time dimension has no {spec.period!r} grain", grains)
    for i, section in enumerate(spec.sections):
        _check_section(f"sections[{i}]", section, model, members, grains, report)
    for i, delivery in enumerate(spec.schedules):
        _check_delivery(f"schedules[{i}]", delivery, report)
        for j, f in enumerate(delivery.scope):
            _check_scope(f"schedules[{i}].scope[{j}]", f, model, members, report)
    ids = [d.id for d in spec.schedules]
    for i, d in enumerate(spec.schedules):
        if ids.index(d.id) != i:
            report(f"schedules[{i}].id", f"another schedule is also called {d.id!r}")
    return found


def _check_section(where: str, section: SectionSpec, model: SemanticModel,
                   members: Mapping[str, frozenset[str]] | None, grains: Iterable[str], report: Add) -> None:
    metrics: tuple[str, ...] = ()
    dims: tuple[str, ...] = ()
    if isinstance(section, (KpiSpec, TrendSpec, AnomaliesSpec, RootCauseSpec)):
        metrics = section.metrics
    if isinstance(section, BreakdownSpec):
        metrics, dims = (section.metric,), (section.by,)
    if isinstance(section, (TrendSpec, AnomaliesSpec)) and section.by:
        dims = (section.by,)
    if isinstance(section, RootCauseSpec):
        dims = section.dimensions or ()
        if not section.metrics and not section.largest:
            report(where, "a root_cause section needs metrics, largest (the N largest moves), or both")
    if isinstance(section, (TrendSpec, AnomaliesSpec)) and section.grain and section.grain not in grains:
        report(f"{where}.grain", f"the time dimension has no {section.grain!r} grain", grains)
    for d_i, dim in enumerate(dims):
        spec = model.dimensions.get(dim)
        if spec is not None and spec.type == "time":
            report(f"{where}.{_dim_field(section, d_i)}", f"{dim!r} is the time dimension; use a categorical one")
            return
    # one query per metric shows which field a problem is in; dimensions are checked with each metric
    for m_i, metric in enumerate(metrics):
        query = SemanticQuery(metrics=(metric,), dimensions=dims, filters=section.filters)
        for issue in validate_query(model, query, members):
            report(_issue_path(where, section, m_i, issue.field), issue.message, issue.candidates)
            if issue.field.startswith("dimensions") or issue.field.startswith("filters"):
                return  # the same problem would repeat for every metric


def _dim_field(section: SectionSpec, index: int) -> str:
    return f"dimensions[{index}]" if isinstance(section, RootCauseSpec) else "by"


def _issue_path(where: str, section: SectionSpec, metric_index: int, field: str) -> str:
    if field.startswith("metrics"):
        return f"{where}.metric" if isinstance(section, BreakdownSpec) else f"{where}.metrics[{metric_index}]"
    if field.startswith("dimensions"):
        m = re.match(r"dimensions\[(\d+)\]", field)
        return f"{where}.{_dim_field(section, int(m[1]) if m else 0)}"
    return f"{where}.{field}" if field else where


def _check_scope(where: str, scope: Any, model: SemanticModel, members: Mapping[str, frozenset[str]] | None,
                 report: Add) -> None:
    dim = model.dimensions.get(scope.dimension)
    if dim is None or dim.type == "time":
        choices = [d for d, s in model.dimensions.items() if s.type != "time"]
        report(f"{where}.dimension", f"no dimension {scope.dimension!r} to scope a report by",
               suggest(scope.dimension, choices))
        return
    known = (members or {}).get(scope.dimension)
    for v in scope.values:
        if known and str(v) not in known:
            report(f"{where}.values", f"no {scope.dimension} called {v!r}", suggest(str(v), sorted(known)))


def _check_delivery(where: str, delivery: DeliverySpec, report: Add) -> None:
    from ..alerts.schedule import check_cron, check_timezone  # cron and zones are read as alert rules read them

    problem = check_cron(delivery.cron)
    if problem:
        report(f"{where}.cron", problem)
    zone = check_timezone(delivery.timezone)
    if zone:
        report(f"{where}.timezone", *zone)
    for i, address in enumerate(delivery.recipients):
        if not _EMAIL.match(address.strip()):
            report(f"{where}.recipients[{i}]", f"{address!r} is not an email address")


# -- pydantic errors in the spec's words --------------------------------------------------------
def _explain(exc: ValidationError, data: Mapping[str, Any]) -> list[tuple[str, str, tuple[str, ...]]]:
    out: list[tuple[str, str, tuple[str, ...]]] = []
    for err in exc.errors():
        loc = [p for p in err["loc"] if not _is_branch(p)]
        path = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[")
        kind = err["type"]
        candidates: tuple[str, ...] = ()
        if kind == "extra_forbidden":
            message = "unknown field"
            candidates = suggest(str(loc[-1]), _fields_at(loc[:-1], data), n=1, cutoff=0.5)
        elif kind == "missing":
            message = "required field is missing"
        elif kind in {"union_tag_invalid", "union_tag_not_found"}:
            given = err.get("ctx", {}).get("tag")
            path += ".type"
            options = tuple(_SECTION_TYPES)
            message = (f"{given!r} is not a section type; use one of {', '.join(options)}" if given is not None
                       else f"required field is missing (one of {', '.join(options)})")
            candidates = suggest(str(given), options, n=1, cutoff=0.4) if given is not None else ()
        elif kind == "literal_error":
            given = err.get("input")
            expected = str(err.get("ctx", {}).get("expected", ""))
            options = tuple(o.strip(" '") for o in expected.replace(" or ", ",").split(",") if o.strip(" '"))
            message = f"{given!r} is not one of {', '.join(options)}"
            candidates = suggest(str(given), options, n=1, cutoff=0.4)
        else:
            message = err.get("msg", "invalid value")
        out.append((path, message, candidates))
    # a misspelt required field shows up twice: "metric missing" and "metrik unknown"
    suggested = {p.rsplit(".", 1)[0] + "." + c[0] for p, m, c in out if m == "unknown field" and c}
    return [o for o in out if not (o[1] == "required field is missing" and o[0] in suggested)]


def _is_branch(part: Any) -> bool:
    """pydantic's union-branch names in a location (``KpiSpec``, ``str``, ``LocalText``, tag values)."""
    return isinstance(part, str) and (part.endswith(("Spec", "Filter")) or part in _SECTION_TYPES
                                      or part in {"str", "LocalText", "in", "not_in", "relative", "between"}
                                      or part.startswith(("function-", "tagged-union")))


def _fields_at(loc: list[Any], data: Mapping[str, Any]) -> tuple[str, ...]:
    """The fields allowed where an unknown key was found (for "did you mean")."""
    model: type[BaseModel] = ReportSpec
    node: Any = data
    for part in loc:
        node = node[part] if isinstance(node, (Mapping, list)) and _has(node, part) else None
        if isinstance(part, int):
            if model is ReportSpec or model is DeliverySpec:
                continue
            kind = node.get("type") if isinstance(node, Mapping) else None
            model = _SECTION_TYPES.get(str(kind), model)
            continue
        info = model.model_fields.get(str(part))
        if info is None:
            return ()
        inner = _first_model(info.annotation)
        if str(part) == "sections":
            model = KpiSpec  # refined by the section's own type at the next index
        elif inner is not None:
            model = inner
    return tuple(model.model_fields)


def _has(node: Any, part: Any) -> bool:
    if isinstance(node, Mapping):
        return part in node
    return isinstance(part, int) and 0 <= part < len(node)


def _first_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _first_model(arg)
        if found is not None:
            return found
    return None
