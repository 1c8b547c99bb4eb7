"""Stage ``execute``: the only place a pipeline's SQL reaches the warehouse engine.

The scope's engine runs the checked text (a user's view masks the frame and keeps database
errors from quoting hidden values). Engine failures come back as a
:class:`~chatbi.pipeline.records.Failure`, never as a traceback.
"""

from __future__ import annotations

import pandas as pd

from ..errors import ChatBIError
from .records import Checked, Failure, Scope

__all__ = ["execute"]


def execute(scope: Scope, checked: Checked) -> pd.DataFrame | Failure:
    try:
        return scope.engine.execute(checked.sql)
    except ChatBIError as exc:
        return Failure("execute", str(exc), str(exc), sql=checked.sql)
