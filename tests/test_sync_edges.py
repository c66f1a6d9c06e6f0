"""Issue 13 at the server: nothing a member records is trapped or brought back when the club
changes around it (reassignment, cancelled appointments, erasure, deactivation, consent, clocks,
hostile numbers), counting rows per uuid."""
import uuid as uuid_module
from datetime import timedelta

import pytest

from webapp.book import cases, review, scheduling, sync as book_sync
from webapp.book.entries import Lookup
from webapp.book.reminders import due_for
from webapp.clock import utc_start_of
from webapp.db import utcnow
from webapp.models import (
    Activity, Appointment, Attendance, Case, CaseHolder, EntryRevision, Referral, Visit,
)

from .factories import login_as, make_case, make_user, today



def new_uuid():
    return str(uuid_module.uuid4())


def at(delta):
    """A client_created_at `delta` from now, as the phone writes it."""
    return (utcnow() + delta).isoformat() + "Z"


def entry(entry_type, data, uuid=None, revision=1, made=None, **envelope):
    return {"uuid": uuid or new_uuid(), "type": entry_type, "revision": revision, "data": data,
            "client_created_at": made or at(timedelta(minutes=-5)), **envelope}


def case_data(**data):
    return {"full_name": "Phạm Thị Mai", "sex": "female", "birth_year": 1999,
            "address": "Tổ 7, khu 2", "neighbourhood": "Khu 2", "phone": "0987654321",
            "categories": ["at_risk"], "risk_level": "medium", "met_how": "Gặp ở chợ",
            "consent": {"follow": True, "refer": True, "share": False}, **data}


def visit_data(case_uuid, **data):
    return {"case_uuid": case_uuid, "date": today().isoformat(), "kind": "home_visit",
            "topics": ["safe_migration"], "notes": "Đã tư vấn", "needs": [],
            "members_present": [], **data}


def referral_data(case_uuid, **data):
    return {"case_uuid": case_uuid, "service_kind": "legal_aid", "provider": "Trung tâm TGPL",
            "referred_on": today().isoformat(), "reason": "Cần tư vấn", **data}


def case_edit(held, made=None, **changes):
    """An edit of a case as the phone makes it from `held`, its copy in the working set: that
    copy's fields with `changes`, the next revision on the copy's (views.js formView)."""
    data = {name: held[name] for name in ("full_name", "sex", "birth_year", "address",
                                          "neighbourhood", "phone", "categories", "risk_level",
                                          "met_how", "consent", "assigned_to", "screening_uuid")}
    return entry("case", dict(data, **changes), uuid=held["uuid"], revision=held["revision"] + 1,
                 base_revision=held["revision"], made=made)


def send(client, entries, **body):
    response = client.post("/api/v1/sync", json={"entries": entries, **body})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"]


def rows(model, uuid):
    return model.select().where(model.uuid == uuid).count()


def as_user(client, user):
    client.post("/logout")
    login_as(client, user)


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("sotd_lang", "en")


@pytest.fixture
def club(app):
    """A chair and two members; member `a` follows a case the chair gave them an hour ago."""
    chair = make_user(role="chair")
    a = make_user(club=chair.club, role="member")
    b = make_user(club=chair.club, role="member")
    case = make_case(club=chair.club, created_by=chair, assigned_to=None,
                     consent=("follow", "refer"))
    cases.assign(case, a, by=chair)
    CaseHolder.update(since=utcnow() - timedelta(hours=1)).execute()
    case = Case.get_by_id(case.id)
    return type("Club", (), dict(chair=chair, a=a, b=b, case=case))


# --- 1. Reassignment ------------------------------------------------------------------------------

def test_entries_recorded_before_a_reassignment_are_created(client, club):
    activity = Activity.create(club=club.chair.club, created_by=club.chair, kind="awareness",
                               date=today(), title="Truyền thông", review_status="approved")
    made = at(timedelta(minutes=-30))
    entries = [entry("visit", visit_data(club.case.uuid), made=made),
               entry("referral", referral_data(club.case.uuid), made=made),
               entry("attendance", {"activity_uuid": activity.uuid, "case_uuid": club.case.uuid},
                     made=made)]
    cases.assign(Case.get_by_id(club.case.id), club.b, by=club.chair)  # before they sync
    login_as(client, club.a)
    results = send(client, entries)
    assert [r["status"] for r in results] == ["created"] * 3, results
    for model, sent in zip((Visit, Referral, Attendance), entries):
        assert rows(model, sent["uuid"]) == 1
        assert EntryRevision.select().where(EntryRevision.uuid == sent["uuid"]).count() == 1
        assert model.get(model.uuid == sent["uuid"]).review_status == "submitted"
    # The same batch again (the answer was lost): duplicates, nothing more.
    assert [r["status"] for r in send(client, entries)] == ["duplicate"] * 3
    assert rows(Visit, entries[0]["uuid"]) == 1

    # The review says who recorded them and that the case has moved on.
    items = review.queue(club.chair.club)
    assert {i.row.uuid for i in items if i.previous_holder == club.a} == {e["uuid"]
                                                                          for e in entries}
    as_user(client, club.chair)
    visit = Visit.get(Visit.uuid == entries[0]["uuid"])
    page = client.get(f"/desk/review/visit/{visit.id}").get_data(as_text=True)
    assert "who followed this case before it passed to another member" in page
    assert "Recorded by the previous holder" in client.get("/desk/review/").get_data(as_text=True)


