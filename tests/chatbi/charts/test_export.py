"""Static export through kaleido and the system's Chromium, for real."""

from __future__ import annotations

import struct

import pytest

from chatbi.charts import build_figure, export_image, export_session, find_browser
from chatbi.errors import ConfigError, MissingDependencyError

pytestmark = pytest.mark.browser


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    length, chunk = struct.unpack(">I4s", data[8:16])
    assert chunk == b"IHDR" and length == 13
    return struct.unpack(">II", data[16:24])


def test_png_and_svg_of_a_chinese_chart(sample_bi, tmp_path):
    answer = sample_bi.query(metrics=["revenue"], dimensions=["province"], language="zh")
    fig = build_figure(answer.query, answer.data, sample_bi.model, language="zh", members=sample_bi.members)
    target = tmp_path / "charts" / "revenue_by_province.png"
    with export_session():  # one browser for the three exports
        png = export_image(fig, target, width=800, height=500)
        svg = export_image(fig, "svg", width=640, height=400)
        double = export_image(fig, "png", width=400, height=300, scale=2)
    assert png_size(png) == (800, 500)
    assert target.read_bytes() == png
    assert len(png) > 10_000  # bars, labels and text, not a blank canvas
    assert png_size(double) == (800, 600)
    text = svg.decode("utf-8")
    assert text.lstrip().startswith("<svg") and 'width="640"' in text
    assert "广东" in text and "收入" in text


def test_a_single_export_starts_its_own_browser(tmp_path):
    import plotly.graph_objects as go

    fig = go.Figure(go.Bar(x=["a", "b"], y=[1, 2]))
    data = export_image(fig, tmp_path / "bar.svg", width=300, height=200)
    assert (tmp_path / "bar.svg").read_bytes() == data
    assert b"<svg" in data[:200]


def test_a_missing_browser_is_a_clear_error(monkeypatch, tmp_path):
    import plotly.graph_objects as go

    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-chromium"))
    with pytest.raises(MissingDependencyError, match="apt-get install chromium"):
        find_browser()
    with pytest.raises(MissingDependencyError, match="BROWSER_PATH"):
        export_image(go.Figure(), "png")


def test_the_system_browser_is_found(monkeypatch):
    monkeypatch.delenv("BROWSER_PATH", raising=False)
    assert "chrom" in find_browser().lower()


def test_unsupported_formats_and_sizes_are_rejected(tmp_path):
    import plotly.graph_objects as go

    with pytest.raises(ConfigError, match="png, svg"):
        export_image(go.Figure(), tmp_path / "chart.gif")
    with pytest.raises(ConfigError, match="positive"):
        export_image(go.Figure(), "png", width=0)
