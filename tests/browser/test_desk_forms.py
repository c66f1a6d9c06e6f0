"""A desk form sent with a mistake opens where the mistake is: the first wrong field focused and
on screen, its message beside it, on a 360 px phone where the form is far down the page."""
import os

import pytest

from ..factories import PASSWORD, make_club, make_user
from .conftest import CHROMIUM, CHROMIUM_ARGS, log_in

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SOTD_SCREENSHOTS")  # a folder: save screenshots there to look at them

ON_SCREEN = """(name) => {
  const el = document.activeElement;
  const rect = el.getBoundingClientRect();
  const error = document.getElementById(el.getAttribute("aria-describedby") || el.id + "-error");
  return {name: el.name, top: rect.top, bottom: rect.bottom, height: innerHeight,
          error: error ? error.textContent.trim() : null,
          errorTop: error ? error.getBoundingClientRect().top : null};
}"""


@pytest.fixture
def desk_phone(playwright_instance):
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                  args=CHROMIUM_ARGS)
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True,
                                  has_touch=True, locale="vi-VN",
                                  timezone_id="Asia/Ho_Chi_Minh")
    context.set_default_timeout(15000)
    yield context.new_page()
    browser.close()


def landed_on(page, name):
    # Chromium applies autofocus at its next rendering step, which may come after "load"
    page.wait_for_function("(name) => document.activeElement && document.activeElement.name === name",
                           arg=name)
    found = page.evaluate(ON_SCREEN, name)
    assert found["name"] == name, found
    assert 0 <= found["top"] and found["bottom"] <= found["height"], found  # scrolled to it
    assert found["error"] and 0 < found["errorTop"] < found["height"], found
    return found["error"]


