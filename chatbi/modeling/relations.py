"""Relations between tables and columns, checked against the data with small SQL queries.

- joins: declared foreign keys, else inferred from names (``fact.city_id`` -> ``dim_region.city_id``,
  ``orders.customer_id`` -> ``customers.id``) and accepted only with value-overlap evidence: most
  distinct values of the referencing column exist in the referenced key, which is unique;
- functional dependencies (``city -> province``): ``COUNT(DISTINCT city)`` equals the number of
  distinct ``(city, province)`` pairs, read over the same (joined, possibly sampled) rows;
- hierarchies: chains of functional dependencies, coarsest level first (region > province > city);
- label columns: two columns naming the same thing in two languages (``city`` / ``city_en``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from semantic_layer.sqlbuild import JoinStep, RowSource, dependency_sql, overlap_sql

from ..errors import EngineError
from ..warehouse import Engine
from .introspect import ColumnProfile, DatabaseProfile, TableProfile
from .naming import has_cjk, is_key_name, key_base, label_pair, table_base

__all__ = ["Join", "DimCandidate", "infer_joins", "determines", "infer_hierarchies", "find_label_pairs",
           "MIN_OVERLAP"]

#: share of a referencing column's distinct values that must exist in the referenced key
MIN_OVERLAP = 0.9


@dataclass(frozen=True)
class Join:
    left: str
    right: str
    keys: tuple[tuple[str, str], ...]
    relationship: str = "many_to_one"
    declared: bool = False
    #: share of the left key's distinct values found in the right key (None when declared)
    overlap: float | None = None

    @property
    def evidence(self) -> str:
        if self.declared:
            return "declared foreign key"
        return f"names match and {self.overlap:.0%} of {self.left} values exist in {self.right}"


@dataclass(frozen=True)
class DimCandidate:
    name: str
    table: str
    column: str
    distinct: int


# -- joins -------------------------------------------------------------------------------
def _key_columns(t: TableProfile) -> list[ColumnProfile]:
    """Columns of ``t`` other tables may reference: its primary key, else unique key-like columns."""
    if len(t.primary_key) == 1:
        return [t.column(t.primary_key[0])]
    return [c for c in t.columns if c.unique and not t.sampled and not c.is_temporal and c.type != "double"
            and (is_key_name(c.name) or c.name.lower().endswith(("_code", "_no")))]


def _names_match(ref: ColumnProfile, key: ColumnProfile, target: TableProfile) -> bool:
    if ref.name.lower() == key.name.lower():
        return key.name.lower() != "id"  # two tables' own "id" columns are unrelated
    if key.name.lower() in {"id", "key", "code"} and is_key_name(ref.name):
        base, entity = key_base(ref.name), table_base(target.name).lower()
        return entity in {base, base + "s", base + "es"} or entity.rstrip("s") == base
    return False


def _types_compatible(a: ColumnProfile, b: ColumnProfile) -> bool:
    if a.is_numeric and b.is_numeric:
        return a.type != "double" and b.type != "double"
    return a.type == b.type == "varchar"


def _overlap(engine: Engine, profile: DatabaseProfile, left: TableProfile, lcol: str, right: str, rcol: str) -> float:
    source = RowSource(left.name, left.row_count, profile.sample_rows)
    sql = overlap_sql(source, lcol, right, rcol, engine.dialect)
    try:
        frame = engine.execute(sql)
    except EngineError:
        return 0.0
    n, hit = int(frame["n"].iloc[0]), int(frame["hit"].iloc[0])
    return hit / n if n else 0.0


def infer_joins(engine: Engine, profile: DatabaseProfile) -> list[Join]:
    """Declared joins plus name-matched joins with value-overlap evidence (left = the referencing table)."""
    by_name = {t.name: t for t in profile.tables}
    joins: list[Join] = []
    linked: set[tuple[str, str]] = set()
    for t in profile.tables:
        for fk in t.foreign_keys:
            if fk.ref_table in by_name and fk.ref_table != t.name:
                one = set(fk.columns) == set(t.primary_key)
                joins.append(Join(t.name, fk.ref_table, tuple(zip(fk.columns, fk.ref_columns)),
                                  "one_to_one" if one else "many_to_one", declared=True))
                linked.add((t.name, fk.ref_table))
    for target in profile.tables:
        for key in _key_columns(target):
            for t in profile.tables:
                if t.name == target.name or (t.name, target.name) in linked or (target.name, t.name) in linked:
                    continue
                for c in t.columns:
                    if not (_names_match(c, key, target) and _types_compatible(c, key)):
                        continue
                    one = c.unique and not t.sampled
                    if one and len(t.primary_key) == 1 and t.primary_key == target.primary_key and t.row_count < target.row_count:
                        continue  # a 1:1 pair: keep the direction from the larger table only
                    share = _overlap(engine, profile, t, c.name, target.name, key.name)
                    if share >= MIN_OVERLAP:
                        joins.append(Join(t.name, target.name, ((c.name, key.name),),
                                          "one_to_one" if one else "many_to_one", overlap=round(share, 4)))
                        linked.add((t.name, target.name))
                        break
    return joins


# -- functional dependencies -------------------------------------------------------------
def _path(joins: Sequence[Join], start: str, goal: str) -> list[Join] | None:
    """Many-to-one joins from ``start`` to ``goal`` (breadth first), [] for the same table."""
    found: dict[str, list[Join]] = {start: []}
    queue = [start]
    while queue:
        node = queue.pop(0)
        if node == goal:
            return found[node]
        for j in joins:
            if j.left == node and j.right not in found:
                found[j.right] = [*found[node], j]
                queue.append(j.right)
    return None


def determines(engine: Engine, profile: DatabaseProfile, joins: Sequence[Join],
               child: tuple[str, str], parent: tuple[str, str]) -> bool:
    """Whether each value of ``child`` (table, column) has one ``parent`` value (over joined rows)."""
    path = _path(joins, child[0], parent[0])
    if path is None:
        return False
    t0 = profile.table(child[0])
    source = RowSource(t0.name, t0.row_count, profile.sample_rows)
    steps = [JoinStep(j.left, j.right, j.keys) for j in path]
    sql = dependency_sql(source, child[1], parent, engine.dialect, steps)
    try:
        frame = engine.execute(sql)
    except EngineError:
        return False
    pairs_n, children = int(frame["pairs"].iloc[0]), int(frame["children"].iloc[0])
    return children > 0 and pairs_n == children


def infer_hierarchies(engine: Engine, profile: DatabaseProfile, joins: Sequence[Join],
                      dims: Sequence[DimCandidate]) -> list[tuple[str, ...]]:
    """Chains of dimensions (coarsest first) linked by functional dependencies, each dimension in one chain."""
    parents: dict[str, set[str]] = {d.name: set() for d in dims}
    by_name = {d.name: d for d in dims}
    for c in dims:
        for p in dims:
            if p.name == c.name or not (c.distinct > p.distinct >= 2):
                continue
            if _path(joins, c.table, p.table) is None:
                continue
            if determines(engine, profile, joins, (c.table, c.column), (p.table, p.column)):
                parents[c.name].add(p.name)
    is_parent = {p for ps in parents.values() for p in ps}
    chains: list[list[str]] = []
    for leaf in sorted((n for n in parents if n not in is_parent and parents[n]), key=lambda n: -by_name[n].distinct):
        chain, node = [leaf], leaf
        while True:
            direct = [p for p in parents[node] if not any(p in parents[q] for q in parents[node] if q != p)]
            if not direct:
                break
            node = max(direct, key=lambda n: (by_name[n].distinct, n))
            chain.append(node)
        chains.append(chain)
    used: set[str] = set()
    out: list[tuple[str, ...]] = []
    for chain in sorted(chains, key=len, reverse=True):
        kept = [n for n in chain if n not in used]
        if len(kept) >= 2 and kept == chain[: len(kept)]:
            used.update(kept)
            out.append(tuple(reversed(kept)))
    return out


# -- label columns -----------------------------------------------------------------------
def find_label_pairs(engine: Engine, profile: DatabaseProfile, table: TableProfile) -> dict[str, str]:
    """Main column -> label column for one thing named in two languages (``province`` -> ``province_en``).

    The main column is the one whose values are Chinese (the member values users type); the
    other is the English label. Needs matching names, equal distinct counts and a 1:1 mapping.
    """
    text = [c for c in table.columns if c.type == "varchar" and c.distinct > 0]
    out: dict[str, str] = {}
    taken: set[str] = set()
    for a in text:
        for b in text:
            if a.name >= b.name or a.name in taken or b.name in taken or a.distinct != b.distinct:
                continue
            if not label_pair(a.name, b.name):
                continue
            if not (determines(engine, profile, (), (table.name, a.name), (table.name, b.name))
                    and determines(engine, profile, (), (table.name, b.name), (table.name, a.name))):
                continue
            a_cjk = any(has_cjk(str(v)) for v in (a.values or a.samples))
            b_cjk = any(has_cjk(str(v)) for v in (b.values or b.samples))
            if a_cjk != b_cjk:
                main, label = (a, b) if a_cjk else (b, a)
            else:  # same script: the column without the language suffix is the main one
                main, label = (a, b) if len(a.name) <= len(b.name) else (b, a)
            out[main.name] = label.name
            taken.update((a.name, b.name))
    return out
