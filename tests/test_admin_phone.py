"""The phone when the administrator (or a club's chair, on its members page) changes accounts and
clubs around it: a member made a board member, a club deactivated while a deactivated member has
not handed in yet, one phone shared by members of two clubs, a supervisor or an administrator who
logs in on a member's phone. Counted on the server, per uuid (TESTING.md)."""
from datetime import timedelta

import pytest

from webapp import accounts
from webapp.book import cases, sync as book_sync
from webapp.db import utcnow
from webapp.models import Case, CaseHolder, Club, EntryRevision, SyncConflict, User, Visit

from .factories import PASSWORD, login_as, make_case, make_user
from .test_sync_edges import at, case_data, entry, rows, send, visit_data
from .test_working_set import apply, bootstrap


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("sotd_lang", "en")


@pytest.fixture
def two_clubs(app):
    """Two clubs, each with a chair and a member who follows one case (given an hour ago)."""
    out = {}
    for name in ("a", "b"):
        chair = make_user(role="chair")
        member = make_user(club=chair.club, role="member", full_name=f"Thành viên {name}")
        case = make_case(club=chair.club, created_by=chair, assigned_to=None,
                         full_name=f"Người {name}", consent=("follow", "refer"))
        cases.assign(case, member, by=chair)
        out[name] = type("Club", (), dict(chair=chair, member=member, club=chair.club))
    CaseHolder.update(since=utcnow() - timedelta(hours=1)).execute()
    for side in out.values():
        side.case = Case.get(Case.assigned_to == side.member.id)
    return type("Two", (), out)


def fresh(user):
    return User.get_by_id(user.id)


def earlier(minutes=20):
    return at(timedelta(minutes=-minutes))


# --- Who changes what --------------------------------------------------------------------------

def test_no_page_moves_an_account_to_another_club_or_gives_it_another_role(app, client, two_clubs):
    """An account stays in its club for good; its role changes only between member and board
    member, by a setup code its holder uses or by stepping down (holders.leave_board). The admin's
    and the chair's forms, sent with a club, a role or a login of their choosing, change none."""
    a = two_clubs.a
    admin = make_user(role="admin")
    login_as(client, admin)
    moves = {"club": str(two_clubs.b.club.id), "club_id": str(two_clubs.b.club.id),
             "role": "admin", "login": "renamed", "area": "Hạ Long", "area-area": "Hạ Long"}
    for path in (f"/admin/users/{a.member.id}", f"/admin/users/{a.member.id}/active",
                 f"/admin/users/{a.member.id}/make-chair", f"/admin/users/{a.member.id}/setup-code"):
        client.post(path, data=moves)
    chair = app.test_client()
    chair.set_cookie("sotd_lang", "en")
    login_as(chair, a.chair)
    for path in (f"/club/members/{a.member.id}/active", f"/club/members/{a.member.id}/make-chair",
                 f"/club/members/{a.member.id}/setup-code", f"/club/members/{a.member.id}/step-down"):
        chair.post(path, data=moves)
    member = fresh(a.member)
    assert (member.club_id, member.role, member.login, member.is_active) == (
        a.club.id, "member", a.member.login, True)


# --- A member made a board member -------------------------------------------------------------

def test_a_member_made_a_board_member_sends_what_waits_into_their_own_club(app, client, two_clubs):
    a = two_clubs.a
    login_as(client, a.member)
    phone = apply({}, bootstrap(client))
    assert [c["uuid"] for c in phone["cases"]] == [a.case.uuid]
    visit = entry("visit", visit_data(a.case.uuid), made=earlier())
    registered = entry("case", case_data(full_name="Đỗ Thị Mới"), made=earlier())
    issued = accounts.issue_setup_code(fresh(a.member), by=a.chair, purpose="make_chair",
                                       role="chair")
    accounts.use_setup_code(a.member.login, issued.code, "a-new-password-1", "10.0.0.1")
    # The code was used elsewhere (the desk): the phone's session ends, what waits stays there.
    assert client.post("/api/v1/sync", json={"entries": [visit]}).status_code == 401
    assert rows(Visit, visit["uuid"]) == 0
    login_as(client, a.member, "a-new-password-1")
    assert [r["status"] for r in send(client, [visit, registered], waiting=2)] == ["created",
                                                                                 "created"]
    assert Visit.get(Visit.uuid == visit["uuid"]).club_id == a.club.id
    assert Case.get(Case.uuid == registered["uuid"]).club_id == a.club.id
    # The next sync brings the whole club's book, and only that club's.
    phone = apply(phone, bootstrap(client, phone["cursor"]))
    assert phone["user"]["role"] == "chair"
    club_cases = {c.uuid for c in Case.select().where(Case.club == a.club.id)}
    assert {c["uuid"] for c in phone["cases"]} == club_cases
    assert two_clubs.b.case.uuid not in club_cases


