"""The chair's members page: add, deactivate and reactivate the members of their own club only."""
import pytest

from webapp.models import User

from .factories import login_as, make_club, make_user


@pytest.fixture
def chair(chair, client):
    """The club's chair, logged in at the desk."""
    login_as(client, chair)
    return chair


def good_member(**change):
    return {"full_name": "Đỗ Văn Hùng", "login": "dv.hung", "phone": "", "role": "member",
            **change}


def test_chair_adds_a_member_to_their_own_club(client, chair, app):
    response = client.post("/club/members/", data=good_member())
    # The new member opens the account with a setup code (tests/test_setup_codes.py).
    assert "Mã thiết lập cho dv.hung" in response.get_data(as_text=True)
    member = User.get(User.login == "dv.hung")
    assert (member.club_id, member.role) == (chair.club_id, "member")
    assert "Đỗ Văn Hùng" in client.get("/club/members/").get_data(as_text=True)


def test_chair_adds_a_vice_chair(client, chair):
    client.post("/club/members/", data=good_member(role="chair"))
    assert User.get(User.login == "dv.hung").role == "chair"


@pytest.mark.parametrize("change, message", [
    ({"full_name": ""}, "Nhập họ và tên."),
    ({"login": ""}, "Nhập tên đăng nhập."),
    ({"login": "Đỗ Hùng"}, "Tên đăng nhập gồm 3 đến 64 ký tự"),
    ({"login": "taken"}, "Tên đăng nhập này đã có người dùng."),
    ({"phone": "09x"}, "Nhập số điện thoại gồm 9 đến 15 chữ số."),
    ({"role": "admin"}, "Lựa chọn không hợp lệ."),
    ({"role": "supervisor"}, "Lựa chọn không hợp lệ."),
])
def test_add_member_with_bad_input(client, chair, change, message):
    make_user(login="taken")
    before = User.select().count()
    response = client.post("/club/members/", data=good_member(**change))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert User.select().count() == before


def test_chair_deactivates_and_reactivates_a_member(client, chair, app):
    member = make_user(club=chair.club, full_name="Ngô Thị Mai")
    phone = app.test_client()
    login_as(phone, member)
    response = client.post(f"/club/members/{member.id}/active",
                           data={"active": "0", "confirmed": "1"}, follow_redirects=True)
    assert "Ngô Thị Mai đã ngừng hoạt động." in response.get_data(as_text=True)
    assert not User.get_by_id(member.id).is_active
    assert "/login" in phone.get("/account").headers.get("Location", "")
    response = client.post(f"/club/members/{member.id}/active", data={"active": "1"},
                           follow_redirects=True)
    assert "Ngô Thị Mai đã hoạt động trở lại." in response.get_data(as_text=True)
    assert User.get_by_id(member.id).is_active


def test_deactivating_a_member_asks_first(client, chair, app):
    member = make_user(club=chair.club, full_name="Ngô Thị Mai")
    phone = app.test_client()
    login_as(phone, member)
    page = client.get("/club/members/").get_data(as_text=True)
    assert f'action="/club/members/{member.id}/active"' in page
    response = client.post(f"/club/members/{member.id}/active", data={"active": "0"})
    question = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Ngừng hoạt động tài khoản của Ngô Thị Mai?" in question
    assert "Lần cuối kết nối" in question and "chưa về đến câu lạc bộ" in question
    assert "Chưa kết nối lần nào" not in question  # logged in on the phone above
    assert 'name="confirmed" value="1"' in question and 'href="/club/members/"' in question
    # Nothing changed: the account and its session live on until the chair says yes.
    assert User.get_by_id(member.id).is_active
    assert phone.get("/account").status_code == 200


def test_the_members_page_says_when_each_was_last_seen(client, chair, app):
    seen = make_user(club=chair.club, full_name="Ngô Thị Mai")
    make_user(club=chair.club, full_name="Đinh Văn Mới")
    login_as(app.test_client(), seen)
    page = client.get("/club/members/").get_data(as_text=True)
    mai = page.split("Ngô Thị Mai", 1)[1].split("</li>", 1)[0]
    new = page.split("Đinh Văn Mới", 1)[1].split("</li>", 1)[0]
    assert "Lần cuối kết nối" in mai and "Chưa kết nối lần nào" in new
    question = client.post(f"/club/members/{User.get(User.full_name == 'Đinh Văn Mới').id}/active",
                           data={"active": "0"}).get_data(as_text=True)
    assert "không có gì của họ đang chờ" in question


def test_chair_cannot_deactivate_themselves(client, chair):
    response = client.post(f"/club/members/{chair.id}/active", data={"active": "0"},
                           follow_redirects=True)
    assert "Bạn không thể ngừng hoạt động tài khoản của chính mình." in response.get_data(
        as_text=True)
    assert User.get_by_id(chair.id).is_active


def test_another_clubs_member_is_404(client, chair):
    other_club = make_club()
    stranger = make_user(club=other_club)
    for active in ("0", "1"):
        response = client.post(f"/club/members/{stranger.id}/active", data={"active": active})
        assert response.status_code == 404
    assert User.get_by_id(stranger.id).is_active
    # Accounts without a club are not the chair's either.
    for role in ("admin", "supervisor"):
        outsider = make_user(role=role)
        assert client.post(f"/club/members/{outsider.id}/active",
                           data={"active": "0"}).status_code == 404
        assert User.get_by_id(outsider.id).is_active
    page = client.get("/club/members/").get_data(as_text=True)
    assert stranger.login not in page


def test_a_member_cannot_manage_members(app):
    member = make_user()
    client = app.test_client()
    login_as(client, member)
    assert client.get("/club/members/").status_code == 403
    assert client.post("/club/members/", data=good_member()).status_code == 403
