"""A board member steps down (or leaves) and what they recorded while on the board still reaches
the club: board terms (accounts.BoardTerm), the phone's entries, its working set, the members
page."""
from datetime import timedelta

import pytest
from flask_babel import force_locale

from webapp import accounts
from webapp.book import cases, holders, review, scheduling, sync as book_sync
from webapp.book.reminders import due_for
from webapp.clock import utc_start_of
from webapp.db import new_uuid, utcnow
from webapp.invalid import Invalid
from webapp.models import Appointment, AuditLog, BoardTerm, Case, Review, User, Visit

from .factories import login_as, make_case, make_user, today
from .test_sync_edges import at, entry, rows, send, visit_data


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("sotd_lang", "en")


@pytest.fixture
def board(app):
    """Two board members and a member; the member follows one case, and another case of the
    club is followed by no one. The board sat since an hour ago."""
    first = make_user(role="chair", full_name="Chủ nhiệm Một",
                      board_since=utcnow() - timedelta(hours=1))
    club = first.club
    second = make_user(club=club, role="chair")
    member = make_user(club=club, role="member")
    followed = make_case(club=club, created_by=member)
    unfollowed = make_case(club=club, created_by=second, assigned_to=None)
    return type("Board", (), dict(first=User.get_by_id(first.id), second=second, member=member,
                                  followed=followed, unfollowed=unfollowed, club=club))


def test_a_board_member_steps_down_and_the_club_keeps_a_board(board):
    holders.leave_board(board.first, by=board.second)
    first = User.get_by_id(board.first.id)
    assert first.role == "member" and not first.is_board
    [term] = BoardTerm.select().where(BoardTerm.user == first.id)
    assert term.until is not None and term.since < term.until
    assert AuditLog.get(AuditLog.action == "left_board").user_id == board.second.id
    # The last one on the board stays: someone else must join it first.
    with force_locale("en"), pytest.raises(Invalid, match="at least one board member"):
        holders.leave_board(board.second, by=board.second)
    with force_locale("en"), pytest.raises(Invalid, match="is not on the board"):
        holders.leave_board(board.member, by=board.second)
    assert User.get_by_id(board.second.id).role == "chair"


def made_chair(member, by):
    """`member` uses a setup code that makes them a board member, now; returns them as they are."""
    code = accounts.issue_setup_code(member, by=by, purpose="make_chair", role="chair")
    accounts.use_setup_code(member.login, code.code, "another-horse-77", "203.0.113.9")
    return User.get_by_id(member.id)


def test_a_new_board_member_begins_a_term_when_they_use_their_code(board):
    made_chair(board.member, by=board.first)
    [term] = BoardTerm.select().where(BoardTerm.user == board.member.id)
    assert term.until is None and term.club_id == board.club.id
    made = accounts.create_user(login="cn.moi", password="correct-horse-9", role="chair",
                                club=board.club)
    assert BoardTerm.select().where(BoardTerm.user == made.id).count() == 1


def test_what_was_recorded_on_the_board_reaches_the_club_after_stepping_down(client, board):
    made_on_board = entry("visit", visit_data(board.unfollowed.uuid),
                          made=at(timedelta(minutes=-20)))
    edit_base = entry("visit", visit_data(board.unfollowed.uuid, notes="Lần đầu"),
                      made=at(timedelta(minutes=-30)))
    login_as(client, board.first)
    assert send(client, [edit_base])[0]["status"] == "created"
    client.post("/logout")
    holders.leave_board(board.first, by=board.second)  # before their phone syncs again

    login_as(client, board.first)
    fixed = dict(edit_base, revision=2, base_revision=1, made=None,
                 data=visit_data(board.unfollowed.uuid, notes="Sửa lại"),
                 client_created_at=at(timedelta(minutes=-10)))
    after = entry("visit", visit_data(board.unfollowed.uuid), made=at(timedelta(seconds=30)))
    results = send(client, [made_on_board, fixed, after])
    assert [r["status"] for r in results] == ["created", "updated", "invalid"]
    assert "Ask your club's chair to assign it to you" in results[2]["errors"]["case_uuid"]
    assert [rows(Visit, e["uuid"]) for e in (made_on_board, after)] == [1, 0]
    # Now a member's entry: it waits for the board's review.
    assert Visit.get(Visit.uuid == made_on_board["uuid"]).review_status == "submitted"
    # Their visit was approved as they made it (on the board): the fix is an amendment to review.
    fixed_row = Visit.get(Visit.uuid == edit_base["uuid"])
    assert (fixed_row.notes, fixed_row.amendment_revision, fixed_row.amendment_status) == (
        "Lần đầu", 2, "submitted")


