"""The review rules (webapp/review.py): queue, approve, return, resubmit, amendments, self-approval."""
import pytest

from webapp import review
from webapp.models import AuditLog, EntryRevision, Review, Visit

from .factories import make_case, make_club, make_user, make_visit


def apply_visit(row, data):
    """Stand-in for the visit domain's writer of data to the main row."""
    row.notes = data.get("notes", row.notes)
    row.kind = data.get("kind", row.kind)


@pytest.fixture
def club(app):
    with app.test_request_context():  # messages are translated for a request's language
        yield make_club()


@pytest.fixture
def chair(club):
    return make_user(club=club, role="chair")


@pytest.fixture
def member(club):
    return make_user(club=club)


def sent(row, revision, data, user):
    """The EntryRevision the sync API stores for each revision the phone sends."""
    return EntryRevision.create(entry_type=review.type_of(row), uuid=row.uuid, revision=revision,
                                data=data, submitted_by=user)


def visit_of(member, **overrides):
    case = make_case(created_by=member)
    visit = make_visit(case, **overrides)
    sent(visit, 1, {"case_uuid": case.uuid, "kind": "home_visit", "notes": "lần 1"}, member)
    return visit


def test_submitted_entries_wait_in_the_queue_oldest_first(club, member):
    first = visit_of(member)
    second = visit_of(member)
    make_visit(make_case(created_by=member), review_status="approved")
    items = review.queue(club)
    assert [item.row.id for item in items] == [first.id, second.id]
    assert review.queue_count(club) == 2


def test_approve_records_the_decision_and_audits_it(club, chair, member):
    visit = visit_of(member)
    review.approve(visit, chair)
    visit = Visit.get_by_id(visit.id)
    assert visit.review_status == "approved"
    decision = Review.get(Review.entry_uuid == visit.uuid)
    assert (decision.decision, decision.revision, decision.decided_by_id) == ("approved", 1, chair.id)
    log = AuditLog.get(AuditLog.action == "review.approved")
    assert (log.object_type, log.object_id, log.user_id) == ("visit", visit.id, chair.id)
    assert log.details == {"entry_type": "visit", "uuid": visit.uuid, "revision": 1,
                           "review_id": decision.id}
    assert review.queue_count(club) == 0
    with pytest.raises(review.ReviewError):
        review.approve(visit, chair)


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_return_needs_a_reason(chair, member, reason):
    visit = visit_of(member)
    with pytest.raises(review.ReviewError) as error:
        review.return_entry(visit, chair, reason)
    assert "lý do" in error.value.message
    assert Visit.get_by_id(visit.id).review_status == "submitted"
    assert Review.select().count() == 0


def test_returned_entry_is_fixed_resubmitted_and_approved_with_its_whole_trail(club, chair, member):
    visit = visit_of(member)
    review.return_entry(visit, chair, "Thiếu nội dung tư vấn")
    assert Visit.get_by_id(visit.id).review_status == "returned"
    assert review.queue_count(club) == 0
    returned = review.returned_for(member)
    assert len(returned) == 1
    assert returned[0]["uuid"] == visit.uuid
    assert returned[0]["type"] == "visit"
    assert returned[0]["revision"] == 1
    assert returned[0]["reason"] == "Thiếu nội dung tư vấn"
    assert returned[0]["data"]["notes"] == "lần 1"
    assert returned[0]["returned_at"].endswith("Z")
    audit = AuditLog.get(AuditLog.action == "review.returned")
    assert "Thiếu" not in str(audit.details)  # the reason is a note: not in the audit log

    data = {"case_uuid": visit.case.uuid, "kind": "home_visit", "notes": "đã bổ sung"}
    sent(visit, 2, data, member)
    review.receive_edit(Visit.get_by_id(visit.id), 2, data, member, apply=apply_visit)
    visit = Visit.get_by_id(visit.id)
    assert (visit.review_status, visit.revision, visit.notes) == ("submitted", 2, "đã bổ sung")
    assert review.returned_for(member) == []
    assert [item.revision for item in review.queue(club)] == [2]

    review.approve(visit, chair)
    steps = [(s["kind"], s["revision"]) for s in review.trail(visit)]
    assert steps == [("submitted", 1), ("returned", 1), ("submitted", 2), ("approved", 2)]
    assert review.trail(visit)[1]["reason"] == "Thiếu nội dung tư vấn"


def test_an_approved_entry_is_locked_and_an_edit_is_an_amendment(club, chair, member):
    visit = visit_of(member)
    review.approve(visit, chair)
    amended = {"case_uuid": visit.case.uuid, "kind": "phone_call", "notes": "lần 1"}
    sent(visit, 2, amended, member)
    review.receive_edit(Visit.get_by_id(visit.id), 2, amended, member, apply=apply_visit)

    visit = Visit.get_by_id(visit.id)
    # The approved version still counts; the amendment waits.
    assert (visit.review_status, visit.revision, visit.kind) == ("approved", 1, "home_visit")
    assert (visit.amendment_revision, visit.amendment_status) == (2, "submitted")
    assert review.current_revision(visit) == 2
    assert review.has_pending_amendment(visit)
    [item] = review.queue(club, kind="amendment")
    assert item.is_amendment and item.revision == 2
    changes = review.amendment_changes(visit)
    assert [label for label, _old, _new in changes] == ["Hình thức"]

    review.register_apply("visit", apply_visit)
    review.approve(visit, chair)
    visit = Visit.get_by_id(visit.id)
    assert (visit.review_status, visit.revision, visit.kind) == ("approved", 2, "phone_call")
    assert visit.amendment_revision is None and visit.amendment_status is None
    assert AuditLog.get(AuditLog.action == "review.approved", AuditLog.id > 1).details["amendment"]