def test_an_entry_made_after_the_case_left_the_member_is_refused_with_a_reason(client, club):
    cases.assign(Case.get_by_id(club.case.id), club.b, by=club.chair)
    login_as(client, club.a)
    late = entry("visit", visit_data(club.case.uuid), made=at(timedelta(seconds=30)))
    [result] = send(client, [late])
    assert result["status"] == "invalid"
    assert "Ask your club's chair to assign it to you" in result["errors"]["case_uuid"]
    assert rows(Visit, late["uuid"]) == 0


def test_history_is_kept_and_appointments_move_to_the_new_holder(client, club):
    appointment = scheduling.assign_visit(club.chair, club.case, club.a, today(),
                                          note="Hỏi về người môi giới ở Móng Cái")
    done = Appointment.create(club=club.chair.club, case=club.case, member=club.a,
                              due_date=today(), status="done", created_by=club.chair)
    cases.assign(Case.get_by_id(club.case.id), club.b, by=club.chair)
    history = list(CaseHolder.select().where(CaseHolder.case == club.case)
                   .order_by(CaseHolder.id))
    assert [(h.member_id, h.until is None) for h in history] == [(club.a.id, False),
                                                                 (club.b.id, True)]
    assert history[0].until == history[1].since
    assert Appointment.get_by_id(appointment.id).member_id == club.b.id
    assert Appointment.get_by_id(done.id).member_id == club.a.id  # the past stays theirs

    login_as(client, club.a)
    working = client.get("/api/v1/bootstrap").get_json()
    assert working["cases"] == [] and working["appointments"] == []
    assert "Móng Cái" not in client.get("/api/v1/bootstrap").get_data(as_text=True)
    local_noon = utc_start_of(today()) + timedelta(hours=12)  # in Hạ Long: reminders are due
    assert [r for r in due_for(club.a, local_noon) if "appt" in r.key] == []
    assert [r.key for r in due_for(club.b, local_noon) if r.key.startswith("appt:")] == [
        f"appt:{appointment.id}:day:{today().isoformat()}"]
    as_user(client, club.b)
    working = client.get("/api/v1/bootstrap").get_json()
    assert [c["uuid"] for c in working["cases"]] == [club.case.uuid]
    assert [a["note"] for a in working["appointments"]] == ["Hỏi về người môi giới ở Móng Cái"]


def test_a_case_edit_from_the_previous_holders_old_copy_keeps_the_new_holder(client, club):
    login_as(client, club.a)
    first = entry("case", case_data(assigned_to=club.a.id), made=at(timedelta(minutes=-50)))
    [result] = send(client, [first])
    assert result["status"] == "created"
    registered = Case.get(Case.uuid == first["uuid"])
    cases.assign(registered, club.b, by=club.chair)
    edit = entry("case", case_data(assigned_to=club.a.id, risk_level="high"),
                 uuid=first["uuid"], revision=2, base_revision=1,
                 made=at(timedelta(minutes=-10)))
    [result] = send(client, [edit])
    # The case's own record now belongs to its new holder: the edit is kept for the board
    # (a conflict, issue 14), never written over the reassignment.
    assert result["status"] == "conflict", result
    assert Case.get(Case.uuid == first["uuid"]).assigned_to_id == club.b.id
    # A chair's edit made on an older copy does not undo the assignment either.
    as_user(client, club.chair)
    theirs = entry("case", case_data(assigned_to=club.a.id))
    assert send(client, [theirs])[0]["status"] == "created"
    cases.assign(Case.get(Case.uuid == theirs["uuid"]), club.b, by=club.chair)
    chair_edit = entry("case", case_data(assigned_to=club.a.id, risk_level="low"),
                       uuid=theirs["uuid"], revision=2, base_revision=1)
    [result] = send(client, [chair_edit])
    assert result["status"] == "updated", result
    stored = Case.get(Case.uuid == theirs["uuid"])
    assert stored.assigned_to_id == club.b.id and stored.risk_level == "low"
    # …while a chair's edit that names another member does move the case.
    move = entry("case", case_data(assigned_to=club.a.id), uuid=theirs["uuid"], revision=3,
                 base_revision=2)
    move["data"]["assigned_to"] = club.chair.id
    assert send(client, [move])[0]["status"] == "updated"
    assert Case.get(Case.uuid == theirs["uuid"]).assigned_to_id == club.chair.id


def test_a_case_edit_made_by_the_member_it_was_given_to_is_kept_after_it_passed_on(client, club):
    """The member the board gave the case to (they neither registered it nor changed it before)
    records the person's answer offline; the case passes to another before the phone syncs: the
    edit is kept for the board, never refused as someone else's, with Discard as the only way
    out."""
    login_as(client, club.a)
    held = client.get("/api/v1/bootstrap").get_json()["cases"][0]
    edit = case_edit(held, made=at(timedelta(minutes=-10)),
                     consent=dict(held["consent"], refer=False))
    cases.assign(Case.get_by_id(club.case.id), club.b, by=club.chair)
    [result] = send(client, [edit])
    assert result["status"] == "conflict", result
    assert "kept for the club's board" in result["errors"]["entry"]
    # Made after the case had passed on: not theirs, as before.
    late = dict(edit, client_created_at=at(timedelta(seconds=30)), revision=edit["revision"] + 1,
                base_revision=edit["revision"])
    assert send(client, [late])[0]["errors"] == {"uuid": "This entry belongs to someone else."}


