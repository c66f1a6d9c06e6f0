"""Board accounts are the club's business (issue 15, finding 1): after a club's first chair, new
accounts, the role of chair and password resets go through one-time setup codes that the holder
uses; the admin never knows a working password, and the club's board sees every code issued."""
import logging
import re
from datetime import timedelta

import pytest

from webapp import accounts
from webapp.book import holders
from webapp.models import AccountEvent, AuditLog, SetupCode, User

from .factories import login_as, make_club, make_user

CODE_RE = re.compile(r"\b[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}\b")


def code_on(response):
    found = CODE_RE.findall(response.get_data(as_text=True))
    assert len(found) == 1, response.get_data(as_text=True)[:2000]
    return found[0]


def use_code(client, login, code, password="my-own-pass-1"):
    return client.post("/login/setup", data={"login": login, "code": code, "new": password,
                                             "confirm": password})


@pytest.fixture
def club_with_chair():
    club = make_club()
    chair = make_user(club=club, role="chair", full_name="Chủ nhiệm Hoa")
    return club, chair


@pytest.fixture
def admin_client(app):
    client = app.test_client()
    login_as(client, make_user(role="admin", login="root"))
    return client


def test_the_admin_cannot_make_a_chair_with_a_password_they_know(app, admin_client,
                                                                 club_with_chair, caplog):
    club, chair = club_with_chair
    caplog.set_level(logging.DEBUG)
    response = admin_client.post("/admin/users", data={
        "full_name": "Kẻ mạo danh", "login": "fake.chair", "phone": "", "role": "chair",
        "club": str(club.id), "area": "", "password": "admin-knows-1"})
    assert response.status_code == 200  # the code, shown once, as the answer to the POST
    code = code_on(response)
    logged = caplog.text
    fake = User.get(User.login == "fake.chair")
    # The password the admin typed does not open the account.
    assert login_as(app.test_client(), fake, password="admin-knows-1").status_code == 401
    # The club's board sees it, on its members page and its home page: who, when, for whom.
    board = app.test_client()
    login_as(board, chair)
    for page in ("/club/members/", "/"):
        text = board.get(page).get_data(as_text=True)
        assert "Tài khoản mới: Kẻ mạo danh" in text
        assert "Quản trị hệ thống" in text
    # The code is nowhere but on that page: not stored, not in an address, not in a log.
    assert not SetupCode.select().where(SetupCode.code_hash.contains(code)).exists()
    for row in AuditLog.select():
        assert code not in str(row.details)
    assert code not in logged and code.replace("-", "") not in logged
    assert code.replace("-", "") not in str(list(SetupCode.select().dicts()))


def test_a_club_without_a_chair_gets_its_first_chair_from_the_admin(app, admin_client):
    club = make_club()
    response = admin_client.post("/admin/users", data={
        "full_name": "Chủ nhiệm đầu tiên", "login": "first.chair", "phone": "", "role": "chair",
        "club": str(club.id), "area": "", "password": "first-pass-12"})
    assert response.status_code == 302
    first = User.get(User.login == "first.chair")
    assert first.role == "chair" and first.must_change_password
    assert login_as(app.test_client(), first, password="first-pass-12").status_code == 302


def test_an_admins_password_reset_of_a_chair_takes_no_effect(app, admin_client, club_with_chair):
    club, chair = club_with_chair
    admin_client.post(f"/admin/users/{chair.id}", data={"reset-password": "taken-over-1"})
    assert login_as(app.test_client(), chair, password="taken-over-1").status_code == 401
    assert login_as(app.test_client(), chair).status_code == 302


