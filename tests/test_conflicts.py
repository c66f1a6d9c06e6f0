"""Two people, one record (issue 14): one sequence of revisions whoever writes, the conflict's
`server` version, who may edit, and the board's conflicts list. Rows are counted per uuid."""
import uuid as uuid_module

import pytest

from webapp.book import cases, fields
from webapp.models import AuditLog, Case, EntryRevision, Review, SyncConflict, Visit

from .factories import make_case, make_club, make_user, make_visit, session_for

TODAY = fields.local_today()
CHANGED = "Someone changed this record meanwhile."


def new_uuid():
    return str(uuid_module.uuid4())


def case_data(**changes):
    data = {"full_name": "Phạm Thị Hoa", "sex": "female", "birth_year": 1997,
            "address": "Tổ 4, khu 2", "neighbourhood": "Khu 2", "phone": "0987654321",
            "categories": ["returnee"], "risk_level": "medium", "met_how": "Khảo sát",
            "consent": {"follow": True, "refer": True, "share": False}}
    data.update(changes)
    return data


def entry(entry_type, data, uuid=None, revision=1, base=None):
    body = {"uuid": uuid or new_uuid(), "type": entry_type, "revision": revision, "data": data}
    if base is not None:
        body["base_revision"] = base
    return body


def phone_of(app, user):
    """A test client logged in as `user`, answering in English."""
    client = app.test_client()
    client.set_cookie("sotd_lang", "en")
    return session_for(client, user)


def sync(client, *entries):
    response = client.post("/api/v1/sync", json={"entries": list(entries)})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"]


def revisions(uuid):
    """[(revision, submitter id)] the server holds for `uuid`."""
    return [(r.revision, r.submitted_by_id) for r in EntryRevision.select()
            .where(EntryRevision.uuid == uuid).order_by(EntryRevision.revision)]


@pytest.fixture
def club(app):
    return make_club()


@pytest.fixture
def chair(club):
    return make_user(club=club, role="chair")


@pytest.fixture
def member(club):
    return make_user(club=club)


@pytest.fixture
def registered(app, member):
    """A case the member registered from the phone (revision 1), approved by the chair."""
    sent = entry("case", case_data())
    [result] = sync(phone_of(app, member), sent)
    assert result["status"] == "created"
    Case.update(review_status="approved").where(Case.uuid == sent["uuid"]).execute()
    return Case.get(Case.uuid == sent["uuid"])


# --- 1. One sequence of revisions, and the server's version in a conflict ----------------------

def test_a_desk_edit_and_a_phone_edit_on_one_base_meet_as_a_conflict(app, chair, member,
                                                                      registered):
    desk = phone_of(app, chair)
    form = {"full_name": "Phạm Thị Hoa", "sex": "female", "birth_year": "1997",
            "address": "Số 12, tổ 4 (địa chỉ đúng)", "neighbourhood": "Khu 2",
            "phone": "0987654321", "categories": ["returnee"], "risk_level": "medium",
            "met_how": "Khảo sát", "consent_follow": "y", "consent_refer": "y",
            "assigned_to": str(member.id)}
    assert desk.post(f"/desk/cases/{registered.id}/edit", data=form).status_code == 302
    assert revisions(registered.uuid) == [(1, member.id), (2, chair.id)]

    phone = phone_of(app, member)
    stale = entry("case", case_data(phone="0911111111"), uuid=registered.uuid, revision=2,
                  base=1)
    [result] = sync(phone, stale)
    assert result["status"] == "conflict" and result["revision"] == 2
    assert result["errors"]["revision"].startswith(CHANGED)
    assert result["server"]["revision"] == 2
    assert result["server"]["data"]["address"] == "Số 12, tổ 4 (địa chỉ đúng)"
    assert result["server"]["data"]["phone"] == "0987654321"
    # Nothing is overwritten, the member's copy is kept, and the revision numbers stay one line.
    assert Case.get_by_id(registered.id).address == "Số 12, tổ 4 (địa chỉ đúng)"
    assert SyncConflict.get(SyncConflict.uuid == registered.uuid).data["phone"] == "0911111111"
    assert revisions(registered.uuid) == [(1, member.id), (2, chair.id)]

    # The phone mixes the two (the chair's address, the member's phone) as the next revision.
    mixed = dict(result["server"]["data"], phone="0911111111")
    [result] = sync(phone, entry("case", mixed, uuid=registered.uuid, revision=3, base=2))
    assert result["status"] == "updated" and result["revision"] == 3
    assert revisions(registered.uuid) == [(1, member.id), (2, chair.id), (3, member.id)]
    case = Case.get_by_id(registered.id)
    # An approved case: the member's edit is an amendment waiting for review.
    assert case.amendment_revision == 3 and case.amendment_status == "submitted"


