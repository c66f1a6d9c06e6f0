"""An admin starts a sixth ward on a 360 px phone, in Vietnamese: the club and its board from one
form, its members from a spreadsheet, the sheets printed on A4; a member opens their account with
the code of their sheet."""
import os
import re

import pytest

from webapp.models import Club, User

from ..factories import PASSWORD, make_user
from ..test_setup_codes import CODE_RE
from ..test_wards import csv_file, xlsx_file
from .conftest import CHROMIUM, CHROMIUM_ARGS, log_in

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("SOTD_SCREENSHOTS")
FITS = "() => document.scrollingElement.scrollWidth <= innerWidth"


def shot(page, name, **options):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"newward-{name}.png"), full_page=True,
                        **options)


def test_an_admin_starts_a_ward_and_a_member_opens_their_account(live_server, playwright_instance,
                                                                  tmp_path):
    make_user(role="admin", login="admin", full_name="Quản Trị Viên")
    make_user(role="member", phone="0977111222")  # an account elsewhere holds this number
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                  args=CHROMIUM_ARGS)
    try:
        context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True,
                                      has_touch=True, locale="vi-VN",
                                      timezone_id="Asia/Ho_Chi_Minh", service_workers="block")
        context.set_default_timeout(15000)
        page = context.new_page()
        log_in(page, live_server.url, "admin", PASSWORD)
        page.goto(live_server.url + "/admin/clubs")
        page.click("text=Phường mới: tạo câu lạc bộ và ban chủ nhiệm")

        # One form; a board member refused leaves nothing, the message beside the field.
        page.fill("#name", "CLB Phường Việt Hưng")
        page.fill("#code_prefix", "VH")
        page.fill("#ward", "Việt Hưng")
        page.fill("#city", "Hạ Long")
        page.fill("#province", "Quảng Ninh")
        page.fill("#board-0-full_name", "Nguyễn Thị Hoa")
        page.fill("#board-0-phone", "0912 345 678")
        page.fill("#board-1-full_name", "Trần Văn Nam")
        page.fill("#board-1-phone", "0977 111 222")
        page.click("text=Tạo câu lạc bộ và ban chủ nhiệm")
        error = page.locator("#board-1-phone-error")
        assert "đã thuộc một tài khoản" in error.inner_text()
        page.wait_for_function("document.activeElement.id === 'board-1-phone'")
        assert page.evaluate(FITS)
        shot(page, "form-error")
        assert not Club.select().where(Club.code_prefix == "VH").exists()
        page.fill("#board-1-phone", "0987 654 321")
        page.click("text=Tạo câu lạc bộ và ban chủ nhiệm")
        page.wait_for_selector("text=Các bước thành lập")
        club = Club.get(Club.code_prefix == "VH")
        assert page.evaluate(FITS)
        shot(page, "club")

        # A file with a bad line: every bad line shown, nothing imported.
        page.click("text=Nhập thành viên từ bảng tính")
        bad = tmp_path / "thanh-vien.csv"
        bad.write_bytes(csv_file("Lê Văn Cường,0912 000 111,thành viên", ",0345 678 901,tv",
                                 "Phạm Thị Dung,0912 000 111,thủ quỹ"))
        page.set_input_files("#file", str(bad))
        page.click("text=Kiểm tra tệp")
        problems = page.locator(".import-problems").inner_text()
        assert "Dòng 3" in problems and "Thiếu họ tên" in problems
        assert "Dòng 4" in problems and "trùng với dòng 2" in problems
        assert "Không có vai trò “thủ quỹ”" in problems
        assert page.evaluate(FITS)
        shot(page, "import-bad")
        good = tmp_path / "thanh-vien.xlsx"
        good.write_bytes(xlsx_file(("Lê Văn Cường", 912000111, "Thành viên"),
                                   ("Phạm Thị Dung", "0345 678 901", "thành viên")))
        page.set_input_files("#file", str(good))
        page.click("text=Kiểm tra tệp")
        page.wait_for_selector("text=2 thành viên, không có lỗi.")
        assert page.evaluate(FITS)
        shot(page, "import-preview")
        page.click("text=Nhập 2 thành viên")
        page.wait_for_selector("text=Đã nhập 2 thành viên.")
        assert User.select().where(User.club == club).count() == 4

        # The sheets: four a page, fresh codes, no navigation, printed on A4.
        page.click("text=In phiếu cho thành viên")
        page.check("text=Bốn phiếu một trang, cắt rời")
        shot(page, "choose")
        page.click("text=Cấp mã và hiện phiếu để in")
        page.wait_for_selector(".sheet")
        assert page.locator(".sheet").count() == 4
        assert page.locator(".bottomnav, .topbar").count() == 0
        assert page.locator("svg.sheet__qr").count() == 4
        assert page.evaluate(FITS)
        assert page.evaluate("""() => [...document.querySelectorAll('.sheet')].every((sheet) =>
            [...sheet.querySelectorAll('dd, li, .sheet__qr')].every((el) =>
                el.getBoundingClientRect().right <= sheet.getBoundingClientRect().right))""")
        shot(page, "sheets-360")
        codes = dict(zip(page.locator(".sheet__login").all_inner_texts(),
                         page.locator(".sheet__code").all_inner_texts()))
        assert set(codes) == {"vh.chunhiem", "vh.pcn1", "vh.tv1", "vh.tv2"}
        assert all(CODE_RE.fullmatch(code) for code in codes.values())
        page.emulate_media(media="print")
        page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
        assert page.locator(".sheets-bar").is_hidden()
        shot(page, "sheets-print")
        pdf = page.pdf(format="A4", print_background=True)
        if SHOTS:
            with open(os.path.join(SHOTS, "newward-sheets.pdf"), "wb") as out:
                out.write(pdf)
        assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1  # four sheets on one A4 page

        # A member opens their account with the code of their sheet, on their own phone.
        phone = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True,
                                    has_touch=True, locale="vi-VN", service_workers="block")
        member = phone.new_page()
        member.goto(live_server.url + "/app/")
        member.click("text=Tôi có mã thiết lập")
        member.fill("input[name=login]", "vh.tv1")
        member.fill("input[name=code]", codes["vh.tv1"])
        member.fill("input[name=new]", "my-own-pass-1")
        member.fill("input[name=confirm]", "my-own-pass-1")
        member.click("text=Đặt mật khẩu và đăng nhập")
        # Told on their account page (the field app shows no notice), then on to the app.
        member.wait_for_url(re.compile(r".*/account$"))
        assert member.locator(".alert--success").inner_text() == "Đã đặt mật khẩu của bạn."
        shot(member, "member-password-set")
        member.click(".bottomnav a[href='/app/']")
        member.wait_for_url(re.compile(r".*/app/.*"))
        assert User.get(User.login == "vh.tv1").last_login_at is not None
        phone.close()

        # The three accounts not opened yet get new sheets, one an A4 page.
        page.emulate_media(media="screen")
        page.goto(f"{live_server.url}/admin/wards/{club.id}/sheets")
        assert page.locator("input[name=user]").count() == 3
        page.click("text=Cấp mã và hiện phiếu để in")
        page.wait_for_selector(".sheet")
        page.emulate_media(media="print")
        shot(page, "sheets-print-one-a-page")
        pdf = page.pdf(format="A4", print_background=True)
        assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 3
        context.close()
    finally:
        browser.close()