def test_a_consent_withdrawn_at_the_desk_is_not_given_again_by_an_older_copy(client, club):
    login_as(client, club.chair)
    first = entry("case", case_data(assigned_to=club.chair.id))
    assert send(client, [first])[0]["status"] == "created"
    case = Case.get(Case.uuid == first["uuid"])
    cases.set_consent(case, "refer", False, club.chair)  # the person withdrew it at the desk
    # An edit made on the copy from before: refer as it was there, share changed by the edit.
    edit = entry("case", case_data(assigned_to=club.chair.id, address="Tổ 8, khu 2",
                                   consent={"follow": True, "refer": True, "share": True}),
                 uuid=first["uuid"], revision=2, base_revision=1)
    [result] = send(client, [edit])
    assert result["status"] == "updated", result
    case = Case.get(Case.uuid == first["uuid"])
    assert case.address == "Tổ 8, khu 2"
    assert cases.consent_of(case) == {"follow": True, "refer": False, "share": True}


# --- 2. Appointments ------------------------------------------------------------------------------

def test_a_visit_for_an_appointment_no_longer_open_is_recorded_without_the_link(client, club):
    cancelled = scheduling.assign_visit(club.chair, club.case, club.a, today())
    scheduling.cancel(cancelled, club.chair, "Chị ấy đi vắng")
    login_as(client, club.a)
    first = entry("visit", visit_data(club.case.uuid, appointment_id=cancelled.id))
    [result] = send(client, [first])
    assert result["status"] == "created", result
    assert rows(Visit, first["uuid"]) == 1
    assert Appointment.get_by_id(cancelled.id).status == "cancelled"

    # Two visits recorded from the case screen for the same appointment: both are kept.
    due = scheduling.assign_visit(club.chair, club.case, club.a, today())
    two = [entry("visit", visit_data(club.case.uuid, appointment_id=due.id),
                 made=at(timedelta(seconds=1))) for _ in range(2)]
    results = send(client, two)
    assert [r["status"] for r in results] == ["created", "created"], results
    assert [rows(Visit, e["uuid"]) for e in two] == [1, 1]
    assert Appointment.get_by_id(due.id).done_visit.uuid == two[0]["uuid"]


def test_an_old_visit_synced_late_leaves_a_newer_appointment_open(client, club):
    login_as(client, club.a)
    old = entry("visit", visit_data(club.case.uuid), made=at(timedelta(minutes=-40)))
    newer = scheduling.assign_visit(club.chair, club.case, club.a, today(2))
    [result] = send(client, [old])
    assert result["status"] == "created"
    assert Appointment.get_by_id(newer.id).status == "open"
    # Even when the old visit names it.
    named = entry("visit", visit_data(club.case.uuid, appointment_id=newer.id),
                  made=at(timedelta(minutes=-30)))
    assert send(client, [named])[0]["status"] == "created"
    assert Appointment.get_by_id(newer.id).status == "open"
    # A visit made after it closes it.
    recent = entry("visit", visit_data(club.case.uuid), made=at(timedelta(seconds=1)))
    assert send(client, [recent])[0]["status"] == "created"
    assert Appointment.get_by_id(newer.id).done_visit.uuid == recent["uuid"]


def test_a_closed_case_gets_no_appointment_from_a_follow_up_date(client, club):
    cases.close(Case.get_by_id(club.case.id), "Đã ổn định", club.chair)
    login_as(client, club.a)
    visit = entry("visit", visit_data(club.case.uuid,
                                      follow_up_date=today(7).isoformat()))
    [result] = send(client, [visit])
    assert result["status"] == "created"
    assert "The case is closed" in result["notice"]
    assert Appointment.select().where(Appointment.case == club.case).count() == 0
    assert rows(Visit, visit["uuid"]) == 1
    # An open case's follow-up date does make one, and the answer has no notice.
    cases.reopen(Case.get_by_id(club.case.id), club.chair)
    again = entry("visit", visit_data(club.case.uuid,
                                      follow_up_date=today(7).isoformat()))
    [result] = send(client, [again])
    assert "notice" not in result
    assert Appointment.select().where(Appointment.case == club.case).count() == 1


# --- 3. Erasure: gone -----------------------------------------------------------------------------

NAME = "Hoàng Thị Xuyến"


def text_columns():
    """Every (model, field) of the schema that holds text: where an erased name could hide."""
    from peewee import CharField, TextField

    from webapp.models import ALL_MODELS

    return [(model, field) for model in ALL_MODELS for field in model._meta.sorted_fields
            if isinstance(field, (CharField, TextField))]


def where_the_name_is(name):
    found = []
    for model, field in text_columns():
        for value in model.select(field).where(field.is_null(False)).tuples():
            if name in str(value[0]):
                found.append(f"{model.__name__}.{field.name}")
    return sorted(set(found))


