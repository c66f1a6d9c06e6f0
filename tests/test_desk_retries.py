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
