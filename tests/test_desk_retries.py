"""The desk's forms on a weak signal: a form sent twice (a double tap, a page the browser sends
again after a lost answer, back and save again) is one record, not two."""
import re

import pytest

from webapp.models import (
    Activity, Appointment, Attendance, AuditLog, Case, EntryRevision, Provider, Referral,
    SurveyRound, SyncConflict, Visit,
)

from .factories import login_as, make_case, make_user, today

UUID_INPUT = re.compile(r'name="entry_uuid"[^>]*value="([0-9a-f-]{36})"')


@pytest.fixture
def chair(chair, client, in_english):
    """The club's chair, logged in at the desk."""
    login_as(client, chair)
    return chair


def form_uuid(client, url):
    """The uuid the form on `url`'s page was drawn with (the entry it stands for)."""
    page = client.get(url).get_data(as_text=True)
    found = UUID_INPUT.search(page)
    assert found, f"the form on {url} carries no entry uuid"
    return found.group(1)


GOOD_CASE = {"full_name": "Nguyễn Thị Mai", "sex": "female", "birth_year": "1999",
             "categories": ["at_risk"], "risk_level": "medium", "consent_follow": "y"}


def visit_data():
    return {"date": today().isoformat(), "kind": "home_visit", "notes": "Hỏi thăm",
            "follow_up_date": today(7).isoformat()}


def referral_data():
    return {"service_kind": "legal_aid", "provider": "TGPL", "referred_on": today().isoformat()}


def activity_data():
    return {"title": "Tập huấn", "kind": "training", "date": today().isoformat(),
            "attendee_count": "30"}


# (the page the form is on, where it is posted, what is typed, the model of what it records)
def _forms(chair):
    case = make_case(created_by=chair, consent=("follow", "refer"))
    activity = Activity.create(club=chair.club, created_by=chair, kind="awareness", date=today(),
                               title="Truyền thông", review_status="approved")
    member = make_user(club=chair.club)
    return {
        "case": ("/desk/cases/new", "/desk/cases/new", GOOD_CASE, Case),
        "visit": (f"/desk/cases/{case.id}/visits/new", None, visit_data(), Visit),
        "referral": (f"/desk/cases/{case.id}/referrals/new", None, referral_data(), Referral),
        "attendance": (f"/desk/activities/{activity.id}", None,
                       {"case_uuid": case.uuid, "brought_by": str(member.id)}, Attendance),
        "activity": ("/desk/activities/", None, activity_data(), Activity),
        "provider": ("/providers/new", None, {"name": "Trung tâm TGPL",
                                              "service_kinds": ["legal_aid"]}, Provider),
    }


@pytest.mark.parametrize("kind", ["case", "visit", "referral", "attendance", "activity",
                                  "provider"])
def test_a_form_sent_twice_records_once(client, chair, kind):
    page, action, data, model = _forms(chair)[kind]
    before = model.select().count()
    lines = AuditLog.select().count()
    uuid = form_uuid(client, page)
    sent = {**data, "entry_uuid": uuid}
    first = client.post(action or page, data=sent)
    lines_once = AuditLog.select().count() - lines
    again = client.post(action or page, data=sent)  # the double tap, or the browser resending
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]  # to the one record
    assert model.select().count() == before + 1
    assert model.get(model.uuid == uuid)
    assert AuditLog.select().count() - lines == lines_once  # the second sending wrote nothing
    assert EntryRevision.select().where(EntryRevision.uuid == uuid).count() <= 1
    assert SyncConflict.select().count() == 0


def test_a_visit_sent_twice_plans_one_follow_up(client, chair):
    """One visit, so one appointment: one reminder pushed to the member, not two."""
    case = make_case(created_by=chair)
    url = f"/desk/cases/{case.id}/visits/new"
    sent = {**visit_data(), "entry_uuid": form_uuid(client, url)}
    client.post(url, data=sent)
    client.post(url, data=sent)
    assert Visit.select().count() == 1
    assert Appointment.select().where(Appointment.case == case).count() == 1


