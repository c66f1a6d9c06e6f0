"""The chair's figures on a phone: the dashboard fits the screen and breaks no CSP rule."""
import pytest

from ..factories import PASSWORD
from ..report_data import seed_year
from .conftest import log_in

pytestmark = pytest.mark.browser


def test_dashboard_and_monthly_meeting_on_a_phone(live_server, phone):
    seeded = seed_year(2025)
    page = phone.new_page()
    problems = []
    page.on("console", lambda message: problems.append(message.text)
            if message.type in ("error", "warning") else None)
    log_in(page, live_server.url, seeded.chair.login, PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    for path in ("/desk/dashboard?year=2025", "/desk/monthly/2025/3", "/desk/exports"):
        page.goto(live_server.url + path)
        assert page.locator("h1").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    page.goto(live_server.url + "/desk/dashboard?year=2025")
    assert page.locator("svg.chart rect.chart__bar").count() == 12
    # The print button is shown by the page's own module (no inline script).
    page.goto(live_server.url + "/desk/monthly/2025/3")
    assert page.locator("[data-print]").is_visible()
    assert problems == []
