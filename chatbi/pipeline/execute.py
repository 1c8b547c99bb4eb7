"""Stage ``execute``: the only place a pipeline's SQL reaches the warehouse engine.

The scope's engine runs the checked text (a user's view masks the frame and keeps database
errors from quoting hidden values); SQL a person or a model wrote goes to the engine's
``execute_untrusted`` when it has one (a cost check first, see ``chatbi.warehouse.base``). A result
already computed for the same SQL, the same access policy and the same data version comes from the
result cache instead (:mod:`chatbi.pipeline.cache`; a user's view is told, so the audit log still
lists the statement). Engine failures come back as a
:class:`~chatbi.pipeline.records.Failure`, never as a traceback.
"""

from __future__ import annotations

import pandas as pd

from ..errors import ChatBIError, WithheldEngineError
from ..warehouse.base import UntrustedSQLEngine
from .cache import ResultCache, data_version_of
from .records import Checked, Failure, Scope

__all__ = ["execute"]


def execute(scope: Scope, checked: Checked, language: str | None = None) -> pd.DataFrame | Failure:
    engine = scope.engine
    cache: ResultCache | None = getattr(scope, "result_cache", None)
    version = data_version_of(scope) if cache is not None and cache.enabled else None
    key = None
    if cache is not None and version is not None:
        key = cache.key(checked.sql, scope.policy, version, scope.cache_source)
        found = cache.get(key, version)
        if found is not None:
            note = getattr(engine, "note", None)
            if callable(note):
                note(checked.sql, len(found))
            found.attrs["cached"] = True
            return found
    try:
        if checked.written and isinstance(engine, UntrustedSQLEngine):
            # SQL a person or a model wrote: the engine refuses a too costly plan before running it
            frame = engine.execute_untrusted(checked.sql, dict(checked.views))
        else:
            frame = engine.execute(checked.sql)
    except WithheldEngineError as exc:  # a restricted user's database error: a sentence in their language
        return Failure("execute", exc.worded(language), exc.worded(language), sql=checked.sql)
    except ChatBIError as exc:
        return Failure("execute", str(exc), str(exc), sql=checked.sql)
    if cache is not None and key is not None and version is not None:
        cache.put(key, frame, version)
    return frame
