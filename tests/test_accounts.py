"""Accounts: password hashing, login by name or phone, throttling without lockout, server-side
sessions that end for good, and an audit log without names."""
import json
from datetime import timedelta

import pytest
from argon2 import Type, extract_parameters

from webapp import accounts, config
from webapp.db import utcnow
from webapp.invalid import Invalid
from webapp.models import AuditLog, LoginAttempt, LoginSession, User

from .factories import PASSWORD, login_as, make_club, make_user

WRONG = "not-the-password"


def is_logged_in(client):
    # /account, not /: members are sent on from / to the field app.
    return client.get("/account").status_code == 200


def cookie_value(client):
    cookie = client.get_cookie("sotd_session")
    return cookie.value if cookie else None


def client_with_cookie(app, value):
    client = app.test_client()
    client.set_cookie("sotd_session", value)
    return client


# --- Passwords ----------------------------------------------------------------------------

def test_default_hash_is_argon2id_at_owasp_strength(app):
    # The test config makes hashing cheap; production uses config.DEFAULTS.
    app.config.update(PASSWORD_HASH_TIME_COST=config.DEFAULTS["PASSWORD_HASH_TIME_COST"],
                      PASSWORD_HASH_MEMORY_KIB=config.DEFAULTS["PASSWORD_HASH_MEMORY_KIB"])
    params = extract_parameters(accounts.hash_password("a long passphrase"))
    assert params.type is Type.ID
    # OWASP: argon2id with m=19 MiB, t=2, p=1 at least.
    assert params.memory_cost >= 19456
    assert params.time_cost >= 2
    assert params.parallelism >= 1


def test_a_password_is_checked_and_rehashed_when_the_cost_grows(app):
    user = make_user()
    assert accounts.check_password(user, PASSWORD)
    assert not accounts.check_password(user, WRONG)
    app.config["PASSWORD_HASH_TIME_COST"] = 2
    assert accounts.check_password(user, PASSWORD)
    assert extract_parameters(User.get_by_id(user.id).password_hash).time_cost == 2


def test_log_in_with_the_login_name_or_the_phone_number(client):
    user = make_user(login="tc.tv1", phone="0912345678")
    for login in ("tc.tv1", "TC.TV1", " tc.tv1 ", "0912 345 678", "0912-345-678"):
        response = client.post("/login", data={"login": login, "password": PASSWORD})
        assert response.status_code == 302, login
        client.post("/logout")


def test_a_phone_number_is_one_number_in_its_national_and_international_forms(client):
    user = make_user(login="tc.tv7", phone="0912345678")
    for login in ("+84912345678", "+84 912 345 678", "84912345678"):
        response = client.post("/login", data={"login": login, "password": PASSWORD})
        assert response.status_code == 302, login
        client.post("/logout")
    # An account made before numbers were kept in the national form is found the same way.
    older = make_user(login="tc.tv8")
    User.update(phone="+84987654321").where(User.id == older.id).execute()
    assert accounts.find_by_login("0987 654 321") == older
    assert accounts.normalise_phone("+84 912 345 678") == "0912345678" == user.phone
    with pytest.raises(Invalid):  # the same number, typed otherwise, is still one account's
        accounts.create_user(login="tc.tv9", password="long-enough-1", role="member",
                             club=user.club, phone="+84 987 654 321")


@pytest.mark.parametrize("login, password, message", [
    ("", PASSWORD, "Nhập tên đăng nhập hoặc số điện thoại."),
    ("someone", "", "Nhập mật khẩu."),
    ("someone", WRONG, "Sai tên đăng nhập hoặc mật khẩu."),
    ("x" * 65, PASSWORD, "Không được dài quá 64 ký tự."),
])
def test_login_with_bad_input(client, login, password, message):
    make_user(login="someone")
    response = client.post("/login", data={"login": login, "password": password})
    assert response.status_code in (200, 401)
    assert message in response.get_data(as_text=True)
    assert not is_logged_in(client)


def test_a_deactivated_account_or_club_cannot_log_in(client):
    # Once it has handed in what waited on its phone (issue 13; tests/test_sync_edges.py).
    from webapp.db import utcnow

    user = make_user(is_active=False, handed_in_at=utcnow())
    response = login_as(client, user)
    assert "Tài khoản này đã bị ngừng hoạt động" in response.get_data(as_text=True)
    club = make_club(is_active=False)
    response = login_as(client, make_user(club=club))
    assert "Câu lạc bộ của bạn đã ngừng hoạt động" in response.get_data(as_text=True)
    assert not is_logged_in(client)


