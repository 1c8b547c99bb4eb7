"""Fixtures for the app: an app over the sample warehouse, a live server on loopback, headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .browser import CHROMIUM, CHROMIUM_ARGS, LiveServer


@pytest.fixture()
def app(sample_bi, tmp_path):
    from dashboards import create_app

    return create_app(sample_bi, app_db=tmp_path / "app.sqlite3")


@pytest.fixture()
def ctx(app):
    return app.chatbi_context


@pytest.fixture()
def needs_ask(sample_bi) -> None:
    if not hasattr(sample_bi, "ask"):
        pytest.skip("ChatBI.ask (the translator) is not installed yet")


@pytest.fixture(scope="module")
def live_app(sample_bi, tmp_path_factory) -> Iterator[LiveServer]:
    """One app on a free loopback port for a test module (its own app database)."""
    from dashboards import create_app

    from sample_data import TELECOM_DIR

    app = create_app(sample_bi, app_db=tmp_path_factory.mktemp("appdb") / "app.sqlite3",
                     alert_rules=TELECOM_DIR / "alerts.yaml")
    with LiveServer(app) as server:
        yield server


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    if not CHROMIUM.exists():
        pytest.skip("headless browser tests need /usr/bin/chromium (installed by .ci/setup)")
    sync_api = pytest.importorskip("playwright.sync_api")
    manager = sync_api.sync_playwright().start()
    browser = manager.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    manager.stop()
