"""Email address checks for recipients (rules files, ``alerts test --to``, the app's test digest).

Syntax only, with ``email-validator`` (no DNS look-ups: a rules check must work offline).

>>> address_problem("cfo@example.com") is None
True
>>> address_problem("not-an-address")
"'not-an-address' is not an email address (An email address must have an @-sign.)"
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

__all__ = ["address_problem"]


def address_problem(address: str) -> str | None:
    """Why ``address`` is not a usable recipient address, or None."""
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        return f"{address!r} is not an email address ({exc})"
    return None

