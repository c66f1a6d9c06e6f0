"""The admin's pages: clubs and accounts, with bad input answered clearly and nothing half-written."""
import pytest

from webapp import accounts
from webapp.models import AuditLog, Club, LoginSession, User

from .factories import PASSWORD, login_as, make_club, make_user


@pytest.fixture
def admin_client(client):
    login_as(client, make_user(role="admin", login="root"))
    return client


def page_text(response):
    return response.get_data(as_text=True)


GOOD_CLUB = {"name": "CLB Hà Khánh", "code_prefix": "HK", "ward": "Hà Khánh", "city": "Hạ Long",
             "province": "Quảng Ninh"}


def test_admin_creates_a_club(admin_client):
    response = admin_client.post("/admin/clubs", data=GOOD_CLUB, follow_redirects=True)
    assert "Đã tạo câu lạc bộ CLB Hà Khánh." in page_text(response)
    club = Club.get(Club.name == "CLB Hà Khánh")
    assert (club.code_prefix, club.ward, club.city, club.province) == (
        "HK", "Hà Khánh", "Hạ Long", "Quảng Ninh")
    assert "CLB Hà Khánh" in page_text(admin_client.get("/admin/clubs"))


@pytest.mark.parametrize("change, message", [
    ({"name": ""}, "Nhập tên câu lạc bộ."),
    ({"name": "   "}, "Nhập tên câu lạc bộ."),
    ({"name": "CLB Cũ"}, "Đã có câu lạc bộ mang tên này."),
    ({"name": "clb cũ"}, "Đã có câu lạc bộ mang tên này."),
    ({"name": "x" * 121}, "Không được dài quá 120 ký tự."),
    ({"code_prefix": ""}, "Nhập tiền tố mã hồ sơ."),
    ({"code_prefix": "T"}, "Tiền tố mã gồm 2 đến 8 chữ cái A-Z không dấu."),
    ({"code_prefix": "T1"}, "Tiền tố mã gồm 2 đến 8 chữ cái A-Z không dấu."),
    ({"code_prefix": "ĐT"}, "Tiền tố mã gồm 2 đến 8 chữ cái A-Z không dấu."),
    ({"code_prefix": "ABCDEFGHI"}, "Không được dài quá 8 ký tự."),
    ({"ward": "p" * 121}, "Không được dài quá 120 ký tự."),
    ({"code_prefix": "CU"}, "CLB Cũ đã dùng tiền tố CU: hãy chọn tiền tố khác."),
    ({"code_prefix": "cu"}, "CLB Cũ đã dùng tiền tố CU: hãy chọn tiền tố khác."),
    ({"ward": ""}, "Nhập phường nơi câu lạc bộ hoạt động."),
    ({"ward": "  "}, "Nhập phường nơi câu lạc bộ hoạt động."),
    ({"city": ""}, "Nhập thành phố (hoặc huyện)."),
    ({"province": ""}, "Nhập tỉnh."),
])
def test_create_club_with_bad_input(admin_client, change, message):
    make_club(name="CLB Cũ", code_prefix="CU")
    before = Club.select().count()
    response = admin_client.post("/admin/clubs", data={**GOOD_CLUB, **change})
    assert response.status_code == 200
    assert message in page_text(response)
    assert Club.select().count() == before


def test_admin_deactivates_and_reactivates_a_club(admin_client, app):
    club = make_club()
    chair = make_user(club=club, role="chair")
    phone = app.test_client()
    login_as(phone, chair)
    question = page_text(admin_client.post(f"/admin/clubs/{club.id}/active",
                                           data={"active": "0"}))
    assert f"Ngừng hoạt động {club.name}?" in question
    assert "1 tài khoản đang dùng của câu lạc bộ bị đăng xuất ngay" in question
    assert Club.get_by_id(club.id).is_active  # asked first: nothing changed
    assert phone.get("/account").status_code == 200
    response = admin_client.post(f"/admin/clubs/{club.id}/active",
                                 data={"active": "0", "confirmed": "1"}, follow_redirects=True)
    assert "Câu lạc bộ đã ngừng hoạt động." in page_text(response)
    assert not Club.get_by_id(club.id).is_active
    assert "/login" in phone.get("/account").headers.get("Location", "")  # its chair's session ended
    assert "ngừng hoạt động" in page_text(login_as(app.test_client(), chair))
    response = admin_client.post(f"/admin/clubs/{club.id}/active", data={"active": "1"},
                                 follow_redirects=True)
    assert "Câu lạc bộ đã hoạt động trở lại." in page_text(response)
    assert login_as(app.test_client(), chair).status_code == 302
    assert admin_client.post("/admin/clubs/999999/active", data={"active": "0"}).status_code == 404


