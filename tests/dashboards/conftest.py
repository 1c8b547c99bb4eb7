"""Fixtures for the app: an app over the sample warehouse, a live server on loopback, headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .browser import LiveServer


@pytest.fixture()
def app(sample_bi, tmp_path):
    from dashboards import create_app

    return create_app(sample_bi, app_db=tmp_path / "app.sqlite3")


@pytest.fixture()
def ctx(app):
    return app.chatbi_context


@pytest.fixture(scope="module")
def live_app(sample_bi, tmp_path_factory) -> Iterator[LiveServer]:
    """One app on a free loopback port for a test module (its own app database)."""
    from dashboards import create_app
    from sample_data import TELECOM_DIR

    app = create_app(sample_bi, app_db=tmp_path_factory.mktemp("appdb") / "app.sqlite3",
                     alert_rules=TELECOM_DIR / "alerts.yaml")
    with LiveServer(app) as server:
        yield server


