"""Real-browser fixtures: the app on a live local server, and Debian's Chromium as a phone.

See ../shared/TESTING.md: a persistent profile (installable, survives a restart), the service
worker live, and its own requests routable so that tests can cut the network for real.
"""
import os
import threading

import pytest
from werkzeug.serving import make_server

from webapp.db import database

from ..conftest import make_test_app

os.environ.setdefault("PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS", "1")
from playwright.sync_api import sync_playwright  # noqa: E402

CHROMIUM = os.environ.get("SOTD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


class LiveServer:
    """The app served by werkzeug in a thread, on a free port of 127.0.0.1."""

    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()


@pytest.fixture
def live_server(app_config, tmp_path, monkeypatch):
    """The app on a real HTTP port; the test's own code shares its database."""
    app_config["WTF_CSRF_ENABLED"] = True
    application = make_test_app(app_config, tmp_path, monkeypatch)
    server = LiveServer(application).start()
    with application.app_context():
        yield server
    server.stop()
    if not database.is_closed():
        database.close()


@pytest.fixture(scope="session")
def playwright_instance():
    with sync_playwright() as p:
        yield p


@pytest.fixture
def phone(playwright_instance, tmp_path):
    """A persistent Chromium profile emulating a Pixel 5, in Vietnamese, in Hạ Long's time zone."""
    device = dict(playwright_instance.devices["Pixel 5"])
    device.pop("default_browser_type", None)
    context = playwright_instance.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
        service_workers="allow",
        **device,
    )
    context.set_default_timeout(15000)
    yield context
    context.close()


def open_phone(playwright_instance, profile_dir):
    """Open (again) a phone on `profile_dir`: for close-and-reopen tests."""
    device = dict(playwright_instance.devices["Pixel 5"])
    device.pop("default_browser_type", None)
    context = playwright_instance.chromium.launch_persistent_context(
        str(profile_dir), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
        locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", service_workers="allow", **device)
    context.set_default_timeout(15000)
    return context


def log_in(page, base_url, login, password):
    page.goto(f"{base_url}/login")
    submit_login(page, login, password)


def submit_login(page, login, password):
    """Fill in and send the login form the page shows."""
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