def good_account(of_club, change=None):
    """A club's first chair: the one account of a club an admin makes with a password (the
    others are opened with setup codes, tests/test_setup_codes.py)."""
    return {"full_name": "Vũ Thị Lan", "login": "vt.lan", "phone": "0912 000 111",
            "role": "chair", "club": str(of_club.id), "area": "", "password": "first-pass-1",
            **(change or {})}


def test_admin_creates_a_clubs_first_chair_who_must_change_the_password(admin_client, app):
    club = make_club()
    response = admin_client.post("/admin/users", data=good_account(club), follow_redirects=True)
    assert "Đã tạo tài khoản vt.lan." in page_text(response)
    user = User.get(User.login == "vt.lan")
    assert (user.full_name, user.phone, user.role, user.club_id) == (
        "Vũ Thị Lan", "0912000111", "chair", club.id)
    assert user.must_change_password
    assert user.password_hash.startswith("$argon2id$")
    assert len(user.device_key) == 32
    first = login_as(app.test_client(), user, password="first-pass-1")
    assert first.headers["Location"].endswith("/account/password")


def test_admin_creates_a_supervisor_with_an_area(admin_client):
    response = admin_client.post("/admin/users", data={
        "full_name": "Cán bộ tỉnh", "login": "qn.tinh", "phone": "", "role": "supervisor",
        "club": "0", "area": "Quảng Ninh", "password": "first-pass-1"})
    assert response.status_code == 302
    user = User.get(User.login == "qn.tinh")
    assert (user.role, user.area, user.club_id) == ("supervisor", "Quảng Ninh", None)


@pytest.mark.parametrize("change, message", [
    ({"full_name": ""}, "Nhập họ và tên."),
    ({"login": ""}, "Nhập tên đăng nhập."),
    ({"login": "vt lan"}, "Tên đăng nhập gồm 3 đến 64 ký tự"),
    ({"login": "ab"}, "Tên đăng nhập gồm 3 đến 64 ký tự"),
    ({"login": "lan@home"}, "Tên đăng nhập gồm 3 đến 64 ký tự"),
    ({"login": "taken"}, "Tên đăng nhập này đã có người dùng."),
    ({"login": "TAKEN"}, "Tên đăng nhập này đã có người dùng."),
    ({"phone": "12ab"}, "Nhập số điện thoại gồm 9 đến 15 chữ số."),
    ({"phone": "12345"}, "Nhập số điện thoại gồm 9 đến 15 chữ số."),
    ({"phone": "0900 111 222"}, "Số điện thoại này đã được dùng cho một tài khoản khác."),
    ({"club": "0"}, "Thành viên hoặc Ban chủ nhiệm phải thuộc một câu lạc bộ."),
    ({"role": "chair", "club": "0"}, "Thành viên hoặc Ban chủ nhiệm phải thuộc một câu lạc bộ."),
    ({"club": "999999"}, "Lựa chọn không hợp lệ."),
    ({"club": "abc"}, "Lựa chọn không hợp lệ."),
    ({"role": "king"}, "Lựa chọn không hợp lệ."),
    ({"role": "supervisor", "club": "0", "area": ""}, "Cán bộ theo dõi cần có địa bàn"),
    ({"password": ""}, "Nhập mật khẩu ban đầu."),
    ({"password": "short"}, "Mật khẩu phải có ít nhất 8 ký tự."),
    ({"password": "p" * 129}, "Mật khẩu chỉ được có tối đa 128 ký tự."),
    ({"full_name": "n" * 121}, "Không được dài quá 120 ký tự."),
])
def test_create_account_with_bad_input(admin_client, change, message):
    club = make_club()
    make_user(club=club, login="taken", phone="0900111222")
    before = User.select().count()
    response = admin_client.post("/admin/users", data=good_account(club, change))
    assert response.status_code == 200
    assert message in page_text(response)
    assert User.select().count() == before


