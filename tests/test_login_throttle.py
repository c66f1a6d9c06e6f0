"""Login throttling that slows guessing and locks no one out (issue 15, finding 2), and answers
that take the same time for known and unknown logins (finding 3)."""
import base64
import json
import threading
import time

import pytest
from argon2 import PasswordHasher

from webapp import accounts
from webapp.db import utcnow
from webapp.i18n import LANG_COOKIE
from webapp.models import AuditLog, LoginAttempt

from .factories import PASSWORD, make_user
from .test_accounts import WRONG, attempt, move_clock


def fail(app, login, times, address="10.0.0.1"):
    for _ in range(times):
        assert attempt(app, login, WRONG, address).status_code == 401


@pytest.mark.parametrize("variant", [" bd.tv2", "bd.tv2\t", "   bd.tv2", "BD.TV2", "\nBd.Tv2 "])
def test_every_spelling_of_a_login_shares_its_count(app, variant):
    user = make_user(login="bd.tv2")
    fail(app, "bd.tv2", app.config["LOGIN_THROTTLE_FREE_FAILURES_ACCOUNT"])
    # The lookup reads the variant as the same account: so does the throttle, right password or not.
    assert attempt(app, variant, PASSWORD, "10.0.0.2").status_code == 429
    assert attempt(app, variant, WRONG, "10.0.0.3").status_code == 429
    move_clock(2)
    assert attempt(app, variant, PASSWORD, "10.0.0.2").status_code == 302
    assert accounts.find_by_login(variant) == user


@pytest.mark.parametrize("variant", ["0912 345 678", "0912.345.678", " 0912-345-678 ",
                                     "(0912) 345678"])
def test_every_spelling_of_a_phone_number_shares_its_count(app, variant):
    make_user(phone="0912345678")
    free = app.config["LOGIN_THROTTLE_FREE_FAILURES_ACCOUNT"]
    fail(app, variant, free - 1)
    fail(app, "0912345678", 1)
    assert attempt(app, variant, PASSWORD, "10.0.0.2").status_code == 429
    assert attempt(app, "0912345678", PASSWORD, "10.0.0.2").status_code == 429
    assert LoginAttempt.select().where(LoginAttempt.subject != "").count() == free


def test_failures_elsewhere_never_keep_a_member_out_of_their_own_browser(app):
    member = make_user()
    own_browser = app.test_client()
    assert own_browser.post("/login", data={"login": member.login, "password": PASSWORD},
                            environ_base={"REMOTE_ADDR": "10.1.1.1"}).status_code == 302
    own_browser.post("/logout")
    # Someone guesses from five addresses, then once more each time the wait ends.
    addresses = [f"10.2.0.{n}" for n in range(5)]
    for address in addresses:
        fail(app, member.login, 1, address)
    for round_ in range(6):
        move_clock(accounts.login_wait_seconds(member.login, addresses[0]) + 1)
        fail(app, member.login, 1, addresses[round_ % 5])
    assert accounts.login_wait_seconds(member.login, "10.9.9.9") > 0
    # A browser the member never used must wait…
    assert attempt(app, member.login, PASSWORD, "10.1.1.1").status_code == 429
    # …but the member's own browser gets in at once, from any address (a phone's network moves).
    response = own_browser.post("/login", data={"login": member.login, "password": PASSWORD},
                                environ_base={"REMOTE_ADDR": "10.3.3.3"})
    assert response.status_code == 302


def test_the_browsers_own_allowance_is_throttled_too(app):
    member = make_user()
    browser = app.test_client()
    browser.post("/login", data={"login": member.login, "password": PASSWORD})
    browser.post("/logout")
    free = app.config["LOGIN_THROTTLE_FREE_FAILURES_ACCOUNT"]
    for _ in range(free):
        assert browser.post("/login", data={"login": member.login,
                                            "password": WRONG}).status_code == 401
    assert browser.post("/login", data={"login": member.login,
                                        "password": PASSWORD}).status_code == 429
    # Its failures were its own: another browser is not slowed by them.
    assert attempt(app, member.login, PASSWORD, "10.0.0.9").status_code == 302


