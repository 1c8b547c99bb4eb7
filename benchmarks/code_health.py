"""Code health figures: ruff findings, mypy errors, import cycles, the most complex functions.

    python -m benchmarks.code_health [--top 5]

Ruff runs with the rule set configured in pyproject.toml; mypy runs on ``semantic_layer`` (must be
clean) and on ``chatbi`` + ``dashboards`` (errors counted per package, compared with the baseline
that ``.ci/check`` enforces); import cycles are strongly connected components of the module graph
inside ``semantic_layer`` between modules (function-level imports included, type-only imports not;
the import contract of ``.ci/check`` is stricter: it also forbids cycles between packages, such as
``compiler`` <-> ``policy``); complexity is radon's cyclomatic
complexity per function. Needs the lint tools of the ``test`` extra.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from ._common import print_table, write_result

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("semantic_layer", "chatbi", "dashboards")
_MYPY_ERROR = re.compile(r"^(?P<path>[^:]+\.py):\d+: error:")


def ruff_counts() -> dict[str, int]:
    """Findings per rule code under the project's configuration."""
    out = subprocess.run([sys.executable, "-m", "ruff", "check", "--output-format", "json", "--exit-zero", "."],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    counts: dict[str, int] = {}
    for finding in json.loads(out or "[]"):
        code = finding.get("code") or "syntax"
        counts[code] = counts.get(code, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def mypy_errors(*targets: str) -> dict[str, int]:
    """mypy errors per top-level package for one run over ``targets``."""
    proc = subprocess.run([sys.executable, "-m", "mypy", *targets], cwd=ROOT, capture_output=True, text=True, check=False)
    counts: dict[str, int] = {}
    for line in proc.stdout.splitlines():
        match = _MYPY_ERROR.match(line)
        if match:
            package = Path(match["path"]).parts[0]
            counts[package] = counts.get(package, 0) + 1
    return counts


def import_cycles(package: str) -> list[list[str]]:
    """Strongly connected components (size > 1 or self-import) of ``package``'s import graph."""
    import grimp

    # imports only for annotations (``if TYPE_CHECKING:``) are no dependency at run time, as in
    # the import contracts of pyproject.toml
    graph = grimp.build_graph(package, include_external_packages=False, exclude_type_checking_imports=True)
    modules = sorted(graph.modules)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & graph.modules) for m in modules}
    return [sorted(c) for c in _tarjan(modules, edges) if len(c) > 1 or c[0] in edges[c[0]]]


def package_cycles(package: str) -> list[list[str]]:
    """Cycles between the direct children of ``package`` (a subpackage counts as one node)."""
    import grimp

    graph = grimp.build_graph(package, include_external_packages=False, exclude_type_checking_imports=True)
    depth = package.count(".") + 2

    def top(module: str) -> str:
        return ".".join(module.split(".")[:depth])

    nodes = sorted({top(m) for m in graph.modules if m != package})
    edges: dict[str, set[str]] = {n: set() for n in nodes}
    for m in graph.modules:
        if m == package:
            continue
        for d in graph.find_modules_directly_imported_by(m) & graph.modules:
            if d != package and top(d) != top(m):
                edges[top(m)].add(top(d))
    return [sorted(c) for c in _tarjan(nodes, {k: sorted(v) for k, v in edges.items()}) if len(c) > 1]


def _tarjan(nodes: list[str], edges: dict[str, list[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            components.append(component)

    for node in nodes:
        if node not in index:
            visit(node)
    return components


def most_complex(top: int) -> list[dict[str, Any]]:
    """radon's cyclomatic complexity: the ``top`` most complex functions of the packages."""
    from radon.complexity import cc_visit

    found: list[dict[str, Any]] = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for block in cc_visit(path.read_text(encoding="utf-8")):
                name = f"{block.classname}.{block.name}" if getattr(block, "classname", None) else block.name
                found.append({"function": f"{path.relative_to(ROOT)}:{block.lineno} {name}",
                              "complexity": block.complexity, "lines": block.endline - block.lineno + 1})
    found.sort(key=lambda f: (-f["complexity"], f["function"]))
    return found[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--top", type=int, default=5, help="how many complex functions to list")
    parser.add_argument("--label", default="current", help="a name for this measurement (before/after)")
    args = parser.parse_args()
    ruff = ruff_counts()
    mypy_core = mypy_errors("semantic_layer")
    mypy_rest = mypy_errors("chatbi", "dashboards")
    cycles = import_cycles("semantic_layer")
    pkg_cycles = package_cycles("semantic_layer")
    complex_fns = most_complex(args.top)
    payload = {
        "label": args.label,
        "ruff_total": sum(ruff.values()), "ruff_by_rule": ruff,
        "mypy_semantic_layer": mypy_core.get("semantic_layer", 0),
        "mypy_chatbi": mypy_rest.get("chatbi", 0), "mypy_dashboards": mypy_rest.get("dashboards", 0),
        "semantic_layer_cycles": cycles, "semantic_layer_package_cycles": pkg_cycles, "most_complex": complex_fns,
    }
    path = write_result(f"code_health_{args.label}", payload)
    print_table([{"figure": "ruff findings", "value": payload["ruff_total"]},
                 {"figure": "mypy errors: semantic_layer", "value": payload["mypy_semantic_layer"]},
                 {"figure": "mypy errors: chatbi", "value": payload["mypy_chatbi"]},
                 {"figure": "mypy errors: dashboards", "value": payload["mypy_dashboards"]},
                 {"figure": "import cycles in semantic_layer (modules)", "value": len(cycles)},
                 {"figure": "import cycles in semantic_layer (packages)", "value": len(pkg_cycles)}], ["figure", "value"])
    for cycle in cycles + pkg_cycles:
        print("  cycle:", " <-> ".join(cycle))
    print()
    print_table(complex_fns, ["complexity", "lines", "function"])
    print(f"\nwritten {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
