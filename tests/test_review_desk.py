"""The review desk over HTTP (webapp/blueprints/review.py): queue, entry page, decisions, who may."""
import re
import uuid as uuid_module

import pytest

from webapp.book import entries, review
from webapp.models import AuditLog, Case, EntryRevision, Review, Visit

from .factories import login_as, make_case, make_club, make_user, make_visit, today



def sent(row, revision, data, user):
    return EntryRevision.create(entry_type=entries.type_of(row).name, uuid=row.uuid, revision=revision,
                                data=data, submitted_by=user)


def sync(client, *entries):
    response = client.post("/api/v1/sync", json={"entries": list(entries)})
    assert response.status_code == 200, response.get_data(as_text=True)
    results = response.get_json()["results"]
    assert all(r["status"] in ("created", "updated") for r in results), results
    return results


def entry(entry_type, data, uuid=None, revision=1, base=None):
    body = {"uuid": uuid or str(uuid_module.uuid4()), "type": entry_type, "revision": revision,
            "data": data}
    if base:
        body["base_revision"] = base
    return body


def case_data(**changes):
    data = {"full_name": "Vũ Thị Hạnh", "sex": "female", "birth_year": 2001,
            "categories": ["labour_migrant"], "risk_level": "high",
            "consent": {"follow": True, "refer": False, "share": False}}
    data.update(changes)
    return data


def visit_data(case_uuid, **changes):
    data = {"case_uuid": case_uuid, "date": today().isoformat(), "kind": "consultation",
            "topics": ["legal_labour_export"], "notes": "Tư vấn đi làm việc ở nước ngoài"}
    data.update(changes)
    return data


@pytest.fixture
def visit(member):
    case = make_case(created_by=member)
    row = make_visit(case, notes="Tư vấn di cư an toàn")
    sent(row, 1, {"case_uuid": case.uuid, "date": row.date.isoformat(), "kind": "home_visit",
                  "notes": "Tư vấn di cư an toàn"}, member)
    return row


def text(response):
    return response.get_data(as_text=True)


def test_the_queue_lists_waiting_entries_with_a_count_in_the_navigation(client, chair, member,
                                                                         visit):
    case = make_case(created_by=member, review_status="submitted")
    login_as(client, chair)
    page = client.get("/desk/review/")
    assert page.status_code == 200
    body = text(page)
    assert "Mục chờ phê duyệt" in body
    assert f'value="visit:{visit.id}:1"' in body and f'value="case:{case.id}:1"' in body
    assert re.search(r'class="bottomnav__count"[^>]*>2<', body)
    assert text(client.get("/desk/review/?kind=case")).count('name="entry"') == 1
    assert text(client.get(f"/desk/review/?member={chair.id}")).count('name="entry"') == 0


def test_a_member_cannot_see_the_queue_or_decide(client, member, visit):
    login_as(client, member)
    assert client.get("/desk/review/").status_code == 403
    assert client.get(f"/desk/review/visit/{visit.id}").status_code == 403
    assert client.post(f"/desk/review/visit/{visit.id}/approve").status_code == 403
    assert client.post(f"/desk/review/visit/{visit.id}/return",
                       data={"reason": "x"}).status_code == 403
    assert client.post("/desk/review/approve", data={"entry": f"visit:{visit.id}"}).status_code == 403
    assert Visit.get_by_id(visit.id).review_status == "submitted"
    assert Review.select().count() == 0
    assert "bottomnav__count" not in text(client.get("/"))


def test_a_chair_of_another_club_sees_nothing_and_decides_nothing(client, visit):
    stranger = make_user(club=make_club(), role="chair")
    login_as(client, stranger)
    queue = text(client.get("/desk/review/"))
    assert f"visit:{visit.id}" not in queue and "Tư vấn" not in queue
    assert client.get(f"/desk/review/visit/{visit.id}").status_code == 404
    assert client.get(f"/desk/review/case/{visit.case.id}").status_code == 404
    assert client.post(f"/desk/review/visit/{visit.id}/approve").status_code == 404
    assert client.post(f"/desk/review/visit/{visit.id}/return",
                       data={"reason": "x"}).status_code == 404
    client.post("/desk/review/approve", data={"entry": f"visit:{visit.id}"})
    assert Visit.get_by_id(visit.id).review_status == "submitted"
    assert Review.select().count() == 0
    assert client.get("/desk/review/nonsense/1").status_code == 404


