"""The sync contract v1 at the API (DESIGN.md §4), counting rows per uuid."""
import json
import threading
import uuid as uuid_module

import pytest
from werkzeug.serving import make_server

from webapp.book import review
from webapp.db import utcnow
from webapp.invalid import Invalid
from webapp.models import (
    Appointment, Attendance, Case, Consent, EntryRevision, Referral, Review, SyncConflict, Visit,
)

from .factories import login_as, make_case, make_club, make_user, today



def new_uuid():
    return str(uuid_module.uuid4())


def case_entry(uuid=None, revision=1, **data):
    body = {"full_name": "Nguyễn Thị Lan", "sex": "female", "birth_year": 1998,
            "address": "Tổ 3", "neighbourhood": "Khu 5", "phone": "0912345678",
            "categories": ["at_risk"], "risk_level": "medium", "met_how": "Buổi truyền thông",
            "consent": {"follow": True, "refer": True, "share": False}}
    body.update(data)
    return {"uuid": uuid or new_uuid(), "type": "case", "revision": revision, "data": body,
            "client_created_at": "2026-05-01T08:00:00+07:00"}


def visit_entry(case_uuid, uuid=None, revision=1, **data):
    body = {"case_uuid": case_uuid, "date": today().isoformat(), "kind": "home_visit",
            "topics": ["safe_migration"], "notes": "Đã tư vấn", "needs": [],
            "members_present": []}
    body.update(data)
    return {"uuid": uuid or new_uuid(), "type": "visit", "revision": revision, "data": body}


def referral_entry(case_uuid, uuid=None, **data):
    body = {"case_uuid": case_uuid, "service_kind": "legal_aid", "provider": "Trung tâm TGPL",
            "referred_on": today().isoformat(), "reason": "Cần tư vấn"}
    body.update(data)
    return {"uuid": uuid or new_uuid(), "type": "referral", "revision": 1, "data": body}


def sync(client, entries):
    response = client.post("/api/v1/sync", json={"entries": entries})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"]


def rows(model, uuid):
    return model.select().where(model.uuid == uuid).count()


# Messages are checked in English here; test_vietnamese_messages checks the other language.
pytestmark = pytest.mark.usefixtures("in_english")


@pytest.fixture
def member(member, client):
    """A member of the club, logged in on the phone."""
    login_as(client, member)
    return member


def test_created_then_duplicate(client, member):
    entry = case_entry()
    [result] = sync(client, [entry])
    assert result["status"] == "created"
    assert result["revision"] == 1 and result["errors"] == {}
    case = Case.get(Case.uuid == entry["uuid"])
    assert result["id"] == case.id
    assert case.code.startswith(member.club.code_prefix + "-")
    assert case.review_status == "submitted" and case.created_by_id == member.id
    assert case.assigned_to_id == member.id
    assert Consent.select().where((Consent.case == case) & Consent.given).count() == 2
    [again] = sync(client, [entry])
    assert again["status"] == "duplicate" and again["id"] == case.id
    assert rows(Case, entry["uuid"]) == 1
    assert rows(EntryRevision, entry["uuid"]) == 1


def test_same_revision_other_data_is_conflict_kept(client, member):
    entry = case_entry()
    sync(client, [entry])
    changed = json.loads(json.dumps(entry))
    changed["data"]["full_name"] = "Trần Văn Nam"
    [result] = sync(client, [changed])
    assert result["status"] == "conflict" and result["errors"]["revision"]
    assert Case.get(Case.uuid == entry["uuid"]).full_name == "Nguyễn Thị Lan"
    conflict = SyncConflict.get(SyncConflict.uuid == entry["uuid"])
    assert conflict.data["full_name"] == "Trần Văn Nam"
    sync(client, [changed])
    assert SyncConflict.select().where(SyncConflict.uuid == entry["uuid"]).count() == 1


