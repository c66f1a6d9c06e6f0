"""Appointments, follow-ups and reminders at their edges: a returned visit fixed after the chair
moved its appointment, a visit for an appointment cancelled meanwhile, referral follow-ups on
closed cases and from two senders at once. The server's answer and the rows it holds are counted,
as the phone and the push service would meet them.
"""
import threading
import uuid as uuid_module
from datetime import date, timedelta

import pytest

from webapp import accounts, push
from webapp.book import cases, holders, reminders, review, scheduling
from webapp.db import database, utcnow
from webapp.models import Appointment, Case, CaseHolder, Visit

from .factories import make_case, make_user, session_for, today
from .push_endpoint import push_endpoint  # noqa: F401 (fixture)
from .report_data import make_referral


def new_uuid():
    return str(uuid_module.uuid4())


def at(delta):
    """A client_created_at `delta` from now, as the phone writes it."""
    return (utcnow() + delta).isoformat() + "Z"


def visit_entry(case, uuid=None, revision=1, made=None, base=None, **data):
    entry = {"uuid": uuid or new_uuid(), "type": "visit", "revision": revision,
             "client_created_at": made or at(timedelta(minutes=-5)),
             "data": {"case_uuid": case.uuid, "date": today().isoformat(), "kind": "home_visit",
                      "topics": ["safe_migration"], "notes": "Đã tư vấn", "needs": [],
                      "members_present": [], **data}}
    if base is not None:
        entry["base_revision"] = base
    return entry


def send(client, *entries):
    response = client.post("/api/v1/sync", json={"entries": list(entries)})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"]


@pytest.fixture
def world(app):
    """A chair, and a member who follows a case the chair gave them a while ago."""
    chair = make_user(role="chair")
    member = make_user(club=chair.club)
    case = make_case(club=chair.club, created_by=chair, assigned_to=None,
                     consent=("follow", "refer"), created_at=utcnow() - timedelta(days=60))
    cases.assign(case, member, by=chair)
    CaseHolder.update(since=utcnow() - timedelta(days=30)).execute()
    case = Case.get_by_id(case.id)
    client = session_for(app.test_client(), member)
    client.set_cookie("sotd_lang", "en")
    return type("World", (), dict(chair=chair, member=member, case=case, client=client))


def _return(uuid, chair):
    visit = Visit.get(Visit.uuid == uuid)
    review.return_entry(visit, chair, "Ghi rõ nội dung tư vấn")


# --- 1. A fix of a returned visit -----------------------------------------------------------------

def test_fixing_a_returned_visit_keeps_the_chairs_new_date_for_its_follow_up(world):
    """The member's visit set a follow-up in 3 days; the chair moved that appointment to 6 days
    (with a reason: the family is away) and returned the visit for its notes. The member fixes the
    notes only; the fix carries the same follow-up date as before, and the server moves the
    appointment back to day 3: the chair's reschedule is silently undone, and the reminder comes
    on a day the family is away."""
    first = visit_entry(world.case, follow_up_date=today(3).isoformat())
    assert [r["status"] for r in send(world.client, first)] == ["created"]
    [follow_up] = Appointment.select().where(Appointment.source == "follow_up")
    scheduling.reschedule(follow_up, world.chair, today(6), "Gia đình đi vắng")
    _return(first["uuid"], world.chair)

    fix = dict(first, revision=2, base_revision=1,
               data=dict(first["data"], notes="Tư vấn về di cư an toàn, phát tờ rơi"))
    assert [r["status"] for r in send(world.client, fix)] == ["updated"]
    follow_up = Appointment.get_by_id(follow_up.id)
    assert Appointment.select().where(Appointment.source == "follow_up").count() == 1
    assert follow_up.due_date == today(6), "the fix moved the chair's rescheduled visit back"


