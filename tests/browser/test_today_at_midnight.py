"""The Today screen at the clubs' midnight, left open offline on a phone: yesterday's visits move
to overdue."""
import os

import pytest

from webapp.models import Appointment

from ..factories import PASSWORD, make_case, make_club, make_user, today
from .conftest import log_in

pytestmark = pytest.mark.browser

# The phone's clock moves on to one minute past the next midnight in Hạ Long (UTC+7).
PAST_MIDNIGHT = """() => {
  const day = 864e5, offset = 7 * 36e5, real = Date.now.bind(Date);
  const shift = (day - ((real() + offset) % day)) + 60e3;
  Date.now = () => real() + shift;
}"""


def test_today_screen_left_open_offline_past_midnight_files_yesterdays_visit_as_overdue(
        live_server, phone):
    """A member opens Today in the evening: a visit is due today. The phone stays on the app,
    offline, past midnight (Android keeps the page alive); in the morning they turn the screen on
    (visibilitychange). Nothing draws the screen again (the only trigger is a sync, which does not
    start offline), so yesterday's visit is still listed under "due", and no overdue count shows."""
    club = make_club()
    member = make_user(club=club, role="member", device_key=os.urandom(32))
    case = make_case(club=club, created_by=member)
    Appointment.create(club=club, case=case, member=member, due_date=today(), created_by=member)
    page = phone.pages[0] if phone.pages else phone.new_page()
    page.context.new_cdp_session(page).send("Browser.setPermission", {
        "permission": {"name": "background-sync"}, "setting": "denied",
        "origin": live_server.url})
    log_in(page, live_server.url, member.login, PASSWORD)
    page.wait_for_url(f"{live_server.url}/app/**")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.wait_for_selector(".badge--warn")  # the visit, due today
    assert page.locator(".badge--danger").count() == 0

    phone.route("**/*", lambda route: route.abort("internetdisconnected"))
    phone.set_offline(True)
    page.evaluate(PAST_MIDNIGHT)
    page.evaluate("""() => {
      window.dispatchEvent(new Event("offline"));
      document.dispatchEvent(new Event("visibilitychange"));
    }""")
    page.wait_for_timeout(1500)
    assert page.locator(".badge--danger").count() >= 1, (
        "after midnight the Today screen still lists yesterday's visit as due, not overdue")