def test_edit_with_base_revision_updates(client, member):
    entry = case_entry()
    sync(client, [entry])
    edit = case_entry(uuid=entry["uuid"], revision=2, full_name="Nguyễn Thị Lan Anh")
    edit["base_revision"] = 1
    [result] = sync(client, [edit])
    assert result["status"] == "updated" and result["revision"] == 2
    case = Case.get(Case.uuid == entry["uuid"])
    assert case.full_name == "Nguyễn Thị Lan Anh" and case.revision == 2
    assert [r.revision for r in EntryRevision.select().where(EntryRevision.uuid == case.uuid)
            .order_by(EntryRevision.revision)] == [1, 2]


def test_stale_base_revision_is_conflict_never_overwrites(client, member):
    entry = case_entry()
    sync(client, [entry])
    first = case_entry(uuid=entry["uuid"], revision=2, full_name="Bản sửa thứ nhất")
    first["base_revision"] = 1
    assert sync(client, [first])[0]["status"] == "updated"
    stale = case_entry(uuid=entry["uuid"], revision=2, full_name="Bản sửa từ máy khác")
    stale["base_revision"] = 1
    [result] = sync(client, [stale])
    assert result["status"] == "conflict" and result["revision"] == 2
    assert Case.get(Case.uuid == entry["uuid"]).full_name == "Bản sửa thứ nhất"
    assert SyncConflict.get(SyncConflict.uuid == entry["uuid"]).data["full_name"] == (
        "Bản sửa từ máy khác")
    stale3 = case_entry(uuid=entry["uuid"], revision=3, full_name="Lại từ bản cũ")
    stale3["base_revision"] = 1
    assert sync(client, [stale3])[0]["status"] == "conflict"
    assert Case.get(Case.uuid == entry["uuid"]).full_name == "Bản sửa thứ nhất"


def test_amendment_of_approved_entry_waits_for_review(client, member):
    entry = case_entry()
    sync(client, [entry])
    Case.update(review_status="approved").where(Case.uuid == entry["uuid"]).execute()
    edit = case_entry(uuid=entry["uuid"], revision=2, full_name="Tên đã sửa")
    edit["base_revision"] = 1
    assert sync(client, [edit])[0]["status"] == "updated"
    case = Case.get(Case.uuid == entry["uuid"])
    assert case.full_name == "Nguyễn Thị Lan" and case.revision == 1
    assert case.amendment_revision == 2 and case.amendment_status == "submitted"
    # The chair approves it: the same rules apply it to the row.
    review.approve(case, make_user(club=member.club, role="chair"))
    case = Case.get(Case.uuid == entry["uuid"])
    assert case.full_name == "Tên đã sửa" and case.revision == 2
    again = case_entry(uuid=entry["uuid"], revision=3, full_name="Lần nữa")
    again["base_revision"] = 2
    assert sync(client, [again])[0]["status"] == "updated"


def test_chair_entries_are_self_approved(client):
    chair = make_user(role="chair")
    login_as(client, chair)
    entry = case_entry()
    assert sync(client, [entry])[0]["status"] == "created"
    assert Case.get(Case.uuid == entry["uuid"]).review_status == "approved"
    review = Review.get(Review.entry_uuid == entry["uuid"])
    assert review.decision == "self_approved" and review.decided_by_id == chair.id


def test_visit_before_its_case_in_one_batch(client, member):
    case = case_entry()
    visit = visit_entry(case["uuid"], follow_up_date=today(7).isoformat())
    results = sync(client, [visit, case])
    assert [r["status"] for r in results] == ["created", "created"]
    assert [r["uuid"] for r in results] == [visit["uuid"], case["uuid"]]
    saved = Visit.get(Visit.uuid == visit["uuid"])
    assert saved.case.uuid == case["uuid"]
    appointment = Appointment.get(Appointment.source_visit == saved)
    assert appointment.member_id == member.id and appointment.status == "open"
    assert appointment.due_date == today(7)


def test_visit_to_unknown_case_is_invalid_then_accepted_later(client, member):
    case = case_entry()
    visit = visit_entry(case["uuid"])
    [result] = sync(client, [visit])
    assert result["status"] == "invalid" and "case_uuid" in result["errors"]
    assert rows(Visit, visit["uuid"]) == 0
    assert sync(client, [case])[0]["status"] == "created"
    assert sync(client, [visit])[0]["status"] == "created"
    assert rows(Visit, visit["uuid"]) == 1


