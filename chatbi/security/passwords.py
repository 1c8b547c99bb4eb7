"""Password hashes with the standard library only: scrypt (default) or PBKDF2-SHA256.

Stored as self-describing strings so parameters can be raised later without breaking old
hashes: ``scrypt$16384$8$1$<salt>$<hash>`` / ``pbkdf2_sha256$600000$<salt>$<hash>`` (base64).
Verification is constant-time; a malformed hash never verifies.

>>> stored = hash_password("s3cret", n=2 ** 10)
>>> verify_password("s3cret", stored), verify_password("wrong", stored)
(True, False)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

__all__ = ["hash_password", "verify_password", "dummy_verify", "SCRYPT_N", "PBKDF2_ITERATIONS"]

SCRYPT_N = 2 ** 14
PBKDF2_ITERATIONS = 600_000
_MAX_PASSWORD = 1024  # scrypt/pbkdf2 cost grows with input; refuse absurd lengths early


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, *, method: str = "scrypt", n: int = SCRYPT_N, r: int = 8, p: int = 1,
                  iterations: int = PBKDF2_ITERATIONS) -> str:
    """A salted hash of ``password`` to put in ``security.yaml``."""
    if not password:
        raise ValueError("the password is empty")
    if len(password) > _MAX_PASSWORD:
        raise ValueError(f"the password is longer than {_MAX_PASSWORD} characters")
    salt = secrets.token_bytes(16)
    if method == "scrypt":
        digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=_maxmem(n, r, p), dklen=32)
        return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(digest)}"
    if method == "pbkdf2_sha256":
        digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
        return f"pbkdf2_sha256${iterations}${_b64(salt)}${_b64(digest)}"
    raise ValueError(f"unknown hash method {method!r}; use scrypt or pbkdf2_sha256")


def _maxmem(n: int, r: int, p: int) -> int:
    return 128 * n * r * p + 4 * 1024 * 1024


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches ``stored`` (False for a missing or malformed hash)."""
    if not stored or not isinstance(password, str) or len(password) > _MAX_PASSWORD:
        return False
    try:
        parts = stored.split("$")
        if parts[0] == "scrypt" and len(parts) == 6:
            n, r, p = (int(x) for x in parts[1:4])
            if not (2 <= n <= 2 ** 20 and 1 <= r <= 32 and 1 <= p <= 16):
                return False
            salt, expected = base64.b64decode(parts[4]), base64.b64decode(parts[5])
            actual = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=_maxmem(n, r, p),
                                    dklen=len(expected))
        elif parts[0] == "pbkdf2_sha256" and len(parts) == 4:
            iterations = int(parts[1])
            if not 1_000 <= iterations <= 10_000_000:
                return False
            salt, expected = base64.b64decode(parts[2]), base64.b64decode(parts[3])
            actual = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations, dklen=len(expected))
        else:
            return False
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


_DUMMY = None


def dummy_verify(password: str) -> None:
    """Spend the time of one verification, so an unknown user name answers as slowly as a known one."""
    global _DUMMY  # noqa: PLW0603 -- computed once per process, on first use (hashing is slow)
    if _DUMMY is None:
        _DUMMY = hash_password("not-a-password")
    verify_password(password or "x", _DUMMY)
