"""Load a semantic model spec from YAML with errors that name file, path and a fix.

A pydantic ``ValidationError`` speaks of ``metrics.arpu.RatioMetricSpec.numerater``;
users need ``model.yaml: metrics.arpu.numerater: unknown field. Did you mean 'numerator'?``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from .errors import InputFileError, ModelError, did_you_mean, suggest
from .spec import ModelSpec
from .yamlfile import read_yaml

__all__ = ["load_spec", "spec_from_dict"]


def load_spec(path: str | os.PathLike[str]) -> ModelSpec:
    """Read and shape-check one YAML file; raise :class:`ModelError` naming file and field."""
    source = str(path)
    try:
        data = read_yaml(path, what="model file")
    except InputFileError as exc:  # binary, not UTF-8, nested too deeply, not YAML: one line
        raise ModelError(str(exc).removeprefix(f"{source}: "), source=source) from None
    return spec_from_dict(data, source=source)


def spec_from_dict(data: Any, *, source: str | None = None) -> ModelSpec:
    if not isinstance(data, dict):
        raise ModelError("the model must be a mapping with 'name', 'tables', 'dimensions' and 'metrics'",
                         source=source)
    try:
        return ModelSpec.model_validate(data)
    except ValidationError as exc:
        raise _to_model_error(exc, data, source) from None


def _to_model_error(exc: ValidationError, data: dict[str, Any], source: str | None) -> ModelError:
    problems: list[tuple[str, str, tuple[str, ...]]] = []
    for err in exc.errors():
        loc = _user_path(err["loc"])
        message, candidates = _explain(err, loc, data)
        problems.append((".".join(str(p) for p in loc), message, candidates))
    # a misspelt required field shows up twice: "missing numerator" and "unknown numerater"
    suggested = {p.rsplit(".", 1)[0] + "." + c[0] for p, m, c in problems if m == "unknown field" and c}
    problems = [p for p in problems if not (p[1] == "required field is missing" and p[0] in suggested)]
    if len(problems) == 1:
        path, message, candidates = problems[0]
        return ModelError(message, source=source, path=path, candidates=candidates)
    lines = [f"{p}: {m} {did_you_mean(c)}".rstrip() for p, m, c in problems]
    return ModelError(f"{len(lines)} problems:\n  " + "\n  ".join(lines), source=source)


def _user_path(loc: tuple[Any, ...]) -> list[Any]:
    """Drop pydantic's union-branch names (``SimpleMetricSpec``) from a location."""
    out: list[Any] = []
    for part in loc:
        if isinstance(part, str) and part.endswith("Spec") and part[:1].isupper():
            continue
        if isinstance(part, str) and part in {"simple", "ratio", "derived", "semi_additive"} and out \
                and len(out) == 2 and out[0] == "metrics":
            continue  # discriminator tag inserted by pydantic
        out.append(part)
    return out


def _explain(err: Mapping[str, Any], loc: list[Any], data: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    kind = err["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_fields(loc[:-1], data)
        return "unknown field", suggest(str(loc[-1]), allowed, n=1, cutoff=0.5)
    if kind == "missing":
        return "required field is missing", ()
    if kind in {"literal_error", "union_tag_invalid"}:
        expected = err.get("ctx", {}).get("expected", "") or err.get("ctx", {}).get("expected_tags", "")
        options = tuple(o.strip(" '") for o in str(expected).replace(" or ", ",").split(",") if o.strip(" '"))
        given = err.get("input")
        hint = suggest(str(given), options, n=1, cutoff=0.3) if given is not None else ()
        return f"{given!r} is not one of {', '.join(options)}", hint
    return err.get("msg", "invalid value"), ()


_CONTAINERS = {"tables": "TableSpec", "dimensions": "DimensionSpec", "hierarchies": "HierarchySpec",
               "metric_trees": "MetricTreeSpec", "joins": "JoinSpec"}
_METRIC_TYPES = {"ratio": "RatioMetricSpec", "derived": "DerivedMetricSpec", "semi_additive": "SemiAdditiveMetricSpec"}


def _allowed_fields(loc: list[Any], data: dict[str, Any]) -> tuple[str, ...]:
    """The field names the mapping at ``loc`` may have (for "did you mean" on typos)."""
    from . import spec as s

    if not loc:
        return tuple(ModelSpec.model_fields)
    top = str(loc[0])
    if top == "metrics" and len(loc) >= 2:
        node = data.get("metrics", {}).get(loc[1], {})
        kind = node.get("type", "") if isinstance(node, dict) else ""
        model: type[BaseModel] = getattr(s, _METRIC_TYPES.get(kind, "SimpleMetricSpec"))
        rest = loc[2:]
    elif top in _CONTAINERS and len(loc) >= 2:
        model, rest = getattr(s, _CONTAINERS[top]), loc[2:]
    else:
        return ()
    for part in rest:  # nested specs such as a metric's filters[0]
        field = model.model_fields.get(str(part))
        inner = _model_of(field.annotation) if field is not None else None
        if inner is not None:
            model = inner
    return tuple(model.model_fields)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None