def test_visit_closes_the_appointment_it_names(client, member):
    case = make_case(created_by=member)
    appointment = Appointment.create(club=member.club, case=case, member=member,
                                     due_date=today(3), created_by=member)
    visit = visit_entry(case.uuid, appointment_id=appointment.id)
    assert sync(client, [visit])[0]["status"] == "created"
    appointment = Appointment.get_by_id(appointment.id)
    assert appointment.status == "done"
    assert appointment.done_visit.uuid == visit["uuid"]


def test_referral_needs_consent_to_refer(client, member):
    refused = case_entry(consent={"follow": True, "refer": False, "share": False})
    agreed = case_entry()
    sync(client, [refused, agreed])
    no = referral_entry(refused["uuid"])
    yes = referral_entry(agreed["uuid"])
    results = sync(client, [no, yes])
    assert results[0]["status"] == "invalid"
    assert "referred" in results[0]["errors"]["case_uuid"]
    assert results[1]["status"] == "created"
    assert rows(Referral, no["uuid"]) == 0 and rows(Referral, yes["uuid"]) == 1


def test_attendance_of_a_club_activity(client, member):
    from webapp.models import Activity

    activity = Activity.create(club=member.club, created_by=member, kind="awareness",
                               date=today(), title="Truyền thông", review_status="approved")
    case = make_case(created_by=member)
    entry = {"uuid": new_uuid(), "type": "attendance", "revision": 1,
             "data": {"activity_uuid": activity.uuid, "case_uuid": case.uuid}}
    assert sync(client, [entry])[0]["status"] == "created"
    attendance = Attendance.get(Attendance.uuid == entry["uuid"])
    assert attendance.brought_by_id == member.id
    again = dict(entry, uuid=new_uuid())
    [result] = sync(client, [again])  # issue 13: answered, never a trap
    assert result["status"] == "duplicate" and "already recorded" in result["notice"]
    assert result["id"] == attendance.id and rows(Attendance, again["uuid"]) == 0


def test_mixed_batch_stores_exactly_the_valid_entries(client, member):
    other_club_case = make_case(club=make_club())
    good_case = case_entry()
    good_visit = visit_entry(good_case["uuid"])
    bad_case = case_entry(full_name="")
    bad_visit = visit_entry(good_case["uuid"], date=today(1).isoformat())
    cross_visit = visit_entry(other_club_case.uuid)
    cross_case = case_entry(assigned_to=make_user(role="member").id)
    batch = [bad_case, good_visit, cross_visit, good_case, bad_visit, cross_case]
    results = sync(client, batch)
    assert [r["status"] for r in results] == ["invalid", "created", "invalid", "created",
                                              "invalid", "invalid"]
    assert results[0]["errors"] == {"full_name": "Enter the person's full name."}
    assert results[4]["errors"] == {"date": "The date cannot be in the future."}
    assert set(results[5]["errors"]) == {"assigned_to"}
    counts = {e["uuid"]: rows(Case, e["uuid"]) + rows(Visit, e["uuid"]) for e in batch}
    assert counts == {bad_case["uuid"]: 0, good_visit["uuid"]: 1, cross_visit["uuid"]: 0,
                      good_case["uuid"]: 1, bad_visit["uuid"]: 0, cross_case["uuid"]: 0}
    assert Visit.select().where(Visit.case == other_club_case).count() == 0


LONG = "x" * 121


