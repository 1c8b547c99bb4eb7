"""Stage ``compile``: a semantic query becomes one sqlglot tree, once per query.

The scope compiles (``ChatBI.compile``): a user's view adds their access policy, so the
tree reads only the rows and columns they may see. Problems come back as a
:class:`~chatbi.pipeline.records.Failure` carrying the validation issues.
"""

from __future__ import annotations

from semantic_layer import QueryError, SemanticLayerError, SemanticQuery
from semantic_layer.compiler import CompiledQuery

from ..errors import ChatBIError
from .records import Failure, Scope

__all__ = ["compile_query"]


def compile_query(scope: Scope, query: SemanticQuery) -> CompiledQuery | Failure:
    try:
        return scope.compile(query)
    except (SemanticLayerError, ChatBIError) as exc:
        issues = tuple(exc.issues) if isinstance(exc, QueryError) else ()
        return Failure("compile", str(exc), str(exc), issues)  # type: ignore[arg-type]
