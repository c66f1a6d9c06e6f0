"""A member logs in on a phone and lands on the home page."""
import pytest

from ..factories import PASSWORD, make_user
from .conftest import log_in

pytestmark = pytest.mark.browser


def test_chair_logs_in_on_a_phone_and_keeps_the_desk(live_server, phone):
    chair = make_user(role="chair", full_name="Trần Thị Mai")
    page = phone.new_page()
    log_in(page, live_server.url, chair.login, PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    assert "Trần Thị Mai" in page.locator("h1").inner_text()
    assert page.viewport_size["width"] <= 400
    assert page.locator(".bottomnav").is_visible()
    # Nothing overflows the phone's width.
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
