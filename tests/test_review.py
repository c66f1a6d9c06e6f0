"""The review rules (webapp/review.py): queue, approve, return, resubmit, amendments, self-approval.

Entries come in as the phone sends them, through the sync API's domain path (`sync.submit_entry`).
"""
import uuid as uuid_module

import pytest

from webapp.book import entries, review, sync
from webapp.invalid import Invalid
from webapp.models import AuditLog, Case, Review, Visit

from .factories import make_case, make_club, make_user, make_visit, today



@pytest.fixture(autouse=True)
def in_a_request(app):
    with app.test_request_context():  # messages are translated for a request's language
        yield


def send(user, entry_type, data, uuid=None, revision=1, base=None):
    entry = {"uuid": uuid or str(uuid_module.uuid4()), "type": entry_type, "revision": revision,
             "data": data}
    if base is not None:
        entry["base_revision"] = base
    result = sync.submit_entry(user, entry)
    assert result["status"] in ("created", "updated"), result
    return entry["uuid"]


def case_data(**changes):
    data = {"full_name": "Nguyễn Thị Lan", "sex": "female", "birth_year": 1998,
            "categories": ["at_risk"], "risk_level": "medium",
            "consent": {"follow": True, "refer": True, "share": False}}
    data.update(changes)
    return data


def visit_data(case_uuid, **changes):
    data = {"case_uuid": case_uuid, "date": today().isoformat(), "kind": "home_visit",
            "topics": ["safe_migration"], "notes": "lần 1"}
    data.update(changes)
    return data


def new_case(user, **changes):
    return Case.get(Case.uuid == send(user, "case", case_data(**changes)))


def new_visit(user, case, **changes):
    return Visit.get(Visit.uuid == send(user, "visit", visit_data(case.uuid, **changes)))


def approved_case(member, chair):
    case = new_case(member)
    review.approve(case, chair)
    return Case.get_by_id(case.id)


def test_submitted_entries_wait_in_the_queue_oldest_first(club, chair, member):
    case = approved_case(member, chair)
    first = new_visit(member, case)
    second = new_visit(member, case)
    make_visit(case, review_status="approved")
    assert [item.row.id for item in review.queue(club)] == [first.id, second.id]
    assert review.queue_count(club) == 2


def test_approve_records_the_decision_and_audits_it(club, chair, member):
    case = new_case(member)
    review.approve(case, chair)
    assert Case.get_by_id(case.id).review_status == "approved"
    decision = Review.get(Review.entry_uuid == case.uuid)
    assert (decision.decision, decision.revision, decision.decided_by_id) == ("approved", 1, chair.id)
    log = AuditLog.get(AuditLog.action == "review_approved")
    assert (log.object_type, log.object_id, log.user_id, log.club_id) == (
        "case", case.id, chair.id, club.id)
    assert log.details == {"entry_type": "case", "uuid": case.uuid, "revision": 1,
                           "review_id": decision.id}
    assert review.queue_count(club) == 0
    with pytest.raises(Invalid):
        review.approve(case, chair)


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_return_needs_a_reason(chair, member, reason):
    case = new_case(member)
    with pytest.raises(Invalid) as error:
        review.return_entry(case, chair, reason)
    assert "lý do" in error.value.message
    assert Case.get_by_id(case.id).review_status == "submitted"
    assert Review.select().count() == 0


def test_returned_entry_is_fixed_resubmitted_and_approved_with_its_whole_trail(club, chair, member):
    case = approved_case(member, chair)
    visit = new_visit(member, case)
    review.return_entry(visit, chair, "Thiếu nội dung tư vấn")
    assert Visit.get_by_id(visit.id).review_status == "returned"
    assert review.queue_count(club) == 0
    [returned] = review.returned_for(member)
    assert (returned["uuid"], returned["type"], returned["revision"]) == (visit.uuid, "visit", 1)
    assert returned["reason"] == "Thiếu nội dung tư vấn"
    assert returned["data"]["notes"] == "lần 1"
    assert returned["returned_at"].endswith("Z")
    audit = AuditLog.get(AuditLog.action == "review_returned")
    assert "Thiếu" not in str(audit.details)  # the reason is a note: not in the audit log

    send(member, "visit", visit_data(case.uuid, notes="đã bổ sung"), uuid=visit.uuid,
         revision=2, base=1)
    visit = Visit.get_by_id(visit.id)
    assert (visit.review_status, visit.revision, visit.notes) == ("submitted", 2, "đã bổ sung")
    assert review.returned_for(member) == []
    assert [item.revision for item in review.queue(club)] == [2]

    review.approve(visit, chair)
    steps = [(s["kind"], s["revision"]) for s in review.trail(visit)]
    assert steps == [("submitted", 1), ("returned", 1), ("submitted", 2), ("approved", 2)]
    assert review.trail(visit)[1]["reason"] == "Thiếu nội dung tư vấn"
    assert review.trail(visit)[1]["by"].id == chair.id