# --- A club deactivated while its members' phones hold entries -----------------------------------

def test_deactivating_a_club_names_a_deactivated_member_who_has_not_handed_in_yet(
        app, client, two_clubs):
    """A member deactivated with entries on their phone may log in once to hand them in, but not
    while their club is inactive: the admin is told of that phone too before deactivating it."""
    a = two_clubs.a
    accounts.set_active(fresh(a.member), False, by=a.chair)
    User.update(waiting_count=2, last_sync_at=utcnow()).where(User.id == a.member.id).execute()
    done = make_user(club=a.club, role="member", full_name="Đã nộp xong", is_active=False,
                     waiting_count=1, handed_in_at=utcnow())  # handed in: may log in no more
    admin = make_user(role="admin")
    login_as(client, admin)
    page = client.post(f"/admin/clubs/{a.club.id}/active", data={"active": "0"}).get_data(
        as_text=True)
    assert "Thành viên a: 2 entries" in page
    assert done.full_name not in page


def test_a_deactivated_member_hands_in_after_the_club_is_reactivated(app, client, two_clubs):
    a = two_clubs.a
    visit = entry("visit", visit_data(a.case.uuid), made=earlier())
    accounts.set_active(fresh(a.member), False, by=a.chair)
    admin = make_user(role="admin")
    accounts.set_club_active(a.club, False, by=admin)
    refused = login_as(client, a.member)
    assert refused.status_code == 401
    assert "What waits on your phone stays there" in refused.get_data(as_text=True)
    accounts.set_club_active(Club.get_by_id(a.club.id), True, by=admin)
    assert login_as(client, a.member).headers["Location"].endswith("/app/")
    assert bootstrap(client)["user"]["hand_in_only"] is True
    assert [r["status"] for r in send(client, [visit], waiting=1)] == ["created"]
    assert Visit.get(Visit.uuid == visit["uuid"]).club_id == a.club.id
    assert fresh(a.member).handed_in_at is not None


def test_what_a_deactivated_board_member_hands_in_waits_for_review(app, client, two_clubs):
    """A board member's entries are approved on submit: not those an account the club has
    deactivated hands in afterwards. They reach the club, and another board member decides."""
    a = two_clubs.a
    other = make_user(club=a.club, role="chair")
    login_as(client, a.chair)
    approved = bootstrap(client)["cases"][0]  # a.case, approved; the chair records on it
    visit = entry("visit", visit_data(a.case.uuid), made=earlier())
    registered = entry("case", case_data(full_name="Đỗ Thị Mới"), made=earlier())
    amended = entry("case", dict(case_data(), full_name="Người a (đã sửa)",
                                 assigned_to=approved["assigned_to"]),
                    uuid=approved["uuid"], revision=approved["revision"] + 1,
                    base_revision=approved["revision"], made=earlier())
    client.post("/logout")
    accounts.set_active(fresh(a.chair), False, by=other)
    login_as(client, a.chair)  # the one session that hands in
    assert bootstrap(client)["user"]["hand_in_only"] is True
    results = send(client, [visit, registered, amended], waiting=3)
    assert [r["status"] for r in results] == ["created", "created", "updated"]
    assert Visit.get(Visit.uuid == visit["uuid"]).review_status == "submitted"
    assert Case.get(Case.uuid == registered["uuid"]).review_status == "submitted"
    case = Case.get_by_id(a.case.id)
    assert (case.full_name, case.amendment_status) == ("Người a", "submitted")
    # Another board member's queue holds them.
    queue = app.test_client()
    login_as(queue, other)
    page = queue.get("/desk/review/").get_data(as_text=True)
    assert "Đỗ Thị Mới" in page


def test_a_hand_in_session_reads_nothing_of_a_case_changed_since(app, client, two_clubs):
    """Deactivated, a member may log in once to send what waits, and read nothing: an edit of a
    case that the board changed meanwhile is kept for the board, without the version the server
    holds now (an address written since their phone's copy, say) in the answer."""
    a = two_clubs.a
    login_as(client, a.member)
    held = bootstrap(client)["cases"][0]
    client.post("/logout")
    data = {name: held[name] for name in ("full_name", "sex", "birth_year", "address",
                                          "neighbourhood", "phone", "categories", "risk_level",
                                          "met_how", "consent", "assigned_to", "screening_uuid")}
    book_sync.desk_edit(fresh(a.chair), Case.get_by_id(a.case.id),
                        dict(data, address="Số 9, ngõ Mới"), base=held["revision"])
    accounts.set_active(fresh(a.member), False, by=a.chair)
    edit = entry("case", dict(data, phone="0911222333"), uuid=held["uuid"],
                 revision=held["revision"] + 1, base_revision=held["revision"], made=earlier())
    login_as(client, a.member)
    answer = client.post("/api/v1/sync", json={"entries": [edit], "waiting": 1})
    [result] = answer.get_json()["results"]
    assert result["status"] == "conflict" and "server" not in result
    assert "Số 9, ngõ Mới" not in answer.get_data(as_text=True)
    assert SyncConflict.select().where((SyncConflict.uuid == held["uuid"])
                                       & (SyncConflict.user == a.member.id)).count() == 1


