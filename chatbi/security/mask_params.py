"""Checks of masking parameters: a mask whose parameters would show exact values is a configuration error.

``round_to`` with ``step: -1`` rounds to the value itself; ``hash`` with the public default key
is reversed by hashing a list of likely values. Each parameter name means the same thing in every
operator that takes it, so the rules are kept per name (with a few per-operator ranges).

>>> check_params("round_to", {"step": 1000}, keyed=False)
>>> check_params("round_to", {"step": -1}, keyed=False)
Traceback (most recent call last):
...
chatbi.errors.ConfigError: masking operator 'round_to': step must be a number greater than 0, not -1
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import ConfigError

__all__ = ["check_params", "MIN_SALT_LENGTH"]

#: a salt shorter than this is guessable
MIN_SALT_LENGTH = 16


def _positive_number(value: Any) -> str | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0
    return None if ok else "must be a number greater than 0"


def _number(value: Any) -> str | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return None if ok else "must be a number"


def _whole(low: int, high: int) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
        return None if ok else f"must be a whole number from {low} to {high}"
    return check


def _char(value: Any) -> str | None:
    return None if isinstance(value, str) and len(value) == 1 else "must be one character"


def _text(value: Any) -> str | None:
    return None if isinstance(value, str) else "must be text"


def _fraction(value: Any) -> str | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value <= 1
    return None if ok else "must be a fraction greater than 0 and at most 1 (0.05 = 5 %)"


def _edges(value: Any) -> str | None:
    ok = isinstance(value, (list, tuple)) and len(value) > 0 and all(_number(v) is None for v in value)
    return None if ok else "must be a non-empty list of numbers"


def _pattern(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return "must be a regular expression"
    try:
        re.compile(value)
    except re.error as exc:
        return f"is not a valid regular expression ({exc})"
    return None


def _iso_date(value: Any) -> str | None:
    if value is None:
        return None
    try:
        dt.date.fromisoformat(str(value))
    except ValueError:
        return "must be an ISO date such as 2025-12-31"
    return None


def _salt(value: Any) -> str | None:
    if not isinstance(value, str) or len(value) < MIN_SALT_LENGTH:
        return (f"must be a secret of at least {MIN_SALT_LENGTH} characters (e.g. salt: ${{CHATBI_MASK_SALT}}, "
                "made with `python -c 'import secrets; print(secrets.token_hex(24))'`)")
    if len(set(value)) < 6:
        return "is too regular to be a secret (use random characters)"
    return None


#: parameter name -> check (None: fine, else what is wrong)
_BY_NAME: Mapping[str, Callable[[Any], str | None]] = {
    "salt": _salt, "step": _positive_number, "width": _positive_number, "pct": _fraction, "edges": _edges,
    "char": _char, "text": _text, "prefix": _text, "replacement": _text, "pattern": _pattern, "on": _iso_date,
    "limit": _number, "n": _whole(0, 1000), "first": _whole(0, 1000), "last": _whole(0, 1000),
    "keep": _whole(0, 8), "prefix_v4": _whole(0, 32), "prefix_v6": _whole(0, 128), "max_days": _whole(1, 3650),
    "figures": _whole(1, 15), "length": _whole(4, 128), "digits": _whole(-15, 15),
}
#: ranges that differ per operator
_BY_OPERATOR: Mapping[tuple[str, str], Callable[[Any], str | None]] = {
    ("hash", "length"): _whole(4, 64), ("tokenize", "length"): _whole(4, 64), ("email_hash", "length"): _whole(4, 64),
    ("coordinate", "digits"): _whole(0, 6), ("age_band", "width"): _whole(1, 150),
    ("birthdate_to_age_band", "width"): _whole(1, 150),
}


def check_params(name: str, params: Mapping[str, Any], *, keyed: bool) -> None:
    """Raise :class:`ConfigError` when a parameter of operator ``name`` is out of range (or a key is missing)."""
    if keyed and "salt" not in params:
        raise ConfigError(f"masking operator {name!r} needs a secret `salt` (at least {MIN_SALT_LENGTH} characters, "
                          "e.g. salt: ${CHATBI_MASK_SALT}): without one, hashing a list of likely values reverses it")
    for key, value in params.items():
        check = _BY_OPERATOR.get((name, key)) or _BY_NAME.get(key)
        problem = check(value) if check is not None else None
        if problem:
            shown = "" if key == "salt" else f", not {value!r}"  # a secret is never echoed
            raise ConfigError(f"masking operator {name!r}: {key} {problem}{shown}")
