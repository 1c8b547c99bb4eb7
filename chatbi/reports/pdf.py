"""PDF: the report's own HTML printed by the system's Chromium (headless), the browser the chart
exporter already uses (``chatbi.charts.export.find_browser``; never downloaded).

The browser window is as wide as an A4 page's printable area, so the charts drawn by plotly.js are
already the size they print at; ``--virtual-time-budget`` lets the scripts finish before printing.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from ..errors import ConfigError, MissingDependencyError
from .errors import RenderError

__all__ = ["html_to_pdf", "save_report", "PDF_TIMEOUT_S"]

PDF_TIMEOUT_S = 90.0
#: A4 (210 mm) minus the page margins of report.css (11 mm each side), in CSS pixels
_PRINT_WIDTH = 718


def _browser() -> str:
    from ..charts.export import find_browser

    try:
        return find_browser()
    except MissingDependencyError as exc:
        raise RenderError(f"PDF output needs a Chromium-based browser: {exc}") from None


def html_to_pdf(html: str, *, timeout: float = PDF_TIMEOUT_S) -> bytes:
    """Print ``html`` (a self-contained page) to PDF bytes with headless Chromium."""
    browser = _browser()
    with tempfile.TemporaryDirectory(prefix="chatbi-report-") as tmp:
        page, out = Path(tmp) / "report.html", Path(tmp) / "report.pdf"
        page.write_text(html, encoding="utf-8")
        args = [browser, "--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio",
                # a profile of its own: several reports (or the chart exporter) may print at once
                f"--user-data-dir={Path(tmp) / 'profile'}", f"--window-size={_PRINT_WIDTH},1000",
                "--no-pdf-header-footer", "--virtual-time-budget=20000", "--run-all-compositor-stages-before-draw",
                f"--print-to-pdf={out}", page.as_uri()]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium refuses to sandbox as root (containers, CI)
        try:
            done = subprocess.run(args, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise RenderError(f"Chromium did not print the report within {timeout:.0f} s") from None
        except OSError as exc:
            raise RenderError(f"cannot start Chromium ({browser}): {exc.strerror or exc}") from None
        if not out.exists() or out.stat().st_size == 0:
            detail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit {done.returncode}"]
            raise RenderError(f"Chromium printed no PDF: {detail[0][:300]}")
        return out.read_bytes()


def save_report(report: Any, path: str | os.PathLike[str]) -> Path:
    """Write the report as ``.html`` or ``.pdf`` (chosen by the suffix), atomically."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix in (".html", ".htm"):
        data = report.to_html().encode("utf-8")
    elif suffix == ".pdf":
        data = report.to_pdf()
    else:
        raise ConfigError(f"cannot write {str(path)!r}: use a .html or .pdf file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)
    return target
