"""Translate MetricFlow ``where`` filters into a ChatBI metric's own filters.

MetricFlow filters are SQL with Jinja references::

    {{ Dimension('order_id__order_status') }} = 'completed'
    {{ Dimension('customer__region') }} in ('EU', 'UK') and {{ Dimension('order__is_food') }} = true
    {{ Dimension('order_id__order_total_dim') }} >= 20

Conjunctions of equality, ``IN``, comparisons with a constant and null tests over dimensions map
to ChatBI's metric filters; anything else (``OR``, time filters at other grains than day, metric
values) is reported as not mappable rather than approximated. The SQL itself is parsed by
:func:`semantic_layer.sqlbuild.translate_filter`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from semantic_layer.sqlbuild import FilterNotMappable, translate_filter

__all__ = ["FilterNotMappable", "parse_filters"]


def parse_filters(filters: str | Sequence[str] | None,
                  resolve: Callable[[str, str], str | None]) -> list[dict[str, Any]]:
    """Metric filters for one or more MetricFlow filter strings (all must hold).

    ``resolve(kind, ref)`` maps a MetricFlow reference (``"Dimension"``, ``"customer__region"``)
    to a ChatBI dimension name, or None when there is none. Raises :class:`FilterNotMappable`
    (a ``ValueError``) for a filter ChatBI cannot express.

    >>> parse_filters("{{ Dimension('order__status') }} = 'done'", lambda kind, ref: ref.split('__')[-1])
    [{'dimension': 'status', 'op': 'in', 'values': ['done']}]
    """
    if not filters:
        return []
    texts = [filters] if isinstance(filters, str) else list(filters)
    out: list[dict[str, Any]] = []
    for text in texts:
        out += translate_filter(str(text), resolve)
    return out
