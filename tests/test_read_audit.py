"""Every read of personal data is audited, with ids only (issue 15, finding 7): the case edit form,
the book's list, the visit and referral forms, the agenda, an activity's attendance, the review
queue and each bootstrap (one row per sync, with the case ids sent); the chair sees who read a
case on its page."""
import json

import pytest

from webapp.audit import READ
from webapp.models import Appointment, AuditLog

from .factories import make_case, make_user, make_visit, make_world, session_for


def reads(view=None):
    query = AuditLog.select().where(AuditLog.action == READ).order_by(AuditLog.id)
    return [row for row in query if view is None or row.details["view"] == view]


@pytest.fixture
def world(app):
    return make_world()


@pytest.fixture
def chair_client(app, world):
    return session_for(app.test_client(), world.chair)


@pytest.mark.parametrize("view, path", [
    ("case_edit", "/desk/cases/{case}/edit"),
    ("book_list", "/desk/cases/"),
    ("visit_form", "/desk/cases/{case}/visits/new"),
    ("referral_form", "/desk/cases/{case}/referrals/new"),
    ("agenda", "/desk/agenda/"),
    ("attendance", "/desk/activities/{activity}"),
    ("review_queue", "/desk/review/"),
    ("appointment", "/desk/agenda/{appointment}"),
])
def test_each_desk_view_of_personal_data_writes_one_row_with_the_case_ids(
        app, world, chair_client, view, path):
    other = make_case(club=world.club, created_by=world.member, full_name="Lò Thị Sen")
    make_visit(other, review_status="submitted")
    Appointment.create(club=world.club, case=other, member=world.member,
                       due_date=world.appointment.due_date, created_by=world.chair)
    response = chair_client.get(path.format(case=world.case.id, activity=world.activity.id,
                                            appointment=world.appointment.id))
    assert response.status_code == 200, response.status_code
    [row] = reads(view)
    assert row.user_id == world.chair.id and row.club_id == world.club.id
    assert world.case.id in row.details["case_ids"]
    if view in ("book_list", "agenda", "review_queue"):
        assert other.id in row.details["case_ids"]
    text = json.dumps(row.details, ensure_ascii=False)
    for personal in (world.case.full_name, other.full_name, world.case.code, other.code):
        assert personal not in text


def test_each_bootstrap_writes_one_row_with_the_case_ids_sent(app, world):
    member = session_for(app.test_client(), world.member)
    for _ in range(2):
        assert member.get("/api/v1/bootstrap").status_code == 200
    rows = reads("bootstrap")
    assert len(rows) == 2
    assert all(row.details["case_ids"] == [world.case.id] for row in rows)
    assert all(row.user_id == world.member.id for row in rows)


def test_the_chair_sees_who_read_a_case_on_its_page(app, world, chair_client):
    unrelated = make_case(club=world.club, created_by=world.member)
    member = session_for(app.test_client(), world.member)
    member.get("/api/v1/bootstrap")
    chair_client.get(f"/desk/cases/{world.case.id}/edit")
    chair_client.get(f"/desk/cases/{unrelated.id}/edit")
    other_chair = make_user(club=world.club, role="chair", full_name="Phó chủ nhiệm Đào")
    session_for(app.test_client(), other_chair).get("/desk/cases/")
    page = chair_client.get(f"/desk/cases/{world.case.id}").get_data(as_text=True)
    readers = page.split("Những ai đã xem hồ sơ này")[1]
    assert world.member.full_name in readers and "Ứng dụng thực địa (đồng bộ)" in readers
    assert "Biểu mẫu sửa hồ sơ" in readers and "Trang hồ sơ" in readers
    assert "Phó chủ nhiệm Đào" in readers and "Danh sách trong sổ" in readers
    # A case whose id only begins like this one's is not this one.
    from webapp import audit
    assert all(r.object_id != unrelated.id for r in audit.readers_of(world.case.id, world.club.id))


def test_readers_of_matches_whole_ids_only(app, world):
    from webapp import audit

    with app.test_request_context():
        audit.record(READ, user=world.chair, club=world.club, view="book_list",
                     case_ids=[world.case.id * 10, world.case.id + 100])
        audit.record(READ, user=world.chair, club=world.club, view="book_list",
                     case_ids=[1000 + world.case.id, world.case.id, 7000])
    found = audit.readers_of(world.case.id, world.club.id)
    assert [r.details["case_ids"] for r in found] == [[1000 + world.case.id, world.case.id, 7000]]


def test_a_data_request_search_is_audited_with_the_cases_found(app, world, chair_client):
    response = chair_client.post("/desk/requests/", data={"q": world.case.full_name},
                                 follow_redirects=True)
    assert world.case.code in response.get_data(as_text=True)
    [row] = reads("requests_list")
    assert row.details["case_ids"] == [world.case.id]
    assert world.case.full_name not in json.dumps(row.details, ensure_ascii=False)