def test_a_reset_code_is_seen_by_the_board_and_told_to_the_holder(app, admin_client,
                                                                  club_with_chair):
    club, chair = club_with_chair
    vice = make_user(club=club, role="chair", full_name="Phó chủ nhiệm Lan")
    code = code_on(admin_client.post(f"/admin/users/{chair.id}/setup-code"))
    # Until the code is used, the holder's own password still works; they are told at login.
    holder = app.test_client()
    response = login_as(holder, chair)
    assert response.status_code == 302
    page = holder.get("/").get_data(as_text=True)
    assert "đã cấp một mã thiết lập cho tài khoản của bạn (Đặt lại mật khẩu)" in page
    assert "Quản trị hệ thống" in page
    # Told once.
    assert "mã thiết lập cho tài khoản của bạn" not in holder.get("/").get_data(as_text=True)
    # The other board member sees it on the home page until they acknowledge it.
    board = app.test_client()
    login_as(board, vice)
    assert "Đặt lại mật khẩu: Chủ nhiệm Hoa" in board.get("/").get_data(as_text=True)
    event = AccountEvent.get()
    assert board.post(f"/club/members/events/{event.id}/seen", data={"back": "/"}).status_code == 302
    assert "Đặt lại mật khẩu: Chủ nhiệm Hoa" not in board.get("/").get_data(as_text=True)
    assert AccountEvent.get_by_id(event.id).acknowledged_by_id == vice.id
    # Whoever has the code sets the password, once.
    assert use_code(app.test_client(), chair.login, code).status_code == 302
    assert login_as(app.test_client(), chair, password="my-own-pass-1").status_code == 302
    assert login_as(app.test_client(), chair).status_code == 401
    refused = use_code(app.test_client(), chair.login, code, "another-pass-1")
    assert "Mã thiết lập này sai, đã dùng hoặc đã hết hạn" in refused.get_data(as_text=True)


def test_a_member_is_told_too_though_the_field_app_shows_no_notice(app, club_with_chair):
    club, chair = club_with_chair
    member = make_user(club=club, role="member")
    accounts.issue_setup_code(member, by=chair, purpose="reset")
    holder = app.test_client()
    response = holder.post("/login?next=/app/", data={"login": member.login,
                                                      "password": "correct-horse-9"})
    assert response.headers["Location"].endswith("/account")
    assert "mã thiết lập cho tài khoản của bạn" in holder.get("/account").get_data(as_text=True)


def test_the_role_of_chair_comes_with_the_code_only(app, admin_client, club_with_chair):
    club, chair = club_with_chair
    member = make_user(club=club, full_name="Thành viên Nam")
    code = code_on(admin_client.post(f"/admin/users/{member.id}/make-chair"))
    assert User.get_by_id(member.id).role == "member"
    board = app.test_client()
    login_as(board, chair)
    assert "Được làm thành viên ban chủ nhiệm: Thành viên Nam" in board.get(
        "/club/members/").get_data(as_text=True)
    client = app.test_client()
    assert use_code(client, f"  {member.login.upper()} ", code.lower().replace("-", " ")
                    ).status_code == 302
    assert User.get_by_id(member.id).role == "chair"
    assert client.get("/club/members/").status_code == 200  # logged in, as a chair


def test_a_code_expires_after_24_hours(app, admin_client, club_with_chair):
    club, chair = club_with_chair
    code = code_on(admin_client.post(f"/admin/users/{chair.id}/setup-code"))
    row = SetupCode.get()
    assert timedelta(hours=23, minutes=59) < row.expires_at - row.created_at <= timedelta(hours=24)
    row.expires_at = row.expires_at - timedelta(hours=24, seconds=1)
    row.save()
    assert use_code(app.test_client(), chair.login, code).status_code == 200
    assert login_as(app.test_client(), chair).status_code == 302


def test_a_new_code_replaces_the_last_one(app, admin_client, club_with_chair):
    club, chair = club_with_chair
    first = code_on(admin_client.post(f"/admin/users/{chair.id}/setup-code"))
    second = code_on(admin_client.post(f"/admin/users/{chair.id}/setup-code"))
    assert use_code(app.test_client(), chair.login, first).status_code == 200
    assert use_code(app.test_client(), chair.login, second).status_code == 302


