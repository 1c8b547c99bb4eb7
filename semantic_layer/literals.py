"""Typed literals: every value a query carries becomes a sqlglot literal of its type, never raw text.

``exp.Literal.number`` writes whatever it is given into the SQL as is, so a threshold that
arrives as text (``"0) OR (SELECT ...) > (0"``) would become SQL structure. Everything the
compiler puts into SQL from a query goes through these functions instead: numbers must be
finite numbers (or text that reads as one), text is a quoted string, booleans are booleans.

>>> number_literal("1e6").sql(), number_literal(-2).sql(), value_literal("O'Brien").sql()
('1000000', '-2', "'O''Brien'")
>>> number_literal("0) OR (SELECT 1) > (0")
Traceback (most recent call last):
...
semantic_layer.errors.QueryError: '0) OR (SELECT 1) > (0' is not a number
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

from sqlglot import exp

from .errors import QueryError

__all__ = ["number_literal", "value_literal", "as_number", "is_number"]

# what a number written as text may look like (no signs inside, no hex, no underscores)
_NUMBER_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def as_number(value: object) -> int | float | None:
    """``value`` as a finite int or float; None when it is not one (booleans are not numbers).

    >>> as_number("0.02"), as_number(3), as_number("nan"), as_number(True), as_number("1 OR 1")
    (0.02, 3, None, None, None)
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, str) and _NUMBER_TEXT.fullmatch(value.strip()):
        text = value.strip()
        if re.fullmatch(r"[+-]?\d+", text):
            return int(text)
        try:
            number = float(Decimal(text))
        except (InvalidOperation, ValueError, OverflowError):
            return None
        return number if math.isfinite(number) else None
    return None


def is_number(value: object) -> bool:
    return as_number(value) is not None


def number_literal(value: object) -> exp.Expr:
    """A numeric literal (negative numbers as ``-x``); raises :class:`QueryError` for anything else."""
    number = as_number(value)
    if number is None:
        raise QueryError(f"{value!r} is not a number")
    if isinstance(number, float) and number.is_integer() and abs(number) < 2 ** 53:
        number = int(number)
    literal = exp.Literal(this=repr(abs(number)) if isinstance(number, float) else str(abs(number)), is_string=False)
    return exp.Neg(this=literal) if number < 0 else literal


def value_literal(value: object) -> exp.Expr:
    """A literal of ``value``'s own type: booleans, finite numbers, otherwise quoted text."""
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, (int, float, Decimal)):
        return number_literal(value)
    return exp.Literal.string(str(value))