@pytest.mark.parametrize("data, field, message", [
    ({"full_name": "   "}, "full_name", "Enter the person's full name."),
    ({"full_name": LONG}, "full_name", "Use at most 120 characters."),
    ({"full_name": 12}, "full_name", "Enter text."),
    ({"birth_year": "1990"}, "birth_year", "Enter a whole number."),
    ({"birth_year": True}, "birth_year", "Enter a whole number."),
    ({"birth_year": 1800}, "birth_year", "Enter a number between 1900 and "
                                         f"{today().year}."),
    ({"sex": "robot"}, "sex", "Choose one of the options."),
    ({"categories": []}, "categories", "Choose at least one category."),
    ({"categories": ["victim", "victim"]}, "categories", "Choose each option only once."),
    ({"categories": ["pirate"]}, "categories", "Choose one of the options."),
    ({"categories": "victim"}, "categories", "Choose from the list."),
    ({"consent": {"follow": "yes", "refer": True, "share": True}}, "consent",
     "For each purpose, answer yes, no or not asked yet."),
    ({"consent": None}, "consent", "Record the person's answer for each purpose."),
    ({"is_admin": True}, "is_admin", "This field is not part of the form."),
    ({"assigned_to": 999999}, "assigned_to", "Choose a member of the club."),
])
def test_hostile_case_data_is_refused_and_nothing_written(client, member, data, field, message):
    entry = case_entry(**data)
    [result] = sync(client, [entry])
    assert result["status"] == "invalid"
    assert result["errors"][field] == message
    assert rows(Case, entry["uuid"]) == 0 and rows(EntryRevision, entry["uuid"]) == 0


@pytest.mark.parametrize("entry, field", [
    ("not an object", "entry"),
    ({"type": "case", "revision": 1, "data": {}}, "uuid"),
    ({"uuid": "not-a-uuid", "type": "case", "revision": 1, "data": {}}, "uuid"),
    ({"uuid": new_uuid(), "type": "spell", "revision": 1, "data": {}}, "type"),
    ({"uuid": new_uuid(), "type": "case", "revision": 0, "data": {}}, "revision"),
    ({"uuid": new_uuid(), "type": "case", "revision": "1", "data": {}}, "revision"),
    ({"uuid": new_uuid(), "type": "case", "revision": 1, "data": []}, "data"),
    ({"uuid": new_uuid(), "type": "case", "revision": 1, "data": {},
      "client_created_at": "yesterday"}, "client_created_at"),
])
def test_bad_envelopes_are_invalid(client, member, entry, field):
    [result] = sync(client, [entry])
    assert result["status"] == "invalid" and field in result["errors"]
    assert Case.select().count() == 0


def test_vietnamese_messages(client):
    user = make_user(role="member", locale="vi")
    login_as(client, user)
    [result] = sync(client, [case_entry(full_name="")])
    assert result["errors"] == {"full_name": "Vui lòng nhập họ và tên của đối tượng."}


def test_script_tags_are_stored_as_inert_text(client, member):
    entry = case_entry(full_name="<script>alert(1)</script>")
    assert sync(client, [entry])[0]["status"] == "created"
    assert Case.get(Case.uuid == entry["uuid"]).full_name == "<script>alert(1)</script>"


def test_another_clubs_case_and_another_users_uuid(client, member):
    colleague = make_user(club=member.club)
    theirs = make_case(created_by=colleague)
    # A case of the same club that is not the member's: no visit on it.
    [result] = sync(client, [visit_entry(theirs.uuid)])
    assert result["status"] == "invalid" and "case_uuid" in result["errors"]
    # The uuid of someone else's entry: neither taken over nor changed.
    edit = case_entry(uuid=theirs.uuid)
    [result] = sync(client, [edit])
    assert result["status"] == "invalid" and "uuid" in result["errors"]
    assert Case.get_by_id(theirs.id).full_name == theirs.full_name
    other = make_case(club=make_club())
    [result] = sync(client, [referral_entry(other.uuid)])
    assert result["status"] == "invalid"
    assert Referral.select().count() == 0


def test_edit_of_another_users_entry_is_invalid(client, member):
    entry = case_entry()
    sync(client, [entry])
    client.post("/logout")
    intruder = make_user(club=member.club, role="member")
    login_as(client, intruder)
    edit = case_entry(uuid=entry["uuid"], revision=2, full_name="Chiếm quyền")
    edit["base_revision"] = 1
    [result] = sync(client, [edit])
    assert result["status"] == "invalid"
    assert Case.get(Case.uuid == entry["uuid"]).full_name == "Nguyễn Thị Lan"


def test_not_logged_in_is_401_json(client):
    response = client.post("/api/v1/sync", json={"entries": []})
    assert response.status_code == 401 and response.is_json
    assert client.get("/api/v1/bootstrap").status_code == 401
    assert client.get("/api/v1/csrf").status_code == 401


