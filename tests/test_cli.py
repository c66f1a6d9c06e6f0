"""The command line of a fresh server: clubs, accounts and the demo data."""
import pytest

from webapp import accounts
from webapp.models import AuditLog, Case, Club, User, Visit

from .factories import make_club, make_user


def test_clubs_create(runner):
    result = runner.invoke(args=["clubs", "create", "--name", "CLB Tuần Châu", "--ward",
                                 "Tuần Châu", "--city", "Hạ Long", "--province", "Quảng Ninh"])
    assert result.exit_code == 0, result.output
    club = Club.get(Club.name == "CLB Tuần Châu")
    assert (club.ward, club.city, club.province, club.code_prefix) == (
        "Tuần Châu", "Hạ Long", "Quảng Ninh", "TC")
    assert "CLB Tuần Châu" in result.output and "TC-" in result.output


@pytest.mark.parametrize("args, prefix", [
    (["--name", "CLB Bạch Đằng", "--ward", "Bạch Đằng"], "BD"),
    (["--name", "CLB Hồng Gai", "--ward", "Hồng Gai"], "HG"),
    (["--name", "CLB Hà Khánh", "--prefix", "hk"], "HK"),
])
def test_clubs_create_code_prefix(runner, args, prefix):
    place = ["--city", "Hạ Long", "--province", "Quảng Ninh"]
    if "--ward" not in args:
        place += ["--ward", "Hà Khánh"]
    result = runner.invoke(args=["clubs", "create", *args, *place])
    assert result.exit_code == 0, result.output
    assert Club.get(Club.name == args[1]).code_prefix == prefix