def test_a_former_board_member_deactivated_hands_in_what_they_recorded_on_the_board(
        client, board):
    made_on_board = entry("visit", visit_data(board.unfollowed.uuid),
                          made=at(timedelta(minutes=-20)))
    holders.leave_board(board.first, by=board.second)
    accounts.set_active(User.get_by_id(board.first.id), False, by=board.second)
    login_as(client, board.first)
    assert client.get("/api/v1/bootstrap").get_json()["user"]["hand_in_only"] is True
    assert send(client, [made_on_board], waiting=1)[0]["status"] == "created"
    assert User.get_by_id(board.first.id).handed_in_at is not None


def test_the_phone_lets_go_of_the_cases_it_no_longer_follows(client, board):
    cases.assign(Case.get_by_id(board.followed.id), board.first, by=board.second)
    login_as(client, board.first)
    whole = client.get("/api/v1/bootstrap").get_json()
    assert {c["uuid"] for c in whole["cases"]} == {board.followed.uuid, board.unfollowed.uuid}
    holders.leave_board(board.first, by=board.second)
    delta = client.get(f"/api/v1/bootstrap?since={whole['cursor']}").get_json()
    assert delta["removed"]["cases"] == [board.unfollowed.uuid]
    assert client.get(f"/desk/cases/{board.unfollowed.id}").status_code == 403


def test_the_members_page_asks_before_a_board_member_leaves(client, board):
    login_as(client, board.second)
    page = client.get("/club/members/").get_data(as_text=True)
    assert f"/club/members/{board.first.id}/step-down" in page
    assert f"/club/members/{board.second.id}/step-down" in page  # oneself, too
    assert f"/club/members/{board.member.id}/step-down" not in page

    question = client.post(f"/club/members/{board.first.id}/step-down")
    assert question.status_code == 200
    assert "Take Chủ nhiệm Một off the board?" in question.get_data(as_text=True)
    assert User.get_by_id(board.first.id).role == "chair"  # nothing until it is answered

    done = client.post(f"/club/members/{board.first.id}/step-down", data={"confirmed": "1"},
                       follow_redirects=True)
    assert "Chủ nhiệm Một is no longer on the board." in done.get_data(as_text=True)
    assert User.get_by_id(board.first.id).role == "member"
    # The last board member is told why they may not leave, and nothing changes.
    alone = client.post(f"/club/members/{board.second.id}/step-down").get_data(as_text=True)
    assert "at least one board member" in alone and 'name="confirmed"' not in alone
    refused = client.post(f"/club/members/{board.second.id}/step-down", data={"confirmed": "1"},
                          follow_redirects=True)
    assert "at least one board member" in refused.get_data(as_text=True)
    assert User.get_by_id(board.second.id).role == "chair"
    assert client.post(f"/club/members/{board.member.id}/step-down").status_code == 404


