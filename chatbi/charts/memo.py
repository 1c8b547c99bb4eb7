"""Figures remembered by what they are built from, so a chart already drawn is not built again.

Building a Plotly figure costs far more than the query behind a cached answer (the figure object
validates every property against plotly's schema and copies its template). A figure is a pure
function of the query, the result rows, the model, the language, the period, the intent and the
member names (English labels), so :func:`memo_figure` keeps the built figure's JSON under a
digest of exactly those, in a per-process LRU bounded in bytes, and hands every caller a new
figure object made from it (callers may change theirs: the app sets heights and fonts).

The rows are part of the key (a hash of the frame's values, columns and types), so new data
never meets an old chart; the model and the member index are compared by identity (a rebuilt
index is a different object).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.utils import PlotlyJSONEncoder

__all__ = ["FigureMemo", "memo_figure", "MEMO"]


class FigureMemo:
    """Figure JSON by digest, at most ``max_bytes`` of it (least recently used dropped first)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self.hits = self.misses = 0
        self._items: OrderedDict[str, tuple[str, int, Any, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, model: Any, members: Any) -> go.Figure | None:
        with self._lock:
            item = self._items.get(key)
            if item is None or item[2]() is not model or (item[3] is not None and item[3]() is not members):
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            text = item[0]
        return _figure(json.loads(text))  # a new object each time: callers change theirs

    def put(self, key: str, figure: go.Figure, model: Any, members: Any) -> None:
        text = json.dumps(figure.to_plotly_json(), cls=PlotlyJSONEncoder)
        size = len(text)
        if size > self.max_bytes:
            return
        entry = (text, size, _ref(model), _ref(members) if members is not None else None)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.bytes -= old[1]
            self._items[key] = entry
            self.bytes += size
            while self.bytes > self.max_bytes and self._items:
                _, dropped = self._items.popitem(last=False)
                self.bytes -= dropped[1]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.bytes = 0


def _ref(value: Any) -> Any:
    try:
        return weakref.ref(value)
    except TypeError:  # not weakly referenceable: compare by a strong reference instead
        return lambda: value


def _figure(spec: dict[str, Any]) -> go.Figure:
    # the spec came out of a valid figure: skip plotly's property validation, which is what makes
    # building a figure slow (a private switch of plotly's; fall back to validating if it goes away)
    try:
        return go.Figure(spec, _validate=False)
    except TypeError:
        return go.Figure(spec)


#: the process's memo (``$CHATBI_FIGURE_CACHE_MB``, default 32; 0 switches it off)
MEMO = FigureMemo(int(float(os.environ.get("CHATBI_FIGURE_CACHE_MB", "32")) * 1024 * 1024))


def _frame_digest(frame: pd.DataFrame | None) -> str:
    if frame is None:
        return "-"
    digest = hashlib.sha256()
    digest.update(json.dumps([[str(c), str(t)] for c, t in zip(frame.columns, frame.dtypes)]).encode())
    try:
        digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    except (TypeError, ValueError):  # unhashable cells: their text stands for them
        digest.update(frame.to_json(orient="split", date_format="iso", default_handler=str).encode())
    return digest.hexdigest()


def memo_figure(query: Any, frame: pd.DataFrame | None, model: Any, *, language: str, members: Any = None,
                period: Any = None, intent: Any = None, build: Callable[[], go.Figure | None],
                memo: FigureMemo | None = None, compare_period: Any = None) -> go.Figure | None:
    """``build()``'s figure for these inputs, built once per process while it stays in the memo."""
    memo = MEMO if memo is None else memo
    if memo.max_bytes <= 0:
        return build()
    shown_period = [str(p)[:10] for p in period] if period else None
    baseline = [str(p)[:10] for p in compare_period] if compare_period else None  # titles and legends name it
    key_text = json.dumps([getattr(model, "name", ""), query.model_dump(mode="json") if query is not None else None,
                           _frame_digest(frame), language, shown_period, str(intent), baseline], sort_keys=True,
                          default=str)
    key = hashlib.sha256(key_text.encode("utf-8")).hexdigest()
    found = memo.get(key, model, members)
    if found is not None:
        return found
    figure = build()
    if figure is not None:
        memo.put(key, figure, model, members)
    return figure
