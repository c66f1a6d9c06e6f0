"""Review's loop on a real phone: a returned entry shows on Today with the chair's reason, the member
fixes and resubmits it, the chair approves — counted on the server (TESTING.md)."""
import uuid as uuid_module

import pytest

from webapp.book import fields, review, sync
from webapp.models import EntryRevision, Visit

from ..factories import PASSWORD, make_case, make_club, make_user
from .conftest import log_in

pytestmark = pytest.mark.browser


def test_a_returned_entry_is_fixed_on_the_phone_and_approved(live_server, phone):
    club = make_club()
    chair = make_user(club=club, role="chair")
    member = make_user(club=club)
    case = make_case(created_by=member)
    visit_uuid = str(uuid_module.uuid4())
    with live_server.app.test_request_context():
        result = sync.submit_entry(member, {
            "uuid": visit_uuid, "type": "visit", "revision": 1,
            "data": {"case_uuid": case.uuid, "date": fields.local_today().isoformat(),
                     "kind": "home_visit", "topics": ["safe_migration"], "notes": "Đã tư vấn"}})
        assert result["status"] == "created"
        review.return_entry(Visit.get(Visit.uuid == visit_uuid), chair,
                            "Ghi rõ gia đình đã được tư vấn những gì")

    page = phone.new_page()
    log_in(page, live_server.url, member.login, PASSWORD)
    page.wait_for_url(f"{live_server.url}/app/**")
    returned = page.locator(f'a[href="#/fix/{visit_uuid}"]')
    returned.wait_for()
    assert "Ghi rõ gia đình đã được tư vấn những gì" in page.locator("#view").inner_text()

    returned.click()
    notes = page.locator("textarea[name=notes]")
    notes.wait_for()
    assert "Ghi rõ gia đình đã được tư vấn những gì" in page.locator("#view").inner_text()
    notes.fill("Đã tư vấn di cư an toàn cho mẹ và con gái")
    page.locator("#view button[type=submit]").click()
    page.wait_for_url(f"**/app/#/case/{case.uuid}")
    page.evaluate("location.hash = '#/today'")
    page.locator("[data-testid=waiting-count]").filter(has_text="Không có gì chờ gửi").wait_for()
    assert page.locator(f'a[href="#/fix/{visit_uuid}"]').count() == 0

    # On the server: one row, revision 2 submitted again, both revisions kept.
    assert Visit.select().where(Visit.uuid == visit_uuid).count() == 1
    visit = Visit.get(Visit.uuid == visit_uuid)
    assert (visit.revision, visit.review_status, visit.notes) == (
        2, "submitted", "Đã tư vấn di cư an toàn cho mẹ và con gái")
    assert [r.revision for r in EntryRevision.select().where(EntryRevision.uuid == visit_uuid)
            .order_by(EntryRevision.revision)] == [1, 2]

    with live_server.app.test_request_context():
        review.approve(visit, chair)
    assert Visit.get(Visit.uuid == visit_uuid).review_status == "approved"
    assert [step["kind"] for step in review.trail(visit)] == [
        "submitted", "returned", "submitted", "approved"]
