"""On a 360 px phone in Vietnamese, offline: a member proposes an activity from the attendance form
that had none and records who came to it, the sync retried once stores each once; a proposal the
book already has comes back with what to do, and attendance at it recorded after goes to the
book's activity; the referral form's provider picker, offline, filtered by the service, with a
call button, and a provider removed while the referral waited."""
from datetime import timedelta
from pathlib import Path

import pytest

from webapp.book import activities, providers, review
from webapp.book.fields import local_today
from webapp.models import Activity, Attendance, EntryRevision, Referral

from ..factories import make_case, make_club, make_user
from .test_field_app import go_offline, go_online, member_of, open_app, sync_until_empty, wait_all_sent, waiting

pytestmark = pytest.mark.browser

SHOTS = Path("/work/helpers/shots-field")


def shot(page, name, at=None):
    """A screenshot of the phone's screen, scrolled to `at` (a selector) when given."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    if at:
        page.locator(at).first.evaluate("el => el.scrollIntoView({block: 'start'})")
        page.evaluate("window.scrollBy(0, -70)")
    page.screenshot(path=str(SHOTS / name))


def fits(page):
    return page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")


def phone_page(phone, server, member):
    page = phone.new_page()
    page.set_viewport_size({"width": 360, "height": 740})
    return open_app(page, server, member)


def test_an_activity_proposed_offline_takes_its_attendance_and_a_retry_stores_each_once(
        live_server, phone):
    club = make_club()
    member = member_of(club)
    case = make_case(club=club, created_by=member, full_name="Lò Thị Hiền")
    page = phone_page(phone, live_server, member)
    go_offline(phone)

    # The attendance form with no activity says so, and offers to propose one.
    page.evaluate("location.hash = '#/new/attendance'")
    hint = page.locator("[data-field=activity_uuid] .alert")
    assert "đề xuất" in hint.inner_text()
    assert fits(page)
    shot(page, "member-attendance-none.png")
    hint.locator("a").click()
    page.wait_for_url("**/app/#/new/activity?then=attendance")

    day = local_today() + timedelta(days=5)
    page.fill("#f-title", "Tuyên truyền di cư an toàn ở tổ 7")
    page.select_option("#f-kind", "awareness")
    page.fill("#f-date", day.isoformat())
    page.fill("#f-place", "Nhà văn hóa tổ 7")
    assert fits(page)
    shot(page, "member-activity-proposal.png")
    page.click("form button[type=submit]")

    # Back on the attendance form, the proposal is offered (not sent yet).
    page.wait_for_url("**/app/#/new/attendance")
    option = page.locator("#f-activity_uuid option").nth(1)
    assert "Tuyên truyền di cư an toàn ở tổ 7" in option.inner_text()
    assert "Chưa gửi" in option.inner_text()
    page.select_option("#f-activity_uuid", index=1)
    page.select_option("#f-case_uuid", case.uuid)
    page.click("form button[type=submit]")
    page.wait_for_url(f"**/app/#/case/{case.uuid}")
    assert waiting(page) == 2

    # The first sync reaches the server, but its answer is lost: the phone sends it again.
    calls = []

    def answer_lost_once(route):
        calls.append(1)
        if len(calls) == 1:
            route.fetch()
            route.abort("connectionreset")
        else:
            route.continue_()

    phone.route("**/api/v1/sync", answer_lost_once)
    go_online(phone)
    phone.route("**/api/v1/sync", answer_lost_once)
    sync_until_empty(page)
    assert len(calls) >= 2
    [activity] = Activity.select().where(Activity.club == club)
    assert (activity.title, activity.date, activity.review_status, activity.created_by_id) == (
        "Tuyên truyền di cư an toàn ở tổ 7", day, "submitted", member.id)
    [attendance] = Attendance.select().where(Attendance.case == case)
    assert attendance.activity_id == activity.id and attendance.brought_by_id == member.id
    assert EntryRevision.select().count() == 2

    # Offered on the phone as waiting for the chair, once the working set carries it.
    page.evaluate("location.hash = '#/new/attendance'")
    assert "chờ chủ nhiệm duyệt" in page.locator("#f-activity_uuid option").nth(1).inner_text()


def propose_activity(page, title, kind, day):
    """Propose an activity on the phone, from its form, and save it."""
    page.evaluate("location.hash = '#/new/activity'")
    page.fill("#f-title", title)
    page.select_option("#f-kind", kind)
    page.fill("#f-date", day.isoformat())
    page.click("form button[type=submit]")
    page.wait_for_url("**/app/#/today")


def test_a_proposal_the_book_already_has_comes_back_with_what_to_do(live_server, phone):
    club = make_club()
    chair = make_user(club=club, role="chair")
    member = member_of(club)
    case = make_case(club=club, created_by=member, full_name="Lò Thị Hiền")
    day = local_today() + timedelta(days=2)
    page = phone_page(phone, live_server, member)
    go_offline(phone)
    propose_activity(page, "Tập huấn kỹ năng", "training", day)
    # Meanwhile the chair recorded the same activity at the desk.
    twin = activities.save_activity({"title": "Tập huấn kỹ năng", "kind": "training",
                                     "date": day, "place": "", "attendee_count": 0}, chair)
    go_online(phone)
    page.evaluate("location.hash = '#/outbox'")
    item = page.locator(".outbox__item[data-state=invalid]")
    item.wait_for(timeout=20000)
    text = item.inner_text()
    assert "đã có trong sổ" in text
    assert "người tham dự đã ghi vào đề xuất này" in text  # goes to the chair's activity
    assert day.strftime("%d/%m/%Y") in text
    assert Activity.select().count() == 1
    # The activity is the chair's: the attendance form now offers it.
    page.evaluate("location.hash = '#/new/attendance'")
    assert "Tập huấn kỹ năng" in page.locator("#f-activity_uuid").inner_text()

    # Offline again, the member records who came at the proposal the phone still offers, then
    # discards the proposal as its reason says. Sent after, the attendance reaches the chair's
    # activity (it used to come back "the server does not have this activity", for good).
    go_offline(phone)
    page.evaluate("location.hash = '#/today'")
    page.evaluate("location.hash = '#/new/attendance'")
    mine = page.locator("#f-activity_uuid option", has_text="Chưa gửi")
    page.select_option("#f-activity_uuid", mine.get_attribute("value"))
    page.select_option("#f-case_uuid", case.uuid)
    page.click("form button[type=submit]")
    page.wait_for_url(f"**/app/#/case/{case.uuid}")
    page.evaluate("location.hash = '#/outbox'")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(".outbox__item[data-state=invalid] .button--danger").click()
    page.locator(".outbox__item[data-state=invalid]").wait_for(state="detached")
    go_online(phone)
    sync_until_empty(page)
    [attendance] = Attendance.select().where(Attendance.case == case)
    assert attendance.activity_id == twin.id and attendance.created_by_id == member.id
    # And the member is told where it went.
    told = "việc tham dự được ghi vào “Tập huấn kỹ năng”"
    page.get_by_role("status").filter(has_text=told).wait_for()
    assert Activity.select().count() == 1


def test_an_activity_from_past_the_phones_window_recorded_offline_reaches_the_chair(
        live_server, phone):
    club = make_club()
    chair = make_user(club=club, role="chair")
    member = member_of(club)
    day = local_today() - timedelta(days=91)  # copied from the paper book, past the 90 days kept
    page = phone_page(phone, live_server, member)
    go_offline(phone)
    propose_activity(page, "Truyền thông ở chợ Hạ Long", "awareness", day)
    go_online(phone)
    wait_all_sent(page)  # sent, not refused: nothing waits, nothing to discard
    [activity] = Activity.select().where(Activity.club == club)
    assert (activity.title, activity.date, activity.review_status) == (
        "Truyền thông ở chợ Hạ Long", day, "submitted")
    assert [item.row.id for item in review.queue(chair.club)] == [activity.id]


def test_the_provider_picker_works_offline_and_a_provider_removed_meanwhile_is_taken_by_name(
        live_server, phone):
    club = make_club(city="Hạ Long", province="Quảng Ninh")
    chair = make_user(club=club, role="chair")
    supervisor = make_user(role="supervisor", area="Hạ Long")
    member = member_of(club)
    case = make_case(club=club, created_by=member, consent=("follow", "refer"),
                     full_name="Phạm Thị Mai")
    legal = providers.save({"name": "Trung tâm Trợ giúp pháp lý tỉnh", "service_kinds": ["legal_aid"],
                            "address": "Số 2 đường Nguyễn Văn Cừ, Hồng Hải",
                            "phone": "0203 3825 111", "hours": "Thứ Hai–Thứ Sáu, 7:30–17:00",
                            "notes": ""}, supervisor)
    providers.save({"name": "Trạm y tế phường", "service_kinds": ["medical_care"],
                    "address": "Tổ 3, khu 5", "phone": "0912 345 678", "hours": "Cả tuần",
                    "notes": ""}, chair)
    page = phone_page(phone, live_server, member)
    go_offline(phone)

    page.evaluate(f"location.hash = '#/new/referral?case={case.uuid}'")
    picker = page.locator("[data-field=provider_uuid]")
    typed = page.locator("[data-field=provider]")
    page.select_option("#f-service_kind", "legal_aid")
    shown = picker.locator("li[data-kinds]:visible")
    assert shown.count() == 1 and "Trung tâm Trợ giúp pháp lý tỉnh" in shown.inner_text()
    assert "Nguyễn Văn Cừ" in shown.inner_text() and "7:30–17:00" in shown.inner_text()
    assert shown.locator("a").get_attribute("href") == "tel:02033825111"
    shown.locator("label").click()
    assert not typed.is_visible()  # the name comes from the directory
    assert page.input_value("#f-provider") == "Trung tâm Trợ giúp pháp lý tỉnh"
    assert fits(page)
    shot(page, "member-referral-picker.png", at="[data-field=service_kind]")

    # Another service leaves only its providers; the pick goes, the typed name too.
    page.select_option("#f-service_kind", "psychological")
    assert picker.locator("li[data-kinds]:visible").count() == 0
    assert picker.locator("[data-none]").is_visible() and typed.is_visible()
    assert page.input_value("#f-provider") == ""
    page.select_option("#f-service_kind", "legal_aid")
    picker.locator("li[data-kinds] label").first.click()
    page.click("form button[type=submit]")
    page.wait_for_url(f"**/app/#/case/{case.uuid}")
    assert waiting(page) == 1

    # The supervisor takes the provider out of the directory while the referral waits.
    providers.remove(legal, supervisor)
    go_online(phone)
    sync_until_empty(page)
    [referral] = Referral.select().where(Referral.case == case)
    assert (referral.provider, referral.listed_provider_id) == ("Trung tâm Trợ giúp pháp lý tỉnh",
                                                                None)
    assert "đã bị xóa khỏi danh bạ" in page.locator("#banner").inner_text()

    # None fits: typed in.
    page.evaluate(f"location.hash = '#/new/referral?case={case.uuid}'")
    page.select_option("#f-service_kind", "medical_care")
    assert picker.locator("li[data-kinds]:visible").count() == 1  # the removed one is gone
    picker.locator("li:last-child label").click()
    page.fill("#f-provider", "Phòng khám Đa khoa Hạ Long")
    page.click("form button[type=submit]")
    page.wait_for_url(f"**/app/#/case/{case.uuid}")
    sync_until_empty(page)
    typed_in = Referral.get(Referral.provider == "Phòng khám Đa khoa Hạ Long")
    assert typed_in.listed_provider_id is None