def test_an_error_far_down_the_accounts_page_is_where_the_admin_lands(live_server, desk_phone):
    club = make_club(name="CLB Cao Xanh", code_prefix="CX")
    for n in range(25):  # a long list of accounts above the form
        make_user(club=club, login=f"cx.tv{n}")
    admin = make_user(role="admin")
    page = desk_phone
    log_in(page, live_server.url, admin.login, PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/admin/users")
    form = page.locator("form:has(input[name=login])")
    form.locator("input[name=full_name]").fill("Vũ Thị Lan")
    form.locator("input[name=password]").fill("first-pass-1")
    with page.expect_navigation():  # the answer, not the page that sent it
        form.locator("button[type=submit]").click()
    assert landed_on(page, "login") == "Nhập tên đăng nhập."

    page.goto(f"{live_server.url}/admin/clubs")
    form = page.locator("form:has(input[name=code_prefix])")
    for name, value in (("name", "CLB Cao Xanh Mới"), ("code_prefix", "cx"), ("ward", "Cao Xanh"),
                        ("city", "Hạ Long")):
        form.locator(f"input[name={name}]").fill(value)
    with page.expect_navigation():  # the answer, not the page that sent it
        form.locator("button[type=submit]").click()
    assert landed_on(page, "province") == "Nhập tỉnh."
    page.locator("form:has(input[name=code_prefix]) input[name=province]").fill("Quảng Ninh")
    with page.expect_navigation():
        page.locator("form:has(input[name=code_prefix]) button[type=submit]").click()
    assert landed_on(page, "code_prefix") == ("CLB Cao Xanh đã dùng tiền tố CX: hãy chọn tiền tố "
                                              "khác.")


def test_a_list_of_boxes_with_the_first_error_is_where_the_chair_lands(live_server, desk_phone):
    chair = make_user(club=make_club(), role="chair")
    page = desk_phone
    log_in(page, live_server.url, chair.login, PASSWORD)
    page.goto(f"{live_server.url}/providers/new")
    page.fill("input[name=name]", "Trung tâm Công tác xã hội tỉnh")
    page.fill("textarea[name=notes]", "Tiếp nhận cả ngày thứ Bảy. " * 8)
    with page.expect_navigation():
        page.locator("form button[type=submit]").click()
    assert landed_on(page, "service_kinds") == "Chọn ít nhất một dịch vụ."
    focused = page.evaluate("document.activeElement.type")
    assert focused == "checkbox"


def test_a_visit_the_busy_book_did_not_save_says_so_and_keeps_what_was_typed(
        live_server, desk_phone, monkeypatch):
    """The desk writes through the sync path (`retry`, book/sync.py): a chair whose Save met a
    book too busy that moment is told, on the form that still holds the visit, and saves again."""
    from peewee import IntegrityError

    from webapp.book import sync as sync_module
    from webapp.models import Visit

    from ..factories import make_case, today

    chair = make_user(club=make_club(), role="chair")
    case = make_case(club=chair.club, created_by=chair, full_name="Lý Thị Bận")
    original = sync_module._submit

    def busy(*args):
        raise IntegrityError("UNIQUE constraint failed")

    monkeypatch.setattr(sync_module, "_submit", busy)
    page = desk_phone
    log_in(page, live_server.url, chair.login, PASSWORD)
    page.goto(f"{live_server.url}/desk/cases/{case.id}/visits/new")
    page.fill("input[name=date]", today().isoformat())
    page.select_option("select[name=kind]", index=1)
    page.fill("textarea[name=notes]", "Gặp ở nhà, đã tư vấn")
    with page.expect_navigation():
        page.locator("form button[type=submit]").click()
    page.wait_for_selector(".alert--error:text('Sổ của CLB đang bận đúng lúc này nên mục này chưa "
                           "được lưu. Hãy bấm Lưu lại.')")
    assert page.input_value("textarea[name=notes]") == "Gặp ở nhà, đã tư vấn"
    assert Visit.select().count() == 0
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/desk-visit-busy.png", full_page=True)
    monkeypatch.setattr(sync_module, "_submit", original)
    with page.expect_navigation():
        page.locator("form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/desk/cases/{case.id}")
    assert [v.notes for v in Visit.select()] == ["Gặp ở nhà, đã tư vấn"]


def test_a_case_typed_before_logging_in_again_elsewhere_comes_back_to_be_saved(
        live_server, desk_phone):
    """The chair types a new case in one tab; meanwhile they log out and in again in another
    (a new session, a new token). Save in the first tab: the form comes back with what was
    typed and says nothing was saved yet; Save again registers the case, once."""
    from webapp.models import Case

    chair = make_user(club=make_club(), role="chair")
    page = desk_phone
    log_in(page, live_server.url, chair.login, PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/desk/cases/new")
    page.fill("input[name=full_name]", "Hoàng Thị Thu")
    page.select_option("select[name=sex]", "female")
    page.fill("input[name=birth_year]", "2001")
    page.check("input[name=categories][value=returnee]")
    page.select_option("select[name=risk_level]", "high")
    page.fill("input[name=address]", "Tổ 5, khu 3, phường Hồng Gai")
    other = page.context.new_page()  # another tab of the same browser
    other.goto(f"{live_server.url}/account")
    with other.expect_navigation():
        other.locator("form[action='/logout'] button").click()
    log_in(other, live_server.url, chair.login, PASSWORD)
    other.wait_for_url(f"{live_server.url}/")
    other.close()
    with page.expect_navigation():
        page.locator("form button[type=submit]").click()
    page.wait_for_selector(".alert--error:text('chưa lưu được gì')")
    assert page.input_value("input[name=full_name]") == "Hoàng Thị Thu"
    assert page.input_value("input[name=address]") == "Tổ 5, khu 3, phường Hồng Gai"
    assert page.is_checked("input[name=categories][value=returnee]")
    assert Case.select().count() == 0
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/desk-case-typed-again-vi.png", full_page=True)
    with page.expect_navigation():
        page.locator("form button[type=submit]").click()
    assert "/desk/cases/" in page.url and [c.full_name for c in Case.select()] == ["Hoàng Thị Thu"]