def test_a_board_member_who_leaves_the_board_goes_home(client, board):
    login_as(client, board.first)
    answer = client.post(f"/club/members/{board.first.id}/step-down", data={"confirmed": "1"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/")
    assert client.get("/club/members/").status_code == 403


def test_another_clubs_board_member_cannot_be_stepped_down(client, board):
    other = make_user(role="chair")
    make_user(club=other.club, role="chair")
    login_as(client, board.second)
    assert client.post(f"/club/members/{other.id}/step-down",
                       data={"confirmed": "1"}).status_code == 404
    assert User.get_by_id(other.id).role == "chair"


def test_the_visits_they_were_given_on_cases_they_no_longer_follow_go_to_who_does(board):
    mine = make_case(club=board.club, created_by=board.first, assigned_to=board.first)
    given = {name: scheduling.assign_visit(board.second, case, board.first, today(1))
             for name, case in (("unfollowed", board.unfollowed), ("followed", board.followed),
                                ("mine", mine))}
    holders.leave_board(User.get_by_id(board.first.id), by=board.second)
    holder = {name: Appointment.get_by_id(a.id).member_id for name, a in given.items()}
    assert holder == {"unfollowed": board.second.id, "followed": board.member.id,
                      "mine": board.first.id}
    tomorrow_noon = utc_start_of(today(1)) + timedelta(hours=12)
    keys = [r.key for r in due_for(User.get_by_id(board.first.id), tomorrow_noon)
            if r.key.startswith("appt:")]
    assert keys == [f"appt:{given['mine'].id}:day:{today(1).isoformat()}"]


def test_leaving_by_oneself_gives_them_to_another_board_member(board):
    scheduled = scheduling.assign_visit(board.first, board.unfollowed, board.first, today(1))
    holders.leave_board(User.get_by_id(board.first.id), by=User.get_by_id(board.first.id))
    assert Appointment.get_by_id(scheduled.id).member_id == board.second.id


def test_the_review_says_it_was_recorded_on_the_board(client, board):
    made_on_board = entry("visit", visit_data(board.unfollowed.uuid),
                          made=at(timedelta(minutes=-20)))
    own = entry("visit", visit_data(board.followed.uuid), made=at(timedelta(minutes=-20)))
    cases.assign(Case.get_by_id(board.followed.id), board.first, by=board.second)
    holders.leave_board(User.get_by_id(board.first.id), by=board.second)
    login_as(client, board.first)
    assert [r["status"] for r in send(client, [made_on_board, own])] == ["created", "created"]
    client.post("/logout")
    login_as(client, board.second)
    queue = client.get("/desk/review/").get_data(as_text=True)
    assert queue.count("Recorded while on the board") == 1  # not the case they follow
    visit = Visit.get(Visit.uuid == made_on_board["uuid"])
    page = client.get(f"/desk/review/visit/{visit.id}").get_data(as_text=True)
    assert "Recorded by Chủ nhiệm Một while on the club's board" in page
    followed = Visit.get(Visit.uuid == own["uuid"])
    assert "while on the club" not in client.get(
        f"/desk/review/visit/{followed.id}").get_data(as_text=True)


def test_the_rest_of_the_board_sees_who_left_it_and_the_member_is_told(app, client, board):
    third = make_user(club=board.club, role="chair", full_name="Phó chủ nhiệm")
    holders.leave_board(User.get_by_id(board.first.id), by=board.second)
    [event] = accounts.open_account_events(board.club.id)
    assert (event.purpose, event.user_id, event.by_id) == ("left_board", board.first.id,
                                                           board.second.id)
    login_as(client, third)
    page = client.get("/club/members/").get_data(as_text=True)
    assert "Left the board: Chủ nhiệm Một" in page
    assert "sees only the people they follow from then on" in page
    assert "set a password for a club account" not in page
    client.post(f"/club/members/events/{event.id}/seen", data={"back": "/club/members/"})
    assert accounts.open_account_events(board.club.id) == []
    client.post("/logout")
    # Told on a page that shows it, not the field app (which shows no notice), once.
    told = client.post("/login?next=/app/", data={"login": board.first.login,
                                                  "password": "correct-horse-9"})
    assert told.headers["Location"].endswith("/account")
    page = client.get("/account").get_data(as_text=True)
    assert "took you off the club&#39;s board: you now see only the people you follow" in page
    client.post("/logout")
    again = client.post("/login?next=/app/", data={"login": board.first.login,
                                                   "password": "correct-horse-9"})
    assert again.headers["Location"].endswith("/app/")
    # Leaving by oneself: the board is told, the member was there.
    holders.leave_board(User.get_by_id(board.second.id), by=User.get_by_id(board.second.id))
    [event] = accounts.open_account_events(board.club.id)
    assert event.user_id == event.by_id == board.second.id and event.holder_told_at is not None


def test_a_retry_after_a_lost_answer_and_a_step_down_is_a_duplicate(client, board):
    made_on_board = entry("visit", visit_data(board.unfollowed.uuid),
                          made=at(timedelta(minutes=-20)))
    login_as(client, board.first)
    assert send(client, [made_on_board])[0]["status"] == "created"  # the answer never came back
    holders.leave_board(User.get_by_id(board.first.id), by=board.second)
    assert send(client, [made_on_board])[0]["status"] == "duplicate"
    assert rows(Visit, made_on_board["uuid"]) == 1


def test_deactivation_ends_the_term_on_the_board_and_reactivation_begins_another(client, board):
    """Deactivated, a board member records nothing more for the club (members/deactivate.html):
    their term ends then. Their hand-in session takes what they recorded on the board, and what
    their phone recorded after the deactivation before it heard of it (judged as at that moment,
    so that it is not lost), both waiting for the board's review. Reactivated (a chair still),
    they sit on the board again from then; the time between is on no board."""
    made_on_board = entry("visit", visit_data(board.unfollowed.uuid),
                          made=at(timedelta(minutes=-20)))
    first = User.get_by_id(board.first.id)
    accounts.set_active(first, False, by=board.second)
    first = User.get_by_id(first.id)
    after = entry("visit", visit_data(board.unfollowed.uuid), made=at(timedelta(seconds=30)))
    assert holders.answered_for(first, board.unfollowed, first.deactivated_at
                                - timedelta(seconds=1))
    assert not holders.answered_for(first, board.unfollowed, first.deactivated_at)

    login_as(client, board.first)
    results = send(client, [made_on_board, after], waiting=2)
    assert [r["status"] for r in results] == ["created", "created"]
    assert [rows(Visit, e["uuid"]) for e in (made_on_board, after)] == [1, 1]
    # Handed in, neither is approved as a board member's own entry: the board reviews both.
    assert [Visit.get(Visit.uuid == e["uuid"]).review_status
            for e in (made_on_board, after)] == ["submitted", "submitted"]

    accounts.set_active(User.get_by_id(first.id), True, by=board.second)
    terms = list(BoardTerm.select().where(BoardTerm.user == first.id).order_by(BoardTerm.since))
    assert [t.until for t in terms] == [first.deactivated_at, None]
    assert terms[1].since >= first.deactivated_at
    assert not accounts.on_board(first, board.club.id, first.deactivated_at)
    assert accounts.on_board(first, board.club.id, utcnow())
    # Taken off the board while deactivated, their terms stay as they were.
    accounts.set_active(User.get_by_id(first.id), False, by=board.second)
    holders.leave_board(User.get_by_id(first.id), by=board.second)
    assert BoardTerm.select().where(BoardTerm.user == first.id).count() == 2
    assert not BoardTerm.select().where((BoardTerm.user == first.id)
                                        & BoardTerm.until.is_null()).exists()


# --- Approved on submit: judged as the entry was made ------------------------------------------
# A board member's entry is approved on submit (DESIGN.md §2): one they made on the board, and
# sent while they sit on it still. What a member recorded on their phone before a setup code made
# them a board member waits for the board's review, as any member's entry does; so does what a
# board member recorded and sends after leaving the board (the review page says it was recorded
# on the board: former_board). The moment is the one may_record judges by: client_created_at.

def test_what_a_member_recorded_before_joining_the_board_waits_for_review(app, board):
    before = entry("visit", visit_data(board.followed.uuid), made=at(timedelta(minutes=-20)))
    chair = made_chair(board.member, by=board.first)  # the phone has not synced meanwhile
    assert chair.is_board
    assert book_sync.submit_entry(chair, before)["status"] == "created"
    visit = Visit.get(Visit.uuid == before["uuid"])
    assert visit.review_status == "submitted"
    assert not Review.select().where(Review.entry_uuid == visit.uuid).exists()
    assert visit in [item.row for item in review.queue(board.club)]  # the board decides


def test_an_edit_a_member_made_before_joining_the_board_waits_for_review(app, board):
    first = entry("visit", visit_data(board.followed.uuid, notes="Lần đầu"),
                  made=at(timedelta(minutes=-40)))
    returned = entry("visit", visit_data(board.followed.uuid, notes="Ngắn"),
                     made=at(timedelta(minutes=-40)))
    for sent in (first, returned):
        assert book_sync.submit_entry(board.member, sent)["status"] == "created"
    review.approve(Visit.get(Visit.uuid == first["uuid"]), board.first, seen=1)
    review.return_entry(Visit.get(Visit.uuid == returned["uuid"]), board.first,
                        "Ghi rõ hơn", seen=1)
    # Both edited on the phone while still a member; sent once a board member.
    amended = dict(first, revision=2, base_revision=1,
                   client_created_at=at(timedelta(minutes=-20)),
                   data=visit_data(board.followed.uuid, notes="Sửa khi còn là thành viên"))
    fixed = dict(returned, revision=2, base_revision=1,
                 client_created_at=at(timedelta(minutes=-20)),
                 data=visit_data(board.followed.uuid, notes="Ghi rõ hơn rồi"))
    chair = made_chair(board.member, by=board.first)
    assert [book_sync.submit_entry(chair, e)["status"] for e in (amended, fixed)] == [
        "updated", "updated"]
    amended_row = Visit.get(Visit.uuid == first["uuid"])
    assert (amended_row.notes, amended_row.amendment_revision, amended_row.amendment_status) == (
        "Lần đầu", 2, "submitted")  # the approved version counts until the board decides
    fixed_row = Visit.get(Visit.uuid == returned["uuid"])
    assert (fixed_row.notes, fixed_row.review_status) == ("Ghi rõ hơn rồi", "submitted")
    assert not Review.select().where(Review.decision == "self_approved").exists()


def test_what_a_new_board_member_records_once_on_it_is_approved_on_submit(app, board):
    first = entry("visit", visit_data(board.followed.uuid, notes="Lần đầu"),
                  made=at(timedelta(minutes=-40)))
    assert book_sync.submit_entry(board.member, first)["status"] == "created"
    review.approve(Visit.get(Visit.uuid == first["uuid"]), board.first, seen=1)
    chair = made_chair(board.member, by=board.first)
    after = entry("visit", visit_data(board.unfollowed.uuid), made=at(timedelta(seconds=1)))
    amended = dict(first, revision=2, base_revision=1, client_created_at=at(timedelta(seconds=1)),
                   data=visit_data(board.followed.uuid, notes="Sửa khi đã vào ban"))
    assert [book_sync.submit_entry(chair, e)["status"] for e in (after, amended)] == [
        "created", "updated"]
    assert Visit.get(Visit.uuid == after["uuid"]).review_status == "approved"
    amended_row = Visit.get(Visit.uuid == first["uuid"])
    assert (amended_row.notes, amended_row.revision, amended_row.amendment_status) == (
        "Sửa khi đã vào ban", 2, None)
    assert Review.select().where((Review.decision == "self_approved")
                                 & (Review.decided_by == chair.id)).count() == 2


def test_what_a_board_member_recorded_and_sends_after_leaving_it_waits_for_review(app, board):
    """Made on the board, sent as a member: the board that took them off it decides, as it does
    for what a deactivated board member hands in; nobody decides on submit who is not on it."""
    made_on_board = entry("visit", visit_data(board.unfollowed.uuid),
                          made=at(timedelta(minutes=-20)))
    holders.leave_board(board.first, by=board.second)
    assert book_sync.submit_entry(User.get_by_id(board.first.id),
                                  made_on_board)["status"] == "created"
    assert Visit.get(Visit.uuid == made_on_board["uuid"]).review_status == "submitted"
    assert not Review.select().where(Review.decided_by == board.first.id).exists()


def test_at_the_desk_a_board_member_records_now_and_it_is_approved(app, board):
    data = visit_data(board.unfollowed.uuid)
    result = book_sync.desk_entry(board.first, "visit", data, new_uuid())
    assert result["status"] == "created"
    assert Visit.get(Visit.uuid == result["uuid"]).review_status == "approved"
