"""Read YAML written by people (models, security files, rules) without ever failing with a traceback.

``yaml.safe_load`` raises ``UnicodeDecodeError`` on a binary file and ``RecursionError`` on deep
nesting, and a few anchors (``&a [*a, *a, ...]``) expand into millions of nodes for whatever
walks the result next. :func:`read_yaml` turns each of these into one line that names the file,
what is wrong and what to do; the data it returns is bounded in size and depth.

>>> parse_yaml("a: [1, 2]", "x.yaml")
{'a': [1, 2]}
>>> parse_yaml("a: [1, 2", "x.yaml")
Traceback (most recent call last):
...
semantic_layer.errors.InputFileError: x.yaml: not valid YAML at line 1, column 9: expected ',' or ']', but got '<stream end>'
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from .errors import InputFileError

__all__ = ["read_yaml", "parse_yaml", "MAX_YAML_BYTES", "MAX_YAML_DEPTH", "MAX_YAML_NODES"]

MAX_YAML_BYTES = 20 * 1024 * 1024
#: nesting deeper than any model or configuration needs
MAX_YAML_DEPTH = 64
#: values after expanding anchors and aliases
MAX_YAML_NODES = 2_000_000


def read_yaml(path: str | os.PathLike[str], *, source: str | None = None, what: str = "file") -> Any:
    """The data of a YAML file; :class:`InputFileError` (one line, naming the file) otherwise.

    ``what`` names the file in messages ("model file", "security file").
    """
    where = source or str(path)
    try:
        size = Path(path).stat().st_size
        if size > MAX_YAML_BYTES:
            raise InputFileError(f"{where}: the file is {size / 1e6:.0f} MB; a YAML file of at most "
                                 f"{MAX_YAML_BYTES // 2 ** 20} MB is expected")
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InputFileError(f"{where}: cannot read the {what} ({exc.strerror or exc})") from None
    if b"\x00" in raw[:8192] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputFileError(f"{where}: this is a binary file, not YAML text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{where}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
                             "save the file as UTF-8") from None
    return parse_yaml(text, where)


def parse_yaml(text: str, source: str = "<yaml>") -> Any:
    """Parse YAML text with the limits of :func:`read_yaml`."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:
        raise InputFileError(f"{source}: the YAML is nested too deeply (at most {MAX_YAML_DEPTH} levels)") from None
    except yaml.YAMLError as exc:
        raise InputFileError(f"{source}: not valid YAML{_where(exc)}: {_problem(exc)}") from None
    if node is None:
        return None
    _check_size(node, source)
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(node)
    except RecursionError:
        raise InputFileError(f"{source}: the YAML is nested too deeply (at most {MAX_YAML_DEPTH} levels)") from None
    except yaml.YAMLError as exc:
        raise InputFileError(f"{source}: not valid YAML{_where(exc)}: {_problem(exc)}") from None
    finally:
        loader.dispose()


def _check_size(root: yaml.Node, source: str) -> None:
    """Depth and expanded size of the node graph (aliases are shared nodes: counted once per use)."""
    sizes: dict[int, int] = {}
    # iterative post-order walk: (node, depth, children done?)
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    open_nodes: set[int] = set()
    while stack:
        node, depth, done = stack.pop()
        key = id(node)
        if depth > MAX_YAML_DEPTH:
            raise InputFileError(f"{source}: the YAML is nested too deeply (at most {MAX_YAML_DEPTH} levels)")
        children = _children(node)
        if not done:
            if key in sizes:
                continue
            if key in open_nodes:
                raise InputFileError(f"{source}: an anchor refers to itself (line {node.start_mark.line + 1})")
            open_nodes.add(key)
            stack.append((node, depth, True))
            stack.extend((child, depth + 1, False) for child in children if id(child) not in sizes)
            continue
        open_nodes.discard(key)
        total = 1 + sum(sizes.get(id(child), 1) for child in children)
        if total > MAX_YAML_NODES:
            raise InputFileError(f"{source}: the YAML expands to more than {MAX_YAML_NODES:,} values "
                                 "(anchors and aliases repeated too often)")
        sizes[key] = total


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _where(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    return f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""


def _problem(exc: yaml.YAMLError) -> str:
    text = str(getattr(exc, "problem", None) or exc)
    return " ".join(text.split())[:200]