def test_each_form_drawn_is_a_new_entry(client, chair):
    """A new form (after the first was saved) stands for a new entry: the second case is taken."""
    first, second = form_uuid(client, "/desk/cases/new"), form_uuid(client, "/desk/cases/new")
    assert first != second
    client.post("/desk/cases/new", data={**GOOD_CASE, "entry_uuid": first})
    client.post("/desk/cases/new", data={**GOOD_CASE, "full_name": "Trần Văn Bình",
                                         "entry_uuid": second})
    assert Case.select().count() == 2


def test_back_changed_and_saved_again_is_an_edit_of_the_same_case(client, chair):
    """Saved, then back to the form, a field changed and saved again: the chair's correction of
    the case the first sending made (its next revision), not a second case."""
    uuid = form_uuid(client, "/desk/cases/new")
    client.post("/desk/cases/new", data={**GOOD_CASE, "entry_uuid": uuid})
    again = client.post("/desk/cases/new", data={**GOOD_CASE, "birth_year": "1998",
                                                 "entry_uuid": uuid})
    case = Case.get()
    assert Case.select().count() == 1
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/cases/{case.id}")
    assert (case.birth_year, case.revision) == (1998, 2)
    assert SyncConflict.select().count() == 0


def test_sent_again_after_another_changed_it_is_kept_not_written(client, chair):
    """Sent again with changes after another board member corrected the case: nothing is
    overwritten; the copy waits beside the record for the board to compare."""
    uuid = form_uuid(client, "/desk/cases/new")
    client.post("/desk/cases/new", data={**GOOD_CASE, "entry_uuid": uuid})
    case = Case.get()
    other = make_user(club=chair.club, role="chair")
    other_client = client.application.test_client()
    login_as(other_client, other)
    edit = other_client.post(f"/desk/cases/{case.id}/edit",
                             data={**GOOD_CASE, "risk_level": "high", "base_revision": "1"})
    assert edit.status_code == 302
    again = client.post("/desk/cases/new", data={**GOOD_CASE, "birth_year": "1998",
                                                 "entry_uuid": uuid})
    assert again.status_code == 302 and "/review/conflicts/" in again.headers["Location"]
    case = Case.get()
    assert Case.select().count() == 1
    assert (case.risk_level, case.birth_year) == ("high", 1999)
    assert SyncConflict.select().count() == 1


def test_a_survey_round_sent_twice_is_one_round(client, chair):
    uuid = form_uuid(client, "/survey/new")
    data = {"name": "Đợt 1", "starts_on": today().isoformat(), "ends_on": today(30).isoformat(),
            "areas": "Tổ 1\nTổ 2", "entry_uuid": uuid}
    first = client.post("/survey/new", data=data)
    again = client.post("/survey/new", data=data)
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    assert SurveyRound.select().count() == 1


# --- A form sent with the token of an earlier login ----------------------------------------------
# The chair fills in a long form; meanwhile their session ended and they logged in again (in
# another tab, or the session lapsed): the page's token is of the old session.

CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
HERE = "http://localhost"


@pytest.fixture
def desk(csrf_app):
    """A chair's browser on the desk with CSRF protection on, as in production (in Vietnamese)."""
    from webapp.models import User

    chair = make_user(role="chair")
    client = csrf_app.test_client()
    log_in(client, chair)
    return client, User.get_by_id(chair.id)


def log_in(client, user):
    page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"login": user.login, "password": "correct-horse-9",
                                "csrf_token": CSRF_INPUT.search(page).group(1)})


def token_of(page):
    return CSRF_INPUT.search(page.get_data(as_text=True)).group(1)


def log_in_again(client, user):
    """Logged out and in again, as in another tab: a new session, with a new token."""
    client.post("/logout", data={"csrf_token": token_of(client.get("/account"))})
    log_in(client, user)


