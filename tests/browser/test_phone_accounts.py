"""One phone in a family, used in turn by members of two clubs and by a supervisor: each sees
nothing of another's, and what one left waiting — an entry, a form half filled in — is theirs
again, and goes under their name into their club, when they log in again. Counted on the server."""
import os

import pytest

from webapp.db import utcnow
from webapp.models import LoginSession, User, Visit

from ..factories import PASSWORD, make_case, make_club, make_user
from .conftest import log_in, submit_login
from .test_field_app import (
    HELD, STORAGE_DUMP, fill_visit, go_offline, go_online, member_of, no_background_sync,
    open_app, record_visit, wait_all_sent,
)

pytestmark = pytest.mark.browser


def test_a_family_phone_of_two_clubs_and_a_supervisor_keeps_each_ones_own(live_server, phone):
    first_club, second_club = make_club(), make_club()
    first, second = member_of(first_club), member_of(second_club)
    supervisor = make_user(role="supervisor", area="Hạ Long")
    mine = make_case(club=first_club, created_by=first, full_name="Vũ Thị Một")
    theirs = make_case(club=second_club, created_by=second, full_name="Ngô Văn Hai")
    page = open_app(phone.new_page(), live_server, first)
    go_offline(phone)
    record_visit(page, mine.uuid, "Ghi khi mất sóng")
    fill_visit(page, mine.uuid, "Điền dở của người thứ nhất")
    page.evaluate("location.hash = '#/today'")  # left half filled in: a draft
    page.wait_for_selector("[data-testid=draft]")
    # The session ends on the server (it idled out): the phone learns it at the next network.
    LoginSession.update(ended_at=utcnow()).where(LoginSession.user == first).execute()
    go_online(phone)
    page.wait_for_selector("#view a[href^='/login']")
    page.click("#view a[href^='/login']")
    page.wait_for_selector("input[name=login]")
    assert page.evaluate(HELD) == {"keys": 0, "working": 1, "outbox": 1}  # sealed

    # A supervisor logs in from there: the desk, not a field app that would log them out.
    submit_login(page, supervisor.login, PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    dump = page.evaluate(STORAGE_DUMP)
    for text in (mine.full_name, mine.code, "Ghi khi mất sóng", "Điền dở của người thứ nhất"):
        assert text not in dump and text not in page.content()
    page.goto(f"{live_server.url}/account")
    page.click("#logout-form button[type=submit]")
    page.wait_for_url("**/login")

    # A member of another club: nothing of the first's, told that another account's entry waits.
    open_app(page, live_server, second)
    page.wait_for_selector("text=mục của tài khoản khác")
    assert page.locator("[data-testid=draft]").count() == 0
    record_visit(page, theirs.uuid, "Của người thứ hai")
    wait_all_sent(page)
    for text in (mine.full_name, mine.code, "Ghi khi mất sóng", "Điền dở của người thứ nhất"):
        assert text not in page.content()
    assert Visit.select().where(Visit.created_by == first).count() == 0
    page.goto(f"{live_server.url}/account")
    page.click("#logout-form button[type=submit]")
    page.wait_for_url("**/login")

    # The first again: the entry goes, under their name, into their club; the form is there.
    no_background_sync(page, live_server)
    submit_login(page, first.login, PASSWORD)
    page.wait_for_url(f"{live_server.url}/app/**")
    wait_all_sent(page)
    page.wait_for_selector("[data-testid=draft] a")
    page.click("[data-testid=draft] a")
    page.wait_for_selector("[data-testid=draft-restored]")
    assert page.input_value("#f-notes") == "Điền dở của người thứ nhất"
    assert sorted((v.notes, v.created_by_id, v.club_id) for v in Visit.select()) == [
        ("Của người thứ hai", second.id, second_club.id),
        ("Ghi khi mất sóng", first.id, first_club.id)]


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_an_account_of_the_desk_opening_the_field_app_lands_on_the_desk_still_logged_in(
        live_server, phone, role):
    """A bookmark of /app/, opened by a supervisor or an administrator already logged in: the
    bootstrap says the account works at the desk (working_set.at_desk), and the app goes there —
    no "this account is no longer active", no logout. Again once the phone holds its answer."""
    user = make_user(role=role, area="Hạ Long" if role == "supervisor" else "")
    page = phone.new_page()
    no_background_sync(page, live_server)
    log_in(page, live_server.url, user.login, PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    for _ in range(2):
        page.goto(f"{live_server.url}/app/")
        page.wait_for_url(f"{live_server.url}/", timeout=10000)
        page.wait_for_selector("main")
        assert "không còn hoạt động" not in page.content()
        assert LoginSession.select().where((LoginSession.user == user)
                                           & LoginSession.ended_at.is_null()).count() == 1
    page.goto(f"{live_server.url}/account")  # a desk page: logged in still
    assert page.url == f"{live_server.url}/account"
    if os.environ.get("SOTD_SCREENSHOTS") and role == "supervisor":
        page.goto(f"{live_server.url}/app/")
        page.wait_for_url(f"{live_server.url}/")
        page.set_viewport_size({"width": 360, "height": 740})
        page.screenshot(path=os.path.join(os.environ["SOTD_SCREENSHOTS"],
                                          "js-leftovers-supervisor-desk-from-app.png"))


def test_the_top_bar_names_the_club_only_while_its_member_is_logged_in(live_server, phone):
    """A shared phone: once the session has ended (401) and the working set gone, the top bar
    says the app's own name, not which club (for a victims' support club the name says much);
    the club's name again after logging in; nor when the app is opened again meanwhile."""
    club = make_club(name="CLB Hỗ trợ nạn nhân Phường Một")
    member = member_of(club)
    page = open_app(phone.new_page(), live_server, member)
    page.wait_for_function("() => document.getElementById('club-name').textContent"
                           " === 'CLB Hỗ trợ nạn nhân Phường Một'")
    LoginSession.update(ended_at=utcnow()).where(LoginSession.user == member).execute()
    page.evaluate("location.hash = '#/outbox'")
    page.locator("[data-action=sync]").first.click()  # the server says: nobody is logged in
    page.wait_for_selector("#view a[href^='/login']")
    assert page.inner_text("#club-name") == "Sổ Theo Dõi"
    assert "CLB Hỗ trợ nạn nhân" not in page.inner_text("body")
    if os.environ.get("SOTD_SCREENSHOTS"):
        page.set_viewport_size({"width": 360, "height": 740})
        page.screenshot(path=os.path.join(os.environ["SOTD_SCREENSHOTS"],
                                          "js-leftovers-top-bar-after-401.png"))
    page.reload()  # opened again: nothing of the club held, nothing shown; the login form next
    page.wait_for_selector("input[name=login]")
    assert "CLB Hỗ trợ nạn nhân" not in page.inner_text("body")
    submit_login(page, member.login, PASSWORD)
    page.wait_for_url(f"{live_server.url}/app/**")
    page.wait_for_function("() => document.getElementById('club-name').textContent"
                           " === 'CLB Hỗ trợ nạn nhân Phường Một'")


def test_a_member_made_a_desk_account_leaves_no_half_filled_form_on_the_phone(live_server, phone):
    """A member's account given the supervisor's role, nothing waiting to be sent: the field app
    goes to the desk, logged in — and keeps no form half filled in when it was a member's (a new
    person's name and address, a visit's notes): a desk account reads no club's records."""
    club = make_club()
    member = member_of(club)
    case = make_case(club=club, created_by=member)
    page = open_app(phone.new_page(), live_server, member)
    fill_visit(page, case.uuid, "Ghi chú điền dở")
    page.evaluate("location.hash = '#/new/case'")
    page.fill("#f-full_name", "Người Mới Điền Dở")
    page.evaluate("location.hash = '#/today'")
    page.wait_for_selector("[data-testid=draft]")
    User.update(role="supervisor", area="Hạ Long").where(User.id == member.id).execute()
    page.goto(f"{live_server.url}/app/")
    page.wait_for_url(f"{live_server.url}/", timeout=10000)
    page.wait_for_selector("main")
    dump = page.evaluate(STORAGE_DUMP)
    for text in ("Ghi chú điền dở", "Người Mới Điền Dở", case.full_name):
        assert text not in dump
    assert page.evaluate(HELD) == {"keys": 0, "working": 0, "outbox": 0}
    assert LoginSession.select().where((LoginSession.user == member)
                                       & LoginSession.ended_at.is_null()).count() == 1