def test_next_only_goes_to_this_site(client):
    user = make_user(role="chair")
    response = client.post("/login?next=/account", data={"login": user.login, "password": PASSWORD})
    assert response.headers["Location"].endswith("/account")
    client.post("/logout")
    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        response = client.post(f"/login?next={target}",
                               data={"login": user.login, "password": PASSWORD})
        assert response.headers["Location"] == "/", target
        client.post("/logout")


def test_change_password(client):
    user = make_user()
    login_as(client, user)
    bad = client.post("/account/password", data={"current": WRONG, "new": "another-pass-1",
                                                 "confirm": "another-pass-1"})
    assert "Mật khẩu hiện tại không đúng." in bad.get_data(as_text=True)
    differ = client.post("/account/password", data={"current": PASSWORD, "new": "another-pass-1",
                                                    "confirm": "another-pass-2"})
    assert "Hai lần nhập mật khẩu mới không giống nhau." in differ.get_data(as_text=True)
    short = client.post("/account/password", data={"current": PASSWORD, "new": "short",
                                                   "confirm": "short"})
    assert "Mật khẩu phải có ít nhất 8 ký tự." in short.get_data(as_text=True)
    ok = client.post("/account/password", data={"current": PASSWORD, "new": "another-pass-1",
                                                "confirm": "another-pass-1"})
    assert ok.status_code == 302
    assert accounts.check_password(User.get_by_id(user.id), "another-pass-1")


# --- Sessions -----------------------------------------------------------------------------

def test_login_starts_a_fresh_session(app):
    client = app.test_client()
    user = make_user()
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    before = cookie_value(client)
    login_as(client, user)
    after = cookie_value(client)
    assert after != before
    with client.session_transaction() as session:
        assert "planted" not in session
        first_token = session["_user_id"]
    # The cookie from before the login does not carry the login.
    assert not is_logged_in(client_with_cookie(app, before))
    # A second login (another phone) gets its own token; both sessions are live.
    other = app.test_client()
    login_as(other, user)
    with other.session_transaction() as session:
        assert session["_user_id"] != first_token
    assert is_logged_in(client) and is_logged_in(other)
    # Only a hash of the token is stored.
    assert not LoginSession.select().where(LoginSession.token_hash == first_token).exists()


def test_logout_ends_the_session_for_good(app):
    client = app.test_client()
    user = make_user()
    login_as(client, user)
    stolen = cookie_value(client)
    assert is_logged_in(client_with_cookie(app, stolen))
    client.post("/logout")
    assert not is_logged_in(client)
    assert not is_logged_in(client_with_cookie(app, stolen))
    assert LoginSession.get(LoginSession.user == user).ended_at is not None


def test_logout_is_post_only(client):
    login_as(client, make_user())
    assert client.get("/logout").status_code == 405
    assert is_logged_in(client)


def test_deactivation_ends_existing_sessions(app):
    client = app.test_client()
    user = make_user()
    login_as(client, user)
    accounts.set_active(user, False, by=None)
    assert not is_logged_in(client)
    accounts.set_active(user, True, by=None)
    assert not is_logged_in(client)  # the old session stays dead
    login_as(client, user)
    assert is_logged_in(client)


def test_club_deactivation_ends_its_sessions(app):
    client = app.test_client()
    user = make_user(role="chair")
    login_as(client, user)
    accounts.set_club_active(user.club, False, by=None)
    assert not is_logged_in(client)


def test_a_user_deactivated_behind_the_sessions_back_is_logged_out(app):
    client = app.test_client()
    user = make_user()
    login_as(client, user)
    User.update(is_active=False).where(User.id == user.id).execute()
    assert not is_logged_in(client)


def age_session(user, *, idle=None, age=None):
    now = utcnow()
    fields = {}
    if idle is not None:
        fields["last_seen_at"] = now - idle
    if age is not None:
        fields["created_at"] = now - age
    LoginSession.update(**fields).where(LoginSession.user == user).execute()


def test_a_session_used_within_seven_days_lives_on(app):
    client = app.test_client()
    user = make_user()
    login_as(client, user)
    age_session(user, idle=timedelta(days=6, hours=23), age=timedelta(days=20))
    assert is_logged_in(client)
    # Using it moved its last use to now.
    seen = LoginSession.get(LoginSession.user == user).last_seen_at
    assert utcnow() - seen < timedelta(minutes=5)


def test_a_session_idle_for_more_than_seven_days_ends(app):
    client = app.test_client()
    user = make_user()
    login_as(client, user)
    age_session(user, idle=timedelta(days=7, minutes=1))
    assert not is_logged_in(client)
    assert LoginSession.get(LoginSession.user == user).ended_at is not None


