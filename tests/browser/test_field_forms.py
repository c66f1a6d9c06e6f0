"""The field app's forms on a 360 px phone in Vietnamese: the phone number checked, the counter on
long text, the visit form's lists folded with Save always in reach, the attendance hint."""
from pathlib import Path

import pytest

from webapp.models import Case, Visit

from ..factories import make_case, make_club
from .test_field_app import member_of, open_app, sync_until_empty, waiting

pytestmark = pytest.mark.browser

SHOTS = Path("/work/helpers/shots-forms")


def page_width_fits(page):
    return page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")


def in_view_above_the_bar(page, selector):
    """Whether `selector` is wholly on screen and not under the bottom bar."""
    return page.evaluate("""(sel) => {
      const r = document.querySelector(sel).getBoundingClientRect();
      const bar = document.querySelector(".bottomnav").getBoundingClientRect();
      return r.top >= 0 && r.bottom <= bar.top + 1 && r.height >= 44;
    }""", selector)


@pytest.fixture
def member_page(live_server, phone):
    club = make_club()
    member = member_of(club)
    case = make_case(club=club, created_by=member, full_name="Lò Thị Hiền")
    page = phone.new_page()
    assert page.viewport_size["width"] <= 400  # Pixel 5: 393 CSS px
    page.set_viewport_size({"width": 360, "height": 740})
    open_app(page, live_server, member)
    return page, case


def test_the_visit_form_is_short_with_save_in_reach_and_a_counter_that_refuses_too_long(
        member_page):
    page, case = member_page
    page.evaluate(f"location.hash = '#/new/visit?case={case.uuid}'")
    page.wait_for_selector("#f-notes")

    # Topics, needs and members are folded; each label says how many are chosen.
    folds = page.locator("details.fold")
    assert folds.count() == 3
    assert not any(folds.nth(i).evaluate("d => d.open") for i in range(3))
    members = page.locator("[data-field=members_present] summary")
    assert "đã chọn 1" in members.inner_text()  # the member is present by default
    topics = page.locator("[data-field=topics] summary")
    assert "đã chọn 0" in topics.inner_text()
    form_height = page.locator("form.card").bounding_box()["height"]
    assert form_height < 1100, form_height
    assert page_width_fits(page)

    # Save is on screen at the top of the form, and still there at any scroll.
    assert in_view_above_the_bar(page, "form button[type=submit]")
    topics.click()
    page.locator("[data-field=topics] input").nth(0).check()
    page.locator("[data-field=topics] input").nth(2).check()
    assert "đã chọn 2" in topics.inner_text()
    page.mouse.wheel(0, 400)
    assert in_view_above_the_bar(page, "form button[type=submit]")

    # The counter counts, and a long paste is kept whole and shown in red, not cut.
    counter = page.locator("[data-field=notes] .field__count")
    assert counter.inner_text() == "0/4000"
    page.fill("#f-notes", "Ghi chú dài. " * 5)
    assert counter.inner_text() == f"{len('Ghi chú dài. ' * 5)}/4000"
    page.locator("#f-notes").evaluate("(el) => { el.focus(); el.select(); }")
    page.keyboard.insert_text("x" * 5000)  # what a paste does
    assert page.input_value("#f-notes") == "x" * 5000
    assert counter.inner_text() == "5000/4000"
    assert "field__count--over" in counter.get_attribute("class")
    assert counter.evaluate("el => getComputedStyle(el).color") == "rgb(180, 35, 24)"
    page.locator("[data-field=kind] .chip").first.click()
    page.evaluate("scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / "visit-form-360.png"))
    page.locator("#f-notes").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "visit-form-360-notes.png"))
    page.screenshot(path=str(SHOTS / "visit-form-360-full.png"), full_page=True)

    page.click("form button[type=submit]")
    assert page.locator("[data-field=notes] .field__error").inner_text() == "Tối đa 4000 ký tự."
    assert "#/new/visit" in page.url and waiting(page) == 0

    page.fill("#f-notes", "x" * 4000)
    assert "field__count--over" not in counter.get_attribute("class")
    page.click("form button[type=submit]")
    page.wait_for_url(f"**/app/#/case/{case.uuid}")
    # Saving starts a sync: the whole 4000 characters reach the server, once.
    sync_until_empty(page)
    assert [len(v.notes) for v in Visit.select()] == [4000]


def test_a_phone_number_that_is_not_vietnamese_is_refused_in_the_servers_words(member_page):
    page, _ = member_page
    page.evaluate("location.hash = '#/new/case'")
    page.fill("#f-full_name", "Đinh Văn Toàn")
    page.locator("[data-field=sex] .chip").first.click()
    page.locator("[data-field=categories] input").first.check()
    page.locator("[data-field=risk_level] .chip").first.click()
    for n, purpose in enumerate(page.locator("[data-field=consent] fieldset").all()):
        purpose.locator(".chip").nth(0 if n == 0 else 1).click()  # each purpose asked
    assert page.get_attribute("#f-phone", "type") == "tel"
    page.fill("#f-phone", "abc")
    page.click("form button[type=submit]")
    error = page.locator("[data-field=phone] .field__error")
    assert error.inner_text() == ("Nhập số điện thoại Việt Nam, ví dụ 0912 345 678 hoặc "
                                  "024 3825 1234.")
    assert "#/new/case" in page.url and waiting(page) == 0
    page.screenshot(path=str(SHOTS / "case-phone-360.png"))

    page.fill("#f-phone", "+84 912.345.678")
    page.click("form button[type=submit]")
    page.wait_for_url("**/app/#/case/*")
    # Saving starts a sync: the case arrives once, its number as typed.
    sync_until_empty(page)
    assert [c.phone for c in Case.select().where(Case.full_name == "Đinh Văn Toàn")] == [
        "+84 912.345.678"]


def test_the_attendance_form_says_there_is_no_activity_yet(member_page):
    page, _ = member_page
    page.evaluate("location.hash = '#/new/attendance'")
    hint = page.locator("[data-field=activity_uuid] .alert")
    assert hint.locator("p").inner_text() == (
        "Trên máy chưa có hoạt động nào. Nếu câu lạc bộ sắp tổ chức (hoặc vừa tổ chức) một hoạt "
        "động, hãy đề xuất: chủ nhiệm duyệt xong, hoạt động sẽ hiện ở đây.")
    assert hint.locator("a").get_attribute("href") == "#/new/activity?then=attendance"
    assert page.locator("select#f-activity_uuid").count() == 0
    assert page_width_fits(page)
    page.screenshot(path=str(SHOTS / "attendance-none-360.png"))