def test_every_entry_of_an_erased_case_is_gone_and_its_name_nowhere(client, club):
    from webapp.models import AuditLog, Review, SyncConflict

    activity = Activity.create(club=club.chair.club, created_by=club.chair, kind="awareness",
                               date=today(), title="Truyền thông", review_status="approved")
    login_as(client, club.a)
    registered = entry("case", case_data(full_name=NAME, address=f"Nhà {NAME}",
                                         neighbourhood=NAME, phone="0911222333",
                                         met_how=f"{NAME} ở chợ"))
    visit = entry("visit", visit_data(registered["uuid"], notes=f"Đã gặp {NAME}"))
    referral = entry("referral", referral_data(registered["uuid"], provider=f"Nơi của {NAME}",
                                               reason=f"{NAME} cần trợ giúp"))
    attendance = entry("attendance", {"activity_uuid": activity.uuid,
                                      "case_uuid": registered["uuid"]})
    batch = [registered, visit, referral, attendance]
    assert [r["status"] for r in send(client, batch)] == ["created"] * 4
    # Every other text column that refers to the case holds the name too.
    case = Case.get(Case.uuid == registered["uuid"])
    Case.update(closed_reason=f"{NAME} chuyển đi").where(Case.id == case.id).execute()
    Referral.update(outcome_note=NAME).execute()
    Appointment.create(club=case.club, case=case, member=club.a, due_date=today(),
                       created_by=club.chair, note=NAME, cancelled_reason=NAME,
                       rescheduled_reason=NAME)
    Review.create(club=case.club, entry_type="visit", entry_uuid=visit["uuid"], revision=1,
                  decision="returned", reason=f"Ghi rõ hơn về {NAME}", decided_by=club.chair)
    Visit.update(review_status="returned").where(Visit.uuid == visit["uuid"]).execute()
    assert [r["uuid"] for r in review.returned_for(club.a)] == [visit["uuid"]]
    conflicting = dict(referral, data=dict(referral["data"], reason=f"{NAME} lần hai"))
    assert send(client, [conflicting])[0]["status"] == "conflict"
    assert set(where_the_name_is(NAME)) >= {"Case.full_name", "Visit.notes", "Referral.reason",
                                            "EntryRevision.data", "SyncConflict.data",
                                            "Appointment.note", "Review.reason"}

    cases.erase(case, club.chair)
    revisions, conflicts, audits = (EntryRevision.select().count(), SyncConflict.select().count(),
                                    AuditLog.select().count())
    # The phone retries the batch whose answer it lost, edits an entry, sends new ones.
    edit = dict(visit, revision=2, base_revision=1,
                data=dict(visit["data"], notes=f"{NAME} sửa"))
    fresh = [entry("visit", visit_data(case.uuid, notes=f"{NAME} mới")),
             entry("referral", referral_data(case.uuid, reason=NAME)),
             entry("attendance", {"activity_uuid": activity.uuid, "case_uuid": case.uuid}),
             entry("case", case_data(full_name=f"{NAME} sửa"), uuid=case.uuid, revision=2,
                   base_revision=1)]
    for sent in (batch, [conflicting], [edit], fresh):
        results = send(client, sent)
        assert [r["status"] for r in results] == ["gone"] * len(sent), results
        assert all(r["case_uuid"] == case.uuid and r["id"] is None and r["revision"] is None
                   and r["errors"] == {} for r in results)
    assert where_the_name_is(NAME) == []
    assert EntryRevision.select().count() == revisions
    assert SyncConflict.select().count() == conflicts
    assert AuditLog.select().count() == audits
    assert [rows(Visit, e["uuid"]) for e in (visit, fresh[0])] == [1, 0]

    # Its entries leave the review queue and the pages, and the member's returned entries.
    assert [i for i in review.queue(club.chair.club) if i.case.id == case.id] == []
    assert review.queue_count(club.chair.club) == 0
    assert review.returned_for(club.a) == []
    as_user(client, club.chair)
    stored_visit = Visit.get(Visit.uuid == visit["uuid"])
    gone = client.get(f"/desk/review/visit/{stored_visit.id}")  # "erased at their request"
    assert gone.status_code == 410 and NAME not in gone.get_data(as_text=True)


def test_a_case_erased_while_its_batch_waits_takes_nothing_of_it(app, club):
    """The batch read the case before it was erased: each entry looks again in its transaction."""
    lookup = Lookup.for_batch([entry("visit", visit_data(club.case.uuid))])
    cases.erase(Case.get_by_id(club.case.id), club.chair)
    late = entry("visit", visit_data(club.case.uuid, notes=NAME))
    result = book_sync.submit_entry(club.a, late, lookup)
    assert result["status"] == "gone" and rows(Visit, late["uuid"]) == 0
    assert where_the_name_is(NAME) == []


# --- 4. Deactivation and role change --------------------------------------------------------------