# --- One phone, two clubs ----------------------------------------------------------------------

def test_a_phone_shared_by_members_of_two_clubs_keeps_each_ones_entries_theirs(app, two_clubs):
    """The phone sends only the entries of the user whose session it holds (core.js); should
    another's ever go under a session, the server writes none of them into the other club."""
    a, b = two_clubs.a, two_clubs.b
    phone = app.test_client()
    phone.set_cookie("sotd_lang", "en")
    login_as(phone, a.member)
    sent_before = entry("visit", visit_data(a.case.uuid), made=earlier(30))
    assert send(phone, [sent_before])[0]["status"] == "created"
    waits = entry("visit", visit_data(a.case.uuid), made=earlier())
    registered = entry("case", case_data(full_name="Đỗ Thị Mới"), made=earlier())
    waits_for_it = entry("visit", visit_data(registered["uuid"]), made=earlier())
    edit = entry("visit", dict(visit_data(a.case.uuid), notes="Sửa"), uuid=sent_before["uuid"],
                 revision=2, base_revision=1, made=earlier())
    phone.post("/logout")

    login_as(phone, b.member)
    working = bootstrap(phone)
    assert [c["uuid"] for c in working["cases"]] == [b.case.uuid]
    assert a.case.full_name not in str(working)
    results = send(phone, [waits, registered, waits_for_it, edit])
    assert [r["status"] for r in results] == ["invalid", "created", "created", "invalid"]
    # The case is b's own registration now (the uuid is b's: a's phone never sent it), so the
    # visit to it is b's too: in b's club, by b. Nothing of a's club moved, nothing was written.
    assert rows(Visit, waits["uuid"]) == 0
    assert Visit.get(Visit.uuid == sent_before["uuid"]).revision == 1
    assert not EntryRevision.select().where((EntryRevision.uuid == sent_before["uuid"])
                                            & (EntryRevision.submitted_by == b.member.id)).exists()
    assert all(server.get("server") is None for server in results)
    assert Visit.select().where((Visit.club == a.club.id)
                                & (Visit.created_by == b.member.id)).count() == 0
    phone.post("/logout")

    # a logs in again: what waited goes, under a's name, into a's club.
    login_as(phone, a.member)
    results = send(phone, [waits, edit])
    assert [r["status"] for r in results] == ["created", "updated"]
    for uuid in (waits["uuid"], sent_before["uuid"]):
        visit = Visit.get(Visit.uuid == uuid)
        assert (visit.club_id, visit.created_by_id) == (a.club.id, a.member.id)


# --- A supervisor or an administrator on a member's phone ------------------------------------------

@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_a_supervisor_or_admin_on_a_members_phone_reads_and_writes_nothing_of_the_club(
        app, client, two_clubs, role):
    a = two_clubs.a
    login_as(client, a.member)
    visit = entry("visit", visit_data(a.case.uuid), made=earlier())
    client.post("/logout")
    other = make_user(role=role, area="Hạ Long" if role == "supervisor" else "")
    login_as(client, other)
    working = bootstrap(client)
    assert working["cases"] == working["appointments"] == working["returned"] == []
    assert working["members"] == [] and working["user"]["club"] is None
    assert [r["status"] for r in send(client, [visit])] == ["invalid"]
    assert rows(Visit, visit["uuid"]) == 0
    client.post("/logout")
    login_as(client, a.member)
    assert [r["status"] for r in send(client, [visit])] == ["created"]


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_a_supervisor_or_admin_logging_in_from_the_field_app_goes_to_the_desk(
        app, client, role):
    """The field app sends whoever is not logged in to /login?next=/app/. There a supervisor's
    or an administrator's phone would only 'hand in' (they record nothing in the field), be told
    that their account is no longer active, and be logged out: they go to the desk instead."""
    user = make_user(role=role, area="Hạ Long" if role == "supervisor" else "")
    response = client.post("/login?next=/app/", data={"login": user.login,
                                                        "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    member = make_user(role="member")
    response = app.test_client().post("/login?next=/app/", data={"login": member.login,
                                                                  "password": PASSWORD})
    assert response.headers["Location"] == "/app/"
    # A member's account given another role whose phone still holds its entries: the field app,
    # which sends them (working_set.hands_in_only) and then logs out.
    former = make_user(role="supervisor", area="Hạ Long", waiting_count=2)
    response = app.test_client().post("/login?next=/app/", data={"login": former.login,
                                                                  "password": PASSWORD})
    assert response.headers["Location"] == "/app/"
