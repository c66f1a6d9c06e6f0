"""The phone when the club's board, or the club, changes around it: what its working set keeps
and what waits in its outbox, for a board member who steps down, a member who joins the board,
an account or a club deactivated and reactivated (DESIGN.md §4)."""
from datetime import timedelta

import pytest

from webapp import accounts
from webapp.book import conflicts, consent, holders, review, scheduling, working_set
from webapp.db import utcnow
from webapp.invalid import Invalid
from webapp.models import Activity, Case, SurveyRound, User

from .factories import login_as, make_case, make_user, make_visit, today
from .test_sync_edges import at, case_data, case_edit, entry, send
from .test_working_set import apply, bootstrap, same_set


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("sotd_lang", "en")


@pytest.fixture
def board(app):
    """A club of two board members (on it since an hour ago) and two members; member `a`
    follows one case, member `b` another, and one case is followed by no one."""
    since = utcnow() - timedelta(hours=1)
    first = make_user(role="chair", full_name="Chủ nhiệm Một", board_since=since)
    club = first.club
    second = make_user(club=club, role="chair", board_since=since)
    a = make_user(club=club, role="member")
    b = make_user(club=club, role="member")
    theirs = make_case(club=club, created_by=a)
    others = make_case(club=club, created_by=b, consent=("follow", "refer"))
    nobodys = make_case(club=club, created_by=second, assigned_to=None)
    return type("Board", (), dict(first=User.get_by_id(first.id), second=second, a=a, b=b,
                                  club=club, theirs=theirs, others=others, nobodys=nobodys))


def _book_of(board):
    """Something in every list of the working set: a visit given to the first board member on
    the case no one follows, another member's visit and appointment, an activity, a survey
    round; returns the visit given."""
    make_visit(board.others, created_by=board.b)
    scheduling.assign_visit(board.second, board.others, board.b, today(2))
    Activity.create(club=board.club, created_by=board.second, kind="awareness", date=today(),
                    title="Truyền thông", review_status="approved")
    SurveyRound.create(club=board.club, name="Khảo sát", starts_on=today(-3), ends_on=today(3),
                       areas=["Tổ 1"], created_by=board.second)
    return scheduling.assign_visit(board.second, board.nobodys, board.first, today(1))


def test_a_board_member_who_steps_down_keeps_on_the_phone_what_a_member_would_get(client, board):
    given = _book_of(board)
    visit = make_visit(board.nobodys, created_by=board.first)
    review.return_entry(visit, board.second, "Thiếu ghi chú")
    login_as(client, board.first)
    phone = apply({}, bootstrap(client))
    assert {c["uuid"] for c in phone["cases"]} == {board.theirs.uuid, board.others.uuid,
                                                   board.nobodys.uuid}
    assert [a["id"] for a in phone["appointments"]] == [given.id]
    holders.leave_board(board.first, by=board.second)
    delta = bootstrap(client, phone["cursor"])
    assert set(delta["removed"]["cases"]) == {board.theirs.uuid, board.others.uuid,
                                              board.nobodys.uuid}
    assert delta["removed"]["appointments"] == [given.id]  # now the other board member's
    phone = apply(phone, delta)
    same_set(phone, working_set.whole(User.get_by_id(board.first.id)))
    assert phone["user"]["role"] == "member" and phone["cases"] == []
    # What they recorded on the board and was returned to them is still theirs to fix.
    assert [(r["uuid"], r["case_code"]) for r in phone["returned"]] == [(visit.uuid,
                                                                        board.nobodys.code)]


def test_a_member_who_joins_the_board_gets_the_whole_club_at_the_next_sync(client, board):
    _book_of(board)
    login_as(client, board.a)
    phone = apply({}, bootstrap(client))
    assert [c["uuid"] for c in phone["cases"]] == [board.theirs.uuid]
    code = accounts.issue_setup_code(board.a, by=board.first, purpose="make_chair", role="chair")
    accounts.use_setup_code(board.a.login, code.code, "another-horse-77", "203.0.113.9")
    client.post("/login", data={"login": board.a.login, "password": "another-horse-77"})
    delta = bootstrap(client, phone["cursor"])
    assert delta["full"] is False
    assert {c["uuid"] for c in delta["cases"]} == {board.others.uuid, board.nobodys.uuid}
    phone = apply(phone, delta)
    same_set(phone, working_set.whole(User.get_by_id(board.a.id)))


