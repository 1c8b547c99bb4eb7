"""Name resolution for the guard: the model's allow-list per dialect, and query scopes.

Two identifiers name the same object when their normalised forms are equal; normalisation
follows the dialect's ``NORMALIZATION_STRATEGY`` (PostgreSQL folds unquoted names to lower
case, Snowflake to upper case, DuckDB and SQLite ignore case ...). Case folding is ASCII-only:
a Unicode fold could turn a look-alike (the Kelvin sign ``K``) into an allowed name.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect, NormalizationStrategy

from ..dialects import ident

__all__ = ["Catalog", "Source", "Scope", "normalize"]

_UPPER_TO_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_LOWER_TO_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_INSENSITIVE = (NormalizationStrategy.CASE_INSENSITIVE, NormalizationStrategy.CASE_INSENSITIVE_UPPERCASE)


def normalize(text: str, quoted: bool, strategy: NormalizationStrategy) -> str:
    """The key an identifier resolves by in a dialect.

    >>> normalize("Revenue", False, NormalizationStrategy.LOWERCASE), normalize("Revenue", True, NormalizationStrategy.LOWERCASE)
    ('revenue', 'Revenue')
    """
    if strategy in _INSENSITIVE:
        return text.translate(_UPPER_TO_LOWER)
    if quoted or strategy is NormalizationStrategy.CASE_SENSITIVE:
        return text
    return text.translate(_UPPER_TO_LOWER if strategy is NormalizationStrategy.LOWERCASE else _LOWER_TO_UPPER)


@dataclass(frozen=True)
class Catalog:
    """The allow-list of one model in one dialect (built once per guard)."""

    dialect: str
    strategy: NormalizationStrategy
    #: table key -> model table name
    tables: Mapping[str, str]
    #: model table name -> its columns in model order
    columns: Mapping[str, tuple[str, ...]]
    #: model table name -> keys of its columns
    column_keys: Mapping[str, frozenset[str]]

    @classmethod
    def build(cls, table_columns: Mapping[str, Sequence[str]], dialect: str) -> Catalog:
        strategy = Dialect.get_or_raise(dialect).NORMALIZATION_STRATEGY
        tables: dict[str, str] = {}
        keys: dict[str, frozenset[str]] = {}
        for name, cols in table_columns.items():
            for key in _name_keys(name, dialect, strategy):
                tables[key] = name
            keys[name] = frozenset(k for c in cols for k in _name_keys(c, dialect, strategy))
        return cls(dialect, strategy, tables, {t: tuple(c) for t, c in table_columns.items()}, keys)

    def key(self, identifier: exp.Identifier) -> str:
        return normalize(identifier.this, bool(identifier.args.get("quoted")), self.strategy)

    def table_source(self, name: str, qualifier: exp.Identifier) -> Source:
        cols = tuple(normalize(c, False, self.strategy) for c in self.columns[name])
        return Source(cols, table=name, qualifier=qualifier, colset=self.column_keys[name])


def _name_keys(name: str, dialect: str, strategy: NormalizationStrategy) -> set[str]:
    # The model's name as the compiler writes it (quoted when it must be) and as a user types it unquoted.
    written = ident(name, dialect)
    return {normalize(name, bool(written.args.get("quoted")), strategy), normalize(name, False, strategy)}


@dataclass
class Source:
    """Something a FROM clause reads: a model table, a CTE or a subquery."""

    columns: tuple[str | None, ...]  # output column keys in order, None where a column has no name
    table: str | None = None  # the model table when this is a base table
    qualifier: exp.Identifier | None = None  # the name it is referred to by
    colset: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not self.colset:
            self.colset = frozenset(c for c in self.columns if c is not None)


@dataclass
class Scope:
    """The names visible inside one SELECT; ``parent`` is the enclosing query (correlation)."""

    parent: Scope | None
    ctes: dict[str, Source]
    sources: dict[object, Source] = field(default_factory=dict)
    aliases: frozenset[str] = frozenset()

    def chain(self) -> Iterator[Scope]:
        scope: Scope | None = self
        while scope is not None:
            yield scope
            scope = scope.parent