def test_a_session_older_than_thirty_days_ends_even_if_used(app):
    client = app.test_client()
    user = make_user()
    login_as(client, user)
    age_session(user, idle=timedelta(hours=1), age=timedelta(days=30, minutes=1))
    assert not is_logged_in(client)


def test_a_session_survives_a_browser_restart(app):
    client = app.test_client()
    user = make_user()
    response = login_as(client, user)
    cookie = next(v for v in response.headers.getlist("Set-Cookie") if v.startswith("sotd_session"))
    assert "Expires=" in cookie  # a permanent cookie, not a browser-session one
    # A "new browser" holding only the stored cookie is still logged in.
    assert is_logged_in(client_with_cookie(app, cookie_value(client)))


def test_a_password_change_ends_the_other_sessions(app):
    phone, desk = app.test_client(), app.test_client()
    user = make_user()
    login_as(phone, user)
    login_as(desk, user)
    desk.post("/account/password", data={"current": PASSWORD, "new": "another-pass-1",
                                         "confirm": "another-pass-1"})
    assert is_logged_in(desk)
    assert not is_logged_in(phone)


def test_must_change_password_is_enforced(client):
    user = make_user(must_change_password=True)
    response = login_as(client, user)
    assert response.headers["Location"].endswith("/account/password")
    for path in ("/", "/account", "/club/members/"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].endswith(
            "/account/password"), path
    assert client.get("/api/v1/anything").status_code in (403, 404)
    page = client.get("/account/password").get_data(as_text=True)
    assert "Mật khẩu của bạn do người khác đặt" in page
    client.post("/account/password", data={"current": PASSWORD, "new": "my-own-pass-1",
                                           "confirm": "my-own-pass-1"})
    assert client.get("/account").status_code == 200
    assert not User.get_by_id(user.id).must_change_password


# --- Throttling ---------------------------------------------------------------------------

def attempt(app, login, password, address):
    client = app.test_client()
    response = client.post("/login", data={"login": login, "password": password},
                           environ_base={"REMOTE_ADDR": address})
    return response


def move_clock(seconds):
    """Make every recorded failure `seconds` older."""
    for row in LoginAttempt.select():
        row.at = row.at - timedelta(seconds=seconds)
        row.save()


def test_throttling_slows_an_account_down_and_lets_it_in_after_the_delay(app):
    user = make_user()
    free = app.config["LOGIN_THROTTLE_FREE_FAILURES_ACCOUNT"]
    for _ in range(free):
        assert attempt(app, user.login, WRONG, "10.0.0.1").status_code == 401
    # The right password is refused while the delay runs…
    refused = attempt(app, user.login, PASSWORD, "10.0.0.1")
    assert refused.status_code == 429
    assert "Bạn đã nhập sai quá nhiều lần" in refused.get_data(as_text=True)
    # …from another address too (the account is throttled, not only the address)…
    assert attempt(app, user.login, PASSWORD, "10.9.9.9").status_code == 429
    # …and accepted once it has passed.
    move_clock(2)
    assert attempt(app, user.login, PASSWORD, "10.0.0.1").status_code == 302


def test_the_delay_grows_and_is_capped(app):
    user = make_user()
    free = app.config["LOGIN_THROTTLE_FREE_FAILURES_ACCOUNT"]
    cap = app.config["LOGIN_THROTTLE_MAX_DELAY_SECONDS"]
    waits = []
    with app.test_request_context():
        for _ in range(free + 12):
            accounts.record_failure(user.login, "10.0.0.2")
            waits.append(accounts.login_wait_seconds(user.login, "10.0.0.3"))
    growing = waits[free - 1:]
    assert growing[0] >= 1
    assert all(b >= a for a, b in zip(growing, growing[1:]))
    assert growing[3] > growing[0]
    assert max(waits) <= cap
    assert waits[-1] == cap
    # Never a permanent lockout: the cap passes, and the right password gets in.
    move_clock(cap + 1)
    assert attempt(app, user.login, PASSWORD, "10.0.0.2").status_code == 302


def test_failures_older_than_the_window_are_forgotten(app):
    user = make_user()
    with app.test_request_context():
        for _ in range(30):
            accounts.record_failure(user.login, "10.0.0.4")
        assert accounts.login_wait_seconds(user.login, "10.0.0.4") > 0
        move_clock(app.config["LOGIN_THROTTLE_WINDOW_MINUTES"] * 60 + 1)
        assert accounts.login_wait_seconds(user.login, "10.0.0.4") == 0


