"""The survey on a real phone: a screening the chair returned, in a round the chair
closed since, is fixed on the phone and reaches the club (the server takes it: it was made before
the round closed)."""
import pytest

from webapp.book import review, screenings, sync
from webapp.book.fields import local_today
from webapp.models import Screening, SurveyRound
from datetime import timedelta

from ..factories import make_club, make_user
from .test_field_app import open_app, member_of

pytestmark = pytest.mark.browser


def test_a_screening_returned_in_a_round_closed_since_is_fixed_on_the_phone(live_server, phone):
    club = make_club()
    member = member_of(club)
    chair = make_user(club=club, role="chair")
    today = local_today()
    round_ = SurveyRound.create(club=club, name="Khảo sát tháng 12", starts_on=today - timedelta(days=5),
                                ends_on=today + timedelta(days=30),
                                areas=["Tổ 1", "Tổ 2"], created_by=chair)
    sent = sync.new_entry("screening", {
        "round_uuid": round_.uuid, "area": "Tổ 1", "screened_on": today.isoformat(),
        "category": "at_risk", "indicators": ["plans_abroad"], "risk_level": "medium",
        "counselled": False, "topics": [], "notes": ""})
    assert sync.submit_entry(member, sent)["status"] == "created"
    row = Screening.get(Screening.uuid == sent["uuid"])
    review.return_entry(row, chair, "Người này đang định đi xuất khẩu lao động: sửa nhóm")
    screenings.close_round(SurveyRound.get_by_id(round_.id), chair)  # the survey is over

    page = phone.new_page()
    page.set_viewport_size({"width": 360, "height": 740})
    open_app(page, live_server, member)
    fix = page.locator(f'a[href="#/fix/{sent["uuid"]}"]')
    fix.wait_for(timeout=20000)  # on Today, with the chair's reason
    fix.click()
    page.wait_for_selector("form [data-field=category]")
    page.select_option("#f-category", "labour_migrant")
    page.click("form button[type=submit]")
    page.wait_for_timeout(1500)
    shown = page.locator("main, #view").first.inner_text()
    # Saved and sent: the phone leaves the form, and the server holds the fix as revision 2.
    page.evaluate("location.hash = '#/today'")
    try:
        page.wait_for_selector("[data-testid=waiting-count][data-waiting='0']", timeout=20000)
    except Exception:
        pass
    row = Screening.get_by_id(row.id)
    assert (row.revision, row.category) == (2, "labour_migrant"), (
        f"the fix did not reach the club; the phone showed: {shown[:400]!r}")