def test_limits_are_413_json(client, member):
    too_many = [case_entry() for _ in range(201)]
    response = client.post("/api/v1/sync", json={"entries": too_many})
    assert response.status_code == 413 and response.is_json
    big = case_entry(met_how="x" * (1024 * 1024))
    response = client.post("/api/v1/sync", json={"entries": [big]})
    assert response.status_code == 413 and response.is_json
    assert Case.select().count() == 0


@pytest.mark.parametrize("body", [b"", b"not json", b"[]", b'{"entries": {}}'])
def test_bad_bodies_are_400_json(client, member, body):
    response = client.post("/api/v1/sync", data=body, content_type="application/json")
    assert response.status_code == 400 and response.is_json


def test_admin_and_supervisor_cannot_sync(client):
    # They may send what they recorded as members before (issue 13), and nothing else.
    login_as(client, make_user(role="supervisor"))
    response = client.post("/api/v1/sync", json={"entries": [case_entry()]})
    assert response.status_code == 200
    assert response.get_json()["results"][0]["status"] == "invalid"
    assert Case.select().count() == 0


def test_csrf_header_is_required(csrf_app):
    client = csrf_app.test_client()
    user = make_user(role="member")
    page = client.get("/login")
    token = _csrf_from(page.get_data(as_text=True))
    client.post("/login", data={"login": user.login, "password": "correct-horse-9",
                                "csrf_token": token})
    entry = case_entry()
    refused = client.post("/api/v1/sync", json={"entries": [entry]})
    assert refused.status_code == 400 and refused.is_json
    token = client.get("/api/v1/csrf").get_json()["csrf_token"]
    accepted = client.post("/api/v1/sync", json={"entries": [entry]},
                           headers={"X-CSRFToken": token})
    assert accepted.status_code == 200
    assert accepted.get_json()["results"][0]["status"] == "created"
    logged_out = csrf_app.test_client().post("/api/v1/sync", json={"entries": [entry]},
                                             headers={"X-CSRFToken": token})
    assert logged_out.status_code == 401


def _csrf_from(html):
    marker = 'name="csrf_token" type="hidden" value="'
    start = html.index(marker) + len(marker)
    return html[start:html.index('"', start)]


def test_bootstrap_holds_only_the_users_working_set(client, member):
    colleague = make_user(club=member.club)
    mine = make_case(created_by=member, consent=("follow", "refer"))
    assigned = make_case(created_by=colleague, assigned_to=member)
    not_mine = make_case(created_by=colleague)
    make_case(club=make_club())
    visit = Visit.create(club=member.club, case=mine, created_by=member, date=today(),
                         kind="phone_call", topics=[], notes="Ghi chú riêng")
    Appointment.create(club=member.club, case=mine, member=member, due_date=today(),
                       created_by=member, note="Gọi lại")
    returned = case_entry()
    sync(client, [returned])
    chair = make_user(club=member.club, role="chair")
    review.return_entry(Case.get(Case.uuid == returned["uuid"]), chair, "Thiếu năm sinh")
    data = client.get("/api/v1/bootstrap").get_json()
    assert data["user"]["id"] == member.id and data["user"]["club"]["id"] == member.club_id
    assert data["full"] is True and data["cursor"]
    assert "csrf_token" not in data and "device_key" not in data  # secrets only from /csrf
    session = client.get("/api/v1/csrf").get_json()
    assert session["user"] == member.id and len(session["device_key"]) == 44
    uuids = {c["uuid"] for c in data["cases"]}
    assert uuids == {mine.uuid, assigned.uuid, returned["uuid"]}
    assert not_mine.uuid not in uuids
    case = next(c for c in data["cases"] if c["uuid"] == mine.uuid)
    assert case["consent"] == {"follow": True, "refer": True, "share": False}
    assert case["recent_visits"] == [{"uuid": visit.uuid, "date": today().isoformat(),
                                      "kind": "phone_call", "topics": [],
                                      "review_status": "submitted"}]
    assert "notes" not in json.dumps(case)
    assert case["next_appointment"]["due_date"] == today().isoformat()
    assert data["appointments"][0]["case_code"] == mine.code
    assert {"code": "home_visit", "label": "Home visit"} in data["vocabularies"]["visit_kind"]
    assert {m["id"] for m in data["members"]} == {member.id, colleague.id, chair.id}
    assert data["returned"] == [{"uuid": returned["uuid"], "type": "case", "revision": 1,
                                 "data": returned["data"], "reason": "Thiếu năm sinh",
                                 "returned_at": data["returned"][0]["returned_at"],
                                 "case_code": Case.get(Case.uuid == returned["uuid"]).code}]
    fixed = case_entry(uuid=returned["uuid"], revision=2, birth_year=1990)
    fixed["base_revision"] = 1
    assert sync(client, [fixed])[0]["status"] == "updated"
    assert client.get("/api/v1/bootstrap").get_json()["returned"] == []


