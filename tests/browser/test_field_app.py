"""The field app in a real phone browser: offline, flaky, restarted, shared — counted on the server.

Every test asserts the server's rows (one per uuid), not only what the page says (TESTING.md).
"""
import pytest

from ..factories import PASSWORD, make_user
from .conftest import log_in

pytestmark = pytest.mark.browser


def open_app(page, server, user):
    """Log in as `user` and wait for the field app with its service worker in control."""
    log_in(page, server.url, user.login, PASSWORD)
    page.wait_for_url(f"{server.url}/app/**")
    page.wait_for_function("navigator.serviceWorker.controller !== null"
                           " || navigator.serviceWorker.ready.then(() => true)")
    page.evaluate("navigator.serviceWorker.ready")
    return page


def test_the_app_is_installable(live_server, phone):
    member = make_user(role="member")
    page = open_app(phone.new_page(), live_server, member)
    cdp = phone.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["errors"] == []
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15000)
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    # No overflow at a phone's width, the bottom navigation within reach of a thumb.
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    assert page.locator(".bottomnav").is_visible()
