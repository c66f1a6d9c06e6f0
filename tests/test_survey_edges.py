"""The ward survey, activities/attendance and referrals at their edges: what a member recorded
offline reaches the club (or comes back with a reason they can act on), is never doubled, keeps
nothing of an erased person, and no one is referred without consent."""
import threading
from datetime import timedelta

import pytest
from flask_babel import force_locale

from webapp.book import activities, cases, review, screenings, sync as book_sync
from webapp.db import database
from webapp.models import (
    Activity, Attendance, Case, EntryRevision, Referral, Screening, SurveyRound,
)

from . import test_sync_edges as sync_edges
from .factories import login_as, make_case, make_club, make_user, session_for, today
from .test_sync_edges import at, entry, new_uuid, referral_data, send


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("sotd_lang", "en")


def screening_data(round_uuid, **data):
    return {"round_uuid": round_uuid, "area": "Tổ 1", "screened_on": today().isoformat(),
            "category": "labour_migrant", "indicators": ["plans_abroad", "broker_contact"],
            "risk_level": "high", "counselled": True, "topics": ["safe_migration"],
            "notes": "Định đi Hàn Quốc qua môi giới ở chợ", **data}


def case_data(**data):
    """A case as the phone registers it, consent to be referred not asked yet."""
    return sync_edges.case_data(**{"consent": {"follow": True, "refer": None, "share": False},
                                   **data})


def make_round(club, by, areas=("Tổ 1", "Tổ 2", "Khu 3"), **overrides):
    values = dict(club=club, name="Khảo sát quý 4", starts_on=today(-10), ends_on=today(20),
                  areas=list(areas), created_by=by)
    values.update(overrides)
    return SurveyRound.create(**values)


# --- The survey ---------------------------------------------------------------------------------

def test_a_screening_refused_for_a_closed_round_is_taken_once_the_chair_extends_it(
        app, club, chair, member, client):
    """Made offline on a phone that still showed the round open, after the chair closed it: the
    reason says "ask your club's chair to extend the round, then send it again". The chair
    does so at the desk; sent again, it must be taken."""
    round_ = make_round(club, chair)
    screenings.close_round(round_, chair)
    made = at(timedelta(minutes=5))  # after the close, on a phone that did not know yet
    sent = entry("screening", screening_data(round_.uuid), made=made)
    login_as(client, member)
    [first] = send(client, [sent])
    assert first["status"] == "invalid"
    assert "Ask your club's chair to extend the round" in first["errors"]["round_uuid"]

    # The chair does what the reason says: the round's last day later, at the desk.
    desk = session_for(app.test_client(), chair)
    desk.set_cookie("sotd_lang", "en")
    response = desk.post(f"/survey/{round_.id}/edit", data={
        "name": round_.name, "starts_on": round_.starts_on.isoformat(),
        "ends_on": today(40).isoformat(), "areas": "\n".join(round_.areas)})
    assert response.status_code == 302
    assert SurveyRound.get_by_id(round_.id).ends_on == today(40)

    [again] = send(client, [sent])
    assert again["status"] == "created", again  # today: invalid with the same reason, forever


def test_a_screening_registered_on_two_phones_makes_one_case(app, club, member, chair, client):
    """The member's screening reached the server; on two phones (both with the working set that
    shows it "not registered") the person is registered as a case: one person, one case."""
    round_ = make_round(club, chair)
    login_as(client, member)
    screening = entry("screening", screening_data(round_.uuid))
    assert send(client, [screening])[0]["status"] == "created"
    first = entry("case", case_data(screening_uuid=screening["uuid"]))
    second = entry("case", case_data(screening_uuid=screening["uuid"]))
    results = send(client, [first]) + send(client, [second])
    assert results[0]["status"] == "created"
    assert Case.select().where(Case.screening_uuid == screening["uuid"]).count() == 1, (
        [c.code for c in Case.select().where(Case.screening_uuid == screening["uuid"])], results)


def registration(club, member, chair):
    """A screening the server holds, and two phones' registrations of its person as a case."""
    round_ = make_round(club, chair)
    screening = entry("screening", screening_data(round_.uuid))
    assert book_sync.submit_entry(member, screening)["status"] == "created"
    return [entry("case", case_data(screening_uuid=screening["uuid"])) for _ in range(2)]