def test_an_approved_entry_is_locked_and_an_edit_is_an_amendment(club, chair, member):
    case = approved_case(member, chair)
    visit = new_visit(member, case)
    review.approve(visit, chair)
    send(member, "visit", visit_data(case.uuid, kind="phone_call"), uuid=visit.uuid,
         revision=2, base=1)

    visit = Visit.get_by_id(visit.id)
    # The approved version still counts; the amendment waits.
    assert (visit.review_status, visit.revision, visit.kind) == ("approved", 1, "home_visit")
    assert (visit.amendment_revision, visit.amendment_status) == (2, "submitted")
    assert review.current_revision(visit) == 2
    assert review.has_pending_amendment(visit)
    [item] = review.queue(club, kind="amendment")
    assert item.is_amendment and item.revision == 2
    assert review.amendment_changes(visit) == [("Hình thức tiếp cận", "Thăm hộ gia đình",
                                                "Gọi điện thoại")]

    review.approve(visit, chair)
    visit = Visit.get_by_id(visit.id)
    assert (visit.review_status, visit.revision, visit.kind) == ("approved", 2, "phone_call")
    assert visit.amendment_revision is None and visit.amendment_status is None
    log = (AuditLog.select().where(AuditLog.action == "review_approved")
           .order_by(AuditLog.id.desc()).first())
    assert log.details["amendment"] is True and log.details["revision"] == 2


def test_an_edit_on_the_approved_revision_while_an_amendment_waits_is_a_conflict(chair, member):
    case = approved_case(member, chair)
    send(member, "case", case_data(phone="0912345678"), uuid=case.uuid, revision=2, base=1)
    result = sync.submit_entry(member, {"uuid": case.uuid, "type": "case", "revision": 2,
                                        "base_revision": 1, "data": case_data(phone="0987654321")})
    assert result["status"] == "conflict"
    assert Case.get_by_id(case.id).phone == ""  # the approved version still counts


def test_a_returned_amendment_goes_back_and_the_approved_version_stays(club, chair, member):
    case = approved_case(member, chair)
    visit = new_visit(member, case)
    review.approve(visit, chair)
    send(member, "visit", visit_data(case.uuid, kind="phone_call", notes="sai"), uuid=visit.uuid,
         revision=2, base=1)
    review.return_entry(Visit.get_by_id(visit.id), chair, "Sai ngày")
    visit = Visit.get_by_id(visit.id)
    assert (visit.review_status, visit.amendment_status, visit.kind) == (
        "approved", "returned", "home_visit")
    [returned] = review.returned_for(member)
    assert (returned["revision"], returned["reason"], returned["data"]["notes"]) == (
        2, "Sai ngày", "sai")
    assert review.queue_count(club) == 0

    send(member, "visit", visit_data(case.uuid, kind="phone_call", notes="đúng"), uuid=visit.uuid,
         revision=3, base=2)
    visit = Visit.get_by_id(visit.id)
    assert (visit.amendment_revision, visit.amendment_status, visit.revision) == (3, "submitted", 1)
    review.approve(visit, chair)
    assert Visit.get_by_id(visit.id).notes == "đúng"


def test_entries_of_a_case_not_yet_approved_wait_for_it(club, chair, member):
    case = new_case(member)
    visit = new_visit(member, case)
    [case_item, visit_item] = review.queue(club)
    assert visit_item.waiting_for == case and case_item.waiting_for is None
    with pytest.raises(Invalid) as error:
        review.approve(visit, chair)
    assert "hãy duyệt hồ sơ trước" in error.value.message
    review.return_entry(case, chair, "Thiếu năm sinh")
    assert review.dependants_waiting(case) == 1
    assert Visit.get_by_id(visit.id).review_status == "submitted"  # kept, waiting
    assert review.queue_count(club) == 1

    send(member, "case", case_data(birth_year=1990), uuid=case.uuid, revision=2, base=1)
    review.approve(case, chair)
    review.approve(visit, chair)
    assert Visit.get_by_id(visit.id).review_status == "approved"


def test_approve_many_approves_cases_before_their_visits_and_ignores_other_clubs(club, chair, member):
    case = new_case(member)
    visit = new_visit(member, case)
    other = new_visit(member, approved_case(member, chair))
    stranger = make_visit(make_case(), review_status="submitted")
    approved, refused = review.approve_many(
        club, [("visit", visit.id, 1), ("case", case.id, 1), ("visit", other.id, 1),
               ("visit", stranger.id, 1), ("nonsense", 1, 1)], chair)
    assert {(entries.type_of(r).name, r.id) for r in approved} == {
        ("case", case.id), ("visit", visit.id), ("visit", other.id)}
    assert refused == []
    assert Visit.get_by_id(stranger.id).review_status == "submitted"
    assert review.queue_count(club) == 0


def test_approve_many_reports_refusals_and_approves_the_rest(club, chair, member):
    waiting = new_visit(member, new_case(member))
    ready = new_visit(member, approved_case(member, chair))
    approved, refused = review.approve_many(club, [("visit", waiting.id, 1), ("visit", ready.id, 1)],
                                            chair)
    assert [r.id for r in approved] == [ready.id]
    assert [r.id for r, _message in refused] == [waiting.id]


