"""Write a model (plain data) as YAML that ``SemanticModel.from_yaml`` loads, readable by people.

Short lists and mappings of scalars go on one line (``columns: {date: date, city_id: integer}``)
like the hand-written sample model; notes become ``#`` comments at the top of the file.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from semantic_layer import SemanticModel

__all__ = ["model_to_yaml", "write_model"]

_FLOW_WIDTH = 100
_SECTIONS = frozenset({"tables", "joins", "dimensions", "hierarchies", "metrics", "metric_trees", "examples"})


class _Dumper(yaml.SafeDumper):
    """Block style for structure, flow style for short scalar collections; never aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool, dt.date))


def _short(items: Sequence[Any]) -> bool:
    return sum(len(str(v)) + 2 for v in items) <= _FLOW_WIDTH


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(_scalar(v) for v in data) and _short(data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _represent_dict(dumper: yaml.SafeDumper, data: dict[Any, Any]) -> yaml.Node:
    flat = all(_scalar(v) or (isinstance(v, list) and not v) for v in data.values())
    flow = bool(data) and flat and _short([f"{k}: {v}" for k, v in data.items()])
    node = dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=flow)
    return node


_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(tuple, _represent_list)  # type: ignore[arg-type]
_Dumper.add_representer(dict, _represent_dict)


def model_to_yaml(model: Mapping[str, Any], notes: Sequence[str] = (), *, title: str = "") -> str:
    """The model as YAML text, ``notes`` as a comment block at the top."""
    header = [f"# {line}".rstrip() for line in title.splitlines()] if title else []
    header += [f"# - {note}" for note in notes]
    body = yaml.dump(_plain(model), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=120,
                     default_flow_style=False)
    # separate the top-level sections with a blank line, like a hand-written model
    lines = []
    for line in body.splitlines():
        if lines and line.split(":", 1)[0] in _SECTIONS:
            lines.append("")
        lines.append(line)
    text = "\n".join(lines) + "\n"
    return ("\n".join(header) + "\n" if header else "") + text


def write_model(model: Mapping[str, Any], path: str | os.PathLike[str], notes: Sequence[str] = (), *,
                title: str = "") -> Path:
    """Write the YAML and check that it loads back as a model (raises ``ModelError`` if not)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(model_to_yaml(model, notes, title=title), encoding="utf-8")
    SemanticModel.from_yaml(out)
    return out


def _plain(value: Any) -> Any:
    """Tuples and other sequences to lists, mappings to dicts (the dumper's known types)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value
