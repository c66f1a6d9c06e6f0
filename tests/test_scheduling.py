import re
import uuid as uuid_module
from datetime import date, datetime, timedelta, timezone

import pytest

from webapp import clock
from webapp.book import cases, scheduling
from webapp.invalid import Invalid
from webapp.models import Appointment, AuditLog, Case

from webapp.db import utcnow

from .factories import (
    login_as, make_case, make_club, make_user, make_visit, session_for, today as days_from_today,
)
from .report_data import make_referral

TODAY = date(2026, 11, 28)


def test_local_time_is_ho_chi_minh():
    # 18:30 UTC is already the next day in Hạ Long (UTC+7).
    assert clock.local_today(datetime(2026, 11, 28, 18, 30)) == date(2026, 11, 29)
    aware = datetime(2026, 11, 28, 16, 0, tzinfo=timezone.utc)
    assert clock.local_now(aware).hour == 23


def test_follow_up_date_makes_one_appointment_for_the_member(app):
    member = make_user()
    case = make_case(created_by=member)
    visit = make_visit(case, follow_up_date=TODAY + timedelta(days=3))
    appointment = scheduling.create_follow_up(visit)
    assert (appointment.member_id, appointment.case_id, appointment.due_date) == (
        member.id, case.id, TODAY + timedelta(days=3))
    assert appointment.source == "follow_up" and appointment.status == "open"
    # A later revision of the same visit moves it, never doubles it.
    visit.follow_up_date = TODAY + timedelta(days=5)
    assert scheduling.create_follow_up(visit).id == appointment.id
    assert Appointment.select().count() == 1
    assert Appointment.get_by_id(appointment.id).due_date == TODAY + timedelta(days=5)
    visit.follow_up_date = None
    assert scheduling.create_follow_up(visit) is None
    assert Appointment.get_by_id(appointment.id).status == "cancelled"


def test_no_follow_up_date_no_appointment(app):
    visit = make_visit(make_case())
    assert scheduling.create_follow_up(visit) is None
    assert Appointment.select().count() == 0


def _appointment(case, member, due, **fields):
    return Appointment.create(club=case.club, case=case, member=member, due_date=due,
                              created_by=member, **fields)


def test_visit_closes_the_nearest_open_appointment_of_that_case_and_member(app):
    member = make_user()
    case = make_case(created_by=member)
    far = _appointment(case, member, TODAY + timedelta(days=20))
    near = _appointment(case, member, TODAY - timedelta(days=2))
    other_member = _appointment(case, make_user(club=case.club), TODAY)
    visit = make_visit(case, date=TODAY)
    assert [a.id for a in scheduling.close_open_for_visit(visit)] == [near.id]
    near = Appointment.get_by_id(near.id)
    assert near.status == "done" and near.done_visit_id == visit.id
    assert Appointment.get_by_id(far.id).status == "open"
    assert Appointment.get_by_id(other_member.id).status == "open"
    assert AuditLog.select().where(AuditLog.action == "appointment_done").count() == 1


def test_visit_closes_the_appointment_it_names(app):
    member = make_user()
    case = make_case(created_by=member)
    near = _appointment(case, member, TODAY)
    named = _appointment(case, member, TODAY + timedelta(days=10))
    visit = make_visit(case, date=TODAY)
    assert [a.id for a in scheduling.close_open_for_visit(visit, named.id)] == [named.id]
    assert Appointment.get_by_id(near.id).status == "open"


def test_a_visit_never_closes_its_own_follow_up(app):
    case = make_case()
    visit = make_visit(case, date=TODAY, follow_up_date=TODAY + timedelta(days=7))
    scheduling.create_follow_up(visit)
    assert scheduling.close_open_for_visit(visit) == []
    assert Appointment.get().status == "open"


def test_a_visit_to_another_case_closes_nothing(app):
    member = make_user()
    case = make_case(created_by=member)
    appointment = _appointment(case, member, TODAY)
    other_visit = make_visit(make_case(club=case.club, created_by=member), date=TODAY)
    assert scheduling.close_open_for_visit(other_visit, appointment_id=appointment.id) == []
    assert Appointment.get_by_id(appointment.id).status == "open"