def test_a_club_deactivated_while_entries_wait_on_a_phone_takes_none_and_loses_none(app, club):
    from webapp import accounts
    phone = app.test_client()
    login_as(phone, club.a)
    send(phone, [entry("visit", visit_data(club.case.uuid))], waiting=3)  # 2 still wait
    admin = make_user(role="admin")
    desk = app.test_client()
    login_as(desk, admin)
    question = desk.post(f"/admin/clubs/{club.chair.club_id}/active", data={"active": "0"})
    page = question.get_data(as_text=True)
    # The admin is told whose phones still hold entries, and that they cannot come in meanwhile.
    assert "các điện thoại này vẫn còn mục chưa gửi" in page and f"{club.a.full_name}: 2 mục" in page
    accounts.set_club_active(club.chair.club, False, by=admin)
    waiting = entry("visit", visit_data(club.case.uuid))
    assert phone.post("/api/v1/sync", json={"entries": [waiting]}).status_code == 401
    assert rows(Visit, waiting["uuid"]) == 0
    # At login the member learns why, and that what waits stays on the phone.
    told = login_as(app.test_client(), club.a).get_data(as_text=True)
    assert "Câu lạc bộ của bạn đã ngừng hoạt động" in told
    assert "vẫn được giữ ở đó" in told
    # Reactivated, the same entry arrives once; sent again after a lost answer, a duplicate.
    accounts.set_club_active(type(club.chair.club).get_by_id(club.chair.club_id), True, by=admin)
    login_as(phone, club.a)
    assert [r["status"] for r in send(phone, [waiting])] == ["created"]
    assert [r["status"] for r in send(phone, [waiting])] == ["duplicate"]
    assert rows(Visit, waiting["uuid"]) == 1


def test_each_sync_keeps_what_waits_on_the_phone_and_the_members_page_shows_it(client, club):
    login_as(client, club.a)
    visit = entry("visit", visit_data(club.case.uuid))
    bad = entry("visit", visit_data(club.case.uuid, kind="no-such-kind"))
    send(client, [visit, bad], waiting=5)  # 5 wait, this batch included: 1 taken, 4 remain
    a = type(club.a).get_by_id(club.a.id)
    assert a.waiting_count == 4 and a.last_sync_at is not None
    first_sync = a.last_sync_at
    send(client, [])  # an older phone that does not say: the count stays, the time moves
    a = type(club.a).get_by_id(club.a.id)
    assert a.waiting_count == 4 and a.last_sync_at >= first_sync
    for nonsense in ("3", -1, 10 ** 30, True, None, [1]):
        send(client, [], waiting=nonsense)
        assert type(club.a).get_by_id(club.a.id).waiting_count == 4
    send(client, [], waiting=0)
    assert type(club.a).get_by_id(club.a.id).waiting_count == 0
    send(client, [], waiting=2)

    as_user(client, club.chair)
    page = client.get("/club/members/").get_data(as_text=True)
    assert "2 entries wait on the phone" in page
    assert "Never synced" in page  # member b
    assert "Last sync:" in page


def test_deactivating_a_member_whose_phone_holds_entries_warns_the_chair(client, club):
    type(club.a).update(waiting_count=3, last_sync_at=utcnow()).where(
        type(club.a).id == club.a.id).execute()
    login_as(client, club.chair)
    question = client.post(f"/club/members/{club.a.id}/active", data={"active": "0"})
    assert "still held 3 entries not sent" in question.get_data(as_text=True)
    assert type(club.a).get_by_id(club.a.id).is_active  # nothing changes until it is answered
    page = client.post(f"/club/members/{club.a.id}/active",
                       data={"active": "0", "confirmed": "1"},
                       follow_redirects=True).get_data(as_text=True)
    assert "still held 3 entries not sent" in page and "log in once more" in page
    quiet = client.post(f"/club/members/{club.b.id}/active",
                        data={"active": "0", "confirmed": "1"},
                        follow_redirects=True).get_data(as_text=True)
    assert "still held" not in quiet


def test_a_deactivated_member_logs_in_once_only_to_hand_in_what_waits(client, club):
    from webapp import accounts
    from webapp.models import LoginSession, User

    other = make_case(club=club.chair.club, created_by=club.chair, assigned_to=club.b)
    made = at(timedelta(minutes=-20))
    waiting = [entry("visit", visit_data(club.case.uuid), made=made),
               entry("referral", referral_data(club.case.uuid), made=made)]
    not_theirs = entry("visit", visit_data(other.uuid), made=made)
    accounts.set_active(User.get_by_id(club.a.id), False, by=club.chair)

    response = login_as(client, club.a)
    assert response.status_code == 302 and response.headers["Location"].endswith("/app/")
    assert client.get("/app/").status_code == 200
    working = client.get("/api/v1/bootstrap").get_json()
    assert working["user"]["hand_in_only"] is True
    assert working["user"]["desk"] is False  # a former member hands in, and is never sent on
    assert client.get("/api/v1/csrf").get_json()["device_key"]  # the key, never compressed
    assert working["cases"] == working["appointments"] == working["returned"] == []
    # No reading: every desk page leads back to the field app, other API answers are refused.
    for page in ("/", "/account", "/desk/review/", f"/desk/cases/{club.case.id}"):
        answer = client.get(page)
        assert answer.status_code == 302 and answer.headers["Location"].endswith("/app/"), page

    answer = client.post("/api/v1/sync", json={"entries": waiting + [not_theirs], "waiting": 3})
    body = answer.get_json()
    assert [r["status"] for r in body["results"]] == ["created", "created", "invalid"]
    assert body["hand_in_only"] is True
    assert [rows(Visit, waiting[0]["uuid"]), rows(Referral, waiting[1]["uuid"]),
            rows(Visit, not_theirs["uuid"])] == [1, 1, 0]
    assert Visit.get(Visit.uuid == waiting[0]["uuid"]).club_id == club.chair.club_id
    # Recorded after the deactivation, before the phone heard of it, on a case given to another
    # since: judged as at the deactivation, when it was theirs, so it is not lost (no chair
    # could give it back to a deactivated member); it waits for review, as all of a hand-in.
    later = entry("visit", visit_data(club.case.uuid), made=at(timedelta(seconds=5)))
    cases.assign(Case.get_by_id(club.case.id), club.b, by=club.chair)
    assert send(client, [later], waiting=2)[0]["status"] == "created"
    assert Visit.get(Visit.uuid == later["uuid"]).review_status == "submitted"
    assert User.get_by_id(club.a.id).handed_in_at is None  # the phone says one more waits

    send(client, [], waiting=0)  # nothing waits any more
    a = User.get_by_id(club.a.id)
    assert a.handed_in_at is not None and a.waiting_count == 0
    assert client.get("/api/v1/bootstrap").status_code == 200  # time to log out
    User.update(handed_in_at=utcnow() - timedelta(hours=2)).where(User.id == a.id).execute()
    assert client.get("/api/v1/bootstrap").status_code == 401
    assert LoginSession.select().where((LoginSession.user == a)
                                       & LoginSession.ended_at.is_null()).count() == 0
    refused = login_as(client, club.a)
    assert refused.status_code == 401 and "deactivated" in refused.get_data(as_text=True)

    # Deactivated again later (after a reactivation), they may hand in once more.
    accounts.set_active(a, True, by=club.chair)
    accounts.set_active(User.get_by_id(a.id), False, by=club.chair)
    assert login_as(client, club.a).status_code == 302