def test_fixing_a_returned_visit_closes_no_second_appointment(world):
    """The member had two visits planned on the case: today's and a task next week. Their visit
    names today's and closes it. The chair returns the visit; the member's fix is taken, and
    closes next week's appointment as well: a visit nobody made is marked done, drops off the
    member's Today screen and agenda and is never reminded."""
    chair, member, case = world.chair, world.member, world.case
    today_s = scheduling.assign_visit(chair, case, member, today(), "")
    next_week = scheduling.assign_visit(chair, case, member, today(7), "Mang tờ rơi")
    Appointment.update(created_at=utcnow() - timedelta(hours=2)).execute()
    first = visit_entry(case, appointment_id=today_s.id)
    assert [r["status"] for r in send(world.client, first)] == ["created"]
    assert Appointment.get_by_id(today_s.id).status == "done"
    assert Appointment.get_by_id(next_week.id).status == "open"
    _return(first["uuid"], chair)

    fix = dict(first, revision=2, base_revision=1,
               data=dict(first["data"], notes="Tư vấn về di cư an toàn"))
    assert [r["status"] for r in send(world.client, fix)] == ["updated"]
    assert Appointment.get_by_id(next_week.id).status == "open", (
        "the fix of one visit closed a second appointment")


def test_a_visit_for_a_cancelled_appointment_does_not_close_another_one(world):
    """Offline, the member records the visit the Today screen offered for today's appointment;
    meanwhile the chair cancelled it. The visit is rightly taken, but it closes instead the
    member's other open appointment on the case, a task for next week, which nobody visited."""
    chair, member, case = world.chair, world.member, world.case
    planned = scheduling.assign_visit(chair, case, member, today(), "")
    task = scheduling.assign_visit(chair, case, member, today(7), "Nhiệm vụ tháng sau")
    Appointment.update(created_at=utcnow() - timedelta(hours=2)).execute()
    recorded = visit_entry(case, appointment_id=planned.id, made=at(timedelta(minutes=-30)))
    scheduling.cancel(Appointment.get_by_id(planned.id), chair, "Gia đình chuyển đi")
    assert [r["status"] for r in send(world.client, recorded)] == ["created"]
    assert Appointment.get_by_id(task.id).status == "open", (
        "a visit for a cancelled appointment closed next week's task")


# --- 2. Referral follow-ups made by the reminder sender -------------------------------------------

NOW = "2026-12-10T10:00"  # local time; the referral below is 40 days old then


def _subscribed_referral(world, push_endpoint):
    make_referral(world.case, world.member, referred_on=date(2026, 10, 31), status="referred")
    browser = push_endpoint.subscription()
    accounts.start_session(world.member)  # logged in on the phone: reminders come while it lasts
    push.subscribe(world.member, browser.to_json(), "Android Chrome/130", allow_local_http=True)
    return browser


def test_no_referral_follow_up_on_a_closed_case(world, push_endpoint):
    """The person was handed to a service and the chair closed the case (closed_referred): its
    open appointments were cancelled, and a follow-up date on it makes no appointment. Yet the
    reminder sender still makes a follow-up appointment from the referral left without an
    outcome, and pushes "a visit is due today" to the member for a closed case."""
    browser = _subscribed_referral(world, push_endpoint)
    cases.close(Case.get_by_id(world.case.id), "Đã chuyển gửi Trung tâm CTXH", world.chair,
                referred=True)
    reminders.send_due(reminders.parse_now(NOW))
    opened = Appointment.select().where(Appointment.case == world.case.id,
                                        Appointment.status == "open").count()
    assert opened == 0, "an appointment was made on a closed case"
    assert push_endpoint.messages_for(browser) == []


def test_two_senders_make_one_referral_follow_up(app, world, push_endpoint):
    """Two senders (a gunicorn worker's thread and cron) run at the same minute. Both read the
    referral as still without a follow-up and each makes one: two appointments for one referral,
    on the member's agenda twice, and two "a visit is due today" pushes."""
    browser = _subscribed_referral(world, push_endpoint)
    both_read = threading.Barrier(2, timeout=5)
    follower = holders.follower

    def slow_follower(*args, **kwargs):  # both senders have read the referrals by now
        try:
            both_read.wait()
        except threading.BrokenBarrierError:
            pass  # a fixed sender may hold a lock the other waits for
        return follower(*args, **kwargs)

    errors = []

    def sender():
        try:
            with app.app_context():
                reminders.send_due(reminders.parse_now(NOW))
        except Exception as error:  # reported below: an assert in a thread would be lost
            errors.append(error)
        finally:
            database.close()

    holders.follower = slow_follower
    try:
        threads = [threading.Thread(target=sender) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        holders.follower = follower
    assert errors == []
    assert Appointment.select().where(Appointment.source == "referral").count() == 1
    assert len(push_endpoint.messages_for(browser)) == 1
