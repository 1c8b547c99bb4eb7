"""Reading the rules YAML: a loader that refuses duplicate keys, and YAML paths -> line numbers.

PyYAML keeps the *last* of two equal keys in a mapping, so a rules file with two
``revenue_daily:`` entries silently loses one rule. :class:`UniqueKeyLoader` records every
duplicate with both lines and its YAML path instead, and the rules loader refuses what they
touch (the rule with a repeated id, or the whole file for a repeated top-level section).

>>> data, dups = load_yaml("rules:\\n  a: {metric: x}\\n  a: {metric: y}\\n")
>>> [(d.path, d.line, d.first_line) for d in dups]
[('rules.a', 3, 2)]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

__all__ = ["DuplicateKey", "UniqueKeyLoader", "load_yaml", "LineIndex"]


@dataclass(frozen=True)
class DuplicateKey:
    """``key`` appears twice in the mapping at ``parent`` (a YAML path; '' = the document)."""

    parent: str
    key: str
    line: int
    first_line: int

    @property
    def path(self) -> str:
        return f"{self.parent}.{self.key}" if self.parent else self.key

    def message(self) -> str:
        return f"duplicate key {self.key!r} (first defined at line {self.first_line}; YAML would keep only the last)"


class UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that records duplicate mapping keys in :attr:`duplicates`."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[DuplicateKey] = []
        self._root: yaml.Node | None = None

    def construct_document(self, node: yaml.Node) -> Any:
        self._root = node
        return super().construct_document(node)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                first = seen.setdefault(key, line)
            except TypeError:  # an unhashable key: SafeLoader reports it itself
                continue
            if first != line:
                self.duplicates.append(DuplicateKey(_path_to(self._root, node), str(key), line, first))
        return super().construct_mapping(node, deep=deep)


def load_yaml(text: str) -> tuple[Any, list[DuplicateKey]]:
    """Parse one YAML document; ``(data, duplicate keys)``. YAML syntax errors propagate."""
    loader = UniqueKeyLoader(text)
    try:
        data = loader.get_single_data()
    finally:
        loader.dispose()
    return data, loader.duplicates


def _path_to(root: yaml.Node | None, target: yaml.Node) -> str:
    """The YAML path (``rules.x.filters[0]``) of ``target`` inside ``root`` ('' for the root)."""
    if root is None:
        return ""
    stack: list[tuple[yaml.Node, str]] = [(root, "")]
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.append((value, f"{path}.{key.value}" if path else str(key.value)))
        elif isinstance(node, yaml.SequenceNode):
            for i, value in enumerate(node.value):
                stack.append((value, f"{path}[{i}]"))
    return ""


class LineIndex:
    """YAML path (``rules.x.metric``, ``rules.x.filters[0]``) -> 1-based line of its node."""

    def __init__(self, text: str | None) -> None:
        self.root = None
        if text:
            try:
                self.root = yaml.compose(text)
            except yaml.YAMLError:
                self.root = None

    def line(self, path: str) -> int | None:
        node = self.root
        if node is None or not path:
            return None
        found = node.start_mark.line + 1
        for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
            if isinstance(node, yaml.MappingNode):
                pair = next(((k, v) for k, v in node.value if str(k.value) == part), None)
                if pair is None:
                    return found
                found, node = pair[0].start_mark.line + 1, pair[1]
            elif isinstance(node, yaml.SequenceNode) and part.startswith("["):
                index = int(part[1:-1])
                if index >= len(node.value):
                    return found
                node = node.value[index]
                found = node.start_mark.line + 1
            else:
                return found
        return found