def test_consent_recorded_on_the_board_on_a_case_one_does_not_follow_is_not_lost(client, board):
    """Recorded from the case's screen in the field, before stepping down: the edit of a case's
    own record is not theirs to make any more, but it is kept for the board, never refused as
    someone else's."""
    login_as(client, board.first)
    held = {c["uuid"]: c for c in bootstrap(client)["cases"]}[board.others.uuid]
    # They no longer agree to be referred to services.
    edit = case_edit(held, made=at(timedelta(minutes=-10)),
                     consent=dict(held["consent"], refer=False))
    holders.leave_board(board.first, by=board.second)
    [result] = send(client, [edit])
    assert result["status"] == "conflict", result
    assert "you have left the club's board" in result["errors"]["entry"]
    assert "server" not in result  # they may not read the case any more
    # The board takes the consent from the kept copy; the phone hears how it ended.
    [kept] = conflicts.open_conflicts(board.club)
    assert kept.uuid == board.others.uuid and kept.user_id == board.first.id
    conflicts.resolve(kept, board.second, take=["consent"], seen=held["revision"])
    assert not consent.has_consent(Case.get_by_id(board.others.id), "refer")
    [outcome] = bootstrap(client)["conflict_outcomes"]
    assert (outcome["uuid"], outcome["outcome"]) == (board.others.uuid, "merged")


def test_an_activity_changed_on_the_board_is_kept_for_the_board_after_stepping_down(
        client, board):
    made, training = (Activity.create(club=board.club, created_by=board.second, kind="awareness",
                                      date=today(-1), title=title, review_status="approved")
                      for title in ("Truyền thông", "Tập huấn"))
    data = {"title": "Truyền thông tại khu 5", "kind": "awareness",
            "date": today(-1).isoformat(), "place": "Nhà văn hoá", "attendee_count": 40}
    changed = entry("activity", data, uuid=made.uuid, revision=2, base_revision=1,
                    made=at(timedelta(minutes=-10)))
    late = entry("activity", data, uuid=training.uuid, revision=2, base_revision=1,
                 made=at(timedelta(seconds=30)))  # once off the board
    holders.leave_board(board.first, by=board.second)
    login_as(client, board.first)
    results = send(client, [changed, late])
    assert [r["status"] for r in results] == ["conflict", "invalid"]
    assert "you have left the club's board" in results[0]["errors"]["entry"]
    assert results[1]["errors"] == {"uuid": "This entry belongs to someone else."}
    assert [Activity.get_by_id(a.id).title for a in (made, training)] == ["Truyền thông",
                                                                          "Tập huấn"]


def test_a_case_registered_on_the_board_for_another_member_goes_to_them(client, board):
    registered = entry("case", case_data(assigned_to=board.b.id), made=at(timedelta(minutes=-10)))
    holders.leave_board(board.first, by=board.second)
    login_as(client, board.first)
    [result] = send(client, [registered])
    assert result["status"] == "created", result
    case = Case.get(Case.uuid == registered["uuid"])
    assert case.assigned_to_id == board.b.id and case.review_status == "submitted"


def test_a_member_reactivated_during_a_hand_in_session_gets_the_book_back(app, client, board):
    """Deactivated, then reactivated while their phone is in the session that only hands in: the
    phone logs in again and gets their cases back, rather than hand in and log out (its forms
    half filled in thrown away, told that the account is no longer active)."""
    accounts.set_active(User.get_by_id(board.a.id), False, by=board.second)
    login_as(client, board.a)
    assert bootstrap(client)["user"]["hand_in_only"] is True
    colleague = app.test_client()
    login_as(colleague, board.b)
    accounts.set_active(User.get_by_id(board.a.id), True, by=board.second)
    assert client.get("/api/v1/bootstrap").status_code == 401
    login_as(client, board.a)
    whole = bootstrap(client)
    assert whole["user"]["hand_in_only"] is False
    assert [c["uuid"] for c in whole["cases"]] == [board.theirs.uuid]
    # The same answer again to an active account (a page opened before) is refused as done
    # already, and ends no session.
    with pytest.raises(Invalid):
        accounts.set_active(User.get_by_id(board.b.id), True, by=board.second)
    assert colleague.get("/api/v1/bootstrap").status_code == 200
