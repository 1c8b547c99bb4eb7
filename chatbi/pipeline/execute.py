"""Stage ``execute``: the only place a pipeline's SQL reaches the warehouse engine.

The scope's engine runs the checked text (a user's view masks the frame and keeps database
errors from quoting hidden values); SQL a person or a model wrote goes to the engine's
``execute_untrusted`` when it has one (a cost check first, see ``chatbi.warehouse.base``). Engine failures come back as a
:class:`~chatbi.pipeline.records.Failure`, never as a traceback.
"""

from __future__ import annotations

import pandas as pd

from ..errors import ChatBIError, WithheldEngineError
from ..warehouse.base import UntrustedSQLEngine
from .records import Checked, Failure, Scope

__all__ = ["execute"]


def execute(scope: Scope, checked: Checked, language: str | None = None) -> pd.DataFrame | Failure:
    engine = scope.engine
    try:
        if checked.written and isinstance(engine, UntrustedSQLEngine):
            # SQL a person or a model wrote: the engine refuses a too costly plan before running it
            return engine.execute_untrusted(checked.sql, dict(checked.views))
        return engine.execute(checked.sql)
    except WithheldEngineError as exc:  # a restricted user's database error: a sentence in their language
        return Failure("execute", exc.worded(language), exc.worded(language), sql=checked.sql)
    except ChatBIError as exc:
        return Failure("execute", str(exc), str(exc), sql=checked.sql)