def test_the_entry_page_shows_it_in_full_with_its_case(client, chair, visit):
    login_as(client, chair)
    body = text(client.get(f"/desk/review/visit/{visit.id}"))
    assert visit.case.code in body and visit.case.full_name in body
    assert "Tư vấn di cư an toàn" in body
    assert visit.date.strftime("%d/%m/%Y") in body
    assert "Trả lại cho thành viên" in body and "Duyệt" in body
    viewed = AuditLog.get(AuditLog.action == "case_viewed")
    assert (viewed.object_id, viewed.user_id, viewed.details) == (
        visit.case.id, chair.id, {"code": visit.case.code, "via": "review"})
    # The case's page in the book leads to each entry's review history.
    case_page = text(client.get(f"/desk/cases/{visit.case.id}"))
    assert f"/desk/review/visit/{visit.id}" in case_page


def test_approve_from_the_entry_page(client, chair, visit):
    login_as(client, chair)
    response = client.post(f"/desk/review/visit/{visit.id}/approve", data={"revision": 1})
    assert response.status_code == 302
    assert Visit.get_by_id(visit.id).review_status == "approved"
    assert AuditLog.select().where(AuditLog.action == "review_approved").count() == 1
    assert "Đã duyệt" in text(client.get(response.location))


def test_return_without_a_reason_is_refused_in_vietnamese(client, chair, visit):
    login_as(client, chair)
    response = client.post(f"/desk/review/visit/{visit.id}/return", data={"reason": "  "})
    assert response.status_code == 400
    assert "Hãy ghi lý do trả lại" in text(response)
    assert Visit.get_by_id(visit.id).review_status == "submitted"
    assert Review.select().count() == 0


def test_return_with_a_reason_then_the_trail_shows_it(client, chair, member, visit):
    login_as(client, chair)
    response = client.post(f"/desk/review/visit/{visit.id}/return",
                           data={"reason": "Ghi rõ nhu cầu hỗ trợ", "revision": 1})
    assert response.status_code == 302
    assert Visit.get_by_id(visit.id).review_status == "returned"
    [returned] = review.returned_for(member)
    assert returned["reason"] == "Ghi rõ nhu cầu hỗ trợ"
    body = text(client.get(f"/desk/review/visit/{visit.id}"))
    assert "Ghi rõ nhu cầu hỗ trợ" in body and "Đã trả lại" in body
    assert "Trả lại cho thành viên" not in body  # nothing to decide now


def test_batch_approve_from_the_queue(client, chair, member, visit):
    other = make_visit(make_case(created_by=member))
    waiting = make_visit(make_case(created_by=member, review_status="submitted"))
    login_as(client, chair)
    response = client.post("/desk/review/approve", data={
        "entry": [f"visit:{visit.id}:1", f"visit:{other.id}:1", f"visit:{waiting.id}:1", "bogus",
                  f"visit:{other.id}"]})
    assert response.status_code == 302
    assert Visit.get_by_id(visit.id).review_status == "approved"
    assert Visit.get_by_id(other.id).review_status == "approved"
    assert Visit.get_by_id(waiting.id).review_status == "submitted"
    body = text(client.get(response.location))
    assert "Đã duyệt 2 mục." in body
    assert "hãy duyệt hồ sơ trước" in body
    assert f'value="visit:{waiting.id}:1" id="entry-visit-{waiting.id}" disabled' in body


def test_approve_a_visit_of_a_case_not_yet_approved_is_refused(client, chair, member):
    case = make_case(created_by=member, review_status="submitted")
    waiting = make_visit(case)
    login_as(client, chair)
    body = text(client.get(f"/desk/review/visit/{waiting.id}"))
    assert "Mục này đang chờ hồ sơ đối tượng được duyệt" in body
    response = client.post(f"/desk/review/visit/{waiting.id}/approve", data={"revision": 1},
                           follow_redirects=True)
    assert "hãy duyệt hồ sơ trước" in text(response)
    assert Visit.get_by_id(waiting.id).review_status == "submitted"
    case_page = text(client.get(f"/desk/review/case/{case.id}"))
    assert "không bị mất" in case_page  # what happens to its visits if returned


