"""Masking operators (desensitisation): a registry of named, deterministic value transforms.

A role's column rule names an operator and its parameters (``{mask: phone}``,
``{mask: number_range, width: 1000}``); :func:`mask_series` applies it to one result column.
Every operator passes nulls through, is deterministic (the same input masks the same way in
every answer, chart and export, so masked values can still be grouped and compared) and never
fails on an unexpected value: what it cannot parse it redacts.

>>> mask_value("13812345678", "phone"), mask_value("张三丰", "name"), mask_value("110101199003071234", "id_card")
('138****5678', '张**', '110101********1234')
>>> mask_value(12345, "number_range", width=1000), mask_value("2025-11-23", "date_to_month")
('12000-12999', '2025-11')
>>> len(OPERATORS) >= 50
True
"""

from __future__ import annotations

import datetime as dt
import hmac
import inspect
import ipaddress
import itertools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..errors import ConfigError

__all__ = ["Operator", "OPERATORS", "operator", "mask_value", "mask_series", "check_operator", "REDACTED", "KEYED"]

REDACTED = "******"
#: operators keyed by a secret ``salt``: without the key nobody can rebuild them from guessed values,
#: with a known key a dictionary of likely values (phone numbers, names) reverses them
KEYED = frozenset({"hash", "hash_sha512", "tokenize", "email_hash", "date_shift", "noise"})


@dataclass(frozen=True)
class Operator:
    name: str
    func: Callable[..., Any]
    kind: str  # text | number | date | any
    description: str
    example: str = ""

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(p for p in inspect.signature(self.func).parameters if p != "value")


OPERATORS: dict[str, Operator] = {}