def test_chair_assigns_reschedules_and_cancels_with_a_reason(app):
    chair = make_user(role="chair")
    member = make_user(club=chair.club)
    case = make_case(club=chair.club, created_by=chair, assigned_to=member)
    appointment = scheduling.assign_visit(chair, case, member, TODAY, "Mang tờ rơi", today=TODAY)
    assert (appointment.source, appointment.member_id, appointment.note) == (
        "assigned", member.id, "Mang tờ rơi")
    with pytest.raises(Invalid):
        scheduling.reschedule(appointment, chair, TODAY + timedelta(days=1), " ", today=TODAY)
    with pytest.raises(Invalid):
        scheduling.reschedule(appointment, chair, TODAY - timedelta(days=1), "ốm", today=TODAY)
    scheduling.reschedule(appointment, chair, TODAY + timedelta(days=2), "Gia đình vắng nhà",
                          today=TODAY)
    appointment = Appointment.get_by_id(appointment.id)
    assert appointment.due_date == TODAY + timedelta(days=2)
    assert appointment.rescheduled_reason == "Gia đình vắng nhà"
    with pytest.raises(Invalid):
        scheduling.cancel(appointment, chair, "")
    scheduling.cancel(appointment, chair, "Đã chuyển đi nơi khác")
    appointment = Appointment.get_by_id(appointment.id)
    assert appointment.status == "cancelled"
    with pytest.raises(Invalid):
        scheduling.cancel(appointment, chair, "again")
    # The audit log holds ids and codes, never the reasons (they may name people).
    for row in AuditLog.select():
        assert "vắng" not in str(row.details) and "chuyển" not in str(row.details)


def test_assigning_a_visit_to_a_member_who_cannot_see_the_case(app):
    chair = make_user(role="chair")
    follower, other = make_user(club=chair.club), make_user(club=chair.club)
    followed = make_case(club=chair.club, created_by=chair, assigned_to=follower)
    with pytest.raises(Invalid) as error:
        scheduling.assign_visit(chair, followed, other, TODAY, today=TODAY)
    assert error.value.field == "member"
    unassigned = make_case(club=chair.club, created_by=chair, assigned_to=None)
    scheduling.assign_visit(chair, unassigned, other, TODAY, today=TODAY)
    assert Case.get_by_id(unassigned.id).assigned_to_id == other.id


def test_chair_cannot_assign_across_clubs(app):
    chair = make_user(role="chair")
    other_case = make_case(club=make_club())
    with pytest.raises(Invalid):
        scheduling.assign_visit(chair, other_case, chair, TODAY, today=TODAY)


def test_member_agenda_overdue_today_and_next_seven_days(app):
    member = make_user()
    case = make_case(created_by=member)
    overdue = _appointment(case, member, TODAY - timedelta(days=1))
    today = _appointment(case, member, TODAY)
    soon = _appointment(case, member, TODAY + timedelta(days=7))
    _appointment(case, member, TODAY + timedelta(days=8))
    _appointment(case, member, TODAY, status="done")
    agenda = scheduling.member_agenda(member, TODAY)
    assert [a.id for a in agenda["overdue"]] == [overdue.id]
    assert [a.id for a in agenda["today"]] == [today.id]
    assert [a.id for a in agenda["upcoming"]] == [soon.id]
    rows = scheduling.working_set_appointments(member)
    assert len(rows) == 4
    assert rows[0] == {"id": overdue.id, "case_id": case.id, "case_uuid": case.uuid,
                       "case_code": case.code, "due_date": overdue.due_date.isoformat(),
                       "note": "", "status": "open", "source": "assigned",
                       "member_id": member.id}
    assert scheduling.next_appointment(case) == {"id": overdue.id,
                                                 "due_date": overdue.due_date.isoformat()}


def test_desk_agenda_lists_overdue_per_member_and_assigns(client):
    chair = make_user(role="chair")
    member = make_user(club=chair.club, full_name="Lê Thị Hoa")
    case = make_case(club=chair.club, created_by=member)
    today = clock.local_today()
    _appointment(case, member, today - timedelta(days=3))
    login_as(client, chair)
    page = client.get("/desk/agenda/").get_data(as_text=True)
    assert "Lê Thị Hoa" in page and case.code in page
    assert re.search(r"badge--danger\">\s*1", page)
    response = client.post("/desk/agenda/", data={
        "assign-case": case.id, "assign-member": member.id,
        "assign-due_date": (today + timedelta(days=1)).isoformat(), "assign-note": ""})
    assert response.status_code == 302
    assert Appointment.select().where(Appointment.source == "assigned").count() == 2