@pytest.mark.parametrize("args, message", [
    (["--name", "CLB Cũ"], "Đã có câu lạc bộ mang tên này."),
    (["--name", "   "], "Nhập tên câu lạc bộ"),
    (["--name", "CLB Mới", "--prefix", "X1"], "Tiền tố mã gồm 2 đến 8 chữ cái"),
    (["--name", "CLB Mới", "--prefix", "cu", "--ward", "Mới", "--city", "Hạ Long",
      "--province", "Quảng Ninh"], "CLB Cũ đã dùng tiền tố CU"),
    (["--name", "CLB Mới", "--prefix", "MO", "--city", "Hạ Long", "--province", "Quảng Ninh"],
     "Nhập phường"),
    (["--name", "CLB Mới", "--prefix", "MO", "--ward", "Mới", "--province", "Quảng Ninh"],
     "Nhập thành phố"),
    (["--name", "CLB Mới", "--prefix", "MO", "--ward", "Mới", "--city", "Hạ Long"], "Nhập tỉnh"),
])
def test_clubs_create_bad_input(runner, args, message):
    make_club(name="CLB Cũ", code_prefix="CU")
    before = Club.select().count()
    result = runner.invoke(args=["clubs", "create", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert Club.select().count() == before


def test_clubs_create_needs_a_name(runner):
    result = runner.invoke(args=["clubs", "create"])
    assert result.exit_code == 2
    assert "--name" in result.output


def test_users_create_admin(runner):
    result = runner.invoke(args=["users", "create", "--login", "admin", "--password",
                                 "a-strong-pass", "--role", "admin", "--name", "Quản trị"])
    assert result.exit_code == 0, result.output
    user = User.get(User.login == "admin")
    assert (user.role, user.full_name, user.club_id, user.must_change_password) == (
        "admin", "Quản trị", None, False)
    assert accounts.check_password(user, "a-strong-pass")
    assert AuditLog.get(AuditLog.action == "account_created").object_id == user.id


def test_users_create_member_of_a_club(runner):
    club = make_club(name="CLB Cao Xanh")
    result = runner.invoke(args=["users", "create", "--login", "cx.tv9", "--password",
                                 "a-strong-pass", "--role", "member", "--club", "CLB Cao Xanh",
                                 "--phone", "0912 345 678"])
    assert result.exit_code == 0, result.output
    user = User.get(User.login == "cx.tv9")
    assert (user.club_id, user.phone) == (club.id, "0912345678")


def test_users_create_supervisor_with_area(runner):
    result = runner.invoke(args=["users", "create", "--login", "hl.theodoi", "--password",
                                 "a-strong-pass", "--role", "supervisor", "--area", "Hạ Long"])
    assert result.exit_code == 0, result.output
    user = User.get(User.login == "hl.theodoi")
    assert (user.role, user.area, user.club_id) == ("supervisor", "Hạ Long", None)


@pytest.mark.parametrize("args, message, code", [
    (["--login", "x1", "--password", "a-strong-pass", "--role", "admin"],
     "Tên đăng nhập gồm 3 đến 64 ký tự", 1),
    (["--login", "taken", "--password", "a-strong-pass", "--role", "admin"],
     "Tên đăng nhập này đã có người dùng.", 1),
    (["--login", "newone", "--password", "short", "--role", "admin"],
     "Mật khẩu phải có ít nhất 8 ký tự.", 1),
    (["--login", "newone", "--password", "a-strong-pass", "--role", "member"],
     "Thành viên hoặc Ban chủ nhiệm phải thuộc một câu lạc bộ.", 1),
    (["--login", "newone", "--password", "a-strong-pass", "--role", "member", "--club", "Nowhere"],
     "No club named 'Nowhere'.", 1),
    (["--login", "newone", "--password", "a-strong-pass", "--role", "supervisor"],
     "Cán bộ theo dõi cần có địa bàn", 1),
    (["--login", "newone", "--password", "a-strong-pass", "--role", "admin", "--phone", "abc"],
     "Nhập số điện thoại gồm 9 đến 15 chữ số.", 1),
    (["--login", "newone", "--password", "a-strong-pass", "--role", "king"], "king", 2),
    (["--login", "newone", "--role", "admin"], "--password", 2),
])
def test_users_create_bad_input(runner, args, message, code):
    make_user(role="admin", login="taken")
    before = User.select().count()
    result = runner.invoke(args=["users", "create", *args])
    assert result.exit_code == code, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert User.select().count() == before


PILOT = ["CLB Hùng Thắng", "CLB Cao Xanh", "CLB Bạch Đằng", "CLB Hồng Gai", "CLB Tuần Châu"]


def test_demo_fills_an_empty_database(runner):
    result = runner.invoke(args=["demo", "--password", "pilot-2026"])
    assert result.exit_code == 0, result.output
    clubs = list(Club.select().order_by(Club.name))
    assert sorted(c.name for c in clubs) == sorted(PILOT)
    for club in clubs:
        assert (club.city, club.province) == ("Hạ Long", "Quảng Ninh")
        people = list(club.users)
        assert [u.role for u in people].count("chair") == 1
        assert [u.role for u in people].count("member") >= 2
        cases = list(Case.select().where(Case.club == club))
        assert len(cases) >= 3
        assert all(c.code.startswith(club.code_prefix + "-") for c in cases)
        assert all(c.assigned_to.club_id == club.id for c in cases)
    assert Visit.select().count() > 0
    supervisor = User.get(User.role == "supervisor")
    assert supervisor.area == "Hạ Long"
    assert User.select().where(User.role == "admin").count() == 1
    # Every login is printed, and the one password opens each account.
    for user in User.select():
        assert user.login in result.output
        assert accounts.check_password(user, "pilot-2026")
        assert not user.must_change_password
    assert "pilot-2026" in result.output


def test_demo_default_password(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert accounts.check_password(User.get(User.login == "admin"), "demo12345")


def test_demo_logins_work_on_the_site(runner, client):
    runner.invoke(args=["demo", "--password", "pilot-2026"])
    # One account of each role (every password was checked above); each request closes the
    # connection, so the users are read before the first one.
    users = [User.select().where(User.role == role).order_by(User.login).first()
             for role in ("admin", "supervisor", "chair", "member")]
    for user in users:
        response = client.post("/login", data={"login": user.login, "password": "pilot-2026"})
        assert response.status_code == 302, user.login
        assert client.get("/account").status_code == 200
        client.post("/logout")


def test_demo_refuses_a_database_with_data(runner):
    make_club()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 1
    assert "not empty" in result.output
    assert User.select().count() == 0


def test_demo_refuses_a_short_password_and_writes_nothing(runner):
    result = runner.invoke(args=["demo", "--password", "short"])
    assert result.exit_code == 1
    assert "Mật khẩu phải có ít nhất 8 ký tự." in result.output
    assert Club.select().count() == 0 and User.select().count() == 0


def test_demo_tells_a_year_of_the_clubs_work(runner):
    """Every page of every role shows something real on first start (issue: demo data)."""
    from webapp.book.fields import local_today
    from webapp.models import Activity, Appointment, Attendance, Referral, Review

    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    today = local_today()
    for club in Club.select():
        cases = list(Case.select().where(Case.club == club))
        months = {c.created_at.strftime("%Y-%m") for c in cases}
        assert len(months) >= 5, months  # registered across the year, not all today
        visits = list(Visit.select().where(Visit.club == club))
        assert all(v.date <= today for v in visits)
        assert {v.review_status for v in visits} == {"approved", "submitted", "returned"}
        returned = Review.get((Review.club == club) & (Review.decision == "returned"))
        assert returned.reason
        assert any(c.review_status == "submitted" for c in cases)
        club_referrals = list(Referral.select().where(Referral.club == club))
        assert {r.review_status for r in club_referrals} == {"approved"}
        statuses = {r.status for r in club_referrals}
        assert statuses == {"referred", "accepted", "completed", "declined"}
        assert all(r.outcome for r in Referral.select().where(
            (Referral.club == club) & Referral.status.in_(("completed", "declined"))))
        assert Activity.select().where(Activity.club == club).count() >= 2
        brought = Attendance.select().where((Attendance.club == club)
                                            & Attendance.brought_by.is_null(False))
        assert brought.count() >= 3
        due = [a.due_date for a in Appointment.select().where(
            (Appointment.club == club) & (Appointment.status == "open"))]
        assert any(d < today for d in due) and any(d >= today for d in due)
    # A member's Today starts with work: appointments and the entry returned to them.
    tv1 = User.get(User.login == "tc.tv1")
    assert Appointment.select().where((Appointment.member == tv1)
                                      & (Appointment.status == "open")).exists()
    assert Visit.select().where((Visit.created_by == tv1)
                                & (Visit.review_status == "returned")).exists()