def test_a_chairs_own_entries_are_approved_on_submit(club, chair, member):
    case = new_case(chair)
    assert case.review_status == "approved"
    assert Review.get(Review.entry_uuid == case.uuid).decision == "self_approved"
    assert [code for code, _label in review.marks(case)] == ["self_approved"]
    assert AuditLog.get(AuditLog.action == "review_self_approved").object_id == case.id
    assert review.queue_count(club) == 0

    visit = new_visit(member, approved_case(member, chair))
    assert visit.review_status == "submitted"
    assert [code for code, _label in review.marks(visit)] == ["submitted"]


def test_a_chairs_amendment_is_applied_at_once(club, chair):
    case = new_case(chair)
    send(chair, "case", case_data(risk_level="high"), uuid=case.uuid, revision=2, base=1)
    case = Case.get_by_id(case.id)
    assert (case.revision, case.risk_level, case.amendment_status) == (2, "high", None)
    assert [r.decision for r in Review.select().where(Review.entry_uuid == case.uuid)] == [
        "self_approved", "self_approved"]


def test_the_queue_filters_by_member_and_kind(club, chair, member):
    other_member = make_user(club=club)
    mine = new_visit(member, approved_case(member, chair))
    theirs = new_visit(other_member, approved_case(other_member, chair))
    case = new_case(other_member)
    assert [i.row.id for i in review.queue(club, member_id=member.id)] == [mine.id]
    assert [i.row.id for i in review.queue(club, member_id=other_member.id, kind="visit")] == [
        theirs.id]
    assert [i.row.id for i in review.queue(club, kind="case")] == [case.id]
    assert review.queue(make_club()) == []


def test_marks_show_a_pending_amendment(chair, member):
    case = approved_case(member, chair)
    send(member, "case", case_data(phone="0912345678"), uuid=case.uuid, revision=2, base=1)
    assert [code for code, _label in review.marks(Case.get_by_id(case.id))] == [
        "approved", "amendment_submitted"]


def test_an_amendment_that_no_longer_passes_the_rules_is_refused(chair, member):
    other = make_user(club=member.club)
    case = approved_case(member, chair)
    send(member, "case", case_data(assigned_to=other.id), uuid=case.uuid, revision=2, base=1)
    other.club = make_club()  # the member assigned meanwhile left the club
    other.save()
    with pytest.raises(Invalid):
        review.approve(Case.get_by_id(case.id), chair)
    case = Case.get_by_id(case.id)
    assert (case.revision, case.amendment_status) == (1, "submitted")
    assert Review.select().where(Review.entry_uuid == case.uuid).count() == 1


# --- amendments: one version in each copy, the board's changes meanwhile kept -----------------

def test_a_chairs_field_edit_waits_for_a_decision_on_a_members_amendment(chair, member):
    case = approved_case(member, chair)
    send(member, "case", case_data(phone="0912345678"), uuid=case.uuid, revision=2, base=1)
    # The chair compared with the member's version and sends theirs on it: approved on submit,
    # it would pass over the member's amendment undecided, so it is refused, as at the desk.
    entry = {"uuid": case.uuid, "type": "case", "revision": 3, "base_revision": 2,
             "data": case_data(phone="0912345678", birth_year=1997)}
    result = sync.submit_entry(chair, entry)
    assert result["status"] == "invalid"
    assert "hãy quyết định bản sửa đó trước" in result["errors"]["entry"]
    case = Case.get_by_id(case.id)
    assert (case.revision, case.amendment_revision, case.amendment_status) == (1, 2, "submitted")
    assert review.stored_revision(case, 3) is None
    # Decided, the chair's edit goes as it was, on the amendment now approved.
    review.approve(case, chair, seen=2)
    assert sync.submit_entry(chair, entry)["status"] == "updated"
    case = Case.get_by_id(case.id)
    assert (case.revision, case.phone, case.birth_year) == (3, "0912345678", 1997)


def test_an_approved_amendment_is_written_as_its_sender_and_only_what_it_changed(chair, member):
    other = make_user(club=chair.club)
    case = approved_case(member, chair)
    send(member, "case", case_data(phone="0912345678"), uuid=case.uuid, revision=2, base=1)
    from webapp.book import cases
    from webapp.book.consent import consent_of
    cases.assign(Case.get_by_id(case.id), other, by=chair)
    cases.set_consent(Case.get_by_id(case.id), "refer", False, chair)
    review.approve(Case.get_by_id(case.id), chair, seen=2)
    case = Case.get_by_id(case.id)
    assert case.phone == "0912345678"
    assert case.assigned_to_id == other.id
    assert consent_of(case) == {"follow": True, "refer": False, "share": False}
    update = (AuditLog.select().where((AuditLog.action == "case_updated"))
              .order_by(AuditLog.id.desc()).first())
    assert update.user_id == member.id