def test_guessing_codes_is_throttled(app, club_with_chair):
    club, chair = club_with_chair
    with app.test_request_context():
        issued = accounts.issue_setup_code(chair, by=None, purpose="reset")
    for n in range(app.config["LOGIN_THROTTLE_FREE_FAILURES_ACCOUNT"]):
        assert use_code(app.test_client(), chair.login, f"AAAA-BBBB-CC{n:02d}").status_code == 200
    response = use_code(app.test_client(), chair.login, issued.code)
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0


def test_a_chair_helps_a_member_who_forgot_their_password(app, club_with_chair):
    club, chair = club_with_chair
    member = make_user(club=club, full_name="Thành viên Bình")
    board = app.test_client()
    login_as(board, chair)
    code = code_on(board.post(f"/club/members/{member.id}/setup-code"))
    assert use_code(app.test_client(), member.login, code).status_code == 302
    # The chair's own event waits for another board member: they cannot acknowledge it themselves.
    event = AccountEvent.get()
    assert event.by_id == chair.id
    board.post(f"/club/members/events/{event.id}/seen")
    assert AccountEvent.get_by_id(event.id).acknowledged_at is None
    # Another club's member is not theirs to help.
    stranger = make_user(club=make_club())
    assert board.post(f"/club/members/{stranger.id}/setup-code").status_code == 404


def test_a_chairs_new_member_opens_the_account_with_a_code(app, club_with_chair):
    club, chair = club_with_chair
    board = app.test_client()
    login_as(board, chair)
    response = board.post("/club/members/", data={"full_name": "Đỗ Văn Hùng", "login": "dv.hung",
                                                 "phone": "", "role": "member"})
    code = code_on(response)
    member = User.get(User.login == "dv.hung")
    assert (member.club_id, member.role) == (club.id, "member")
    first = app.test_client()
    assert use_code(first, "dv.hung", code).status_code == 302
    assert first.get("/account").status_code == 200


def test_a_member_who_sets_a_password_with_a_code_is_told_before_the_field_app(
        app, club_with_chair):
    club, chair = club_with_chair
    member = make_user(club=club, full_name="Thành viên Lan")
    with app.test_request_context():
        issued = accounts.issue_setup_code(member, by=chair, purpose="reset")
    phone = app.test_client()
    response = use_code(phone, member.login, issued.code)
    # Home would take a member on to the field app, which shows no notice.
    assert response.headers["Location"].endswith("/account")
    page = phone.get("/account").get_data(as_text=True)
    assert "Đã đặt mật khẩu của bạn." in page and 'href="/app/"' in page  # the bar leads on
    # Not told to report the very code they have just used.
    assert "mã thiết lập cho tài khoản của bạn" not in page
    # Said once: it does not wait in the session to come up on some later page.
    assert "Đã đặt mật khẩu của bạn." not in phone.get("/account").get_data(as_text=True)
    # A chair is told on the desk's home, which shows it.
    with app.test_request_context():
        issued = accounts.issue_setup_code(chair, by=None, purpose="reset")
    desk = app.test_client()
    assert use_code(desk, chair.login, issued.code).headers["Location"].endswith("/")
    assert "Đã đặt mật khẩu của bạn." in desk.get("/").get_data(as_text=True)


def test_a_code_used_tells_the_holder_still_of_what_else_was_done_to_the_account(
        app, club_with_chair):
    club, chair = club_with_chair
    second = make_user(club=club, role="chair", full_name="Phó chủ nhiệm Nga")
    holders.leave_board(second, by=chair)
    with app.test_request_context():
        issued = accounts.issue_setup_code(second, by=chair, purpose="reset")
    phone = app.test_client()
    assert use_code(phone, second.login, issued.code).headers["Location"].endswith("/account")
    page = phone.get("/account").get_data(as_text=True)
    assert "đã cho bạn thôi làm ban chủ nhiệm" in page
    assert "mã thiết lập cho tài khoản của bạn" not in page


def test_the_login_page_offers_the_setup_code_path(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/login/setup"' in page and "Tôi có mã thiết lập" in page
