"""Two people, one record (issue 14): one sequence of revisions whoever writes, the conflict's
`server` version, who may edit, and the board's conflicts list. Rows are counted per uuid."""
import uuid as uuid_module

import pytest

from webapp.book import cases
from webapp.models import AuditLog, Case, EntryRevision, Review, SyncConflict, Visit

from .factories import make_case, make_club, make_user, make_visit, session_for, today

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
    assert result["errors"]["revision"].startswith("Trong lúc đó đã có người sửa hồ sơ này.")


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
    # Kept for the board, never applied. No server version with it, though the registrar still
    # reads the case: an edit made from it would meet the same refusal (no Compare on the phone).
    assert result["status"] == "conflict" and "entry" in result["errors"]
    assert "server" not in result
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
    data = {"case_uuid": case.uuid, "date": today().isoformat(), "kind": "home_visit",
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


# --- 3. Decisions bound to the revision the chair saw ------------------------------------------

def visit_data(case_uuid, **changes):
    data = {"case_uuid": case_uuid, "date": today().isoformat(), "kind": "consultation",
            "topics": ["safe_migration"], "notes": "Tư vấn lần đầu"}
    data.update(changes)
    return data


def shown_revision(page):
    """The revision the entry page's decision forms carry."""
    import re

    values = set(re.findall(r'name="revision"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="revision"',
                            page))
    values = {a or b for a, b in values}
    assert len(values) == 1, values
    return int(values.pop())


def text(response):
    return response.get_data(as_text=True)


@pytest.fixture
def submitted(app, member):
    """A case the member registered, waiting for review at revision 1."""
    sent = entry("case", case_data())
    [result] = sync(phone_of(app, member), sent)
    assert result["status"] == "created"
    return Case.get(Case.uuid == sent["uuid"])


def test_approve_on_a_revision_that_moved_decides_nothing_and_shows_what_changed(
        app, chair, member, submitted):
    desk = phone_of(app, chair)
    page = text(desk.get(f"/desk/review/case/{submitted.id}"))
    assert shown_revision(page) == 1
    # Meanwhile the member's second version arrives (an entry waiting for review is not locked).
    [result] = sync(phone_of(app, member), entry("case", case_data(risk_level="high"),
                                                 uuid=submitted.uuid, revision=2, base=1))
    assert result["status"] == "updated"
    response = desk.post(f"/desk/review/case/{submitted.id}/approve", data={"revision": 1})
    assert response.status_code == 302 and "since=1" in response.location
    assert Review.select().count() == 0
    assert Case.get_by_id(submitted.id).review_status == "submitted"
    page = text(desk.get(response.location))
    assert "This entry changed since you opened it: nothing was decided." in page
    moved = page.split('id="moved"')[1].split("</table>")[0]
    assert "Risk level" in moved and "<del>Medium</del>" in moved and "<ins>High</ins>" in moved
    assert "Full name" not in moved  # only what differs
    assert shown_revision(page) == 2
    assert desk.post(f"/desk/review/case/{submitted.id}/approve",
                     data={"revision": 2}).status_code == 302
    assert [(r.revision, r.decision) for r in Review.select()] == [(2, "approved")]


def test_return_on_a_revision_that_moved_keeps_the_reason_and_decides_nothing(
        app, chair, member, submitted):
    desk = phone_of(app, chair)
    sync(phone_of(app, member), entry("case", case_data(phone="0900000009"), uuid=submitted.uuid,
                                      revision=2, base=1))
    response = desk.post(f"/desk/review/case/{submitted.id}/return",
                         data={"revision": 1, "reason": "Ghi rõ địa chỉ"})
    assert response.status_code == 409
    page = text(response)
    assert "Ghi rõ địa chỉ</textarea>" in page
    assert "0900000009" in page.split('id="moved"')[1].split("</table>")[0]
    assert Review.select().count() == 0
    assert Case.get_by_id(submitted.id).review_status == "submitted"


def test_bulk_approve_skips_what_moved_and_shows_its_changes(app, chair, member, submitted):
    desk = phone_of(app, chair)
    ready = make_visit(make_case(club=chair.club, created_by=member))
    queue = text(desk.get("/desk/review/"))
    assert f'value="case:{submitted.id}:1"' in queue and f'value="visit:{ready.id}:1"' in queue
    sync(phone_of(app, member), entry("case", case_data(birth_year=1999), uuid=submitted.uuid,
                                      revision=2, base=1))
    response = desk.post("/desk/review/approve",
                         data={"entry": [f"case:{submitted.id}:1", f"visit:{ready.id}:1"]})
    assert Visit.get_by_id(ready.id).review_status == "approved"
    assert Case.get_by_id(submitted.id).review_status == "submitted"
    assert [r.entry_uuid for r in Review.select()] == [ready.uuid]
    page = text(desk.get(response.location))
    assert "1 entry approved." in page
    moved = page.split('class="card moved"')[1].split("</table>")[0]
    assert "<del>1997</del>" in moved and "<ins>1999</ins>" in moved
    assert f'value="case:{submitted.id}:2"' in page  # ticked again, it is the new revision


def test_two_chairs_deciding_the_same_entry_make_one_decision(app, chair, member, club,
                                                             submitted):
    first, second = phone_of(app, chair), phone_of(app, make_user(club=club, role="chair"))
    assert shown_revision(text(first.get(f"/desk/review/case/{submitted.id}"))) == 1
    assert shown_revision(text(second.get(f"/desk/review/case/{submitted.id}"))) == 1
    assert first.post(f"/desk/review/case/{submitted.id}/approve",
                      data={"revision": 1}).status_code == 302
    response = second.post(f"/desk/review/case/{submitted.id}/return",
                           data={"revision": 1, "reason": "Thiếu số điện thoại"})
    assert response.status_code == 302
    told = text(second.get(response.location))
    assert f"{chair.full_name} already decided on this entry (Approved)" in told
    again = second.post(f"/desk/review/case/{submitted.id}/approve", data={"revision": 1},
                        follow_redirects=True)
    assert "already decided on this entry" in text(again)
    assert [(r.decision, r.decided_by_id) for r in Review.select()] == [("approved", chair.id)]
    assert Case.get_by_id(submitted.id).review_status == "approved"


def test_two_chairs_at_the_same_moment_make_one_decision(app, chair, club, submitted):
    """Two connections deciding at once: the row lock makes them take turns."""
    import threading

    from webapp.book import review
    from webapp.invalid import Invalid
    from webapp.db import database

    other = make_user(club=club, role="chair")
    barrier, outcomes = threading.Barrier(2), []

    def decide(by, action):
        with app.app_context(), database.connection_context():
            row = Case.get_by_id(submitted.id)
            barrier.wait()
            try:
                if action == "approve":
                    review.approve(row, by, seen=1)
                else:
                    review.return_entry(row, by, "Thiếu thông tin", seen=1)
            except Invalid as error:
                outcomes.append(("refused", error.message))
            else:
                outcomes.append(("decided", action))

    database.close()  # the test's own connection must not hold SQLite's write lock
    threads = [threading.Thread(target=decide, args=(chair, "approve")),
               threading.Thread(target=decide, args=(other, "return"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    database.connect(reuse_if_open=True)
    assert sorted(kind for kind, _detail in outcomes) == ["decided", "refused"]
    assert Review.select().where(Review.entry_uuid == submitted.uuid).count() == 1
    decided_by = Review.get(Review.entry_uuid == submitted.uuid).decided_by
    assert next(d for kind, d in outcomes if kind == "refused").startswith(str(decided_by))


# --- 4. A returned entry sent again shows what changed ------------------------------------------

def test_a_resubmitted_returned_entry_shows_its_changes_since_the_returned_revision(
        app, chair, member, registered):
    phone, desk = phone_of(app, member), phone_of(app, chair)
    sent = entry("visit", visit_data(registered.uuid))
    sync(phone, sent)
    visit = Visit.get(Visit.uuid == sent["uuid"])
    assert desk.post(f"/desk/review/visit/{visit.id}/return",
                     data={"revision": 1, "reason": "Ghi rõ nhu cầu"}).status_code == 302
    page = text(desk.get(f"/desk/review/visit/{visit.id}"))
    assert 'id="since-returned"' not in page  # nothing sent again yet
    sync(phone, entry("visit", visit_data(registered.uuid, notes="Cần hỗ trợ học nghề"),
                      uuid=sent["uuid"], revision=2, base=1))
    page = text(desk.get(f"/desk/review/visit/{visit.id}"))
    section = page.split('id="since-returned"')[1].split("</section>")[0]
    assert "What the member changed since it was returned" in section
    assert "<del>Tư vấn lần đầu</del>" in section and "<ins>Cần hỗ trợ học nghề</ins>" in section
    assert "Kind of contact" not in section and "revision 1 → 2" in section


# --- 5. The board's conflicts list -------------------------------------------------------------

DESK_FORM = {"full_name": "Phạm Thị Hoa", "sex": "female", "birth_year": "1997",
             "address": "Số 12, tổ 4", "neighbourhood": "Khu 2", "phone": "0987654321",
             "categories": ["returnee"], "risk_level": "medium", "met_how": "Khảo sát",
             "consent_follow": "y", "consent_refer": "y"}


@pytest.fixture
def kept(app, chair, member, registered):
    """The chair corrects the address at the desk while the member's phone changes the phone
    number on the old revision: the member's copy is kept as a conflict."""
    desk = phone_of(app, chair)
    assert desk.post(f"/desk/cases/{registered.id}/edit",
                     data=dict(DESK_FORM, assigned_to=str(member.id))).status_code == 302
    [result] = sync(phone_of(app, member),
                    entry("case", case_data(phone="0911222333", risk_level="high"),
                          uuid=registered.uuid, revision=2, base=1))
    assert result["status"] == "conflict"
    return SyncConflict.get(SyncConflict.uuid == registered.uuid)


def badge(page):
    import re

    found = re.search(r'class="bottomnav__count"[^>]*>(\d+)<', page)
    return int(found.group(1)) if found else 0


def test_the_chair_merges_a_kept_copy_field_by_field_into_a_new_revision(
        app, chair, member, registered, kept):
    desk = phone_of(app, chair)
    listing = text(desk.get("/desk/review/conflicts/"))
    assert badge(listing) == 1 and registered.code in listing
    assert f"/desk/review/conflicts/{kept.id}" in listing
    page = text(desk.get(f"/desk/review/conflicts/{kept.id}"))
    merge = page.split('class="card conflict-merge"')[1].split("</form>")[0]
    # Only the fields that differ, each with the kept copy beside the record now.
    assert merge.count('class="fieldset conflict-field"') == 3
    assert "0911222333" in merge and "0987654321" in merge
    assert "Tổ 4, khu 2" in merge and "Số 12, tổ 4" in merge
    assert "Full name" not in merge
    assert 'name="revision" value="2"' in merge

    response = desk.post(f"/desk/review/conflicts/{kept.id}/resolve",
                         data={"revision": 2, "take-phone": "kept", "take-risk_level": "kept",
                               "take-address": "current"})
    assert response.status_code == 302
    case = Case.get_by_id(registered.id)
    assert (case.address, case.phone, case.risk_level) == ("Số 12, tổ 4", "0911222333", "high")
    assert revisions(registered.uuid) == [(1, member.id), (2, chair.id), (3, chair.id)]
    kept = SyncConflict.get_by_id(kept.id)
    assert kept.resolved_at is not None and kept.resolved_by_id == chair.id
    assert (kept.resolution, kept.resolved_revision) == ("merged", 3)
    logged = AuditLog.get(AuditLog.action == "conflict_merged")
    assert (logged.user_id, logged.object_id, logged.details["resolved_revision"]) == (
        chair.id, kept.id, 3)
    assert badge(text(desk.get("/desk/review/conflicts/"))) == 0
    # The phone sends its copy again before it hears the outcome: answered, not kept twice.
    [again] = sync(phone_of(app, member),
                   entry("case", case_data(phone="0911222333", risk_level="high"),
                         uuid=registered.uuid, revision=2, base=1))
    assert again["status"] == "conflict" and again["server"]["revision"] == 3
    assert SyncConflict.select().where(SyncConflict.uuid == registered.uuid).count() == 1
    assert badge(text(desk.get("/desk/review/conflicts/"))) == 0

    # The member's phone learns the outcome, and bases its next edit on revision 3.
    answer = phone_of(app, member).get("/api/v1/bootstrap").get_json()
    [outcome] = answer["conflict_outcomes"]
    assert outcome["uuid"] == registered.uuid and outcome["outcome"] == "merged"
    assert outcome["revision"] == 2 and outcome["resolved_revision"] == 3
    [held] = answer["cases"]
    assert held["revision"] == 3 and held["phone"] == "0911222333"


def test_a_merge_on_a_record_that_moved_saves_nothing(app, chair, member, registered, kept):
    desk = phone_of(app, chair)
    assert desk.post(f"/desk/cases/{registered.id}/edit",
                     data=dict(DESK_FORM, assigned_to=str(member.id),
                               neighbourhood="Khu 3")).status_code == 302
    response = desk.post(f"/desk/review/conflicts/{kept.id}/resolve",
                         data={"revision": 2, "take-phone": "kept"})
    assert response.status_code == 409
    assert "The record changed since you opened this page" in text(response)
    assert 'name="revision" value="3"' in text(response)  # compare again, on revision 3
    assert SyncConflict.get_by_id(kept.id).resolved_at is None
    assert len(revisions(registered.uuid)) == 3
    # Nothing taken from the copy: not a merge.
    response = desk.post(f"/desk/review/conflicts/{kept.id}/resolve", data={"revision": 3})
    assert response.status_code == 409 and "Choose at least one field" in text(response)
    assert len(revisions(registered.uuid)) == 3


def test_dismissed_with_a_reason_the_copy_stays_readable_until_the_case_is_erased(
        app, chair, member, registered, kept):
    desk = phone_of(app, chair)
    response = desk.post(f"/desk/review/conflicts/{kept.id}/dismiss", data={"reason": "  "})
    assert response.status_code == 400 and "Write why the copy is dismissed" in text(response)
    assert SyncConflict.get_by_id(kept.id).resolved_at is None
    response = desk.post(f"/desk/review/conflicts/{kept.id}/dismiss",
                         data={"reason": "Số điện thoại cũ, đã xác minh lại"})
    assert response.status_code == 302
    kept = SyncConflict.get_by_id(kept.id)
    assert (kept.resolution, kept.resolved_by_id, kept.reason) == (
        "dismissed", chair.id, "Số điện thoại cũ, đã xác minh lại")
    assert Case.get_by_id(registered.id).phone == "0987654321"
    assert len(revisions(registered.uuid)) == 2
    logged = AuditLog.get(AuditLog.action == "conflict_dismissed")
    assert "Số điện thoại" not in str(logged.details)  # the reason is a note: not in the log

    [outcome] = phone_of(app, member).get("/api/v1/bootstrap").get_json()["conflict_outcomes"]
    assert (outcome["outcome"], outcome["reason"]) == ("dismissed",
                                                      "Số điện thoại cũ, đã xác minh lại")
    # Still readable by the board, in full.
    assert "/desk/review/conflicts/" + str(kept.id) not in text(desk.get("/desk/review/conflicts/"))
    resolved = text(desk.get("/desk/review/conflicts/?state=resolved"))
    assert f"/desk/review/conflicts/{kept.id}" in resolved
    page = text(desk.get(f"/desk/review/conflicts/{kept.id}"))
    assert "0911222333" in page and "Số điện thoại cũ, đã xác minh lại" in page
    assert 'conflict-merge' not in page
    # Gone with the person's erasure.
    cases.erase(Case.get_by_id(registered.id), chair)
    assert desk.get(f"/desk/review/conflicts/{kept.id}").status_code == 404
    assert f"/desk/review/conflicts/{kept.id}" not in text(
        desk.get("/desk/review/conflicts/?state=resolved"))
    assert SyncConflict.get_by_id(kept.id).reason == ""
    assert phone_of(app, member).get("/api/v1/bootstrap").get_json()["conflict_outcomes"] == []


def test_two_chairs_resolving_one_conflict_one_is_told(app, chair, club, kept):
    first, second = phone_of(app, chair), phone_of(app, make_user(club=club, role="chair"))
    assert first.post(f"/desk/review/conflicts/{kept.id}/dismiss",
                      data={"reason": "Trùng"}).status_code == 302
    response = second.post(f"/desk/review/conflicts/{kept.id}/resolve",
                           data={"revision": 2, "take-phone": "kept"})
    assert response.status_code == 409
    assert f"{chair.full_name} already resolved this conflict" in text(response)
    assert Case.get(Case.uuid == kept.uuid).phone == "0987654321"
    assert AuditLog.select().where(AuditLog.action.startswith("conflict_")).count() == 1


def test_another_clubs_chair_sees_no_conflict(app, kept):
    stranger = phone_of(app, make_user(club=make_club(), role="chair"))
    assert "conflicts/" + str(kept.id) not in text(stranger.get("/desk/review/conflicts/"))
    assert stranger.get(f"/desk/review/conflicts/{kept.id}").status_code == 404
    assert stranger.post(f"/desk/review/conflicts/{kept.id}/dismiss",
                         data={"reason": "x"}).status_code == 404
    assert stranger.post(f"/desk/review/conflicts/{kept.id}/resolve",
                         data={"revision": 2, "take-phone": "kept"}).status_code == 404
    assert SyncConflict.get_by_id(kept.id).resolved_at is None


def test_a_desk_edit_on_a_revision_that_moved_is_kept_as_a_conflict_not_written(
        app, chair, member, submitted):
    desk = phone_of(app, chair)
    form_page = text(desk.get(f"/desk/cases/{submitted.id}/edit"))
    assert 'name="base_revision" value="1"' in form_page
    # While the chair types, the member's correction arrives from the phone.
    [result] = sync(phone_of(app, member), entry("case", case_data(phone="0933444555"),
                                                 uuid=submitted.uuid, revision=2, base=1))
    assert result["status"] == "updated"
    response = desk.post(f"/desk/cases/{submitted.id}/edit",
                         data=dict(DESK_FORM, assigned_to=str(member.id), base_revision="1"))
    kept = SyncConflict.get(SyncConflict.uuid == submitted.uuid)
    assert response.status_code == 302
    assert response.location.endswith(f"/desk/review/conflicts/{kept.id}")
    assert (kept.user_id, kept.revision, kept.base_revision) == (chair.id, 2, 1)
    assert revisions(submitted.uuid) == [(1, member.id), (2, member.id)]
    case = Case.get_by_id(submitted.id)
    assert (case.address, case.phone) == ("Tổ 4, khu 2", "0933444555")  # nothing overwritten
    page = text(desk.get(response.location))
    assert "Someone changed this record while you were editing it" in page
    merge = page.split('class="card conflict-merge"')[1].split("</form>")[0]
    assert "Số 12, tổ 4" in merge and "0933444555" in merge  # each side's change, side by side
    assert desk.post(f"/desk/review/conflicts/{kept.id}/resolve",
                     data={"revision": 2, "take-address": "kept"}).status_code == 302
    case = Case.get_by_id(submitted.id)
    assert (case.address, case.phone) == ("Số 12, tổ 4", "0933444555")
    assert revisions(submitted.uuid) == [(1, member.id), (2, member.id), (3, chair.id)]