def test_an_amendment_shows_what_changed_field_by_field(app, client, chair, member):
    phone = app.test_client()
    login_as(phone, member)
    case = entry("case", case_data())
    sync(phone, case)
    row = Case.get(Case.uuid == case["uuid"])
    review.approve(row, chair)
    sync(phone, entry("case", case_data(risk_level="medium", phone="0912345678"),
                      uuid=case["uuid"], revision=2, base=1))
    login_as(client, chair)
    body = text(client.get(f"/desk/review/case/{row.id}"))
    assert "Nội dung sửa đổi" in body and "Có sửa đổi chờ duyệt" in body
    changes = body.split("Nội dung sửa đổi")[1].split("</table>")[0]
    assert "Mức độ nguy cơ" in changes and "<del>Cao</del>" in changes
    assert "<ins>Trung bình</ins>" in changes and "0912345678" in changes
    assert "Họ và tên" not in changes  # unchanged fields are not listed
    assert "Sửa đổi" in text(client.get("/desk/review/?kind=amendment"))
    # Until approved, the approved version counts, on the desk too.
    assert Case.get_by_id(row.id).risk_level == "high"
    client.post(f"/desk/review/case/{row.id}/approve", data={"revision": 2})
    assert Case.get_by_id(row.id).risk_level == "medium"


def test_self_approved_entries_are_marked_on_the_desk(app, client, chair):
    login_as(client, chair)
    case = entry("case", case_data())
    sync(client, case)
    row = Case.get(Case.uuid == case["uuid"])
    assert row.review_status == "approved"
    assert "Không có mục nào chờ phê duyệt" in text(client.get("/desk/review/"))
    body = text(client.get(f"/desk/review/case/{row.id}"))
    assert body.count("Tự phê duyệt khi gửi (Ban chủ nhiệm)") == 2  # the mark, and the trail


def test_the_whole_loop_submit_return_fix_resubmit_approve(app, client, chair, member):
    phone = app.test_client()
    login_as(phone, member)
    case = entry("case", case_data())
    first = entry("visit", visit_data(case["uuid"]))
    second = entry("visit", visit_data(case["uuid"], kind="phone_call"))
    sync(phone, case, first, second)

    login_as(client, chair)
    assert text(client.get("/desk/review/")).count('name="entry"') == 3
    case_id = Case.get(Case.uuid == case["uuid"]).id
    first_id = Visit.get(Visit.uuid == first["uuid"]).id
    second_id = Visit.get(Visit.uuid == second["uuid"]).id
    client.post(f"/desk/review/case/{case_id}/approve", data={"revision": 1})
    client.post(f"/desk/review/visit/{first_id}/return",
                data={"reason": "Ghi rõ gia đình có đồng ý cho đi không", "revision": 1})
    client.post("/desk/review/approve", data={"entry": f"visit:{second_id}:1"})

    [returned] = phone.get("/api/v1/bootstrap").get_json()["returned"]
    assert (returned["uuid"], returned["type"], returned["revision"]) == (first["uuid"], "visit", 1)
    assert returned["reason"] == "Ghi rõ gia đình có đồng ý cho đi không"
    fixed = dict(returned["data"], notes="Gia đình đồng ý, đã hướng dẫn hồ sơ")
    sync(phone, entry("visit", fixed, uuid=first["uuid"], revision=2, base=1))
    assert phone.get("/api/v1/bootstrap").get_json()["returned"] == []

    queue = text(client.get("/desk/review/"))
    assert queue.count('name="entry"') == 1 and f"visit:{first_id}" in queue
    client.post(f"/desk/review/visit/{first_id}/approve", data={"revision": 2})
    assert {v.review_status for v in Visit.select()} == {"approved"}
    assert Visit.get_by_id(first_id).notes == "Gia đình đồng ý, đã hướng dẫn hồ sơ"

    trail = text(client.get(f"/desk/review/visit/{first_id}")).split("Quá trình xử lý")[1]
    assert [m for m in re.findall(r"Đã gửi|Đã trả lại|Đã phê duyệt", trail)] == [
        "Đã gửi", "Đã trả lại", "Đã gửi", "Đã phê duyệt"]
    assert "Ghi rõ gia đình có đồng ý cho đi không" in trail
    actions = [a.action for a in AuditLog.select().where(AuditLog.action.startswith("review_"))
               .order_by(AuditLog.id)]
    assert actions == ["review_approved", "review_returned", "review_approved", "review_approved"]
    assert all(a.user_id == chair.id and a.club_id == chair.club_id
               for a in AuditLog.select().where(AuditLog.action.startswith("review_")))
    assert [r.decision for r in Review.select().where(Review.entry_uuid == first["uuid"])
            .order_by(Review.id)] == ["returned", "approved"]