def test_a_role_change_keeps_what_waits_on_the_phone(client, club):
    from webapp.models import User

    visit = entry("visit", visit_data(club.case.uuid), made=at(timedelta(minutes=-20)))
    registered = entry("case", case_data(), made=at(timedelta(minutes=-20)))
    User.update(role="supervisor", club=None, area="Hạ Long").where(User.id == club.a.id).execute()
    login_as(client, club.a)
    assert client.get("/app/").status_code == 200
    working = client.get("/api/v1/bootstrap").get_json()
    assert working["user"]["hand_in_only"] is True and working["cases"] == []
    results = send(client, [visit, registered], waiting=2)
    assert results[0]["status"] == "created"
    assert Visit.get(Visit.uuid == visit["uuid"]).club_id == club.chair.club_id
    assert results[1]["status"] == "invalid"
    assert "Ask the club's chair to register them" in results[1]["errors"]["entry"]
    assert rows(Case, registered["uuid"]) == 0
    # One entry still waits on the phone: the field app hands in, and is not sent to the desk.
    assert client.get("/api/v1/bootstrap").get_json()["user"]["desk"] is False


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_an_account_of_the_desk_opening_the_field_app_is_sent_to_the_desk(client, club, role):
    """A supervisor or an administrator opening /app/ (a bookmark) is told by the bootstrap to go
    to the desk, logged in (working_set.at_desk, which the login's next_for follows too) — unless
    their phone said, at the sync just before, that entries of theirs still wait on it."""
    from webapp.blueprints.auth import next_for
    from webapp.models import User

    user = make_user(role=role, area="Hạ Long" if role == "supervisor" else "")
    login_as(client, user)
    send(client, [], waiting=0)  # every sync of the phone posts first, saying what waits
    working = client.get("/api/v1/bootstrap").get_json()
    assert working["user"]["desk"] is True and working["cases"] == []
    assert next_for(User.get_by_id(user.id), "/app/") is None  # home, the desk
    send(client, [], waiting=1)  # a phone that once was a member's, one of theirs waiting
    assert client.get("/api/v1/bootstrap").get_json()["user"]["desk"] is False
    assert next_for(User.get_by_id(user.id), "/app/") == "/app/"
    # A member's bootstrap never sends them to the desk.
    as_user(client, club.a)
    assert client.get("/api/v1/bootstrap").get_json()["user"]["desk"] is False


# --- 5. Consent in the field ----------------------------------------------------------------------

def consents(case_uuid):
    from webapp.models import Consent

    return {(c.purpose, c.given) for c in Consent.select().join(Case)
            .where((Case.uuid == case_uuid) & Consent.withdrawn_at.is_null())}


def test_a_case_is_registered_with_each_purpose_yes_no_or_not_asked_yet(client, club):
    login_as(client, club.a)
    asked = entry("case", case_data(consent={"follow": True, "refer": None, "share": False}))
    [result] = send(client, [asked])
    assert result["status"] == "created", result
    assert consents(asked["uuid"]) == {("follow", True), ("share", False)}  # refer: not asked
    unanswered = entry("case", case_data(consent={"follow": True}))
    [result] = send(client, [unanswered])
    assert result["status"] == "invalid"
    assert "answer yes, no or not asked yet" in result["errors"]["consent"]
    schema = client.get("/api/v1/schema").get_json()["$defs"]["case"]["properties"]["consent"]
    assert schema["properties"]["refer"]["type"] == ["boolean", "null"]
    assert schema["required"] == ["follow", "refer", "share"]
    # Later, "not asked yet" leaves what was recorded as it is.
    edit = entry("case", case_data(consent={"follow": None, "refer": True, "share": None}),
                 uuid=asked["uuid"], revision=2, base_revision=1)
    assert send(client, [edit])[0]["status"] == "updated"
    assert consents(asked["uuid"]) == {("follow", True), ("refer", True), ("share", False)}