def test_desk_agenda_move_and_cancel(client):
    chair = make_user(role="chair")
    case = make_case(club=chair.club, created_by=chair)
    today = clock.local_today()
    appointment = _appointment(case, chair, today)
    login_as(client, chair)
    url = f"/desk/agenda/{appointment.id}"
    page = client.post(url, data={"action": "move", "move-due_date": today.isoformat(),
                                  "move-reason": ""})
    assert page.status_code == 200 and Appointment.get_by_id(appointment.id).rescheduled_at is None
    client.post(url, data={"action": "move", "move-reason": "Mưa bão",
                           "move-due_date": (today + timedelta(days=1)).isoformat()})
    assert Appointment.get_by_id(appointment.id).due_date == today + timedelta(days=1)
    client.post(url, data={"action": "cancel", "cancel-reason": "Không cần nữa"})
    assert Appointment.get_by_id(appointment.id).status == "cancelled"


def test_desk_agenda_is_for_the_chair_of_that_club(client):
    chair = make_user(role="chair")
    other_case = make_case(club=make_club())
    other = _appointment(other_case, other_case.created_by, TODAY)
    login_as(client, chair)
    assert client.get(f"/desk/agenda/{other.id}").status_code == 404
    member = make_user(club=chair.club)
    client.post("/logout")
    login_as(client, member)
    assert client.get("/desk/agenda/").status_code == 403


# --- Who is reminded once the case is no longer its author's (holders.follower) ----------------

def _bootstrap(app, user):
    client = session_for(app.test_client(), user)
    response = client.get("/api/v1/bootstrap")
    assert response.status_code == 200
    return response.get_json()


def _not_theirs(answer):
    """The appointments of a working set whose case the working set does not hold."""
    held = {c["uuid"] for c in answer["cases"]}
    return [(a["case_code"], a["due_date"]) for a in answer["appointments"]
            if a["case_uuid"] not in held]


def test_a_referrals_follow_up_goes_to_who_follows_the_case_now(app, club, chair):
    """Member A follows a case and refers the person; the chair then gives the case to member B.
    A month on, follow_up_referrals makes the referral's follow-up appointment for its author A,
    who no longer sees the case: A's phone gets the case's code and a reminder to visit a person
    who is no longer theirs, and B is never reminded."""
    first, second = make_user(club=club), make_user(club=club)
    case = make_case(club=club, created_by=chair, assigned_to=first,
                     consent=("follow", "refer"), created_at=utcnow() - timedelta(days=60))
    make_referral(case, first, referred_on=days_from_today(-40), status="referred")
    cases.assign(case, second, chair)
    assert scheduling.follow_up_referrals()
    answer = _bootstrap(app, first)
    assert case.uuid not in {c["uuid"] for c in answer["cases"]}
    assert _not_theirs(answer) == []


def test_a_visits_follow_up_synced_after_a_reassignment_goes_to_who_follows_the_case(
        app, club, chair):
    """Member A records a visit offline, with a follow-up date, while the case is theirs; the
    chair gives the case to member B before A's phone syncs. The visit is rightly taken (A held
    the case when it was made), but its follow-up appointment is made for A, so A's working set
    keeps an appointment (code, date) on a case A may no longer see."""
    first, second = make_user(club=club), make_user(club=club)
    case = make_case(club=club, created_by=chair, assigned_to=first,
                     created_at=utcnow() - timedelta(days=10))
    cases.assign(case, second, chair)
    made = (utcnow() - timedelta(days=1)).isoformat() + "Z"
    visit = {"uuid": str(uuid_module.uuid4()), "type": "visit", "revision": 1, "client_created_at": made,
             "data": {"case_uuid": case.uuid, "date": days_from_today(-1).isoformat(),
                      "kind": "home_visit", "topics": ["safe_migration"], "notes": "",
                      "follow_up_date": days_from_today(5).isoformat()}}
    client = session_for(app.test_client(), first)
    [result] = client.post("/api/v1/sync", json={"entries": [visit]}).get_json()["results"]
    assert result["status"] == "created", result
    answer = _bootstrap(app, first)
    assert case.uuid not in {c["uuid"] for c in answer["cases"]}
    assert _not_theirs(answer) == []


def test_a_referral_of_a_member_who_left_on_a_case_no_one_follows_goes_to_the_board(app):
    club = make_club()
    chair = make_user(club=club, role="chair")
    gone = make_user(club=club)
    case = make_case(club=club, created_by=gone, assigned_to=None, consent=("follow", "refer"),
                     created_at=utcnow() - timedelta(days=60))
    make_referral(case, gone, referred_on=days_from_today(-40), status="referred")
    gone.is_active = False
    gone.save()
    [appointment] = scheduling.follow_up_referrals()
    assert (appointment.member_id, appointment.case_id) == (chair.id, case.id)
    assert scheduling.follow_up_referrals() == []  # once
