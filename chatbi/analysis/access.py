"""What an analysis may use for the user it runs for: hidden names are skipped or refused, never queried.

An analysis on a user's view (``ChatBI.for_user``) compiles every query under the user's policy,
which refuses hidden metrics and dimensions -- so an analysis that reaches for every dimension
(root cause), every metric (correlation) or a metric tree through a hidden sub-metric would fail
as a whole. Here it drops what the user may not see and analyses the rest; a metric or dimension
the user named themselves is refused with a sentence.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..security.errors import AccessDenied

__all__ = ["hidden_names", "unfilterable_names", "require_visible", "visible"]


def _access(bi: Any) -> Any:
    policy = getattr(getattr(bi, "principal", None), "policy", None)
    if policy is None or policy.unrestricted:
        return None
    return policy.access(bi.model)


def hidden_names(bi: Any) -> frozenset[str]:
    """Metrics and dimensions the user of ``bi`` may not see (empty for the unrestricted facade)."""
    access = _access(bi)
    if access is None:
        return frozenset()
    return frozenset(n for n in (*bi.model.metrics, *bi.model.dimensions) if access.hidden(n))


def unfilterable_names(bi: Any) -> frozenset[str]:
    """Hidden names and masked dimensions (an analysis filters on the members it breaks down by)."""
    access = _access(bi)
    if access is None:
        return frozenset()
    masked = (n for n in bi.model.dimensions if access.masked(n))
    return hidden_names(bi) | frozenset(masked)


def visible(bi: Any, names: Iterable[str]) -> list[str]:
    """``names`` without the ones the user may not use in an analysis."""
    skip = unfilterable_names(bi)
    return [n for n in names if n not in skip]


def require_visible(bi: Any, kind: str, names: Iterable[str], language: str | None) -> None:
    """Refuse, with a sentence, a metric or dimension the user asked for but may not see."""
    skip = hidden_names(bi) if kind == "metric" else unfilterable_names(bi)
    refused = [n for n in names if n in skip]
    if not refused:
        return
    label = "、".join(refused) if language == "zh" else ", ".join(repr(n) for n in refused)
    if language == "zh":
        what = "指标" if kind == "metric" else "维度"
        raise AccessDenied(f"{what}{label}不在您可以查看的范围内，无法分析。")
    raise AccessDenied(f"The {kind} {label} is not available to you, so it cannot be analysed.")