def test_a_case_sent_after_logging_in_again_comes_back_with_what_was_typed(desk):
    client, chair = desk
    old = token_of(client.get("/desk/cases/new"))
    log_in_again(client, chair)  # meanwhile: a new session, a new token
    typed = {**GOOD_CASE, "full_name": "Lê Thị Hằng", "address": "Gặp ở chợ, hẹn tuần sau",
             "csrf_token": old}
    # A forged post (another site's page) gets the plain refusal: nothing of it is shown.
    forged = client.post("/desk/cases/new", data=typed, headers={"Origin": "https://evil.example"})
    assert forged.status_code == 400 and "Lê Thị Hằng" not in forged.get_data(as_text=True)
    assert "Biểu mẫu đã hết hạn" in forged.get_data(as_text=True)
    again = client.post("/desk/cases/new", data=typed, headers={"Origin": HERE})
    page = again.get_data(as_text=True)
    assert again.status_code == 400 and Case.select().count() == 0
    assert "chưa lưu" in page  # says, in Vietnamese, that nothing was saved
    assert 'value="Lê Thị Hằng"' in page and "Gặp ở chợ, hẹn tuần sau" in page
    # The page's new token saves it, with one more tap.
    saved = client.post("/desk/cases/new", data={**typed, "csrf_token": token_of(again)},
                        headers={"Origin": HERE})
    assert saved.status_code == 302 and Case.get().full_name == "Lê Thị Hằng"


def test_a_return_reason_sent_after_logging_in_again_is_kept(desk):
    """The reason is typed on the entry's page and posted to another address: that page comes
    back, the reason in its box, and nothing is decided."""
    from webapp.models import Review

    client, chair = desk
    member = make_user(club=chair.club)
    case = make_case(club=chair.club, created_by=member)
    visit = Visit.create(club=chair.club, case=case, created_by=member, date=today(),
                         kind="home_visit", topics=[], notes="", review_status="submitted")
    url = f"/desk/review/visit/{visit.id}"
    old = token_of(client.get(url))
    log_in_again(client, chair)
    sent = client.post(f"{url}/return", data={"reason": "Thiếu ngày hẹn lại", "revision": "1",
                                              "csrf_token": old},
                       headers={"Origin": HERE, "Referer": HERE + url})
    page = sent.get_data(as_text=True)
    assert sent.status_code == 400 and "Thiếu ngày hẹn lại</textarea>" in page
    assert "chưa lưu" in page
    assert Visit.get_by_id(visit.id).review_status == "submitted"
    assert not Review.select().where(Review.entry_uuid == visit.uuid).exists()


def test_logged_out_meanwhile_says_how_to_keep_what_was_typed(desk):
    client, _chair = desk
    old = token_of(client.get("/desk/cases/new"))
    client.post("/logout", data={"csrf_token": token_of(client.get("/account"))})
    sent = client.post("/desk/cases/new", data={**GOOD_CASE, "csrf_token": old},
                       headers={"Origin": HERE})
    page = sent.get_data(as_text=True)
    assert sent.status_code == 400 and Case.select().count() == 0
    assert "đăng xuất" in page and "Quay lại" in page  # logged out; Back keeps what was typed


# --- A decision sent twice, or from a page another tab made stale --------------------------------

def lines(action):
    return AuditLog.select().where(AuditLog.action == action).count()


def test_closing_a_closed_case_changes_nothing(client, chair):
    """Closed in one tab (or the first of a double tap), closed again from a page that still
    shows it open: the first reason stays, one audit line, and the chair is told."""
    case = make_case(created_by=chair)
    client.post(f"/desk/cases/{case.id}/close", data={"reason": "Đã ổn định"})
    again = client.post(f"/desk/cases/{case.id}/close", data={"reason": "Chuyển đi nơi khác",
                                                              "referred": "y"},
                        follow_redirects=True)
    case = Case.get_by_id(case.id)
    assert (case.status, case.closed_reason) == ("closed", "Đã ổn định")
    assert lines("case_closed") == 1
    assert "already closed" in again.get_data(as_text=True)


def test_reopening_an_open_case_changes_nothing(client, chair):
    case = make_case(created_by=chair)
    client.post(f"/desk/cases/{case.id}/close", data={"reason": "Đã ổn định"})
    client.post(f"/desk/cases/{case.id}/reopen")
    again = client.post(f"/desk/cases/{case.id}/reopen", follow_redirects=True)
    assert Case.get_by_id(case.id).status == "active" and lines("case_reopened") == 1
    assert "already open" in again.get_data(as_text=True)