def operator(name: str, kind: str, description: str, example: str = "") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a masking operator (``value`` first, parameters as keyword arguments with defaults)."""
    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        OPERATORS[name] = Operator(name, func, kind, description, example)
        return func
    return register


# -- helpers ----------------------------------------------------------------------------------
def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _keep(text: str, first: int, last: int, char: str = "*", fixed: int | None = None) -> str:
    """Keep ``first`` and ``last`` characters, mask the middle (``fixed`` stars, else as many as hidden)."""
    if len(text) <= first + last:
        return char * max(len(text), 1) if fixed is None else char * fixed
    hidden = len(text) - first - last
    return text[:first] + char * (hidden if fixed is None else fixed) + (text[len(text) - last:] if last else "")


def _digest(value: Any, salt: str, algorithm: str = "sha256") -> str:
    if not salt:  # never a constant key: the value is redacted instead (configurations must give one)
        raise ValueError("a keyed operator needs a secret salt")
    return hmac.new(salt.encode(), _text(value).encode(), algorithm).hexdigest()


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).replace(",", ""))
    except ValueError:
        return None


def _date(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    try:
        return dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00").replace("/", "-"))
    except ValueError:
        return None


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


# -- generic ----------------------------------------------------------------------------------
@operator("redact", "any", "replace the value with a fixed text", "****** ")
def redact(value: Any, text: str = REDACTED) -> str:
    return text


@operator("null", "any", "drop the value (NULL)")
def null(value: Any) -> None:
    return None


@operator("constant", "any", "replace with a constant", "N/A")
def constant(value: Any, value_: Any = "N/A") -> Any:
    return value_


@operator("hash", "any", "salted SHA-256 (HMAC), first `length` hex digits", "9f2c…")
def hash_(value: Any, salt: str = "", length: int = 16) -> str:
    return _digest(value, salt)[:length]


@operator("hash_sha512", "any", "salted SHA-512 (HMAC), first `length` hex digits")
def hash_sha512(value: Any, salt: str = "", length: int = 32) -> str:
    return _digest(value, salt, "sha512")[:length]


@operator("tokenize", "any", "a stable token (prefix + keyed hash) that joins across answers", "TKN_3fa9c1d2")
def tokenize(value: Any, prefix: str = "TKN_", salt: str = "", length: int = 8) -> str:
    return prefix + _digest(value, salt)[:length]


@operator("mask_all", "text", "every character masked", "*******")
def mask_all(value: Any, char: str = "*") -> str:
    return char * len(_text(value))


@operator("keep_first", "text", "keep the first n characters, mask the rest", "ab*****")
def keep_first(value: Any, n: int = 1, char: str = "*") -> str:
    return _keep(_text(value), n, 0, char)


@operator("keep_last", "text", "keep the last n characters, mask the rest", "*****yz")
def keep_last(value: Any, n: int = 4, char: str = "*") -> str:
    return _keep(_text(value), 0, n, char)


@operator("partial", "text", "keep `first` and `last` characters, mask the middle", "ab***yz")
def partial(value: Any, first: int = 2, last: int = 2, char: str = "*") -> str:
    return _keep(_text(value), first, last, char)


@operator("mask_first", "text", "mask the first n characters", "***defg")
def mask_first(value: Any, n: int = 3, char: str = "*") -> str:
    text = _text(value)
    return char * min(n, len(text)) + text[n:]


@operator("mask_last", "text", "mask the last n characters", "abcd***")
def mask_last(value: Any, n: int = 3, char: str = "*") -> str:
    text = _text(value)
    return text[:max(len(text) - n, 0)] + char * min(n, len(text))


@operator("truncate", "text", "keep the first n characters", "abc")
def truncate(value: Any, n: int = 3) -> str:
    return _text(value)[:n]


@operator("length_only", "text", "only the length", "<11 chars>")
def length_only(value: Any) -> str:
    return f"<{len(_text(value))} chars>"


@operator("mask_digits", "text", "every digit masked", "Room ***")
def mask_digits(value: Any, char: str = "*") -> str:
    return re.sub(r"\d", char, _text(value))


@operator("mask_letters", "text", "every letter masked, digits kept", "**-1234")
def mask_letters(value: Any, char: str = "*") -> str:
    return re.sub(r"[^\W\d_]", char, _text(value))


@operator("regex_replace", "text", "replace a regular expression", "")
def regex_replace(value: Any, pattern: str = r".", replacement: str = "*") -> str:
    return re.sub(pattern, replacement, _text(value))


@operator("initials", "text", "initial of each word", "J. S.")
def initials(value: Any) -> str:
    return " ".join(w[0] + "." for w in _text(value).split() if w)


# -- personal identifiers -------------------------------------------------------------------
@operator("phone", "text", "mobile number: first 3 and last 4 digits", "138****5678")
def phone(value: Any, first: int = 3, last: int = 4) -> str:
    text = re.sub(r"[\s-]", "", _text(value))
    prefix = ""
    if text.startswith("+86"):
        prefix, text = "+86", text[3:]
    return prefix + _keep(text, first, last, "*", fixed=4 if len(text) == 11 else None)


@operator("landline", "text", "fixed-line number: area code and last 4 digits", "010-****5678")
def landline(value: Any) -> str:
    text = _text(value).strip()
    area, sep, number = text.partition("-")
    if not sep:
        return _keep(text, 0, 4)
    return f"{area}-{_keep(number, 0, 4)}"


@operator("email", "text", "e-mail: first character of the name and the domain", "z***@example.com")
def email(value: Any, first: int = 1) -> str:
    local, at, domain = _text(value).rpartition("@")
    if not at:
        return REDACTED
    return local[:first] + "***@" + domain


@operator("email_domain", "text", "e-mail: the domain only", "***@example.com")
def email_domain(value: Any) -> str:
    _, at, domain = _text(value).rpartition("@")
    return "***@" + domain if at else REDACTED


@operator("email_hash", "text", "e-mail: hashed name, domain kept", "3fa9c1d2@example.com")
def email_hash(value: Any, salt: str = "", length: int = 8) -> str:
    local, at, domain = _text(value).rpartition("@")
    return (_digest(local, salt)[:length] + "@" + domain) if at else REDACTED


@operator("id_card", "text", "PRC resident ID (18 digits): region code and last 4", "110101********1234")
def id_card(value: Any, first: int = 6, last: int = 4) -> str:
    text = _text(value).strip()
    return _keep(text, first, last) if len(text) in (15, 18) else REDACTED


@operator("id_card_birth_year", "text", "PRC resident ID -> year of birth", "1990")
def id_card_birth_year(value: Any) -> str:
    text = _text(value).strip()
    if len(text) == 18 and text[6:10].isdigit():
        return text[6:10]
    if len(text) == 15 and text[6:8].isdigit():
        return "19" + text[6:8]
    return REDACTED


@operator("id_card_region", "text", "PRC resident ID -> its 6-digit region code", "110101")
def id_card_region(value: Any) -> str:
    text = _text(value).strip()
    return text[:6] if len(text) in (15, 18) else REDACTED


@operator("passport", "text", "passport number: first character and last 3", "E*****678")
def passport(value: Any) -> str:
    return _keep(_text(value).strip(), 1, 3)


@operator("bank_card", "text", "bank card: first 6 (issuer) and last 4 digits", "622202******1234")
def bank_card(value: Any, first: int = 6, last: int = 4) -> str:
    return _keep(re.sub(r"[\s-]", "", _text(value)), first, last)


@operator("card_last4", "text", "card number: last 4 digits only (PCI)", "**** **** **** 1234")
def card_last4(value: Any) -> str:
    digits = re.sub(r"\D", "", _text(value))
    return "**** **** **** " + digits[-4:] if len(digits) >= 4 else REDACTED


@operator("name", "text", "person's name: the family name (Chinese) or first letters (Latin)", "张** / J*** S****")
def name(value: Any) -> str:
    text = _text(value).strip()
    if not text:
        return text
    if any("\u4e00" <= c <= "\u9fff" for c in text):
        # compound family names (欧阳, 司马 ...) are rare; keeping one character is the safe side
        return text[0] + "*" * max(len(text) - 1, 1)
    return " ".join(w[0] + "*" * max(len(w) - 1, 1) for w in text.split())


@operator("name_middle", "text", "Chinese name with the middle character(s) masked", "张*丰")
def name_middle(value: Any) -> str:
    text = _text(value).strip()
    if len(text) <= 2:
        return text[:1] + "*"
    return text[0] + "*" * (len(text) - 2) + text[-1]


@operator("address", "text", "address: the first n characters (province / city)", "广东省深圳市****")
def address(value: Any, n: int = 6) -> str:
    text = _text(value)
    return text[:n] + "****" if len(text) > n else text


@operator("address_city", "text", "address cut after the city (市) or the first n characters", "广东省深圳市")
def address_city(value: Any, n: int = 6) -> str:
    text = _text(value)
    match = re.match(r"^(.*?(?:市|州|盟|地区))", text)
    return match.group(1) if match else text[:n]


@operator("postcode", "text", "postal code: first n digits", "518***")
def postcode(value: Any, n: int = 3) -> str:
    return _keep(_text(value).strip(), n, 0)


@operator("ip", "text", "IPv4: first two octets; IPv6: first four groups", "192.168.*.*")
def ip(value: Any, keep: int = 2) -> str:
    text = _text(value).strip()
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return REDACTED
    if addr.version == 4:
        parts = text.split(".")
        return ".".join(parts[:keep] + ["*"] * (4 - keep))
    groups = addr.exploded.split(":")
    return ":".join(groups[:4]) + "::*"


@operator("ip_subnet", "text", "IP address -> its network (/24 or /48)", "192.168.1.0/24")
def ip_subnet(value: Any, prefix_v4: int = 24, prefix_v6: int = 48) -> str:
    try:
        addr = ipaddress.ip_address(_text(value).strip())
    except ValueError:
        return REDACTED
    prefix = prefix_v4 if addr.version == 4 else prefix_v6
    return str(ipaddress.ip_network(f"{addr}/{prefix}", strict=False))


@operator("mac", "text", "MAC address: the vendor part", "00:1A:2B:**:**:**")
def mac(value: Any) -> str:
    parts = re.split(r"[:-]", _text(value).strip())
    return ":".join(parts[:3] + ["**"] * (len(parts) - 3)) if len(parts) == 6 else REDACTED


@operator("plate", "text", "vehicle plate: province and issuer letter, last character", "粤B****5")
def plate(value: Any) -> str:
    text = re.sub(r"[\s·•.-]", "", _text(value))
    return _keep(text, 2, 1)


@operator("imei", "text", "IMEI / IMSI / ICCID: first 8 digits (model or network)", "35693803*******")
def imei(value: Any, n: int = 8) -> str:
    return _keep(_text(value).strip(), n, 0)


@operator("account", "text", "user name / QQ / WeChat id: first 2 and last 2", "ab***yz")
def account(value: Any) -> str:
    return _keep(_text(value).strip(), 2, 2)


@operator("uscc", "text", "unified social credit code: first 8 and last 2", "91440300********XY")
def uscc(value: Any) -> str:
    text = _text(value).strip()
    return _keep(text, 8, 2) if len(text) == 18 else REDACTED


@operator("url_host", "text", "URL: scheme and host only", "https://example.com/…")
def url_host(value: Any) -> str:
    match = re.match(r"^([a-zA-Z][\w+.-]*://[^/?#]+)", _text(value).strip())
    return match.group(1) + "/…" if match else REDACTED


# -- dates ------------------------------------------------------------------------------------
def _date_op(fmt: Callable[[dt.datetime], str]) -> Callable[[Any], str]:
    def apply(value: Any) -> str:
        d = _date(value)
        return fmt(d) if d is not None else REDACTED
    return apply


@operator("date_to_month", "date", "date -> month", "2025-11")
def date_to_month(value: Any) -> str:
    return _date_op(lambda d: f"{d.year:04d}-{d.month:02d}")(value)


@operator("date_to_quarter", "date", "date -> quarter", "2025-Q4")
def date_to_quarter(value: Any) -> str:
    return _date_op(lambda d: f"{d.year:04d}-Q{(d.month - 1) // 3 + 1}")(value)


@operator("date_to_year", "date", "date -> year", "2025")
def date_to_year(value: Any) -> str:
    return _date_op(lambda d: f"{d.year:04d}")(value)


@operator("date_to_week", "date", "date -> ISO week", "2025-W47")
def date_to_week(value: Any) -> str:
    return _date_op(lambda d: "{:04d}-W{:02d}".format(*d.isocalendar()[:2]))(value)


@operator("datetime_to_date", "date", "timestamp -> date", "2025-11-23")
def datetime_to_date(value: Any) -> str:
    return _date_op(lambda d: d.date().isoformat())(value)


@operator("datetime_to_hour", "date", "timestamp -> hour", "2025-11-23 14:00")
def datetime_to_hour(value: Any) -> str:
    return _date_op(lambda d: d.strftime("%Y-%m-%d %H:00"))(value)


@operator("birthdate_to_age_band", "date", "birth date -> age band at `on` (ISO date; default today)", "30-39")
def birthdate_to_age_band(value: Any, width: int = 10, on: str | None = None) -> str:
    born = _date(value)
    if born is None:
        return REDACTED
    today = dt.date.fromisoformat(on) if on else dt.date.today()
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return age_band(age, width)


@operator("date_shift", "date", "date moved by a keyed number of days (consistent per value)", "2025-11-19")
def date_shift(value: Any, max_days: int = 7, salt: str = "") -> str:
    d = _date(value)
    if d is None:
        return REDACTED
    offset = int(_digest(value, salt)[:8], 16) % (2 * max_days + 1) - max_days
    return (d.date() + dt.timedelta(days=offset)).isoformat()


# -- numbers ----------------------------------------------------------------------------------
@operator("number_range", "number", "number -> the range of `width` it falls in", "12000-12999")
def number_range(value: Any, width: float = 10) -> str:
    x = _number(value)
    if x is None or math.isnan(x):
        return REDACTED
    low = math.floor(x / width) * width
    high = low + width - (1 if float(width).is_integer() and float(low).is_integer() else 0)
    return f"{_fmt(low)}-{_fmt(high)}"


@operator("bucket", "number", "number -> one of the labelled bins (`edges` ascending)", "<100 / 100-500 / >=500")
def bucket(value: Any, edges: tuple[float, ...] | list[float] = (0, 100, 1000)) -> str:
    x = _number(value)
    if x is None or math.isnan(x):
        return REDACTED
    edges = sorted(float(e) for e in edges)
    if x < edges[0]:
        return f"<{_fmt(edges[0])}"
    for low, high in itertools.pairwise(edges):
        if low <= x < high:
            return f"{_fmt(low)}-{_fmt(high)}"
    return f">={_fmt(edges[-1])}"


@operator("age_band", "number", "age -> band of `width` years", "30-39")
def age_band(value: Any, width: int = 10) -> str:
    return number_range(value, width)


@operator("round", "number", "rounded to `digits` decimals (negative: tens, hundreds …)", "12300")
def round_(value: Any, digits: int = 0) -> float | None:
    x = _number(value)
    return None if x is None else round(x, digits)


@operator("round_to", "number", "rounded to the nearest multiple of `step`", "12500")
def round_to(value: Any, step: float = 100) -> float | None:
    x = _number(value)
    return None if x is None else round(x / step) * step


@operator("floor_to", "number", "rounded down to a multiple of `step`", "12000")
def floor_to(value: Any, step: float = 1000) -> float | None:
    x = _number(value)
    return None if x is None else math.floor(x / step) * step


@operator("significant", "number", "kept to `figures` significant figures", "12000")
def significant(value: Any, figures: int = 2) -> float | None:
    x = _number(value)
    if x is None or x == 0 or math.isnan(x):
        return x
    return round(x, figures - 1 - math.floor(math.log10(abs(x))))


@operator("magnitude", "number", "order of magnitude only", "10^4")
def magnitude(value: Any) -> str:
    x = _number(value)
    if x is None or math.isnan(x):
        return REDACTED
    return "0" if x == 0 else f"{'-' if x < 0 else ''}10^{math.floor(math.log10(abs(x)))}"


@operator("top_code", "number", "values above `limit` shown as the limit (outliers identify people)", ">=100000")
def top_code(value: Any, limit: float = 100_000) -> Any:
    x = _number(value)
    return f">={_fmt(limit)}" if x is not None and x >= limit else value


@operator("bottom_code", "number", "values below `limit` shown as the limit", "<=10")
def bottom_code(value: Any, limit: float = 10) -> Any:
    x = _number(value)
    return f"<={_fmt(limit)}" if x is not None and x <= limit else value


@operator("noise", "number", "keyed multiplicative noise of at most `pct` (same value -> same noise)", "12377.1")
def noise(value: Any, pct: float = 0.05, salt: str = "") -> float | None:
    x = _number(value)
    if x is None or math.isnan(x):
        return None
    unit = int(_digest(repr(x), salt)[:8], 16) / 0xFFFFFFFF  # 0..1, deterministic per value
    return x * (1 + (2 * unit - 1) * pct)


@operator("sign", "number", "only whether the value is positive, zero or negative", "+")
def sign(value: Any) -> str:
    x = _number(value)
    if x is None or math.isnan(x):
        return REDACTED
    return "+" if x > 0 else "-" if x < 0 else "0"


@operator("coordinate", "number", "latitude / longitude rounded to `digits` decimals (about 1 km at 2)", "22.54")
def coordinate(value: Any, digits: int = 2) -> float | None:
    x = _number(value)
    return None if x is None else round(x, digits)


# -- applying -------------------------------------------------------------------------------
def check_operator(name: str, params: dict[str, Any]) -> None:
    """Raise :class:`ConfigError` for an unknown operator or parameter (with suggestions)."""
    from semantic_layer.errors import did_you_mean, suggest

    op = OPERATORS.get(name)
    if op is None:
        raise ConfigError(f"unknown masking operator {name!r}. {did_you_mean(suggest(name, OPERATORS))}".strip())
    accepted = {("value" if p == "value_" else p) for p in op.params}
    for key in params:
        if key not in accepted:
            raise ConfigError(f"masking operator {name!r} takes no parameter {key!r}; it takes: "
                              f"{', '.join(sorted(accepted)) or 'none'}")
    from .mask_params import check_params

    check_params(name, params, keyed=name in KEYED)


def _call(op: Operator, value: Any, params: dict[str, Any]) -> Any:
    kwargs = {("value_" if k == "value" else k): v for k, v in params.items()}
    try:
        return op.func(value, **kwargs)
    except Exception:  # noqa: BLE001 - a value the operator cannot read is redacted, never shown
        return REDACTED


def _is_null(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def mask_value(value: Any, name: str, /, **params: Any) -> Any:
    """Mask one value (nulls stay null)."""
    if _is_null(value):
        return value
    return _call(OPERATORS[name], value, params)


def mask_series(series: pd.Series, name: str, params: dict[str, Any] | None = None) -> pd.Series:
    """Mask a result column; numeric operators keep a numeric column, the others give text."""
    op = OPERATORS[name]
    opts = dict(params or {})
    cache: dict[Any, Any] = {}

    def one(value: Any) -> Any:
        if _is_null(value):
            return None
        try:
            key = (type(value), value)
            hash(key)
        except TypeError:
            return _call(op, value, opts)
        if key not in cache:
            cache[key] = _call(op, value, opts)
        return cache[key]

    out = series.map(one).astype(object)
    if op.kind == "number" and name in _NUMERIC_RESULT:
        return pd.to_numeric(out, errors="coerce")
    return out


_NUMERIC_RESULT = frozenset({"round", "round_to", "floor_to", "significant", "noise", "coordinate"})