def test_reset_password(admin_client, app):
    user = make_user(role="supervisor")  # a club's accounts get a setup code instead
    phone = app.test_client()
    login_as(phone, user)
    response = admin_client.post(f"/admin/users/{user.id}",
                                 data={"reset-password": "temporary-9"}, follow_redirects=True)
    assert "Đã đặt lại mật khẩu." in page_text(response)
    user = User.get_by_id(user.id)
    assert user.must_change_password
    assert "/login" in phone.get("/account").headers.get("Location", "")  # sessions of the account ended
    # The user logs in with the new password and is held on the password page until changed.
    client = app.test_client()
    assert login_as(client, user, password=PASSWORD).status_code == 401
    assert login_as(client, user, password="temporary-9").headers["Location"].endswith(
        "/account/password")
    assert client.get("/account").headers["Location"].endswith("/account/password")
    client.post("/account/password", data={"current": "temporary-9", "new": "my-own-pass-9",
                                           "confirm": "my-own-pass-9"})
    assert client.get("/account").status_code == 200


@pytest.mark.parametrize("password, message", [
    ("", "Nhập mật khẩu mới."),
    ("short", "Mật khẩu phải có ít nhất 8 ký tự."),
])
def test_reset_password_with_bad_input(admin_client, password, message):
    user = make_user(role="supervisor")
    response = admin_client.post(f"/admin/users/{user.id}", data={"reset-password": password})
    assert response.status_code == 200
    assert message in page_text(response)
    assert accounts.check_password(User.get_by_id(user.id), PASSWORD)
    assert not User.get_by_id(user.id).must_change_password


def test_deactivate_and_reactivate_an_account(admin_client, app):
    user = make_user()
    phone = app.test_client()
    login_as(phone, user)
    response = admin_client.post(f"/admin/users/{user.id}/active", data={"active": "0"})
    assert "Ngừng hoạt động tài khoản của" in page_text(response)  # asked first
    assert User.get_by_id(user.id).is_active
    response = admin_client.post(f"/admin/users/{user.id}/active",
                                 data={"active": "0", "confirmed": "1"}, follow_redirects=True)
    assert "Đã lưu tài khoản." in page_text(response)
    assert "Kích hoạt lại tài khoản" in page_text(response)
    assert not User.get_by_id(user.id).is_active
    assert "/login" in phone.get("/account").headers.get("Location", "")
    assert LoginSession.select().where(LoginSession.user == user,
                                       LoginSession.ended_at.is_null()).count() == 0
    admin_client.post(f"/admin/users/{user.id}/active", data={"active": "1"})
    assert User.get_by_id(user.id).is_active
    assert login_as(app.test_client(), user).status_code == 302


def test_admin_cannot_deactivate_their_own_account(admin_client):
    me = User.get(User.login == "root")
    response = admin_client.post(f"/admin/users/{me.id}/active", data={"active": "0"},
                                 follow_redirects=True)
    assert "Bạn không thể ngừng hoạt động tài khoản của chính mình." in page_text(response)
    assert User.get_by_id(me.id).is_active


def test_unknown_account_is_404(admin_client):
    assert admin_client.get("/admin/users/999999").status_code == 404
    assert admin_client.post("/admin/users/999999/active", data={"active": "0"}).status_code == 404


@pytest.mark.parametrize("area, message, saved", [
    ("Cẩm Phả", "Đã lưu địa bàn.", "Cẩm Phả"),
    ("", "Nhập thành phố hoặc tỉnh.", "Hạ Long"),
    ("a" * 121, "Không được dài quá 120 ký tự.", "Hạ Long"),
])
def test_supervisor_area(admin_client, area, message, saved):
    supervisor = make_user(role="supervisor", area="Hạ Long")
    response = admin_client.post(f"/admin/users/{supervisor.id}", data={"area-area": area},
                                 follow_redirects=True)
    assert message in page_text(response)
    assert User.get_by_id(supervisor.id).area == saved
    if area == saved:
        assert AuditLog.get(AuditLog.action == "account_area_changed").object_id == supervisor.id


def test_area_is_only_for_supervisors(admin_client):
    member = make_user()
    admin_client.post(f"/admin/users/{member.id}", data={"area-area": "Hạ Long"})
    assert User.get_by_id(member.id).area == ""


def test_accounts_list_and_filter(admin_client):
    club, other = make_club(), make_club()
    mine, theirs = make_user(club=club), make_user(club=other)
    everyone = page_text(admin_client.get("/admin/users"))
    assert mine.login in everyone and theirs.login in everyone
    filtered = page_text(admin_client.get(f"/admin/users?club={club.id}"))
    assert mine.login in filtered and theirs.login not in filtered


def test_admin_sees_no_case_content(admin_client):
    from .factories import make_case

    case = make_case(full_name="Nguyễn Thị Bí Mật")
    for path in ("/", "/admin/clubs", "/admin/users", f"/admin/users/{case.created_by.id}"):
        assert "Nguyễn Thị Bí Mật" not in page_text(admin_client.get(path))
