"""The chair's conflicts list on a 360 px phone: a kept copy side by side with the record, merged
field by field into a new revision, another dismissed with a reason — counted on the server."""
import uuid as uuid_module

import pytest

from webapp.book import sync
from webapp.models import Case, EntryRevision, SyncConflict

from ..factories import PASSWORD, make_club, make_user
from .conftest import log_in

pytestmark = pytest.mark.browser

CASE = {"full_name": "Hoàng Thị Duyên", "sex": "female", "birth_year": 2000,
        "address": "Tổ 7, khu 3", "neighbourhood": "Khu 3", "phone": "0912000111",
        "categories": ["at_risk"], "risk_level": "low",
        "consent": {"follow": True, "refer": False, "share": False}}


def kept_copy(member, chair, **phone_changes):
    """A case the member registered; the chair corrects it at the desk while the member's phone
    edits the old revision: the phone's copy is kept as a conflict. Returns the case's uuid."""
    uuid = str(uuid_module.uuid4())
    entry = {"uuid": uuid, "type": "case", "revision": 1, "data": CASE}
    assert sync.submit_entry(member, entry)["status"] == "created"
    case = Case.get(Case.uuid == uuid)
    sync.desk_edit(chair, case, dict(CASE, address="Số 5, tổ 7, khu 3", assigned_to=member.id))
    stale = dict(entry, revision=2, base_revision=1, data=dict(CASE, **phone_changes))
    assert sync.submit_entry(member, stale)["status"] == "conflict"
    return uuid


def assert_fits_a_phone(page):
    assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
    small = page.evaluate("""() => [...document.querySelectorAll(
            'main .list__main, main .button, main button, main input, main select, main textarea, '
            + '.conflict-choice')]
        .filter(el => el.offsetParent !== null && el.type !== 'radio' && el.type !== 'hidden')
        .map(el => [el, el.getBoundingClientRect()])
        .filter(([el, r]) => r.height < 40)
        .map(([el, r]) => el.outerHTML.slice(0, 80))
""")
    assert small == []


def test_the_chair_resolves_conflicts_on_a_phone(live_server, phone, tmp_path):
    club = make_club()
    chair = make_user(club=club, role="chair")
    member = make_user(club=club)
    with live_server.app.test_request_context():
        merged_uuid = kept_copy(member, chair, phone="0988777666", risk_level="high")
        dismissed_uuid = kept_copy(member, chair, neighbourhood="Khu 9")

    page = phone.new_page()
    page.set_viewport_size({"width": 360, "height": 740})
    log_in(page, live_server.url, chair.login, PASSWORD)
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/desk/review/")
    # Two copies wait: counted on the review badge and linked from the queue.
    assert page.locator(".bottomnav__count").first.inner_text().strip() == "2"
    page.get_by_role("link", name="Xung đột cần xử lý").click()
    page.wait_for_url("**/desk/review/conflicts/")
    items = page.locator(".conflicts .list__item a")
    assert items.count() == 2
    assert_fits_a_phone(page)

    merged = SyncConflict.get(SyncConflict.uuid == merged_uuid)
    page.locator(f'a[href="/desk/review/conflicts/{merged.id}"]').click()
    page.wait_for_url(f"**/desk/review/conflicts/{merged.id}")
    fields = page.locator(".conflict-field")
    # Only what differs: the address (the desk's), the phone number and the risk level (the phone's).
    assert fields.count() == 3
    assert_fits_a_phone(page)
    pair = fields.first.locator(".conflict-choice")
    kept_box, now_box = pair.nth(0).bounding_box(), pair.nth(1).bounding_box()
    assert abs(kept_box["y"] - now_box["y"]) < 2 and kept_box["x"] < now_box["x"]  # side by side
    assert kept_box["width"] > 120 and now_box["width"] > 120
    page.screenshot(path=str(tmp_path / "conflict-360.png"), full_page=True)

    page.locator(".conflict-field", has_text="Số điện thoại").get_by_text("0988777666").click()
    page.locator(".conflict-field", has_text="Mức độ nguy cơ").locator(
        "input[value=kept]").check()
    page.get_by_role("button", name="Lưu thành phiên bản mới").click()
    page.wait_for_url("**/desk/review/conflicts/")
    assert "Đã gộp vào phiên bản 3" in page.locator("main").inner_text()
    assert items.count() == 1

    case = Case.get(Case.uuid == merged_uuid)
    assert (case.address, case.phone, case.risk_level) == (
        "Số 5, tổ 7, khu 3", "0988777666", "high")
    assert [(r.revision, r.submitted_by_id) for r in EntryRevision.select()
            .where(EntryRevision.uuid == merged_uuid).order_by(EntryRevision.revision)] == [
        (1, member.id), (2, chair.id), (3, chair.id)]
    merged = SyncConflict.get_by_id(merged.id)
    assert (merged.resolution, merged.resolved_by_id, merged.resolved_revision) == (
        "merged", chair.id, 3)

    dismissed = SyncConflict.get(SyncConflict.uuid == dismissed_uuid)
    items.first.click()
    page.wait_for_url(f"**/desk/review/conflicts/{dismissed.id}")
    page.get_by_role("button", name="Bỏ bản này, giữ nguyên bản hiện tại").click()
    assert "Hãy ghi lý do bỏ bản này" in page.locator("main").inner_text()  # a reason is needed
    page.fill("textarea[name=reason]", "Khu 9 là nhầm, đã hỏi lại thành viên")
    page.get_by_role("button", name="Bỏ bản này, giữ nguyên bản hiện tại").click()
    page.wait_for_url("**/desk/review/conflicts/")
    assert page.locator(".conflicts .list__item a").count() == 0
    assert page.locator(".bottomnav__count").count() == 0
    dismissed = SyncConflict.get_by_id(dismissed.id)
    assert (dismissed.resolution, dismissed.reason) == (
        "dismissed", "Khu 9 là nhầm, đã hỏi lại thành viên")
    assert Case.get(Case.uuid == dismissed_uuid).neighbourhood == "Khu 3"
    assert EntryRevision.select().where(EntryRevision.uuid == dismissed_uuid).count() == 2

    # The dismissed copy stays readable, in full, among the resolved ones.
    page.get_by_role("link", name="Đã xử lý").click()
    page.locator(f'a[href="/desk/review/conflicts/{dismissed.id}"]').click()
    body = page.locator("main").inner_text()
    assert "Khu 9" in body and "Khu 9 là nhầm, đã hỏi lại thành viên" in body
    assert page.locator(".conflict-merge").count() == 0
    assert_fits_a_phone(page)
