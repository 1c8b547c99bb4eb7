"""The one presentation layer for numbers: sentences, chart ticks and hovers, table cells, CSV,
JSON, the command line and email all format through these functions, so a number reads the same
everywhere it appears.

Styles (``fmt`` is a metric's ``format``: ``number`` | ``integer`` | ``percent`` | ``currency``):

- :func:`format_value` -- compact, for people: 万/亿 in Chinese, K/M/B in English; ¥ / 元 for
  money; ``%`` for rates; whole numbers for counts (an expected count of 4,865.79 subscribers
  reads 4,866).
- :func:`format_tick` -- an axis tick: compact, trailing zeros trimmed, the unit left to the title.
- :func:`format_delta` -- a signed difference; a rate's difference is in percentage points.
- :func:`format_change` -- a signed relative change (``+12.3%``).
- :func:`format_share` -- a part of a whole (``84.6%``).
- :func:`format_exact` -- every digit that matters, grouped, never in scientific notation (the
  raw-value column, the CLI table).
- :func:`clean_number` -- the value for machines (CSV, JSON) without float noise
  (``2168576190.4700007`` -> ``2168576190.47``).

Plotly-free and pandas-light on purpose: the CLI and the mailer import it without the charts.
The words (万/亿, 元, 个百分点, minute units) and where they go are each language's, in the
``number`` section of the message catalogs (``chatbi/messages/<language>.yaml``).

>>> format_value(881_286_310.47, "currency", "CNY", "zh"), format_value(881_286_310.47, "currency", "CNY", "en")
('8.81 亿元', '¥881M')
>>> format_value(4865.79, "integer", "", "en"), format_delta(-0.00073, "percent", "", "zh")
('4,866', '-0.073 个百分点')
>>> format_exact(64_215_130_000.0, "currency", "CNY", "en"), clean_number(2168576190.4700007, "currency")
('64,215,130,000.00', 2168576190.47)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..messages import language_of, phrases
from ..values import is_missing

__all__ = [
    "CURRENCIES",
    "clean_number",
    "format_change",
    "format_delta",
    "format_exact",
    "format_share",
    "format_tick",
    "format_value",
    "lang_of",
    "unit_label",
]

#: currency code -> symbol; the words (元, dollars) and where they go are the language's (``number.*``)
CURRENCIES = {"CNY": "¥", "RMB": "¥", "USD": "$", "EUR": "€"}
#: significant digits a float keeps after arithmetic; beyond them is noise of the binary representation
_SIGNIFICANT = 15
MISSING = "—"


def lang_of(language: str | None) -> str:
    """The catalog language of ``language``: ``zh``/``zh-CN``/``zh_Hans`` -> ``zh``; unknown -> ``en``."""
    return language_of(language)


@dataclass(frozen=True)
class _Locale:
    """A language's number rules (``number.*`` in the message catalogs), read once per language:
    formatting runs for every cell of a table."""

    scales: tuple[tuple[float, float, str], ...]  # (from this magnitude, divide by, suffix), largest first
    fixed2: bool  # two decimals for scaled numbers (3.21 亿) instead of three significant digits (¥321M)
    money: str
    with_unit: str
    plain: str
    money_label: str
    pp: str
    currency_words: dict[str, str]
    units: dict[str, str]


@lru_cache(maxsize=16)
def _locale(language: str) -> _Locale:
    f = phrases("number", language)
    scales = tuple((float(a), float(b), suffix) for a, b, suffix in (item.split(":") for item in f["scales"].split()))
    return _Locale(scales, f["digits"] == "fixed2", f["money"], f["with_unit"], f["plain"], f["money_label"], f["pp"],
                   {k.removeprefix("currency_words."): v for k, v in f.items() if k.startswith("currency_words.")},
                   {k.removeprefix("units."): v for k, v in f.items() if k.startswith("units.")})


def _is_money(fmt: str, unit: str) -> bool:
    return fmt == "currency" or (unit or "").upper() in CURRENCIES


def _currency(unit: str, lang: str) -> tuple[str, str]:
    code = (unit or "").upper() if (unit or "").upper() in CURRENCIES else "CNY"
    return CURRENCIES[code], _locale(lang).currency_words.get(code, code)


def _digits(scaled: float, lang: str) -> int:
    if _locale(lang).fixed2:
        return 2
    mag = abs(scaled)
    return 2 if mag < 10 else 1 if mag < 100 else 0


def _trim(number: str) -> str:
    return number.rstrip("0").rstrip(".") if "." in number else number


def _plain(value: float, fmt: str, trim: bool) -> str:
    if fmt == "integer":  # counts are whole: an expected or averaged count is rounded, not shown as 4,865.79
        return f"{round(value):,}"
    if value != 0 and abs(value) < 0.01:
        return f"{value:.3g}"
    out = f"{value:,.2f}"
    # whole numbers drop ".00"; otherwise two decimals, so a column of values lines up
    return _trim(out) if trim or (fmt == "number" and value == int(value)) else out


def _scaled(value: float, lang: str, trim: bool) -> tuple[str, str] | None:
    for threshold, factor, suffix in _locale(lang).scales:
        if abs(value) >= threshold:
            number = f"{value / factor:,.{_digits(value / factor, lang)}f}"
            return (_trim(number) if trim else number), suffix
    return None


def _number(value: Any) -> float | None:
    """The float behind a cell, or None when it is missing or not a number (a masked range)."""
    if is_missing(value) or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _format(value: Any, fmt: str, unit: str, language: str, *, trim: bool, with_unit: bool = True) -> str:
    number = _number(value)
    if number is None:
        return MISSING if is_missing(value) else str(value)
    lang = lang_of(language)
    if math.isinf(number):
        return "∞" if number > 0 else "-∞"
    if fmt == "percent":
        pct = f"{number * 100:,.2f}"
        return (_trim(pct) if trim else pct) + "%"
    sign, number = ("-" if number < 0 else ""), abs(number)
    if fmt == "integer":
        number = float(round(number))
        sign = sign if number else ""
    scaled = _scaled(number, lang, trim)
    body = scaled[0] if scaled else _plain(number, fmt, trim)
    suffix = scaled[1] if scaled else ""
    if not with_unit:
        return f"{sign}{body}{suffix}"
    locale = _locale(lang)
    if _is_money(fmt, unit):
        symbol, word = _currency(unit, lang)
        return locale.money.format(sign=sign, symbol=symbol, number=body, scale=suffix, word=word).rstrip()
    if unit == "%":
        return f"{sign}{body}{suffix}%"
    if unit:
        shown = locale.units.get(unit, unit)
        return locale.with_unit.format(sign=sign, number=body, scale=suffix, unit=shown).rstrip()
    return locale.plain.format(sign=sign, number=body, scale=suffix).rstrip()


def format_value(value: Any, fmt: str, unit: str, language: str) -> str:
    """A metric value for people: 万/亿 or K/M/B, % for ``percent``, ¥/元 for money; ``—`` for missing.

    A value that is not a number (a masked range such as ``100-200``) is shown as it is.
    """
    return _format(value, fmt or "number", unit or "", language, trim=False)


def format_tick(value: float, fmt: str, unit: str, language: str) -> str:
    """An axis tick: as :func:`format_value` but without trailing zeros, units left to the axis title
    (except % and the English currency symbol, which read naturally on ticks).

    >>> format_tick(2e9, "currency", "CNY", "zh"), format_tick(2e9, "currency", "CNY", "en")
    ('20亿', '¥2B')
    """
    if fmt == "percent":
        return _format(value, fmt, unit, language, trim=True)
    if lang_of(language) == "en" and _is_money(fmt, unit):
        return _format(value, "currency", unit, language, trim=True)
    return _format(value, fmt, unit, language, trim=True, with_unit=False)


def format_delta(value: Any, fmt: str, unit: str, language: str) -> str:
    """A difference with its sign; a rate (``percent``) changes in percentage points.

    >>> format_delta(-98_719_530, "currency", "CNY", "zh"), format_delta(0.0123, "percent", "", "en")
    ('-9,871.95 万元', '+1.23 pp')
    """
    number = _number(value)
    if number is None or not math.isfinite(number):
        return MISSING
    if fmt == "percent":
        pp = number * 100
        text = f"{pp:+.2f}" if abs(pp) >= 0.1 or pp == 0 else f"{pp:+.3f}"
        return _locale(lang_of(language)).pp.format(value=text)
    if fmt == "integer":
        number = float(round(number))
    return ("+" if number >= 0 else "-") + format_value(abs(number), fmt, unit, language)


def format_change(fraction: Any, language: str = "en") -> str:
    """A relative change with its sign: ``+12.3%`` / ``-9.9%``."""
    number = _number(fraction)
    if number is None or not math.isfinite(number):
        return MISSING
    value = number * 100
    return f"{'+' if value >= 0 else '-'}{abs(value):,.1f}%"


def format_share(fraction: Any, language: str = "en") -> str:
    """A part of a whole: ``84.6%`` (one decimal; a share is never signed).

    >>> format_share(0.9079), format_share(1.0)
    ('90.8%', '100%')
    """
    number = _number(fraction)
    if number is None or not math.isfinite(number):
        return MISSING
    return _trim(f"{number * 100:,.1f}") + "%"


def format_exact(value: Any, fmt: str, unit: str, language: str) -> str:
    """Every digit that matters, grouped, never scientific: money to the cent, counts whole,
    rates as percentages with four decimals, other numbers with up to six.

    >>> format_exact(6.421513e+10, "number", "", "en"), format_exact(0.04863987, "percent", "", "zh")
    ('64,215,130,000', '4.8640%')
    """
    number = _number(value)
    if number is None:
        return MISSING if is_missing(value) else str(value)
    if not math.isfinite(number):
        return "∞" if number > 0 else "-∞" if number < 0 else MISSING
    number = float(f"{number:.{_SIGNIFICANT}g}")
    if fmt == "percent":
        return f"{number * 100:,.4f}%"
    if fmt == "integer":
        return f"{round(number):,}"
    if _is_money(fmt, unit):
        return f"{number:,.2f}"
    text = f"{number:,.6f}"
    return _trim(text)


def clean_number(value: Any, fmt: str = "number") -> float | int | None:
    """The value for CSV / JSON: counts as integers, money to the cent, others without the noise
    binary floats add after the 15th significant digit; None for missing.

    >>> clean_number(2168576190.4700007, "currency"), clean_number(4865.0, "integer"), clean_number(0.1 + 0.2)
    (2168576190.47, 4865, 0.3)
    """
    number = _number(value)
    if number is None or not math.isfinite(number):
        return None
    number = float(f"{number:.{_SIGNIFICANT}g}")
    if fmt == "integer" and number == round(number):
        return int(number)
    if fmt == "currency":
        return round(number, 2)
    return number


def unit_label(fmt: str, unit: str, language: str) -> str:
    """What goes in an axis title's or a column header's parentheses: ``元`` / ``¥`` / ``GB`` / ``%``."""
    if fmt == "percent" or unit == "%":
        return "%"
    lang = lang_of(language)
    if _is_money(fmt, unit):
        symbol, word = _currency(unit, lang)
        return _locale(lang).money_label.format(symbol=symbol, word=word)
    return _locale(lang).units.get(unit, unit) if unit else ""