def test_another_clubs_chair_cannot_decide_by_id_through_the_batch_either(client, member):
    case = make_case(created_by=member, review_status="submitted")
    stranger = make_user(club=make_club(), role="chair")
    login_as(client, stranger)
    client.post("/desk/review/approve", data={"entry": [f"case:{case.id}:1"]})
    assert Case.get_by_id(case.id).review_status == "submitted"
    assert Review.select().count() == 0
    assert not AuditLog.select().where(AuditLog.action.startswith("review_")).exists()


def test_decisions_need_the_csrf_token(csrf_app, visit):
    client = csrf_app.test_client()
    chair = make_user(club=visit.club, role="chair")
    page = client.get("/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text(page))
    client.post("/login", data={"login": chair.login, "password": "correct-horse-9",
                                "csrf_token": token.group(1) if token else ""})
    assert client.post(f"/desk/review/visit/{visit.id}/approve").status_code == 400
    assert Visit.get_by_id(visit.id).review_status == "submitted"


def test_bootstrap_gives_the_revision_to_base_the_next_edit_on(app, chair, member):
    phone = app.test_client()
    login_as(phone, member)
    case = entry("case", case_data())
    sync(phone, case)
    review.approve(Case.get(Case.uuid == case["uuid"]), chair)
    sync(phone, entry("case", case_data(phone="0912345678"), uuid=case["uuid"], revision=2, base=1))
    [held] = phone.get("/api/v1/bootstrap").get_json()["cases"]
    # The sender's copy is their own amendment, waiting: its revision and its data, one version.
    assert (held["revision"], held["phone"], held["amendment_status"]) == (
        2, "0912345678", "submitted")
    # Anyone else's is the version the book counts: an edit of it meets the amendment.
    desk = app.test_client()
    login_as(desk, chair)
    [counted] = desk.get("/api/v1/bootstrap").get_json()["cases"]
    assert (counted["revision"], counted["phone"], counted["amendment_status"]) == (1, "", None)
    sync(phone, entry("case", case_data(phone="0987654321"), uuid=case["uuid"], revision=3,
                      base=held["revision"]))
    assert Case.get(Case.uuid == case["uuid"]).amendment_revision == 3


def test_the_senders_copy_of_an_amendment_shows_the_boards_changes_meanwhile(app, chair, member):
    from webapp.book import cases

    phone = app.test_client()
    login_as(phone, member)
    case = entry("case", case_data(consent={"follow": True, "refer": False, "share": False}))
    sync(phone, case)
    review.approve(Case.get(Case.uuid == case["uuid"]), chair)
    sync(phone, entry("case", case_data(consent={"follow": True, "refer": True, "share": False}),
                      uuid=case["uuid"], revision=2, base=1))
    # The person withdraws consent to be followed, at the desk, before the amendment is decided.
    cases.set_consent(Case.get(Case.uuid == case["uuid"]), "follow", False, chair)
    [held] = phone.get("/api/v1/bootstrap").get_json()["cases"]
    # The member's copy: their amendment (refer) over what the case holds now (follow withdrawn).
    assert held["revision"] == 2
    assert held["consent"] == {"follow": False, "refer": True, "share": False}
    # Returned, it is still theirs to fix: the copy stays their amendment.
    review.return_entry(Case.get(Case.uuid == case["uuid"]), chair, "Ghi rõ ngày đồng ý", seen=2)
    [held] = phone.get("/api/v1/bootstrap").get_json()["cases"]
    assert (held["revision"], held["amendment_status"]) == (2, "returned")
    assert held["consent"]["refer"] is True


def test_a_long_queue_is_shown_a_page_at_a_time_oldest_first(client, chair, member):
    from webapp.blueprints.review import PER_PAGE

    case = make_case(created_by=member, review_status="approved")
    visits = [make_visit(case, notes=f"Lượt {n}") for n in range(PER_PAGE + 7)]
    login_as(client, chair)
    first = text(client.get(f"/desk/review/?member={member.id}"))
    assert f"{PER_PAGE + 7} mục đang chờ phê duyệt" in first
    assert first.count('name="entry"') == PER_PAGE
    assert f'value="visit:{visits[0].id}:1"' in first
    assert f'value="visit:{visits[-1].id}:1"' not in first
    assert f'href="/desk/review/?page=2&amp;member={member.id}"' in first  # the filter is kept
    second = text(client.get(f"/desk/review/?member={member.id}&page=2"))
    assert second.count('name="entry"') == 7 and f'value="visit:{visits[-1].id}:1"' in second
    assert "?page=3" not in second and "?page=1" in second


# --- what an entry waits for, said once: the queue's badge, the entry page, the refusal ---------

def _item(body, entry_type, row_id):
    """The queue's list item of one entry."""
    found = re.search(r'<li class="list__item review-item">(?:(?!</li>).)*value="%s:%d:\d+"'
                      r'(?:(?!</li>).)*</li>' % (entry_type, row_id), body, re.S)
    assert found, f"{entry_type} {row_id} not in the queue"
    return found.group(0)


def test_a_referral_waiting_for_consent_says_so_in_the_queue_with_what_to_do(client, chair,
                                                                             member):
    """A referral sent with the person's consent, recorded in an amendment of the approved case,
    waits for that amendment; once the chair returns the amendment (the form is not signed), it
    waits for the person's consent. The queue said it "waits for its case to be approved" — the
    case is approved: nothing there tells the chair what to do. Its badge now says what it waits
    for, with what the chair can do, and its page leads to the case's consent; a visit of a case
    not yet approved still waits for its case."""
    login_as(client, member)
    [registered] = sync(client, entry("case", case_data()))
    case = Case.get_by_id(registered["id"])
    review.approve(case, chair)
    consent = entry("case", case_data(consent={"follow": True, "refer": True, "share": False}),
                    uuid=case.uuid, revision=2, base=1)
    _, sent_referral = sync(client, consent, entry("referral", {
        "case_uuid": case.uuid, "service_kind": "legal_aid", "provider": "Trung tâm TGPL",
        "referred_on": today().isoformat()}))
    [new_case] = sync(client, entry("case", case_data(full_name="Đỗ Thị Mới")))
    [visit] = sync(client, entry("visit", visit_data(Case.get_by_id(new_case["id"]).uuid)))
    referral_id = sent_referral["id"]

    client = client.application.test_client()
    login_as(client, chair)
    item = _item(text(client.get("/desk/review/")), "referral", referral_id)
    assert "Chờ duyệt sự đồng ý trong bản sửa đổi hồ sơ" in item
    assert "Hãy duyệt bản sửa đổi hồ sơ trước." in item

    review.return_entry(Case.get_by_id(case.id), chair, "Chưa có chữ ký đồng ý chuyển gửi")
    body = text(client.get("/desk/review/"))
    item = _item(body, "referral", referral_id)
    assert "Chờ người này đồng ý được chuyển gửi" in item
    assert "Ghi sự đồng ý vào hồ sơ, hoặc trả lại chuyển gửi." in item
    assert "Chờ duyệt hồ sơ đối tượng" not in item  # its case is approved
    assert "disabled" in item  # not ticked for a bulk approval
    assert "Chờ duyệt hồ sơ đối tượng" in _item(body, "visit", visit["id"])

    page = text(client.get(f"/desk/review/referral/{referral_id}"))
    assert "Người này chưa đồng ý được chuyển gửi" in page
    assert f'href="/desk/cases/{case.id}#consent"' in page
    assert f'action="/desk/review/referral/{referral_id}/approve"' not in page
    assert 'id="consent"' in text(client.get(f"/desk/cases/{case.id}"))
    refused = client.post(f"/desk/review/referral/{referral_id}/approve", data={"revision": 1},
                          follow_redirects=True)
    assert "Người này chưa đồng ý được chuyển gửi" in text(refused)