def test_an_attacked_account_does_not_slow_down_others(app):
    victim, other = make_user(), make_user()
    for _ in range(app.config["LOGIN_THROTTLE_FREE_FAILURES_ACCOUNT"] + 3):
        attempt(app, victim.login, WRONG, "10.0.0.5")
    assert attempt(app, victim.login, PASSWORD, "10.0.0.6").status_code == 429
    assert attempt(app, other.login, PASSWORD, "10.0.0.6").status_code == 302


def test_throttling_per_address(app):
    user, bystander = make_user(), make_user()
    free = app.config["LOGIN_THROTTLE_FREE_ACCOUNTS_ADDRESS"]
    # Someone tries many names from one address (never the same one twice).
    for n in range(free):
        attempt(app, f"guess{n}", WRONG, "10.0.0.7")
    assert attempt(app, user.login, PASSWORD, "10.0.0.7").status_code == 429
    # The same account from another address, and another account elsewhere, are unaffected.
    assert attempt(app, user.login, PASSWORD, "10.0.0.8").status_code == 302
    assert attempt(app, bystander.login, PASSWORD, "10.0.0.9").status_code == 302
    move_clock(2)
    assert attempt(app, user.login, PASSWORD, "10.0.0.7").status_code == 302


def test_throttle_keys_hold_no_login_name_or_address(app):
    with app.test_request_context():
        accounts.record_failure("tc.tv1", "10.1.2.3")
    keys = [row.key for row in LoginAttempt.select()]
    assert len(keys) == 2
    assert not any("tc.tv1" in key or "10.1.2.3" in key for key in keys)


# --- Audit --------------------------------------------------------------------------------

def audit_text(row):
    return json.dumps([row.action, row.object_type, row.details], ensure_ascii=False)


def test_audit_log_of_logins_and_account_changes_without_names(app):
    admin = make_user(role="admin")
    club = make_club()
    client = app.test_client()
    login_as(client, admin)
    # An account created, a setup code for it, deactivated, by the admin's pages.
    client.post("/admin/users", data={"full_name": "Phạm Thị Hoa", "login": "pt.hoa",
                                      "phone": "0987654321", "role": "member", "club": club.id,
                                      "area": ""})
    created = User.get(User.login == "pt.hoa")
    client.post(f"/admin/users/{created.id}/setup-code")
    client.post(f"/admin/users/{created.id}/active", data={"active": "0", "confirmed": "1"})
    client.post("/logout")
    login_as(client, admin, password=WRONG)
    login_as(client, make_user(login="unknown-but-real"), password=WRONG)
    client.post("/login", data={"login": "nobody-at-all", "password": WRONG})
    actions = [row.action for row in AuditLog.select().order_by(AuditLog.id)]
    assert actions == ["login", "account_created", "setup_code_issued", "setup_code_issued",
                       "account_deactivated", "logout", "login_failed", "login_failed",
                       "login_failed"]
    rows = list(AuditLog.select().order_by(AuditLog.id))
    assert rows[0].user_id == admin.id
    assert rows[1].object_type == "user" and rows[1].object_id == created.id
    assert rows[1].user_id == admin.id and rows[1].club_id == club.id
    assert rows[2].object_id == created.id and rows[3].object_id == created.id
    assert rows[3].details["purpose"] == "reset" and rows[4].object_id == created.id
    assert rows[6].user_id == admin.id  # a failure on a real account names its id
    assert rows[8].user_id is None
    for row in rows:
        text = audit_text(row)
        for personal in ("Phạm Thị Hoa", "pt.hoa", "0987654321", admin.login, admin.full_name,
                         "nobody-at-all", "unknown-but-real", WRONG, "new-pass-12"):
            assert personal not in text, (row.action, personal)


def test_audit_of_a_chairs_member_changes(app):
    chair = make_user(role="chair")
    client = app.test_client()
    login_as(client, chair)
    client.post("/club/members/", data={"full_name": "Lê Văn Nam", "login": "lv.nam",
                                        "phone": "", "role": "member"})
    member = User.get(User.login == "lv.nam")
    client.post(f"/club/members/{member.id}/active", data={"active": "0", "confirmed": "1"})
    client.post(f"/club/members/{member.id}/active", data={"active": "1"})
    rows = list(AuditLog.select().where((AuditLog.object_id == member.id)
                                        & (AuditLog.object_type == "user"))
                .order_by(AuditLog.id))
    assert [r.action for r in rows] == ["account_created", "setup_code_issued",
                                        "account_deactivated", "account_reactivated"]
    assert all(r.user_id == chair.id and r.club_id == chair.club_id for r in rows)
    assert not any("Lê Văn Nam" in audit_text(r) or "lv.nam" in audit_text(r) for r in rows)
