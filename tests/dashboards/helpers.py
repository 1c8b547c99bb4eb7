"""Walk Dash component trees in unit tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def walk(node: Any) -> Iterator[Any]:
    """Every component below ``node`` (lists, single children, nested props such as tab content)."""
    if node is None or isinstance(node, (str, int, float)):
        return
    if isinstance(node, (list, tuple)):
        for item in node:
            yield from walk(item)
        return
    yield node
    for name in ("children", "label", "tab_content"):
        child = getattr(node, name, None) if hasattr(node, "_prop_names") else None
        if child is not None and not isinstance(child, str):
            yield from walk(child)


def find(node: Any, *, cls: str | None = None, type_: str | None = None, id_type: str | None = None,
         id_: str | None = None) -> list[Any]:
    out = []
    for c in walk(node):
        if id_ is not None and getattr(c, "id", None) != id_:
            continue
        classes = (getattr(c, "className", None) or "").split() if hasattr(c, "_prop_names") else []
        if cls is not None and cls not in classes:
            continue
        if type_ is not None and type(c).__name__ != type_:
            continue
        if id_type is not None:
            cid = getattr(c, "id", None)
            if not (isinstance(cid, dict) and cid.get("type") == id_type):
                continue
        out.append(c)
    return out


def text_of(node: Any) -> str:
    """All text in a component tree, joined by spaces."""
    parts: list[str] = []

    def visit(n: Any) -> None:
        if isinstance(n, str):
            parts.append(n)
        elif isinstance(n, (int, float)):
            parts.append(str(n))
        elif isinstance(n, (list, tuple)):
            for item in n:
                visit(item)
        elif hasattr(n, "_prop_names"):
            visit(getattr(n, "children", None))
            label = getattr(n, "label", None)
            if isinstance(label, str):
                parts.append(label)

    visit(node)
    return " ".join(p for p in parts if p)
