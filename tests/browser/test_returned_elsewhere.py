"""Returned entries whose case or author moved on: the phone and the desk screens that say so.

With SOTD_SCREENSHOTS naming a folder, each screen is saved there at 360 px, in Vietnamese.
"""
import os
import uuid as uuid_module
from datetime import timedelta

import pytest

from webapp import accounts
from webapp.book import cases, fields, review, sync
from webapp.db import utcnow
from webapp.models import Case, CaseHolder, Visit

from ..factories import PASSWORD, make_case, make_club, make_user
from .conftest import log_in
from .test_field_app import member_of, open_app

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("SOTD_SCREENSHOTS")


def shot(page, name):
    if SHOTS:
        page.set_viewport_size({"width": 360, "height": 780})
        page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


def made(hours):
    return (utcnow() - timedelta(hours=hours)).isoformat() + "Z"


def arrived(page, model, uuid, revision=2):
    """The entry's row once the phone's sync brought it to `revision` (or as it is after 20 s)."""
    for _ in range(80):
        row = model.get(model.uuid == uuid)
        if row.revision == revision:
            return row
        page.wait_for_timeout(250)
    return model.get(model.uuid == uuid)


def returned_visit(app, club, chair, member, reason, **data):
    """A visit `member` made on a case they held, returned by the chair; `data`: more fields."""
    case = make_case(club=club, created_by=chair, assigned_to=None, full_name="Cao Thị Chuyển")
    cases.assign(case, member, by=chair)
    CaseHolder.update(since=utcnow() - timedelta(hours=2)).where(CaseHolder.case == case.id).execute()
    visit_uuid = str(uuid_module.uuid4())
    with app.test_request_context():
        result = sync.submit_entry(member, {
            "uuid": visit_uuid, "type": "visit", "revision": 1,
            "data": {"case_uuid": case.uuid, "date": fields.local_today().isoformat(),
                     "kind": "home_visit", "topics": ["safe_migration"], "notes": "Đã tư vấn",
                     **data},
            "client_created_at": made(1)})
        assert result["status"] == "created", result
        review.return_entry(Visit.get(Visit.uuid == visit_uuid), chair, reason, seen=1)
    return case, visit_uuid


def test_a_returned_visit_on_a_case_passed_on_shows_its_code_not_the_person(live_server, phone):
    club = make_club()
    chair = make_user(club=club, role="chair")
    member, other = member_of(club), member_of(club)
    case, visit_uuid = returned_visit(live_server.app, club, chair, member, "Ghi rõ đã tư vấn gì")
    cases.assign(Case.get_by_id(case.id), other, by=chair)

    page = open_app(phone.new_page(), live_server, member)
    page.locator(f'a[href="#/fix/{visit_uuid}"]').wait_for()
    shot(page, "field-today-returned-passed-on.png")
    page.locator(f'a[href="#/fix/{visit_uuid}"]').click()
    page.locator("textarea[name=notes]").wait_for()
    text = page.locator("#view").inner_text()
    assert case.code in text and "Cao Thị Chuyển" not in text  # its code, not the person's name
    assert "Chưa có đối tượng nào trên máy" not in text
    shot(page, "field-fix-returned-passed-on.png")
    # Saved, it reaches the club from its author (who held the case when the visit was made).
    page.fill("textarea[name=notes]", "Đã tư vấn di cư an toàn cho cả gia đình")
    page.locator("#view button[type=submit]").click()
    visit = arrived(page, Visit, visit_uuid)
    assert (visit.revision, visit.notes, visit.created_by_id) == (
        2, "Đã tư vấn di cư an toàn cho cả gia đình", member.id)


def test_a_returned_case_passed_on_leaves_todays_list_with_a_word(live_server, phone):
    club = make_club()
    chair = make_user(club=club, role="chair")
    a, b = member_of(club), member_of(club)
    case_uuid = str(uuid_module.uuid4())
    with live_server.app.test_request_context():
        result = sync.submit_entry(a, {
            "uuid": case_uuid, "type": "case", "revision": 1, "client_created_at": made(1),
            "data": {"full_name": "Phạm Thị Mai", "sex": "female", "birth_year": 1999,
                     "address": "Tổ 7, khu 2", "neighbourhood": "Khu 2", "categories": ["at_risk"],
                     "risk_level": "medium", "met_how": "Gặp ở chợ",
                     "consent": {"follow": True, "refer": False, "share": False}}})
        assert result["status"] == "created", result
        review.return_entry(Case.get(Case.uuid == case_uuid), chair, "Ghi rõ năm sinh", seen=1)

    page = open_app(phone.new_page(), live_server, a)
    page.locator(f'a[href="#/fix/{case_uuid}"]').wait_for()  # a is asked to fix it
    cases.assign(Case.get(Case.uuid == case_uuid), b, by=chair)  # the meeting gives it to b
    page.goto(f"{live_server.url}/app/#/outbox")
    page.locator("[data-action=sync]").click()
    page.goto(f"{live_server.url}/app/#/today")
    page.wait_for_selector("[role=status]:text('không còn do bạn sửa nữa')")
    assert page.locator(f'a[href="#/fix/{case_uuid}"]').count() == 0
    shot(page, "field-today-returned-left.png")

    # b, who now follows the person, is asked to fix it, with the chair's reason.
    assert [(r["uuid"], r["reason"]) for r in review.returned_for(b)] == [(case_uuid, "Ghi rõ năm sinh")]


