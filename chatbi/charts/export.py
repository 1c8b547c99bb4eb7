"""Static PNG/SVG export of any figure (email digests, reports) with Plotly's exporter, kaleido.

Kaleido v1 drives a Chromium-based browser. We use the system's (Debian's ``chromium``, found on
PATH or at its usual place, or whatever ``BROWSER_PATH`` names) and never download one: many
deployments have no internet. MathJax is switched off for the same reason (kaleido would
otherwise load it from a CDN).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import ConfigError, MissingDependencyError

__all__ = ["IMAGE_FORMATS", "export_image", "export_session", "find_browser"]

IMAGE_FORMATS = ("png", "svg")
DEFAULT_WIDTH = 960
DEFAULT_HEIGHT = 540
#: open export sessions (kaleido's server is a process-wide singleton)
_SESSIONS = 0
_INSTALL_HINT = ("install a Chromium-based browser (Debian/Ubuntu: `apt-get install chromium`) "
                 "or set BROWSER_PATH to a Chrome/Chromium executable")


def _kaleido() -> Any:
    try:
        import kaleido
    except ImportError:
        raise MissingDependencyError(
            "static image export needs the 'kaleido' package: pip install 'kaleido>=1'") from None
    return kaleido


def _executable(path: str) -> bool:
    return Path(path).is_file() and os.access(path, os.X_OK)


def find_browser() -> str:
    """The browser kaleido will drive; ``MissingDependencyError`` with an install hint if none."""
    explicit = os.environ.get("BROWSER_PATH")
    if explicit:
        # an explicit setting that is wrong must not silently fall back to another browser
        if not _executable(explicit):
            raise MissingDependencyError(
                f"BROWSER_PATH={explicit!r} is not an executable browser; {_INSTALL_HINT}")
        return explicit
    _kaleido()
    from choreographer.browsers.chromium import Chromium

    found = Chromium.find_browser(skip_local=False)
    if not found or not _executable(found):
        raise MissingDependencyError(f"static image export needs a Chromium-based browser: {_INSTALL_HINT}")
    return found


def _kopts() -> dict[str, Any]:
    return {"path": find_browser(), "mathjax": False}


@contextlib.contextmanager
def export_session() -> Iterator[None]:
    """Keep one browser open for many exports (a digest of charts: ~0.3 s each instead of ~4 s).

    >>> with export_session():                                    # doctest: +SKIP
    ...     pngs = [export_image(f, "png") for f in figures]
    """
    global _SESSIONS  # noqa: PLW0603 -- a per-process count of open exporter sessions
    kaleido = _kaleido()
    opts = _kopts()
    if _SESSIONS:  # nested: the outer session's browser serves us
        yield
        return
    kaleido.start_sync_server(silence_warnings=True, **opts)
    _SESSIONS += 1
    try:
        yield
    finally:
        _SESSIONS -= 1
        kaleido.stop_sync_server(silence_warnings=True)


def export_image(figure: Any, path_or_format: str | os.PathLike[str], *, width: int = DEFAULT_WIDTH,
                 height: int = DEFAULT_HEIGHT, scale: float = 1.0) -> bytes:
    """Render ``figure`` to PNG or SVG bytes.

    ``path_or_format`` is ``"png"`` / ``"svg"`` (bytes only) or a file path whose suffix names the
    format (the file is written too). The image is ``width x height`` CSS pixels times ``scale``.
    """
    target = str(path_or_format)
    fmt = target.lower().lstrip(".")
    path: Path | None = None
    if fmt not in IMAGE_FORMATS:
        path = Path(target)
        fmt = path.suffix.lower().lstrip(".")
        if fmt not in IMAGE_FORMATS:
            raise ConfigError(f"cannot export {target!r}: supported image formats are {', '.join(IMAGE_FORMATS)}")
    if width <= 0 or height <= 0 or scale <= 0:
        raise ConfigError(f"image size must be positive, got {width}x{height} at scale {scale}")
    kaleido = _kaleido()
    spec = figure.to_dict() if hasattr(figure, "to_dict") else dict(figure)
    opts = {"format": fmt, "width": int(width), "height": int(height), "scale": scale}
    if _SESSIONS:
        data = kaleido.calc_fig_sync(spec, opts=opts)
    else:
        data = kaleido.calc_fig_sync(spec, opts=opts, kopts=_kopts())
    if isinstance(data, str):
        data = data.encode("utf-8")
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return bytes(data)
