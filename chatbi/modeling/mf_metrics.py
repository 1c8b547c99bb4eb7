"""MetricFlow metrics -> ChatBI metrics, over the measures :mod:`.mf_semantic` mapped.

``simple`` metrics (with their filters), ``ratio`` and ``derived`` metrics (aliases resolved,
filtered inputs as hidden filtered copies) map; ``cumulative`` and ``conversion`` metrics and
``offset_window`` inputs have no faithful equivalent and are reported with what to ask instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from semantic_layer.sqlbuild import MetricFlowSQLError, rename_formula

from .mf_filters import FilterNotMappable, parse_filters
from .mf_semantic import SemanticImport, described
from .naming import labels_for

__all__ = ["MetricImport"]


class _Skip(Exception):
    """Internal: this metric cannot be mapped (the message is the reason)."""


class MetricImport:
    """Maps each metric once (inputs first); read ``metrics`` afterwards."""

    def __init__(self, mf_metrics: list[dict[str, Any]], semantic: SemanticImport,
                 fate: Callable[[str, str, str, str], None]) -> None:
        self.sem = semantic
        self.fate = fate
        self.by_name = {str(m["name"]): m for m in mf_metrics if m.get("name")}
        self.metrics: dict[str, dict[str, Any]] = {}
        self.resolving: set[str] = set()
        self.failed: set[str] = set()
        self.caveats: dict[str, list[str]] = {}

    def run(self) -> None:
        for name in self.by_name:
            self._metric(name)
        for mname, spec in self.sem.measures.items():
            if spec.pop("_create_metric", False) and mname not in self.metrics:
                self.metrics[mname] = _leaf(spec)
                self.fate("metric", mname, "mapped", "from measure with create_metric: true")

    # -- one metric -------------------------------------------------------------------------
    def _metric(self, name: str) -> str | None:
        """Map MetricFlow metric ``name`` (once); its ChatBI name, or None when it cannot be mapped."""
        if name in self.metrics:
            return name
        if name in self.failed or name not in self.by_name:
            return None
        if name in self.resolving:
            self._fail(name, "refers to itself through other metrics")
            return None
        self.resolving.add(name)
        try:
            spec = self._map(name, self.by_name[name])
        except _Skip as exc:
            self._fail(name, str(exc))
            return None
        finally:
            self.resolving.discard(name)
        self.metrics[name] = spec
        notes = self.caveats.get(name, [])
        kind = spec.get("type", "simple")
        self.fate("metric", name, "caveat" if notes else "mapped", "; ".join([kind, *notes]))
        return name

    def _fail(self, name: str, reason: str) -> None:
        self.failed.add(name)
        self.fate("metric", name, "not_mapped", reason)

    def _map(self, name: str, m: dict[str, Any]) -> dict[str, Any]:
        kind = str(m.get("type", "simple")).lower()
        tp = m.get("type_params") or {}
        common = described(m, name)
        if kind == "simple":
            ref = tp.get("measure")
            mname = ref.get("name") if isinstance(ref, dict) else ref
            if mname not in self.sem.measures:
                raise _Skip(f"measure {mname!r} was not imported")
            filters = self._filters(m.get("filter")) + self._filters(ref.get("filter") if isinstance(ref, dict) else None)
            spec = _leaf(self.sem.measures[mname])
            for key in ("label", "description", "synonyms", "meta"):
                spec.pop(key, None)
            if filters:
                spec["filters"] = [*spec.get("filters", []), *filters]
            if isinstance(ref, dict) and ({"fill_nulls_with", "join_to_timespine"} & set(ref)):
                self.caveats.setdefault(name, []).append(
                    "fill_nulls_with / join_to_timespine: periods without rows are left out, not shown as "
                    f"{ref.get('fill_nulls_with', 'empty')}")
            return {**spec, **common}
        if kind == "ratio":
            extra = self._filters(m.get("filter"))
            num = self._input(name, "numerator", tp.get("numerator"), extra)
            den = self._input(name, "denominator", tp.get("denominator"), extra)
            return {"type": "ratio", "numerator": num, "denominator": den, **common}
        if kind == "derived":
            return {"type": "derived", "formula": self._formula(name, tp, self._filters(m.get("filter"))), **common}
        if kind == "cumulative":
            ctp = tp.get("cumulative_type_params") or {}
            window, to_date = tp.get("window") or ctp.get("window"), tp.get("grain_to_date") or ctp.get("grain_to_date")
            what = f"window {window}" if window else f"{to_date}-to-date" if to_date else "all-time running total"
            base = tp.get("measure") or tp.get("metric")
            base = base.get("name") if isinstance(base, dict) else base
            plain = self._plain_metric(str(base)) if base else None
            hint = f"; ask {plain!r} with a to-date period (year to date / 今年以来) instead" if plain else ""
            raise _Skip(f"cumulative metric ({what}): ChatBI has no running-total metric{hint}")
        if kind == "conversion":
            raise _Skip("conversion metrics (funnels between entities) are not supported")
        raise _Skip(f"unknown metric type {kind!r}")

    def _filters(self, text: Any) -> list[dict[str, Any]]:
        try:
            return parse_filters(text, self._resolve)
        except FilterNotMappable as exc:
            raise _Skip(str(exc)) from None

    def _resolve(self, kind: str, ref: str) -> str | None:
        parts = ref.split("__")
        if kind == "Entity":
            return self.sem.entity_dims.get(parts[-1])
        refs = self.sem.time_refs if kind == "TimeDimension" else self.sem.dim_refs
        found = refs.get("__".join(parts[-2:])) or refs.get(parts[-1])
        if found is None and kind == "Dimension":  # a time dimension asked as a Dimension(...)
            found = self.sem.time_refs.get("__".join(parts[-2:])) or self.sem.time_refs.get(parts[-1])
        return found

    def _input(self, parent: str, role: str, ref: Any, extra: list[dict[str, Any]]) -> str:
        """A ratio/derived input as a ChatBI metric name (a hidden filtered copy when the input has a filter)."""
        rname = ref.get("name") if isinstance(ref, dict) else ref
        if not rname:
            raise _Skip(f"{role} is missing")
        if isinstance(ref, dict) and (ref.get("offset_window") or ref.get("offset_to_grain")):
            raise _Skip(f"input {rname!r} uses offset_window/offset_to_grain (a time shift); use compare "
                        "(year over year / previous period) in the question instead")
        if rname in self.by_name:
            target = self._metric(str(rname))
            if target is None:
                raise _Skip(f"depends on metric {rname!r}, which could not be mapped")
        elif rname in self.sem.measures:
            target = self._measure_metric(str(rname))
        else:
            raise _Skip(f"{role} {rname!r} is neither a metric nor a measure")
        filters = extra + self._filters(ref.get("filter") if isinstance(ref, dict) else None)
        if not filters:
            return target
        base = self.metrics[target]
        if base.get("type", "simple") not in {"simple", "semi_additive"}:
            raise _Skip(f"a filter on {rname!r}, which is not a simple metric")
        variant = f"{parent}__{role}"
        self.metrics[variant] = {**{k: v for k, v in base.items() if k not in {"synonyms", "description", "label", "meta"}},
                                 "label": labels_for(variant), "filters": [*base.get("filters", []), *filters],
                                 "hidden": True}
        return variant

    def _plain_metric(self, name: str) -> str | None:
        """An already mapped metric computing measure (or metric) ``name`` without filters."""
        if name in self.metrics:
            return name
        for other in self.by_name.values():
            ref = (other.get("type_params") or {}).get("measure")
            ref = ref.get("name") if isinstance(ref, dict) and not ref.get("filter") else ref
            if str(other.get("type", "simple")).lower() == "simple" and not other.get("filter") and \
                    ref == name and other["name"] in self.metrics:
                return str(other["name"])
        return None

    def _measure_metric(self, measure: str) -> str:
        """A metric computing a measure as it is: an unfiltered simple metric over it, else a hidden one."""
        for other in self.by_name.values():
            ref = (other.get("type_params") or {}).get("measure")
            if str(other.get("type", "simple")).lower() == "simple" and not other.get("filter") and (
                    ref == measure or (isinstance(ref, dict) and ref.get("name") == measure and not ref.get("filter"))):
                found = self._metric(str(other["name"]))
                if found:
                    return found
        name = measure if measure not in self.by_name else f"{measure}_measure"
        if name not in self.metrics:
            self.metrics[name] = {**_leaf(self.sem.measures[measure]), "hidden": True}
        return name

    def _formula(self, name: str, tp: dict[str, Any], extra: list[dict[str, Any]]) -> str:
        expr = tp.get("expr")
        if not expr:
            raise _Skip("derived metric without expr")
        mapping: dict[str, str] = {}
        for i, ref in enumerate(tp.get("metrics") or []):
            ref = ref if isinstance(ref, dict) else {"name": ref}
            alias = str(ref.get("alias") or ref.get("name"))
            mapping[alias] = self._input(name, f"input{i + 1}" if ref.get("filter") or extra else alias, ref, extra)
        try:
            return rename_formula(expr, mapping)
        except MetricFlowSQLError as exc:
            raise _Skip(str(exc)) from None


def _leaf(spec: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in spec.items() if not k.startswith("_")}
