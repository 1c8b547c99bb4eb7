"""The cost check of SQL a person or a model wrote, read from Spark's ``EXPLAIN COST`` text.

Spark plans a join without an equality condition as ``CartesianProduct`` or
``BroadcastNestedLoopJoin``; such a join over large inputs keeps every executor busy until the
statement timeout. Spark's optimizer keeps no row estimates unless the tables were analysed
(``ANALYZE TABLE ... COMPUTE STATISTICS``, then ``rowCount`` is printed and used); otherwise
it estimates sizes in bytes, from the files and the columns a node outputs, at least 8 bytes
a row. So an input's rows are taken as its ``rowCount`` or, without one, its size / 8: never
fewer than Spark's own estimate, so a product the check lets through is no larger than
``max_pairs``, and a wide projection is refused a little earlier than on DuckDB.

Many-to-many equality joins (DuckDB's ``max_join_rows``) cannot be recognised without row
estimates: on Spark they are bounded by the statement timeout alone.

>>> plan = '''== Optimized Logical Plan ==
... Aggregate [count(1) AS count(1)#86L], Statistics(sizeInBytes=16.0 B, rowCount=1)
... +- Join Inner, Statistics(sizeInBytes=32.5 PiB)
...    :- Project, Statistics(sizeInBytes=182.4 MiB)
...    :  +- Relation spark_catalog.w.fact_daily[date#62] parquet, Statistics(sizeInBytes=2.3 GiB)
...    +- Project, Statistics(sizeInBytes=131.0 B)
...       +- Relation spark_catalog.w.dim_region[city_id#146] parquet, Statistics(sizeInBytes=2.1 KiB)
...
... == Physical Plan ==
... +- BroadcastNestedLoopJoin BuildRight, Inner'''
>>> print(spark_plan_problem(plan).split(" without")[0])
the query pairs every row of fact_daily with every row of dim_region (about 3.9 × 10^8 combinations)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from .cost import CostLimits

__all__ = ["spark_plan_problem"]

#: physical operators of joins without an equality condition
_NO_EQUALITY_OPERATORS = ("CartesianProduct", "BroadcastNestedLoopJoin")
_UNITS = {"B": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40, "PiB": 2**50, "EiB": 2**60}
_SIZE = re.compile(r"sizeInBytes=([0-9.]+(?:E[+-]?\d+)?) (B|KiB|MiB|GiB|TiB|PiB|EiB)")
_ROWS = re.compile(r"rowCount=([0-9.]+(?:E[+-]?\d+)?)")
_RELATION = re.compile(r"Relation (?:[\w`]+\.)*`?(\w+)`?\[")
_JOIN = re.compile(r"^Join (\w+)(.*)$")
# an equality of two columns, e.g. (city_id#63 = city_id#146)
_EQUALITY = re.compile(r"\w+#\d+L? = \w+#\d+L?")
#: bytes Spark counts for a row at least (its estimate of a row without columns)
_MIN_ROW_BYTES = 8


@dataclass
class _Node:
    text: str
    children: list[_Node] = field(default_factory=list)


def spark_plan_problem(explained: str, limits: CostLimits | None = None) -> str | None:
    """What makes the plan too costly to run (one sentence), or None. ``explained`` is the
    output of ``EXPLAIN COST``: the optimized logical plan with statistics, then the physical plan."""
    limits = limits or CostLimits()
    logical, _, physical = explained.partition("== Physical Plan ==")
    if not any(op in physical for op in _NO_EQUALITY_OPERATORS):
        return None  # every join has an equality condition (or there is none)
    roots = _tree(logical.partition("== Optimized Logical Plan ==")[2] or logical)
    for node in _walk(roots):
        join = _JOIN.match(node.text)
        if join is None or len(node.children) < 2 or join[1] in ("LeftSemi", "LeftAnti"):
            continue
        condition = join[2]
        if _EQUALITY.search(condition) and " OR " not in condition:
            continue  # a hash or merge join on keys
        left, right = node.children[0], node.children[1]
        pairs = _rows(left) * _rows(right)
        if pairs > limits.max_pairs:
            return (f"the query pairs every row of {_tables(left)} with every row of {_tables(right)} "
                    f"(about {_sci(pairs)} combinations) without a join condition; join them on their keys "
                    "(ON a.key = b.key) or aggregate each side first")
    return None


def _tree(text: str) -> list[_Node]:
    """The plan's nodes from their indentation (``+-`` and ``:-`` mark a child, three characters a level)."""
    roots: list[_Node] = []
    stack: list[tuple[int, _Node]] = []
    for line in text.splitlines():
        body = line.lstrip(" :+-|")
        if not body.strip():
            continue
        depth = (len(line) - len(body)) // 3
        node = _Node(body.strip())
        while stack and stack[-1][0] >= depth:
            stack.pop()
        (stack[-1][1].children if stack else roots).append(node)
        stack.append((depth, node))
    return roots


def _walk(nodes: list[_Node]) -> list[_Node]:
    out: list[_Node] = []
    todo = list(reversed(nodes))
    while todo:
        node = todo.pop()
        out.append(node)
        todo.extend(reversed(node.children))
    return out


def _rows(node: _Node) -> float:
    rows = _ROWS.search(node.text)
    if rows:
        return max(float(rows[1]), 1.0)
    size = _SIZE.search(node.text)
    if size is None:
        return 1.0
    return max(float(size[1]) * _UNITS[size[2]] / _MIN_ROW_BYTES, 1.0)


def _tables(node: _Node) -> str:
    names = [m[1] for n in _walk([node]) for m in _RELATION.finditer(n.text)]
    names = list(dict.fromkeys(names))
    return " × ".join(names) if names else "a subquery"


def _sci(value: float) -> str:
    exponent = math.floor(math.log10(value))
    return f"{value / 10 ** exponent:.1f} × 10^{exponent}"