def test_a_chair_in_the_field_app_takes_the_next_number_too(app, chair, member, registered):
    chair_phone, member_phone = phone_of(app, chair), phone_of(app, member)
    [first] = sync(chair_phone, entry("case", case_data(risk_level="high"), uuid=registered.uuid,
                                      revision=2, base=1))
    assert first["status"] == "updated"
    assert Case.get_by_id(registered.id).risk_level == "high"  # the board's edit counts at once
    [second] = sync(member_phone, entry("case", case_data(risk_level="low"), uuid=registered.uuid,
                                        revision=2, base=1))
    assert second["status"] == "conflict"
    assert second["server"] == {"revision": 2, "data": case_data(risk_level="high")}
    # The same stale edit sent again is kept once.
    sync(member_phone, entry("case", case_data(risk_level="low"), uuid=registered.uuid,
                             revision=2, base=1))
    assert SyncConflict.select().where(SyncConflict.uuid == registered.uuid).count() == 1
    assert revisions(registered.uuid) == [(1, member.id), (2, chair.id)]


def test_a_conflict_on_a_record_the_member_may_no_longer_read_carries_no_server_part(
        app, chair, member, club):
    case = make_case(club=club, created_by=chair, assigned_to=member, review_status="submitted")
    EntryRevision.create(entry_type="case", uuid=case.uuid, revision=1, data=case_data(),
                         submitted_by=chair)
    phone = phone_of(app, member)
    [result] = sync(phone, entry("case", case_data(), uuid=case.uuid, revision=2, base=1))
    assert result["status"] == "updated"
    # While the phone is offline with a second edit, the case passes to another member.
    cases.assign(case, make_user(club=club), chair)
    [result] = sync(phone, entry("case", case_data(address="Bản sửa trên máy"), uuid=case.uuid,
                                 revision=3, base=2))
    assert result["status"] == "conflict"
    assert "server" not in result
    assert "entry" in result["errors"]
    assert Case.get_by_id(case.id).address == "Tổ 4, khu 2"
    assert SyncConflict.get(SyncConflict.uuid == case.uuid).data["address"] == "Bản sửa trên máy"
    assert revisions(case.uuid) == [(1, chair.id), (2, member.id)]


def test_conflict_wording_in_vietnamese(app, member, registered):
    phone = phone_of(app, member)
    phone.set_cookie("sotd_lang", "vi")
    sync(phone, entry("case", case_data(phone="0900000001"), uuid=registered.uuid, revision=2,
                      base=1))
    [result] = sync(phone, entry("case", case_data(phone="0900000002"), uuid=registered.uuid,
                                 revision=2, base=1))
    assert result["status"] == "conflict"
    assert result["errors"]["revision"].startswith("Có người đã sửa mục này trong lúc đó.")


# --- 2. Who may edit a case, a visit ----------------------------------------------------------

def test_the_member_a_case_is_assigned_to_may_correct_it(app, chair, member, club):
    case = make_case(club=club, created_by=chair, assigned_to=member)
    [result] = sync(phone_of(app, member), entry("case", case_data(), uuid=case.uuid,
                                                 revision=2, base=1))
    assert result["status"] == "updated"
    assert Case.get_by_id(case.id).amendment_revision == 2  # approved case: an amendment


def test_the_registrar_may_edit_until_the_case_is_assigned_to_someone_else(app, chair, member,
                                                                         club, registered):
    phone = phone_of(app, member)
    [result] = sync(phone, entry("case", case_data(), uuid=registered.uuid, revision=2, base=1))
    assert result["status"] == "updated"
    cases.assign(registered, make_user(club=club), chair)
    [result] = sync(phone, entry("case", case_data(address="Sau khi giao"), uuid=registered.uuid,
                                 revision=3, base=2))
    # Kept for the board, never applied; the registrar still reads the case, so sees its version.
    assert result["status"] == "conflict" and "entry" in result["errors"]
    assert result["server"]["revision"] == 2
    assert revisions(registered.uuid) == [(1, member.id), (2, member.id)]


def test_another_member_may_not_edit_the_case(app, member, club, registered):
    for outsider in (make_user(club=club), make_user(club=make_club())):
        [result] = sync(phone_of(app, outsider),
                        entry("case", case_data(full_name="Khác"), uuid=registered.uuid,
                              revision=2, base=1))
        assert result["status"] == "invalid" and "uuid" in result["errors"]
        assert "server" not in result
    assert Case.get_by_id(registered.id).full_name == "Phạm Thị Hoa"
    assert SyncConflict.select().count() == 0


def test_a_visit_is_edited_by_its_maker_and_the_chair_only(app, chair, member, club):
    case = make_case(club=club, created_by=member)
    visit = make_visit(case, created_by=member)
    data = {"case_uuid": case.uuid, "date": TODAY.isoformat(), "kind": "home_visit",
            "topics": ["safe_migration"], "notes": "Bản của người ghi"}
    EntryRevision.create(entry_type="visit", uuid=visit.uuid, revision=1, data=data,
                         submitted_by=member)
    colleague = make_user(club=club)
    Case.update(assigned_to=colleague).where(Case.id == case.id).execute()
    [refused] = sync(phone_of(app, colleague),
                     entry("visit", dict(data, notes="Người khác"), uuid=visit.uuid,
                           revision=2, base=1))
    assert refused["status"] == "invalid"
    assert Visit.get_by_id(visit.id).notes == ""
    [result] = sync(phone_of(app, chair), entry("visit", dict(data, notes="Chủ nhiệm sửa"),
                                                uuid=visit.uuid, revision=2, base=1))
    assert result["status"] == "updated"
    assert Visit.get_by_id(visit.id).notes == "Chủ nhiệm sửa"
    assert Review.get(Review.entry_uuid == visit.uuid).decision == "self_approved"