def test_a_returned_amendment_goes_back_and_the_approved_version_stays(club, chair, member):
    visit = visit_of(member)
    review.approve(visit, chair)
    amended = {"case_uuid": visit.case.uuid, "kind": "phone_call", "notes": "sai"}
    sent(visit, 2, amended, member)
    review.receive_edit(Visit.get_by_id(visit.id), 2, amended, member, apply=apply_visit)
    review.return_entry(Visit.get_by_id(visit.id), chair, "Sai ngày")
    visit = Visit.get_by_id(visit.id)
    assert (visit.review_status, visit.amendment_status, visit.kind) == (
        "approved", "returned", "home_visit")
    [returned] = review.returned_for(member)
    assert (returned["revision"], returned["reason"], returned["data"]["notes"]) == (2, "Sai ngày", "sai")
    assert review.current_revision(visit) == 2

    fixed = {"case_uuid": visit.case.uuid, "kind": "phone_call", "notes": "đúng"}
    sent(visit, 3, fixed, member)
    review.receive_edit(visit, 3, fixed, member, apply=apply_visit)
    visit = Visit.get_by_id(visit.id)
    assert (visit.amendment_revision, visit.amendment_status, visit.revision) == (3, "submitted", 1)


def test_entries_of_a_case_not_yet_approved_wait_for_it(club, chair, member):
    case = make_case(created_by=member, review_status="submitted")
    sent(case, 1, {"full_name": "x"}, member)
    visit = make_visit(case)
    [case_item, visit_item] = review.queue(club)
    assert visit_item.waiting_for == case and case_item.waiting_for is None
    with pytest.raises(review.ReviewError) as error:
        review.approve(visit, chair)
    assert "hãy duyệt hồ sơ trước" in error.value.message
    review.return_entry(case, chair, "Thiếu năm sinh")
    assert review.dependants_waiting(case) == 1
    assert Visit.get_by_id(visit.id).review_status == "submitted"  # kept, waiting
    assert review.queue_count(club) == 1


def test_approve_many_approves_cases_before_their_visits_and_ignores_other_clubs(club, chair, member):
    case = make_case(created_by=member, review_status="submitted")
    visit = make_visit(case)
    other = visit_of(member)
    stranger = visit_of(make_user())
    approved, refused = review.approve_many(
        club, [("visit", visit.id), ("case", case.id), ("visit", other.id),
               ("visit", stranger.id), ("nonsense", 1)], chair)
    assert {(review.type_of(r), r.id) for r in approved} == {
        ("case", case.id), ("visit", visit.id), ("visit", other.id)}
    assert refused == []
    assert Visit.get_by_id(stranger.id).review_status == "submitted"
    assert review.queue_count(club) == 0


def test_approve_many_reports_refusals_and_approves_the_rest(club, chair, member):
    waiting = make_visit(make_case(created_by=member, review_status="submitted"))
    ready = visit_of(member)
    approved, refused = review.approve_many(club, [("visit", waiting.id), ("visit", ready.id)],
                                            chair)
    assert [r.id for r in approved] == [ready.id]
    assert [r.id for r, _message in refused] == [waiting.id]


def test_a_chairs_own_entries_are_approved_on_submit(club, chair, member):
    case = make_case(created_by=chair, review_status="submitted")
    review.receive_new(case, chair)
    assert case.review_status == "approved"
    assert Review.get(Review.entry_uuid == case.uuid).decision == "self_approved"
    assert [code for code, _label in review.marks(case)] == ["self_approved"]
    assert AuditLog.get(AuditLog.action == "review.self_approved").object_id == case.id

    visit = make_visit(case, created_by=member)
    review.receive_new(visit, member)
    assert Visit.get_by_id(visit.id).review_status == "submitted"
    assert [code for code, _label in review.marks(visit)] == ["submitted"]


def test_a_chairs_amendment_is_applied_at_once(club, chair):
    visit = make_visit(make_case(created_by=chair), created_by=chair, review_status="approved")
    data = {"kind": "phone_call"}
    sent(visit, 2, data, chair)
    review.receive_edit(visit, 2, data, chair, apply=apply_visit)
    visit = Visit.get_by_id(visit.id)
    assert (visit.revision, visit.kind, visit.amendment_status) == (2, "phone_call", None)
    assert Review.get(Review.entry_uuid == visit.uuid).decision == "self_approved"


def test_the_queue_filters_by_member_and_kind(club, member):
    other_member = make_user(club=club)
    mine = visit_of(member)
    theirs = visit_of(other_member)
    case = make_case(created_by=other_member, review_status="submitted")
    assert [i.row.id for i in review.queue(club, member_id=member.id)] == [mine.id]
    assert {i.row.id for i in review.queue(club, member_id=other_member.id, kind="visit")} == {
        theirs.id}
    assert [i.row.id for i in review.queue(club, kind="case")] == [case.id]
    assert review.queue(make_club()) == []


def test_marks_show_a_pending_amendment(chair, member):
    visit = visit_of(member)
    review.approve(visit, chair)
    data = {"kind": "phone_call"}
    sent(visit, 2, data, member)
    review.receive_edit(Visit.get_by_id(visit.id), 2, data, member, apply=apply_visit)
    assert [code for code, _label in review.marks(Visit.get_by_id(visit.id))] == [
        "approved", "amendment_submitted"]
