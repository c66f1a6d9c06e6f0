"""Audit of the review loop's edges on a real phone: each test names a defect it proves."""
import time
import uuid as uuid_module
from datetime import timedelta

import pytest

from webapp.book import cases, fields, review, sync
from webapp.db import utcnow
from webapp.models import Case, CaseHolder, Visit

from ..factories import make_case, make_club, make_user
from .test_field_app import member_of, open_app

pytestmark = pytest.mark.browser


def until(check, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.25)
    return False


# --- D3: a returned visit whose case has passed to another member cannot be fixed on the phone --

def test_a_returned_visit_on_a_case_passed_on_can_still_be_fixed_on_the_phone(live_server, phone):
    club = make_club()
    chair = make_user(club=club, role="chair")
    member, other = member_of(club), member_of(club)
    case = make_case(club=club, created_by=chair, assigned_to=None, full_name="Cao Thị Chuyển")
    cases.assign(case, member, by=chair)
    CaseHolder.update(since=utcnow() - timedelta(hours=2)).execute()
    visit_uuid = str(uuid_module.uuid4())
    with live_server.app.test_request_context():
        result = sync.submit_entry(member, {
            "uuid": visit_uuid, "type": "visit", "revision": 1,
            "data": {"case_uuid": case.uuid, "date": fields.local_today().isoformat(),
                     "kind": "home_visit", "topics": ["safe_migration"], "notes": "Đã tư vấn"},
            "client_created_at": (utcnow() - timedelta(hours=1)).isoformat() + "Z"})
        assert result["status"] == "created", result
        review.return_entry(Visit.get(Visit.uuid == visit_uuid), chair,
                            "Ghi rõ đã tư vấn những gì", seen=1)
        # The monthly meeting then gives the case to another member.
        cases.assign(Case.get_by_id(case.id), other, by=chair)

    page = open_app(phone.new_page(), live_server, member)
    fix = page.locator(f'a[href="#/fix/{visit_uuid}"]')
    fix.wait_for()  # Today lists it, with the chair's reason: the member is asked to fix it
    assert "Ghi rõ đã tư vấn những gì" in page.locator("#view").inner_text()
    fix.click()
    notes = page.locator("textarea[name=notes]")
    notes.wait_for()
    notes.fill("Đã tư vấn di cư an toàn cho cả gia đình")
    page.locator("#view button[type=submit]").click()

    # The server takes this fix from its author (they held the case when they made the visit):
    # it must reach the club as revision 2.
    reached = until(lambda: Visit.get(Visit.uuid == visit_uuid).revision == 2)
    assert reached, ("the fix never left the phone; the form says: "
                     + page.locator("#view").inner_text()[:400])