def test_a_referral_after_the_consent_that_allows_it_is_taken(client, club):
    login_as(client, club.a)
    registered = entry("case", case_data(consent={"follow": True, "refer": None, "share": None}))
    assert send(client, [registered])[0]["status"] == "created"
    refused = entry("referral", referral_data(registered["uuid"]))
    [result] = send(client, [refused])
    assert result["status"] == "invalid"
    assert "Record their consent on the case's screen" in result["errors"]["case_uuid"]
    assert rows(Referral, refused["uuid"]) == 0
    # Consent recorded in the field, sent in the same batch as the referral (after it, even).
    consent = entry("case", case_data(consent={"follow": True, "refer": True, "share": None}),
                    uuid=registered["uuid"], revision=2, base_revision=1)
    results = send(client, [refused, consent])
    assert [r["status"] for r in results] == ["created", "updated"], results
    assert rows(Referral, refused["uuid"]) == 1


def test_a_referral_waits_with_the_consent_that_waits_for_review(client, club):
    login_as(client, club.a)
    registered = entry("case", case_data(consent={"follow": True, "refer": False, "share": None}))
    assert send(client, [registered])[0]["status"] == "created"
    case = Case.get(Case.uuid == registered["uuid"])
    review.approve(case, club.chair)
    consent = entry("case", case_data(consent={"follow": True, "refer": True, "share": None}),
                    uuid=registered["uuid"], revision=2, base_revision=1)
    referral = entry("referral", referral_data(registered["uuid"]))
    results = send(client, [referral, consent])
    assert [r["status"] for r in results] == ["created", "updated"], results
    assert ("refer", True) not in consents(registered["uuid"])  # the amendment waits
    stored = Referral.get(Referral.uuid == referral["uuid"])
    assert review.waiting_for(stored) == case
    with pytest.raises(Exception, match="approve the case first"):
        review.approve(stored, club.chair)
    review.approve(Case.get_by_id(case.id), club.chair)  # the amendment: consent stands now
    assert ("refer", True) in consents(registered["uuid"])
    assert review.waiting_for(Referral.get_by_id(stored.id)) is None
    review.approve(Referral.get_by_id(stored.id), club.chair)
    assert Referral.get_by_id(stored.id).review_status == "approved"


# --- 6. Clocks and hostile numbers ----------------------------------------------------------------

@pytest.mark.parametrize("made", ["1970-01-01T00:00:00Z", "2019-12-31T23:59:00+07:00",
                                  "2099-01-01T00:00:00Z", "+1d2h"])
def test_a_time_of_making_out_of_reason_is_refused_with_what_to_do(client, club, made):
    login_as(client, club.a)
    if made == "+1d2h":
        made = at(timedelta(days=1, hours=2))
    wrong = entry("visit", visit_data(club.case.uuid), made=made)
    right = entry("visit", visit_data(club.case.uuid), made=at(timedelta(hours=20)))
    results = send(client, [wrong, right])
    assert [r["status"] for r in results] == ["invalid", "created"]
    assert "Set the phone's date and time" in results[0]["errors"]["client_created_at"]
    assert rows(Visit, wrong["uuid"]) == 0
    assert EntryRevision.select().where(EntryRevision.uuid == wrong["uuid"]).count() == 0


HUGE = [10 ** 30, 2 ** 63, -(2 ** 63) - 1, 2 ** 40]


@pytest.mark.parametrize("number", HUGE)
def test_a_huge_number_makes_only_its_entry_invalid(client, club, number):
    activity = Activity.create(club=club.chair.club, created_by=club.chair, kind="awareness",
                               date=today(), title="Truyền thông", review_status="approved")
    login_as(client, club.a)
    hostile = [
        entry("visit", visit_data(club.case.uuid, appointment_id=number)),
        entry("visit", visit_data(club.case.uuid, members_present=[number])),
        entry("attendance", {"activity_uuid": activity.uuid, "case_uuid": club.case.uuid,
                             "brought_by": number}),
        entry("case", case_data(birth_year=number)),
        entry("case", case_data(assigned_to=number)),
        entry("visit", visit_data(club.case.uuid), revision=number),
        entry("visit", visit_data(club.case.uuid), revision=2, base_revision=number),
    ]
    good = entry("visit", visit_data(club.case.uuid))
    results = send(client, hostile + [good])
    assert [r["status"] for r in results] == ["invalid"] * len(hostile) + ["created"], results
    assert all(r["errors"] for r in results[:-1])
    assert [rows(Visit, e["uuid"]) + rows(Case, e["uuid"]) + rows(Attendance, e["uuid"])
            for e in hostile] == [0] * len(hostile)
    assert rows(Visit, good["uuid"]) == 1


def test_a_huge_number_in_an_address_is_a_404(client, club):
    login_as(client, club.chair)
    for path in ("/desk/cases/99999999999999999999", f"/desk/cases/{2 ** 63}",
                 f"/desk/cases/{2 ** 40}", "/desk/review/visit/99999999999999999999",
                 f"/club/members/{10 ** 30}/active"):
        method = client.post if path.endswith("/active") else client.get
        assert method(path).status_code == 404, path