def test_a_returned_entry_of_a_member_who_left_waits_for_the_chair(live_server, phone):
    club = make_club()
    chair = make_user(club=club, role="chair")
    member = member_of(club, full_name="Lê Văn Rời")
    case, visit_uuid = returned_visit(live_server.app, club, chair, member, "Ghi rõ đã tư vấn gì")

    page = phone.new_page()
    log_in(page, live_server.url, chair.login, PASSWORD)
    page.goto(f"{live_server.url}/club/members/")
    page.set_viewport_size({"width": 360, "height": 780})
    # The question before deactivating names what was returned to the member and not fixed.
    page.evaluate("""(id) => { const f = document.createElement('form'); f.method = 'post';
        f.action = '/club/members/' + id + '/active';
        for (const [k, v] of [['active', '0'], ['csrf_token', document.querySelector('[name=csrf_token]').value]]) {
          const i = document.createElement('input'); i.name = k; i.value = v; f.append(i); }
        document.body.append(f); f.submit(); }""", member.id)
    page.wait_for_selector(".member__returned")
    assert case.code in page.locator(".member__returned").inner_text()
    shot(page, "desk-deactivate-returned.png")
    accounts.set_active(type(member).get_by_id(member.id), False, by=chair)

    page.goto(f"{live_server.url}/desk/review/")
    badge = page.locator(".review-item .badge:text('không sửa được nữa')")
    badge.wait_for()
    shot(page, "desk-queue-unclaimed.png")
    page.locator(".review-item a.list__main").first.click()
    page.wait_for_selector(".alert:text('Việc quyết định là của bạn')")
    assert page.locator(".review-return").count() == 0  # no one to return it to
    shot(page, "desk-entry-unclaimed.png")
    page.locator("form[action$='/approve'] button").click()
    page.wait_for_url(f"{live_server.url}/desk/review/")
    assert Visit.get(Visit.uuid == visit_uuid).review_status == "approved"


def test_a_returned_visit_fixed_on_the_phone_keeps_a_member_present_who_left(live_server, phone):
    """The chair returns a visit at which member b was present, then deactivates b. The member
    fixes the visit on the phone: b is still shown, ticked, by name (said to have left), and the
    visit sent again keeps b present. A new visit does not offer b."""
    from webapp.models import VisitMember

    club = make_club()
    chair = make_user(club=club, role="chair")
    member, b = member_of(club), member_of(club, full_name="Lê Văn Rời")
    case, visit_uuid = returned_visit(live_server.app, club, chair, member, "Ghi rõ đã tư vấn gì",
                                      members_present=[member.id, b.id])
    accounts.set_active(type(b).get_by_id(b.id), False, by=chair)

    page = open_app(phone.new_page(), live_server, member)
    page.locator(f'a[href="#/fix/{visit_uuid}"]').click()
    page.locator("textarea[name=notes]").wait_for()
    page.locator("[data-field=members_present] summary").click()  # the list, folded
    left = page.locator(f'input[name=members_present][value="{b.id}"]')
    assert left.is_checked()
    assert "Lê Văn Rời (đã nghỉ ở CLB)" in page.locator("[data-field=members_present]").inner_text()
    shot(page, "field-fix-returned-member-left.png")
    page.fill("textarea[name=notes]", "Đã tư vấn di cư an toàn cho cả gia đình")
    page.locator("#view button[type=submit]").click()
    visit = arrived(page, Visit, visit_uuid)
    assert visit.revision == 2, "the fix did not reach the server"
    assert sorted(r.user_id for r in VisitMember.select().where(VisitMember.visit == visit.id)) == (
        sorted([member.id, b.id])), "the member present who left was dropped from the fix"

    page.goto(f"{live_server.url}/app/#/new/visit?case={case.uuid}")
    page.locator("textarea[name=notes]").wait_for()
    assert page.locator(f'input[name=members_present][value="{b.id}"]').count() == 0
    assert page.locator(f'input[name=members_present][value="{member.id}"]').is_checked()


def test_a_returned_attendance_fixed_on_the_phone_keeps_who_brought_the_person(live_server, phone):
    """Who brought the person (vận động) left the club before the returned attendance is fixed:
    the phone's form keeps them chosen, and the fix keeps them — not the member fixing it."""
    from webapp.book import activities
    from webapp.models import Attendance

    club = make_club()
    chair = make_user(club=club, role="chair")
    member, b = member_of(club), member_of(club, full_name="Lê Văn Rời")
    case = make_case(club=club, created_by=member)
    uuid = str(uuid_module.uuid4())
    with live_server.app.test_request_context():
        activity = activities.save_activity({"title": "Truyền thông", "kind": "awareness",
                                             "date": fields.local_today(), "place": "",
                                             "attendee_count": 0}, chair)
        result = sync.submit_entry(member, {
            "uuid": uuid, "type": "attendance", "revision": 1, "client_created_at": made(1),
            "data": {"activity_uuid": activity.uuid, "case_uuid": case.uuid, "brought_by": b.id}})
        assert result["status"] == "created", result
        review.return_entry(Attendance.get(Attendance.uuid == uuid), chair, "Kiểm tra lại", seen=1)
    accounts.set_active(type(b).get_by_id(b.id), False, by=chair)

    page = open_app(phone.new_page(), live_server, member)
    page.locator(f'a[href="#/fix/{uuid}"]').click()
    chosen = page.locator("select[name=brought_by]")
    chosen.wait_for()
    assert chosen.input_value() == str(b.id)
    page.locator("#view button[type=submit]").click()
    attendance = arrived(page, Attendance, uuid)
    assert attendance.revision == 2, "the fix did not reach the server"
    assert attendance.brought_by_id == b.id, "who brought the person became the member fixing it"
