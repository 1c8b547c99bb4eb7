"""The member-value index: distinct values of low-cardinality dimensions, with their synonyms.

Built once per ChatBI instance (one small query per dimension table) and reused by the
translator, validation ("did you mean") and the app's suggestions.
"""

from __future__ import annotations

from dataclasses import dataclass

from semantic_layer import SemanticModel
from semantic_layer.compiler.metadata import member_values_sql

from .errors import EngineError
from .warehouse import Engine

__all__ = ["Member", "MemberIndex", "build_member_index"]

#: dimensions with more distinct values are not indexed (free text, ids)
MAX_MEMBERS = 2000


@dataclass(frozen=True)
class Member:
    dimension: str
    value: str
    #: other names: the label column's value (English name) and the model's synonyms
    aliases: tuple[str, ...] = ()
    #: the label column's value (the member's English name), when the dimension has one
    label: str | None = None


@dataclass(frozen=True)
class MemberIndex:
    members: dict[str, tuple[Member, ...]]
    #: False when some dimension table could not be read (the index is worth rebuilding)
    complete: bool = True

    def values(self, dimension: str) -> frozenset[str]:
        return frozenset(m.value for m in self.members.get(dimension, ()))

    def as_sets(self) -> dict[str, frozenset[str]]:
        return {d: self.values(d) for d in self.members}

    def label(self, dimension: str, value: str, lang: str) -> str:
        """The member's name in ``lang``.

        English: the label column's value when there is one; a value already in Latin letters
        as it is ("5G", "n78" — its synonyms such as "5G套餐" are ways to type it, not names);
        else the first Latin-letter synonym ("线上" -> "online").
        """
        if lang == "zh":
            return value
        for m in self.members.get(dimension, ()):
            if m.value == value:
                if m.label:
                    return m.label
                if value.isascii():
                    return value
                return next((a for a in m.aliases if a.isascii()), value)
        return value


def build_member_index(model: SemanticModel, engine: Engine) -> MemberIndex:
    out: dict[str, tuple[Member, ...]] = {}
    complete = True
    for name, dim in model.dimensions.items():
        sql = member_values_sql(model, name, engine.dialect, MAX_MEMBERS + 1) if dim.index_members else None
        if sql is None:
            continue
        try:
            frame = engine.execute(sql)
        except EngineError:
            complete = False  # an unreadable table must not stop ChatBI from starting; queries will report it
            continue
        if len(frame) > MAX_MEMBERS:
            continue
        members = []
        for row in frame.itertuples(index=False):
            value = str(row[0])
            label = str(row[1]) if dim.label_column and row[1] is not None else None
            aliases = ([label] if label else []) + list(dim.members.get(value, ()))
            members.append(Member(name, value, tuple(dict.fromkeys(aliases)), label))
        out[name] = tuple(members)
    return MemberIndex(out, complete)
