"""The working set as a delta (DESIGN.md §4): a cursor, only what changed since, what left, and
the whole set when the cursor is not known — correct while writes race the read."""
import gzip
import json
import random
import threading
from datetime import timedelta

import pytest
import requests
from werkzeug.serving import make_server

from webapp.book import cases, review, scheduling, working_set
from webapp.db import database, utcnow
from webapp.models import Activity, Case, WorkingSetCursor

from .factories import PASSWORD, login_as, make_case, make_user, make_visit, today
from .test_sync import case_entry, sync, visit_entry

LISTS = working_set.LISTS
PARTS = working_set.PARTS


def apply(phone, answer):
    """What the phone holds after an answer, as core.js merges it."""
    if answer["full"]:
        phone = {name: answer[name] for name in (*LISTS, *PARTS)}
    else:
        phone = dict(phone)
        for name, key in LISTS.items():
            gone = set(answer["removed"][name]) | {item[key] for item in answer[name]}
            phone[name] = [item for item in phone[name] if item[key] not in gone] + answer[name]
        phone.update({part: answer[part] for part in PARTS if part in answer})
    phone["cursor"] = answer["cursor"]
    return phone


def same_set(phone, whole):
    """The phone's copy equals the server's whole working set, order aside."""
    for name, key in LISTS.items():
        assert sorted(phone[name], key=lambda i: str(i[key])) == \
            sorted(whole[name], key=lambda i: str(i[key])), name
    for part in PARTS:
        assert phone[part] == whole[part], part


def bootstrap(client, cursor=None):
    response = client.get("/api/v1/bootstrap" + (f"?since={cursor}" if cursor else ""))
    assert response.status_code == 200
    return response.get_json()


@pytest.fixture
def member(client):
    user = make_user(role="member")
    login_as(client, user)
    return user


def test_unchanged_answers_a_few_hundred_bytes(client, member):
    for _ in range(3):
        make_visit(make_case(created_by=member))
    first = bootstrap(client)
    assert first["full"] is True and len(first["cases"]) == 3
    response = client.get(f"/api/v1/bootstrap?since={first['cursor']}")
    again = response.get_json()
    assert again == {"full": False, "cursor": first["cursor"], "server_time": again["server_time"],
                     "cases": [], "appointments": [], "activities": [], "returned": [],
                     "rounds": [],
                     "removed": {name: [] for name in LISTS}}
    assert len(response.get_data()) < 400
    # Nothing changed: no new cursor is kept for it.
    assert WorkingSetCursor.select().where(WorkingSetCursor.user == member).count() == 1


def test_delta_carries_what_changed_and_what_left(client, member):
    chair = make_user(club=member.club, role="chair")
    colleague = make_user(club=member.club)
    kept, edited, reassigned, erased, closed = (make_case(created_by=chair, assigned_to=member)
                                                for _ in range(5))
    appointment = scheduling.assign_visit(chair, closed, member, today(3))
    phone = apply({}, bootstrap(client))
    assert appointment.id in {a["id"] for a in phone["appointments"]}

    Case.update(phone="0987654321").where(Case.id == edited.id).execute()
    cases.assign(reassigned, colleague, chair)
    cases.erase(erased, chair)
    cases.close(closed, "Đã chuyển đi nơi khác", chair)  # its open appointment is cancelled
    activity = Activity.create(club=member.club, created_by=chair, kind="awareness",
                               date=today(), title="Truyền thông tại khu 5", review_status="approved")
    returned = case_entry()
    sync(client, [returned])
    review.return_entry(Case.get(Case.uuid == returned["uuid"]), chair, "Thiếu năm sinh")
    delta = bootstrap(client, phone["cursor"])

    assert delta["full"] is False and delta["cursor"] != phone["cursor"]
    assert {c["uuid"] for c in delta["cases"]} == {edited.uuid, closed.uuid, returned["uuid"]}
    assert kept.uuid not in json.dumps(delta)
    assert set(delta["removed"]["cases"]) == {reassigned.uuid, erased.uuid}
    assert delta["removed"]["appointments"] == [appointment.id]
    assert [a["uuid"] for a in delta["activities"]] == [activity.uuid]
    assert [r["uuid"] for r in delta["returned"]] == [returned["uuid"]]
    assert "vocabularies" not in delta and "members" not in delta and "user" not in delta
    phone = apply(phone, delta)
    same_set(phone, working_set.whole(member))

    # A new member of the club: the members' list goes again, whole.
    make_user(club=member.club, full_name="Lê Thị Hoa")
    delta = bootstrap(client, phone["cursor"])
    assert "Lê Thị Hoa" in {m["full_name"] for m in delta["members"]}
    assert delta["cases"] == [] and "vocabularies" not in delta