def test_assigning_again_to_the_same_member_writes_nothing(client, chair):
    case = make_case(created_by=chair)
    member = make_user(club=chair.club)
    client.post(f"/desk/cases/{case.id}/assign", data={"member": str(member.id)})
    client.post(f"/desk/cases/{case.id}/assign", data={"member": str(member.id)})
    assert Case.get_by_id(case.id).assigned_to_id == member.id
    assert lines("case_assigned") == 1


def test_deactivating_a_deactivated_member_changes_nothing(client, chair):
    """Deactivated in another tab, then from a stale page: when they were deactivated (which
    decides what they may still hand in) and their one hand-in stay as they were."""
    from webapp.models import User

    member = make_user(club=chair.club)
    client.post(f"/club/members/{member.id}/active", data={"active": "0", "confirmed": "1"})
    first = User.get_by_id(member.id)
    User.update(handed_in_at=first.deactivated_at).where(User.id == member.id).execute()
    again = client.post(f"/club/members/{member.id}/active",
                        data={"active": "0", "confirmed": "1"}, follow_redirects=True)
    now = User.get_by_id(member.id)
    assert (now.deactivated_at, now.handed_in_at) == (first.deactivated_at, first.deactivated_at)
    assert lines("account_deactivated") == 1
    assert "already deactivated" in again.get_data(as_text=True)


@pytest.mark.parametrize("action", ["setup-code", "make-chair"])
def test_no_setup_code_for_a_member_deactivated_meanwhile(client, chair, action):
    """A code the holder could never use (a deactivated account cannot open one) is not issued:
    the chair is told to reactivate them first."""
    from webapp.models import SetupCode, User

    member = make_user(club=chair.club)
    User.update(is_active=False).where(User.id == member.id).execute()
    sent = client.post(f"/club/members/{member.id}/{action}")
    assert SetupCode.select().where(SetupCode.user == member.id).count() == 0
    assert sent.status_code == 400 and "reactivate it first" in sent.get_data(as_text=True)


def test_a_case_erased_in_another_tab_says_so(client, chair):
    """A visit typed on the page of a case erased meanwhile: the page says the person's data was
    erased at their request (not 'this page does not exist'), and nothing is stored."""
    case = make_case(created_by=chair)
    url = f"/desk/cases/{case.id}/visits/new"
    uuid = form_uuid(client, url)
    client.post(f"/desk/requests/{case.id}/erase", data={"confirm": case.code})
    sent = client.post(url, data={**visit_data(), "entry_uuid": uuid})
    page = sent.get_data(as_text=True)
    assert sent.status_code == 410 and "erased at their request" in page and case.code in page
    assert Visit.select().count() == 0
    assert client.get(f"/desk/cases/{case.id}").status_code == 410
    # To another club's board, its ids do not exist, erased or not.
    from .factories import make_club

    other = client.application.test_client()
    login_as(other, make_user(club=make_club(), role="chair"))
    assert other.get(f"/desk/cases/{case.id}").status_code == 404


# --- Visits planned for a member: the same plan sent twice is one appointment ---------------------

def _next_month_day():
    from webapp.book.reports import next_month
    from datetime import date

    year, month = next_month(today().year, today().month)
    return date(year, month, 10)


def test_a_monthly_task_sent_twice_is_one_appointment(client, chair):
    """One appointment, so one reminder pushed to the member."""
    member = make_user(club=chair.club)
    case = make_case(created_by=chair, assigned_to=member)
    url = f"/desk/monthly/{today().year}/{today().month}/tasks"
    data = {"task-member": str(member.id), "task-case": str(case.id),
            "task-due_date": _next_month_day().isoformat(), "task-note": "Thăm lại"}
    first, again = client.post(url, data=data), client.post(url, data=data)
    assert first.status_code == again.status_code == 302
    assert Appointment.select().count() == 1
    assert lines("monthly_task_assigned") == 1 and lines("appointment_assign") == 1