def test_schema_round_trip(client, member):
    """Entries built from /api/v1/schema validate with jsonschema and are accepted."""
    from jsonschema import Draft202012Validator, FormatChecker

    document = client.get("/api/v1/schema").get_json()
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(document)
    validators = {name: Draft202012Validator(s, format_checker=FormatChecker())
                  for name, s in document["$defs"].items()}

    def build(schema, refs):
        data = {}
        for name in schema["required"]:
            prop = schema["properties"][name]
            if prop.get("x-refers-to"):
                data[name] = refs[prop["x-refers-to"]]
            elif "enum" in prop:
                data[name] = prop["enum"][0]
            elif prop.get("type") == "array":
                data[name] = [prop["items"]["enum"][-1]]
            elif prop.get("format") == "date":
                data[name] = today().isoformat()
            elif prop.get("type") == "object":
                data[name] = {key: True for key in prop["required"]}
            else:
                data[name] = "a" * max(prop.get("minLength", 1), 1)
        return data

    case = {"uuid": new_uuid(), "type": "case", "revision": 1,
            "data": build(document["$defs"]["case"], {})}
    refs = {"case": case["uuid"]}
    visit = {"uuid": new_uuid(), "type": "visit", "revision": 1,
             "data": build(document["$defs"]["visit"], refs)}
    referral = {"uuid": new_uuid(), "type": "referral", "revision": 1,
                "data": build(document["$defs"]["referral"], refs)}
    for entry in (case, visit, referral):
        validators[entry["type"]].validate(entry["data"])
    assert [r["status"] for r in sync(client, [case, visit, referral])] == ["created"] * 3
    # And what the schema refuses, the server refuses with the schema's own message.
    bad = dict(case["data"], full_name="")
    assert not validators["case"].is_valid(bad)
    [result] = sync(client, [{"uuid": new_uuid(), "type": "case", "revision": 1, "data": bad}])
    assert result["errors"]["full_name"] == (
        document["$defs"]["case"]["properties"]["full_name"]["x-messages"]["minLength"])


def test_schema_speaks_the_users_language(client, member):
    client.set_cookie("sotd_lang", "vi")
    vi = client.get("/api/v1/schema").get_json()
    client.set_cookie("sotd_lang", "en")
    en = client.get("/api/v1/schema").get_json()
    assert en["$defs"]["visit"]["properties"]["date"]["title"] == "Date"
    assert vi["$defs"]["visit"]["properties"]["date"]["title"] != "Date"