def test_a_second_attendance_of_the_same_person_keeps_the_first_and_says_so(client, club):
    activity = Activity.create(club=club.chair.club, created_by=club.chair, kind="awareness",
                               date=today(), title="Truyền thông", review_status="approved")
    shared = make_case(club=club.chair.club, created_by=club.a, assigned_to=club.a)
    cases.assign(shared, club.b, by=club.chair)  # b follows it now; a held it before
    login_as(client, club.b)
    first = entry("attendance", {"activity_uuid": activity.uuid, "case_uuid": shared.uuid},
                  made=at(timedelta(seconds=1)))
    assert send(client, [first])[0]["status"] == "created"
    as_user(client, club.a)
    second = entry("attendance", {"activity_uuid": activity.uuid, "case_uuid": shared.uuid},
                   made=at(timedelta(minutes=-30)))
    [result] = send(client, [second])
    assert result["status"] == "duplicate", result
    assert "already recorded by" in result["notice"] and club.b.full_name in result["notice"]
    stored = Attendance.get(Attendance.uuid == first["uuid"])
    assert result["id"] == stored.id and stored.brought_by_id == club.b.id
    assert rows(Attendance, second["uuid"]) == 0
    assert EntryRevision.select().where(EntryRevision.uuid == second["uuid"]).count() == 0
    assert send(client, [second])[0]["status"] == "duplicate"  # the same again: the same answer
    # A first record that names nobody takes the second one's member.
    Attendance.update(brought_by=None).where(Attendance.id == stored.id).execute()
    send(client, [entry("attendance", {"activity_uuid": activity.uuid,
                                       "case_uuid": shared.uuid},
                        made=at(timedelta(minutes=-30)))])
    assert Attendance.get_by_id(stored.id).brought_by_id == club.a.id
    assert Attendance.select().where(Attendance.case == shared).count() == 1


def test_a_returned_entry_is_fixed_by_its_author_after_the_case_passed_on(client, club):
    login_as(client, club.a)
    visit = entry("visit", visit_data(club.case.uuid), made=at(timedelta(minutes=-30)))
    assert send(client, [visit])[0]["status"] == "created"
    review.return_entry(Visit.get(Visit.uuid == visit["uuid"]), club.chair, "Ghi rõ chủ đề")
    cases.assign(Case.get_by_id(club.case.id), club.b, by=club.chair)
    fixed = entry("visit", visit_data(club.case.uuid, notes="Đã ghi rõ"), uuid=visit["uuid"],
                  revision=2, base_revision=1, made=at(timedelta(seconds=1)))
    [result] = send(client, [fixed])
    assert result["status"] == "updated", result
    stored = Visit.get(Visit.uuid == visit["uuid"])
    assert stored.notes == "Đã ghi rõ" and stored.review_status == "submitted"
    assert rows(Visit, visit["uuid"]) == 1
    # Someone who never held the case cannot take the entry over, whatever the time it says.
    as_user(client, club.b)
    taken = dict(fixed, revision=3, base_revision=2)
    assert send(client, [taken])[0]["status"] == "invalid"


# --- A book too busy for an entry this moment ----------------------------------------------------

def clashing(monkeypatch, uuid):
    """The entry `uuid` meets another connection's row at every try (many phones of the club
    sending at once, the same code taken each time); the others go as ever."""
    from peewee import IntegrityError

    original = book_sync._submit
    tries = []

    def clash(user, sent_uuid, *args):
        if sent_uuid == uuid:
            tries.append(sent_uuid)
            raise IntegrityError("UNIQUE constraint failed")
        return original(user, sent_uuid, *args)

    monkeypatch.setattr(book_sync, "_submit", clash)
    return tries


def test_an_entry_the_busy_book_could_not_take_is_not_refused_but_asked_again(
        client, club, monkeypatch):
    login_as(client, club.a)
    busy = entry("visit", visit_data(club.case.uuid, notes="Đúng lúc bận"))
    other = entry("visit", visit_data(club.case.uuid, notes="Đi bình thường"))
    tries = clashing(monkeypatch, busy["uuid"])
    first, second = send(client, [busy, other])
    assert len(tries) == 3  # tried again twice, the lookup fresh each time
    assert first["status"] == "retry" and first["retry_after"] == book_sync.RETRY_AFTER
    assert first["errors"] == {"entry": "The club's book was busy this moment, so this was not "
                                        "saved yet. Save it again."}  # for the desk's form
    assert second["status"] == "created"  # the rest of the batch goes on
    assert rows(Visit, busy["uuid"]) == 0
    assert EntryRevision.select().where(EntryRevision.uuid == busy["uuid"]).count() == 0
    # What the phone said waits counts it still: the chair sees it is on the phone.
    client.post("/api/v1/sync", json={"entries": [], "waiting": 1})
    monkeypatch.undo()
    [again] = send(client, [busy])  # the phone sends it again by itself
    assert again["status"] == "created"
    assert [v.notes for v in Visit.select().order_by(Visit.id)] == ["Đi bình thường", "Đúng lúc bận"]


def test_the_desk_says_when_the_busy_book_did_not_save_its_form(client, club, monkeypatch):
    login_as(client, club.chair)
    made = new_uuid()  # the uuid the desk's form was drawn with
    clashing(monkeypatch, made)
    data = {"date": today().isoformat(), "kind": "home_visit", "notes": "Ghi ở bàn làm việc",
            "entry_uuid": made}
    response = client.post(f"/desk/cases/{club.case.id}/visits/new", data=data)
    assert response.status_code == 200
    assert "so this was not saved yet. Save it again." in response.get_data(as_text=True)
    assert Visit.select().count() == 0