def test_a_screening_registered_on_two_phones_at_the_same_moment_makes_one_case(
        app, club, member, chair, monkeypatch):
    """The second phone's registration is checked ("registered from this screening yet?") just
    before the first one's case is committed, and inserted just after: nothing in the database
    stops a second case of the same person."""
    first, second = registration(club, member, chair)
    other = make_user(club=club)
    assert book_sync.submit_entry(member, first)["status"] == "created"
    kept = Case.get(Case.uuid == first["uuid"])
    real, checks = screenings.registered_as, []

    def checked_before_the_first_was_committed(uuid, club_id):
        checks.append(uuid)
        return None if len(checks) == 1 else real(uuid, club_id)

    monkeypatch.setattr(screenings, "registered_as", checked_before_the_first_was_committed)
    with force_locale("en"):
        [result] = book_sync.submit_batch(other, [second])
    assert result["status"] == "duplicate", result  # as when it comes later
    assert result["id"] == kept.id and kept.code in result["notice"]
    registered = Case.select().where(Case.screening_uuid == first["data"]["screening_uuid"])
    assert [c.uuid for c in registered] == [first["uuid"]]
    assert not EntryRevision.select().where(EntryRevision.uuid == second["uuid"]).exists()


def test_two_phones_registering_one_screening_at_once_from_two_threads_make_one_case(
        app, club, member, chair, monkeypatch):
    """Both check at the same moment, then both insert (PostgreSQL: read committed; SQLite's
    IMMEDIATE transactions let the second in only after the first, so there it checks after)."""
    first, second = registration(club, member, chair)
    other = make_user(club=club)
    real, together, results, errors = screenings.registered_as, threading.Barrier(2), [], []
    checked = threading.local()

    def both_check_then_both_insert(uuid, club_id):
        found = real(uuid, club_id)
        if not getattr(checked, "once", False):
            checked.once = True
            try:
                together.wait(timeout=3)  # SQLite: the other waits for this one's transaction
            except threading.BrokenBarrierError:
                pass
        return found

    monkeypatch.setattr(screenings, "registered_as", both_check_then_both_insert)

    def register(user, sent):
        try:
            with app.app_context():
                database.connect(reuse_if_open=True)
                try:
                    results.append(book_sync.submit_batch(user, [sent])[0])
                finally:
                    database.close()
        except Exception as error:  # noqa: BLE001 — reported below
            errors.append(error)

    threads = [threading.Thread(target=register, args=args)
               for args in ((member, first), (other, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert sorted(r["status"] for r in results) == ["created", "duplicate"], results
    registered = Case.select().where(Case.screening_uuid == first["data"]["screening_uuid"])
    assert registered.count() == 1
    assert {r["id"] for r in results} == {registered.get().id}


def test_a_screening_that_arrives_after_its_person_was_erased_keeps_no_notes(
        app, club, member, chair, client):
    """Screening and case recorded offline together; the screening is refused (its area taken
    out of the round meanwhile), the case is taken. The person asks to be erased. The member
    fixes the area and sends the screening again: the erased person's notes must not be stored
    (erasure empties the notes of the screening the person was met in)."""
    round_ = make_round(club, chair)
    login_as(client, member)
    notes = "Chị gái đang ở Trung Quốc, giấy tờ bị giữ"
    refused = entry("screening", screening_data(round_.uuid, area="Tổ 9", notes=notes))
    case = entry("case", case_data(screening_uuid=refused["uuid"]))
    assert [r["status"] for r in send(client, [refused, case])] == ["invalid", "created"]
    cases.erase(Case.get(Case.uuid == case["uuid"]), chair)

    fixed = dict(refused, data=dict(refused["data"], area="Tổ 2"))
    [result] = send(client, [fixed])
    assert result["status"] in ("created", "gone")
    held = [s.notes for s in Screening.select()] + [
        str(r.data) for r in EntryRevision.select().where(EntryRevision.uuid == refused["uuid"])]
    assert not any(notes in text for text in held), held


# --- Activities and attendance ------------------------------------------------------------------

def test_attendance_sent_with_a_proposal_the_book_already_had_is_not_left_waiting_for_it(
        app, club, chair, member, client):
    """Offline, the member proposes an activity and records who came to it. The chair recorded
    the same activity at the desk meanwhile: the proposal comes back "already in the club's
    book". The attendance sent with it is told to "sync again once it is sent" — it never will
    be: discarded as asked, then synced, the attendance gets the same reason again and again."""
    day = today(3)
    activities.save_activity({"title": "Tập huấn kỹ năng", "kind": "training", "date": day,
                              "place": "", "attendee_count": 0}, chair)
    case = make_case(club=club, created_by=member)
    proposal = entry("activity", {"title": "Tập huấn kỹ năng", "kind": "training",
                                  "date": day.isoformat(), "place": ""})
    attended = entry("attendance", {"activity_uuid": proposal["uuid"], "case_uuid": case.uuid,
                                    "brought_by": member.id})
    login_as(client, member)
    results = send(client, [proposal, attended])
    assert results[0]["status"] == "invalid"
    assert "Discard this entry" in results[0]["errors"]["title"]
    # The proposal discarded as its reason says; the phone syncs again with the attendance.
    [again] = send(client, [attended])
    assert again["status"] in ("created", "duplicate") or (
        "sync again" not in " ".join(again["errors"].values())), again


def test_attendance_sent_after_its_proposal_was_refused_as_one_the_book_had_goes_to_that_one(
        app, club, chair, member, client):
    """The proposal went out alone and came back "already in the club's book"; the attendance
    at it reaches the server in a later sync — recorded after the answer at the proposal the
    phone still offered, or left waiting when the member discarded the proposal as its reason
    says. Today it is refused: "the server does not have this activity … record the attendance
    again, then discard this entry", and the phone never sends it again by itself."""
    day = today(3)
    twin = activities.save_activity({"title": "Tập huấn kỹ năng", "kind": "training",
                                     "date": day, "place": "", "attendee_count": 0}, chair)
    case, other = make_case(club=club, created_by=member), make_case(club=club, created_by=member)
    proposal = entry("activity", {"title": "  TẬP HUẤN kỹ năng", "kind": "training",
                                  "date": day.isoformat(), "place": ""})
    login_as(client, member)
    [refused] = send(client, [proposal])
    assert refused["status"] == "invalid", refused
    assert "attendance recorded at this proposal goes to it" in refused["errors"]["title"]
    assert Activity.select().where(Activity.uuid == proposal["uuid"]).count() == 0

    # A later sync (a batch), and an entry on its own (the desk's path): both reach the activity.
    later = entry("attendance", {"activity_uuid": proposal["uuid"], "case_uuid": case.uuid,
                                 "brought_by": member.id})
    [taken] = send(client, [later])
    assert taken["status"] == "created", taken
    assert Attendance.get_by_id(taken["id"]).activity_id == twin.id
    assert "Tập huấn kỹ năng" in taken["notice"]
    assert day.strftime("%d/%m/%Y") in taken["notice"]
    alone = book_sync.submit_entry(member, entry("attendance", {
        "activity_uuid": proposal["uuid"], "case_uuid": other.uuid, "brought_by": member.id}))
    assert alone["status"] == "created", alone
    assert Attendance.get_by_id(alone["id"]).activity_id == twin.id
    # The same proposal refused again (sent again from another phone's copy) changes nothing.
    assert send(client, [proposal])[0]["status"] == "invalid"
    assert [send(client, [later])[0]["status"]] == ["duplicate"]

    # Another club's member naming that uuid gets nothing of this club's.
    stranger = make_user(club=make_club())
    theirs = book_sync.submit_entry(stranger, entry("attendance", {
        "activity_uuid": proposal["uuid"],
        "case_uuid": make_case(club=stranger.club, created_by=stranger).uuid}))
    assert theirs["status"] == "invalid" and "activity_uuid" in theirs["errors"], theirs


def test_attendance_at_a_proposal_the_server_never_kept_says_to_choose_the_activity(
        app, club, member, client):
    """A proposal refused for something else, then discarded: the attendance at it names an
    activity the server never had. The reason says what the phone offers: open it (Fix), choose
    the activity from the club's list, save it — not "discard this entry"."""
    case = make_case(club=club, created_by=member)
    login_as(client, member)
    [lost] = send(client, [entry("attendance", {"activity_uuid": new_uuid(),
                                                "case_uuid": case.uuid})])
    assert lost["status"] == "invalid"
    reason = lost["errors"]["activity_uuid"]
    assert "choose the activity from the club's list" in reason
    assert "discard this entry" not in reason.lower()


# --- Referrals and consent ----------------------------------------------------------------------

def test_a_referral_whose_consent_was_returned_is_not_approved_without_consent(
        app, club, chair, member, client):
    """The person agreed to be referred, recorded on the phone as an amendment of the approved
    case, sent with the referral: the referral waits with the consent. The chair returns the
    amendment (the consent form is not signed): the referral then no longer waits, and the
    chair approves it — an approved referral of someone who never consented, counted in the
    club's referred share."""
    login_as(client, member)
    registered = entry("case", case_data(consent={"follow": True, "refer": False, "share": None}))
    assert send(client, [registered])[0]["status"] == "created"
    case = Case.get(Case.uuid == registered["uuid"])
    review.approve(case, chair)
    consent = entry("case", case_data(consent={"follow": True, "refer": True, "share": None}),
                    uuid=registered["uuid"], revision=2, base_revision=1)
    referral = entry("referral", referral_data(registered["uuid"]))
    assert [r["status"] for r in send(client, [consent, referral])] == ["updated", "created"]
    stored = Referral.get(Referral.uuid == referral["uuid"])
    assert review.waiting_for(stored) == case

    review.return_entry(Case.get_by_id(case.id), chair, "Chưa có chữ ký đồng ý chuyển gửi")
    with pytest.raises(Exception):
        review.approve(Referral.get_by_id(stored.id), chair)
    assert Referral.get_by_id(stored.id).review_status != "approved"