def test_same_entry_twice_at_once_stores_one_row(app, member):
    """Two connections send the same new entry at the same moment: one row, one created."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        import http.cookiejar
        import urllib.request

        base = f"http://127.0.0.1:{server.server_port}"
        openers = []
        for _ in range(2):
            jar = http.cookiejar.CookieJar()
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
            form = f"login={member.login}&password=correct-horse-9".encode()
            opener.open(urllib.request.Request(base + "/login", data=form))
            openers.append(opener)
        for attempt in range(5):
            entry = case_entry()
            body = json.dumps({"entries": [entry]}).encode()
            barrier = threading.Barrier(2)
            answers = []

            def send(opener):
                request = urllib.request.Request(base + "/api/v1/sync", data=body,
                                                 headers={"Content-Type": "application/json"})
                barrier.wait()
                with opener.open(request) as response:
                    answers.append(json.load(response)["results"][0])

            threads = [threading.Thread(target=send, args=(o,)) for o in openers]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert sorted(a["status"] for a in answers) == ["created", "duplicate"], answers
            assert rows(Case, entry["uuid"]) == 1
            assert rows(EntryRevision, entry["uuid"]) == 1
    finally:
        server.shutdown()
        thread.join()


def test_an_amendment_that_breaks_a_rule_now_cannot_be_approved(client, member):
    case = case_entry()
    referral = referral_entry(case["uuid"])
    sync(client, [case, referral])
    chair = make_user(club=member.club, role="chair")
    row = Case.get(Case.uuid == case["uuid"])
    review.approve(row, chair)
    review.approve(Referral.get(Referral.uuid == referral["uuid"]), chair)
    amended = referral_entry(case["uuid"], uuid=referral["uuid"], provider="Bệnh viện tỉnh")
    amended.update(revision=2, base_revision=1)
    assert sync(client, [amended])[0]["status"] == "updated"
    from webapp.book import consent

    consent.set_consent(row, "refer", False, chair)
    with pytest.raises(Invalid):
        review.approve(Referral.get(Referral.uuid == referral["uuid"]), chair)
    assert Referral.get(Referral.uuid == referral["uuid"]).provider == "Trung tâm TGPL"


# --- What a batch reads once (sync.Lookup) --------------------------------------------------------

def test_the_same_entry_twice_in_one_batch_is_stored_once(client, member):
    case = case_entry()
    visit = visit_entry(case["uuid"])
    results = sync(client, [case, visit, visit, case])
    assert [r["status"] for r in results] == ["created", "created", "duplicate", "duplicate"]
    assert rows(Case, case["uuid"]) == 1 and rows(Visit, visit["uuid"]) == 1
    assert rows(EntryRevision, visit["uuid"]) == 1


def test_an_edit_after_its_entry_in_one_batch_updates_it(client, member):
    case = case_entry()
    visit = visit_entry(case["uuid"])
    edit = visit_entry(case["uuid"], uuid=visit["uuid"], revision=2, notes="Sửa lại")
    edit["base_revision"] = 1
    results = sync(client, [case, visit, edit])
    assert [r["status"] for r in results] == ["created", "created", "updated"]
    saved = Visit.get(Visit.uuid == visit["uuid"])
    assert saved.revision == 2 and saved.notes == "Sửa lại"


def test_a_follow_up_made_in_a_batch_is_closed_by_a_later_visit_of_it(client, member):
    """The batch knew the case had no open appointment; the first visit's follow-up makes one."""
    case = make_case(created_by=member)
    first = visit_entry(case.uuid, date=today(-2).isoformat(),
                        follow_up_date=today(1).isoformat())
    second = visit_entry(case.uuid)
    assert [r["status"] for r in sync(client, [first, second])] == ["created", "created"]
    appointment = Appointment.get(Appointment.source_visit
                                  == Visit.get(Visit.uuid == first["uuid"]))
    assert appointment.status == "done"
    assert appointment.done_visit.uuid == second["uuid"]


def test_an_entry_stored_meanwhile_by_another_connection_is_a_duplicate(app, member):
    """The batch read that the uuid was unknown; another request stored it before this one."""
    from webapp.book import sync as sync_module

    case = make_case(created_by=member)
    entry = visit_entry(case.uuid)
    with app.test_request_context():
        lookup = sync_module.Lookup.for_batch([entry])
        assert sync_module.submit_entry(member, entry)["status"] == "created"
        result = sync_module.submit_entry(member, entry, lookup)
    assert result["status"] == "duplicate"
    assert rows(Visit, entry["uuid"]) == 1 and rows(EntryRevision, entry["uuid"]) == 1


def test_a_case_erased_before_the_batch_takes_no_visit(client, member):
    case = make_case(created_by=member)
    Case.update(erased_at=utcnow()).where(Case.id == case.id).execute()
    [result] = sync(client, [visit_entry(case.uuid)])
    assert result["status"] == "gone" and result["case_uuid"] == case.uuid  # issue 13
    assert Visit.select().where(Visit.case == case).count() == 0