def test_a_device_cookie_works_for_its_own_account_only(app):
    member, other = make_user(), make_user()
    browser = app.test_client()
    browser.post("/login", data={"login": member.login, "password": PASSWORD})
    browser.post("/logout")
    cookie = browser.get_cookie(accounts.DEVICE_COOKIE, path="/login")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Strict"
    # It holds a random browser id, signed: no login name, no account id.
    payload = cookie.value.split(".")[0]
    browser_id = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert isinstance(browser_id, str) and len(browser_id) >= 20
    fail(app, other.login, app.config["LOGIN_THROTTLE_FREE_FAILURES_ACCOUNT"])
    # The member's browser cookie does not lift the other account's wait, nor does a forged one.
    assert browser.post("/login", data={"login": other.login,
                                        "password": PASSWORD}).status_code == 429
    forged = app.test_client()
    forged.set_cookie(accounts.DEVICE_COOKIE, cookie.value[:-2] + "xx", path="/login")
    assert forged.post("/login", data={"login": other.login,
                                       "password": PASSWORD}).status_code == 429


def test_an_address_is_slowed_by_the_accounts_it_tries_not_by_one_accounts_failures(app):
    with app.test_request_context():
        # Behind one carrier's NAT: one member mistypes many times (the account waits; the
        # address does not)…
        for _ in range(app.config["LOGIN_THROTTLE_FREE_ACCOUNTS_ADDRESS"] + 10):
            accounts.record_failure("tc.tv1", "10.4.4.4")
        assert accounts.login_wait_seconds("tc.tv2", "10.4.4.4") == 0
        # …but one address trying many accounts is slowed for every account.
        for n in range(app.config["LOGIN_THROTTLE_FREE_ACCOUNTS_ADDRESS"]):
            accounts.record_failure(f"guess{n}", "10.5.5.5")
        assert accounts.login_wait_seconds("tc.tv2", "10.5.5.5") > 0


def test_parallel_tries_are_checked_no_more_than_the_allowance(app, monkeypatch):
    user = make_user()
    free = app.config["LOGIN_THROTTLE_FREE_FAILURES_ACCOUNT"]
    real_check = accounts.check_password

    def slow_check(user, password):  # as slow as a real argon2id hash: the race is wide open
        time.sleep(0.05)
        return real_check(user, password)

    monkeypatch.setattr(accounts, "check_password", slow_check)
    # The throttle's clock stands still: on a loaded machine the tries may take longer than the
    # first wait (1 s), and a try after the wait is rightly checked.
    frozen = utcnow()
    monkeypatch.setattr(accounts, "utcnow", lambda: frozen)
    tries = 40
    start = threading.Barrier(tries)
    statuses = []

    def guess(n):
        client = app.test_client()
        start.wait()
        response = client.post("/login", data={"login": user.login, "password": WRONG},
                               environ_base={"REMOTE_ADDR": f"10.6.{n}.1"})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(tries)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    checked = AuditLog.select().where(AuditLog.action == "login_failed").count()
    assert checked == free
    assert sorted(statuses) == [401] * free + [429] * (tries - free)


def test_a_throttled_answer_is_429_with_retry_after_and_says_how_long(app):
    user = make_user()
    free = app.config["LOGIN_THROTTLE_FREE_FAILURES_ACCOUNT"]
    with app.test_request_context():
        for _ in range(free + 8):  # the next wait: 2**8 = 256 s
            accounts.record_failure(user.login, "10.7.7.7")
    response = attempt(app, user.login, PASSWORD, "10.7.7.8")
    assert response.status_code == 429
    seconds = int(response.headers["Retry-After"])
    assert 250 <= seconds <= 256
    assert "thử lại sau 5 phút" in response.get_data(as_text=True)
    english = app.test_client()
    english.set_cookie(LANG_COOKIE, "en")
    page = english.post("/login", data={"login": user.login, "password": PASSWORD}).get_data(
        as_text=True)
    assert "Try again in 5 minutes." in page
    move_clock(250)
    page = english.post("/login", data={"login": user.login, "password": PASSWORD}).get_data(
        as_text=True)
    assert "Try again in 6 seconds." in page or "Try again in 5 seconds." in page


def test_an_unknown_login_costs_one_password_check_like_a_known_one(app, monkeypatch):
    known = make_user(phone="0987000111")
    calls = []
    real_verify = PasswordHasher.verify

    def counting_verify(self, hash, password):
        calls.append(hash)
        return real_verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    for login in (known.login, "nobody-at-all", "0987000111", "0987000999"):
        calls.clear()
        assert attempt(app, login, WRONG, "10.8.8.8").status_code == 401
        assert len(calls) == 1, login
        # At the same cost as the accounts' own hashes.
        assert calls[0].split("$")[3] == known.password_hash.split("$")[3]
