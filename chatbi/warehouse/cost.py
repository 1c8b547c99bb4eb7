"""A cost check before SQL a person or a model wrote runs: no products of large tables.

``SELECT COUNT(*) FROM fact_daily a, fact_daily b, fact_daily c`` is three valid table scans
and 1.5 × 10^18 combinations; it would keep every core busy until the statement timeout. The
check reads the engine's plan (DuckDB: ``EXPLAIN (FORMAT json)``, estimates only -- nothing
runs) and refuses a statement when

* a join without an equality condition (a cross product, nested-loop, block-wise or
  inequality join) pairs inputs whose estimated rows multiply to more than ``max_pairs``, or
* an equality join is estimated to produce more than ``max_join_rows`` rows (a many-to-many
  join on a column that is no key, such as two facts on ``city_id``).

The refusal names the tables and says how to fix the query. Compiled semantic queries are
never checked: the compiler joins facts to dimensions on keys only. PostgreSQL's plans
(``EXPLAIN (FORMAT JSON)``) are read through :func:`postgres_plan`.

>>> info = {"Table": "w.main.fact_daily", "Estimated Cardinality": "1157904"}
>>> scan = {"name": "SEQ_SCAN", "children": [], "extra_info": info}
>>> plan = {"name": "CROSS_PRODUCT", "children": [scan, scan]}
>>> print(plan_problem([plan]).replace("; ", ";\\n"))
the query pairs every row of fact_daily with every row of fact_daily (about 1.3 × 10^12 combinations) without a join condition;
join them on their keys (ON a.key = b.key) or aggregate each side first
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["CostLimits", "plan_problem", "postgres_plan", "MAX_PAIRS", "MAX_JOIN_ROWS"]

#: combinations a join without an equality condition may consider
MAX_PAIRS = 100_000_000
#: rows an equality join may be estimated to produce
MAX_JOIN_ROWS = 1_000_000_000

_NO_EQUALITY = frozenset({"CROSS_PRODUCT", "NESTED_LOOP_JOIN", "BLOCKWISE_NL_JOIN", "PIECEWISE_MERGE_JOIN", "IE_JOIN",
                          "POSITIONAL_JOIN"})
_EQUALITY = frozenset({"HASH_JOIN", "RIGHT_DELIM_JOIN", "LEFT_DELIM_JOIN", "DELIM_JOIN"})


@dataclass(frozen=True)
class CostLimits:
    max_pairs: float = MAX_PAIRS
    max_join_rows: float = MAX_JOIN_ROWS


@dataclass(frozen=True)
class _Node:
    rows: float
    tables: tuple[str, ...]


def plan_problem(plan: Sequence[Mapping[str, Any]], limits: CostLimits = CostLimits(), *,
                 counts: bool = True) -> str | None:
    """What makes the plan too costly to run (one sentence), or None.

    ``counts=False`` leaves the estimated numbers out (a plan over rows the user may not see).
    """
    problems: list[str] = []
    for root in plan:
        _walk(root, limits, problems, counts)
    return problems[0] if problems else None


def _walk(node: Mapping[str, Any], limits: CostLimits, problems: list[str], counts: bool = True) -> _Node:
    children = [_walk(c, limits, problems, counts) for c in node.get("children") or () if isinstance(c, Mapping)]
    info = node.get("extra_info") or {}
    name = str(node.get("name", "")).upper()
    tables = tuple(dict.fromkeys(t for c in children for t in c.tables))
    table = info.get("Table") if isinstance(info, Mapping) else None
    if isinstance(table, str) and table:
        tables = (*tables, table.replace('"', "").split(".")[-1])
    estimate = _number(info.get("Estimated Cardinality") if isinstance(info, Mapping) else None)
    if name in _NO_EQUALITY and len(children) >= 2:
        pairs = math.prod(max(c.rows, 1.0) for c in children)
        if pairs > limits.max_pairs:
            many = f" (about {_sci(pairs)} combinations)" if counts else ""
            problems.append(f"the query pairs every row of {_names(children[0].tables)} with every row of "
                            f"{_names(children[1].tables)}{many} without a join "
                            "condition; join them on their keys (ON a.key = b.key) or aggregate each side first")
        rows = estimate if estimate is not None else pairs
    elif name in _EQUALITY and estimate is not None and estimate > limits.max_join_rows and len(children) >= 2:
        many = f"about {_sci(estimate)}" if counts else "too many"
        problems.append(f"joining {_names(children[0].tables)} with {_names(children[1].tables)} on these columns "
                        f"would make {many} rows (the columns are no key of either side); join on "
                        "all key columns or aggregate each side first")
        rows = estimate
    else:
        rows = estimate if estimate is not None else max((c.rows for c in children), default=1.0)
    return _Node(rows, tables)


def postgres_plan(explained: Any) -> list[dict[str, Any]]:
    """PostgreSQL's ``EXPLAIN (FORMAT JSON)`` output in the node shape :func:`plan_problem` reads.

    A nested loop is a join without an equality condition unless its inner side looks rows up
    by an index condition (an index nested loop is an equality join); hash and merge joins are
    equality joins. Rows are the planner's estimates (per loop for an inner side).
    """
    roots = explained if isinstance(explained, list) else [explained]
    return [_pg_node(r["Plan"]) for r in roots if isinstance(r, Mapping) and isinstance(r.get("Plan"), Mapping)]


def _pg_node(plan: Mapping[str, Any]) -> dict[str, Any]:
    kind = str(plan.get("Node Type", ""))
    children = [_pg_node(p) for p in plan.get("Plans") or () if isinstance(p, Mapping)]
    name = kind.upper().replace(" ", "_")
    if kind == "Nested Loop":
        looked_up = any("Index Cond" in p or "Recheck Cond" in p for p in _inner(plan))
        name = "HASH_JOIN" if looked_up else "NESTED_LOOP_JOIN"
    elif kind in ("Hash Join", "Merge Join"):
        name = "HASH_JOIN"
    info: dict[str, Any] = {"Estimated Cardinality": plan.get("Plan Rows")}
    if plan.get("Relation Name"):
        info["Table"] = plan["Relation Name"]
    return {"name": name, "children": children, "extra_info": info}


def _inner(plan: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The inner side of a join and what sits directly under it (Materialize, Memoize, Bitmap Heap Scan)."""
    found: list[Mapping[str, Any]] = []
    stack = [p for p in plan.get("Plans") or () if isinstance(p, Mapping) and p.get("Parent Relationship") == "Inner"]
    while stack:
        node = stack.pop()
        found.append(node)
        if node.get("Node Type") in ("Materialize", "Memoize", "Bitmap Heap Scan", "Result"):
            stack.extend(p for p in node.get("Plans") or () if isinstance(p, Mapping))
    return found


def _number(value: Any) -> float | None:
    try:
        return float(str(value).replace(",", "").lstrip("~"))
    except (TypeError, ValueError):
        return None


def _names(tables: Iterable[str]) -> str:
    names = list(dict.fromkeys(tables))
    return " × ".join(names) if names else "a subquery"


def _sci(value: float) -> str:
    exponent = math.floor(math.log10(value))
    return f"{value / 10 ** exponent:.1f} × 10^{exponent}"