def test_unknown_foreign_or_forgotten_cursor_gets_the_whole_set(app, client, member):
    make_case(created_by=member)
    first = bootstrap(client)
    assert bootstrap(client, "no-such-cursor")["full"] is True
    assert bootstrap(client, "x" * 500)["full"] is True
    other = app.test_client()
    login_as(other, make_user(club=member.club))
    assert bootstrap(other, first["cursor"])["full"] is True  # someone else's cursor
    # A cursor older than the last KEEP answers that changed something is forgotten.
    cursor = first["cursor"]
    for n in range(working_set.KEEP):
        make_case(created_by=member)
        cursor = bootstrap(client, cursor)["cursor"]
    assert bootstrap(client, first["cursor"])["full"] is True
    assert bootstrap(client, cursor)["full"] is False
    # And so is one older than a session may live.
    (WorkingSetCursor.update(created_at=utcnow() - working_set.MAX_AGE - timedelta(minutes=1))
     .where(WorkingSetCursor.token == cursor).execute())
    assert bootstrap(client, cursor)["full"] is True


def test_a_new_schema_version_is_announced(client, member, monkeypatch):
    phone = apply({}, bootstrap(client))
    assert phone["schema_version"] == working_set.schema_version()
    monkeypatch.setattr(working_set, "_schema_versions", {})
    monkeypatch.setattr(working_set.entries, "api_schema", lambda: {"x-new-field": True})
    delta = bootstrap(client, phone["cursor"])
    assert delta["schema_version"] not in (None, phone["schema_version"])


def test_bootstrap_and_schema_are_compressed_the_csrf_token_never(client, member):
    for _ in range(5):
        make_case(created_by=member)
    for url in ("/api/v1/bootstrap", "/api/v1/schema"):
        response = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
        assert response.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in response.headers["Vary"]
        body = json.loads(gzip.decompress(response.get_data()))
        plain = client.get(url).get_json()  # the same answer, uncompressed when not asked for
        for answer in (body, plain):
            answer.pop("cursor", None), answer.pop("server_time", None)
        assert body == plain
        assert "csrf_token" not in body and "device_key" not in body
    token = client.get("/api/v1/csrf", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in token.headers and token.get_json()["csrf_token"]
    assert token.headers["Cache-Control"] == "no-store"


def test_writes_racing_the_read_are_never_missed(app, member):
    """A phone syncs again and again while another device and the chair write: every answer,
    applied to the phone's copy, leaves it equal to a whole working set read at that moment, and
    after the last write one more delta makes it equal to the server's."""
    chair = make_user(club=member.club, role="chair")
    colleague = make_user(club=member.club)
    for _ in range(6):
        make_case(created_by=chair, assigned_to=member)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"

    def session(user):
        s = requests.Session()
        s.post(base + "/login", data={"login": user.login, "password": PASSWORD}, timeout=30)
        return s

    phone, other_device = session(member), session(member)
    stop, errors = threading.Event(), []

    def device_writes():
        # The member's other phone: new cases, and visits on the member's cases.
        registered = []  # the chair never gives these away: their visits are always taken
        try:
            while not stop.is_set():
                entries = [case_entry()] + [visit_entry(u) for u in registered[-2:]]
                registered.append(entries[0]["uuid"])
                answer = other_device.post(base + "/api/v1/sync", json={"entries": entries},
                                           timeout=30).json()
                assert {r["status"] for r in answer["results"]} == {"created"}, answer
        except Exception as error:  # noqa: BLE001 — reported by the test below
            errors.append(error)

    def chair_writes():
        # The chair, at the desk: cases given to someone else and back, phones changed.
        rng = random.Random(17)
        try:
            database.connect(reuse_if_open=True)
            while not stop.is_set():
                case = rng.choice(list(Case.select().where(Case.created_by == chair)))
                if rng.random() < 0.5:
                    cases.assign(case, rng.choice([member, colleague]), chair)
                else:
                    with database.atomic():
                        Case.update(phone=f"09{rng.randrange(10 ** 8):08d}",
                                    updated_at=utcnow()).where(Case.id == case.id).execute()
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            database.close()

    writers = [threading.Thread(target=device_writes), threading.Thread(target=chair_writes)]
    held = apply({}, phone.get(base + "/api/v1/bootstrap", timeout=30).json())
    try:
        for t in writers:
            t.start()
        deltas = 0
        for _ in range(25):
            answer = phone.get(base + "/api/v1/bootstrap", params={"since": held["cursor"]},
                               timeout=30).json()
            assert answer["full"] is False
            deltas += bool(answer["cases"] or answer["removed"]["cases"])
            held = apply(held, answer)
    finally:
        stop.set()
        for t in writers:
            t.join()
    try:
        assert not errors, errors
        assert deltas, "the writes never reached the phone"
        held = apply(held, phone.get(base + "/api/v1/bootstrap", params={"since": held["cursor"]},
                                     timeout=30).json())
        whole = phone.get(base + "/api/v1/bootstrap", timeout=30).json()
        same_set(held, whole)
    finally:
        server.shutdown()