def test_a_visit_planned_twice_at_the_agenda_is_one_appointment(client, chair):
    member = make_user(club=chair.club)
    case = make_case(created_by=chair, assigned_to=member)
    data = {"assign-member": str(member.id), "assign-case": str(case.id),
            "assign-due_date": today(3).isoformat(), "assign-note": "Thăm lại"}
    first, again = client.post("/desk/agenda/", data=data), client.post("/desk/agenda/", data=data)
    assert first.status_code == again.status_code == 302
    assert Appointment.select().count() == 1 and lines("appointment_assign") == 1
    # Another plan (another day) is another appointment.
    client.post("/desk/agenda/", data={**data, "assign-due_date": today(4).isoformat()})
    assert Appointment.select().count() == 2


# --- Two board members writing the month's evaluation ---------------------------------------------

def test_an_evaluation_saved_meanwhile_is_not_overwritten(client, chair):
    """Two board members at the meeting each open the page and write: the second to save is
    shown the first's text and keeps what they typed; nothing is overwritten."""
    from webapp.models import MonthlyReview

    other = make_user(club=chair.club, role="chair")
    other_client = client.application.test_client()
    other_client.set_cookie("sotd_lang", "en")
    login_as(other_client, other)
    url = f"/desk/monthly/{today().year}/{today().month}"
    seen = re.search(r'name="review-seen"[^>]*value="([^"]*)"', client.get(url).get_data(
        as_text=True))
    assert seen, "the evaluation's form says which text it was opened on"
    other_seen = re.search(r'name="review-seen"[^>]*value="([^"]*)"', other_client.get(
        url).get_data(as_text=True)).group(1)
    assert client.post(f"{url}/evaluation", data={"review-evaluation": "Tháng tốt: 12 lượt",
                                                  "review-seen": seen.group(1)}).status_code == 302
    late = other_client.post(f"{url}/evaluation", data={"review-evaluation": "Cần thêm tuyên truyền",
                                                        "review-seen": other_seen})
    page = late.get_data(as_text=True)
    assert late.status_code == 409
    assert MonthlyReview.get().evaluation == "Tháng tốt: 12 lượt"
    assert "Tháng tốt: 12 lượt" in page and "Cần thêm tuyên truyền</textarea>" in page
    assert "saved the evaluation meanwhile" in page
    # Saved again from that page (it now names the text it showed): theirs is taken.
    seen_now = re.search(r'name="review-seen"[^>]*value="([^"]*)"', page).group(1)
    merged = "Tháng tốt: 12 lượt. Cần thêm tuyên truyền"
    assert other_client.post(f"{url}/evaluation", data={"review-evaluation": merged,
                                                        "review-seen": seen_now}).status_code == 302
    assert MonthlyReview.get().evaluation == merged


# --- A member added twice ---------------------------------------------------------------------

def test_a_member_added_twice_shows_a_setup_code_again(client, chair):
    """The page with the new member's setup code was lost (or the button tapped twice): the
    second answer is not 'this login name is taken' but their code — a new one, the first void."""
    from webapp.models import SetupCode, User

    data = {"full_name": "Trần Thị Lan", "login": "lan.tran", "phone": "", "role": "member"}
    first = client.post("/club/members/", data=data)
    again = client.post("/club/members/", data=data)
    page = again.get_data(as_text=True)
    assert first.status_code == again.status_code == 200
    assert "taken" not in page and "Setup code for lan.tran" in page
    member = User.get(User.login == "lan.tran")
    assert User.select().where(User.club == chair.club).count() == 2
    codes = list(SetupCode.select().where(SetupCode.user == member).order_by(SetupCode.id))
    assert len(codes) == 2 and codes[0].used_at is not None and codes[1].used_at is None
    # Another board member adding the same login is told it is taken.
    other = client.application.test_client()
    other.set_cookie("sotd_lang", "en")
    login_as(other, make_user(club=chair.club, role="chair"))
    assert "This login name is taken." in other.post("/club/members/", data=data).get_data(
        as_text=True)
