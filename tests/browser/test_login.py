"""Each role logs in on a phone, lands on its home page with its bottom navigation, nothing overflows
a 360 px screen, and the language can be switched."""
import os

import pytest

from ..factories import PASSWORD, make_club, make_user
from .conftest import log_in

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("SOTD_SCREENSHOTS")  # a folder: save screenshots there to look at them


def shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def overflow(page):
    """How many pixels the page is wider than the phone's screen (0: no sideways scrolling).

    Compared with the viewport's set width: a phone browser zooms out to fit a too-wide page,
    which makes window.innerWidth grow with it.
    """
    return page.evaluate("document.documentElement.scrollWidth") - page.viewport_size["width"]


def nav_labels(page):
    return [label.strip() for label in page.locator(".bottomnav__item span:not(.badge)")
            .all_inner_texts()]


def test_chair_logs_in_on_a_phone_and_keeps_the_desk(live_server, phone):
    chair = make_user(role="chair", full_name="Trần Thị Mai")
    page = phone.new_page()
    log_in(page, live_server.url, chair.login, PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    assert "Trần Thị Mai" in page.locator("h1").inner_text()
    assert page.viewport_size["width"] <= 400
    assert page.locator(".bottomnav").is_visible()
    assert chair.club.name in page.locator(".topbar").inner_text()
    labels = nav_labels(page)
    assert labels == ["Trang chủ", "Phê duyệt", "Hồ sơ", "Lịch hẹn", "Số liệu"]
    assert len(labels) <= 5  # readable on a 360 px bar; the home tiles list the rest
    assert "Thành viên" in page.locator(".tiles").inner_text()
    assert "Câu lạc bộ" not in labels  # the admin's pages are not the chair's
    assert overflow(page) <= 0
    shot(page, "home-chair")


@pytest.mark.parametrize("role, expected_nav, absent_nav", [
    ("admin", ["Trang chủ", "Câu lạc bộ", "Tài khoản", "Cá nhân"], ["Thành viên"]),
    ("supervisor", ["Trang chủ", "Cá nhân"], ["Câu lạc bộ", "Tài khoản", "Thành viên"]),
])
def test_desk_roles_see_their_home_and_navigation(live_server, phone, role, expected_nav,
                                                  absent_nav):
    for ward in ("Hùng Thắng", "Cao Xanh"):
        make_club(name=f"CLB {ward}", ward=ward, city="Hạ Long")
    user = make_user(role=role, full_name=f"Người {role}", area="Hạ Long")
    page = phone.new_page()
    log_in(page, live_server.url, user.login, PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    assert f"Người {role}" in page.locator("h1").inner_text()
    labels = nav_labels(page)
    assert all(item in labels for item in expected_nav), labels
    assert not any(item in labels for item in absent_nav), labels
    if role == "supervisor":
        text = page.locator("main").inner_text()
        assert "Các câu lạc bộ tại Hạ Long" in text
        assert "CLB Hùng Thắng" in text and "CLB Cao Xanh" in text
    assert overflow(page) <= 0
    shot(page, f"home-{role}")


def test_member_lands_in_the_field_app(live_server, phone):
    member = make_user(role="member", full_name="Lê Văn Nam")
    page = phone.new_page()
    log_in(page, live_server.url, member.login, PASSWORD)
    page.wait_for_url(f"{live_server.url}/app/**")
    assert page.locator(".bottomnav").is_visible()
    assert overflow(page) <= 0


DESK_PAGES = {
    "admin": ["/", "/admin/clubs", "/admin/users", "/account", "/account/password"],
    "chair": ["/", "/club/members/", "/account", "/account/password"],
    "supervisor": ["/", "/account"],
}


@pytest.mark.parametrize("role", sorted(DESK_PAGES))
def test_nothing_overflows_a_360_px_phone(live_server, phone, role):
    club = make_club(name="CLB Phòng, chống mua bán người và hỗ trợ nạn nhân phường Hùng Thắng")
    user = make_user(club=club if role == "chair" else None, role=role,
                     full_name="Nguyễn Thị Phương Thảo Ngọc Quỳnh", area="Hạ Long")
    if role in ("admin", "chair"):
        make_user(club=club, login="tai-khoan-co-ten-dang-nhap-rat-dai-de-thu-giao-dien",
                  full_name="Một thành viên có họ và tên rất dài để thử giao diện")
    page = phone.new_page()
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server.url}/login")
    assert overflow(page) <= 0
    log_in(page, live_server.url, user.login, PASSWORD)
    page.wait_for_load_state()
    for path in DESK_PAGES[role]:
        page.goto(f"{live_server.url}{path}")
        assert overflow(page) <= 0, path
        shot(page, f"360-{role}{path.replace('/', '-')}")
        # Every tap target of the bottom navigation is large enough for a thumb.
        for box in [item.bounding_box() for item in page.locator(".bottomnav__item").all()]:
            assert box["height"] >= 44 and box["width"] >= 44, path


def test_language_switch_is_remembered(live_server, phone):
    user = make_user(role="chair")
    page = phone.new_page()
    page.goto(f"{live_server.url}/login")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.get_by_label("Tên đăng nhập hoặc số điện thoại").is_visible()
    shot(page, "login-vi")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_label("Login name or phone number").is_visible()
    page.reload()
    assert page.locator("html").get_attribute("lang") == "en"
    shot(page, "login-en")
    log_in(page, live_server.url, user.login, PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    assert "Home" in nav_labels(page)
    # Back to Vietnamese from the account page; it stays so after logging out and in again.
    page.goto(f"{live_server.url}/account")
    page.get_by_role("button", name="Tiếng Việt").click()
    page.wait_for_load_state()
    assert "Trang chủ" in nav_labels(page)
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url(f"{live_server.url}/login")
    assert page.locator("html").get_attribute("lang") == "vi"
