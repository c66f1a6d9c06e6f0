"""Hostile and malformed sync bodies, generated with Hypothesis: a clear answer, nothing half-written.

A body the server cannot take as a whole (not JSON, not {"entries": [...]}, nested too deep, more
than 200 entries, more than 1 MB) gets a 4xx with a JSON message. A well-formed batch of bad entries
(wrong types, huge strings, unknown types or fields, another user's uuid, another club's case,
member or appointment) gets, as DESIGN.md §4 says, 200 with each entry "invalid" and its errors.
Either way no row of the book changes.
"""
import json
import uuid as uuid_module
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webapp.clock import local_today
from webapp.models import (
    Appointment, Attendance, Case, CaseCategory, Consent, EntryRevision, Referral, Review,
    SyncConflict, Visit, VisitMember,
)

from .factories import login_as, make_case, make_club, make_user

BOOK = (Case, CaseCategory, Consent, Visit, VisitMember, Referral, Attendance, Appointment,
        EntryRevision, Review, SyncConflict)
MAX_ENTRIES = 200
MAX_BYTES = 1024 * 1024

# The app, its database and the logged-in phone are made once per test, not per example: every
# example must leave the book exactly as it found it, and the test asserts just that.
HYPOTHESIS = settings(max_examples=30, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture])


def today():
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat()


def counts():
    return {model.__name__: model.select().count() for model in BOOK}


def case_data():
    return {"full_name": "Lê Thị Hoa", "sex": "female", "birth_year": 2001,
            "categories": ["at_risk"], "risk_level": "low",
            "consent": {"follow": True, "refer": False, "share": False}}


def visit(case_uuid, uuid=None, **data):
    return {"uuid": uuid or str(uuid_module.uuid4()), "type": "visit", "revision": 1,
            "data": {"case_uuid": case_uuid, "date": today(), "kind": "home_visit",
                     "topics": ["safe_migration"], "notes": "", "needs": [],
                     "members_present": [], **data}}


@pytest.fixture
def world(app, client):
    """A member of club A logged in, with a case; another member's entry; club B's records."""
    other_member = make_user(role="member")
    club = other_member.club
    login_as(client, other_member)
    others_case = str(uuid_module.uuid4())
    answer = client.post("/api/v1/sync", json={"entries": [
        {"uuid": others_case, "type": "case", "revision": 1, "data": case_data()}]})
    assert answer.get_json()["results"][0]["status"] == "created"
    client.post("/logout")

    member = make_user(club=club, role="member")
    login_as(client, member)
    own_case = str(uuid_module.uuid4())
    answer = client.post("/api/v1/sync", json={"entries": [
        {"uuid": own_case, "type": "case", "revision": 1, "data": case_data()}]})
    assert answer.get_json()["results"][0]["status"] == "created"
    # A valid visit is taken: the entries below are invalid only by what the test changed.
    answer = client.post("/api/v1/sync", json={"entries": [visit(own_case)]})
    assert answer.get_json()["results"][0]["status"] == "created"

    club_b = make_club()
    chair_b = make_user(club=club_b, role="chair")
    case_b = make_case(club=club_b, created_by=chair_b)
    appointment_b = Appointment.create(club=club_b, case=case_b, member=chair_b,
                                       due_date=local_today(), created_by=chair_b)
    return {"own_case": own_case, "others_case": others_case, "case_b": case_b.uuid,
            "member_b": chair_b.id, "appointment_b": appointment_b.id}


# --- Bodies the server must refuse whole ---------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                               max_size=4),
    max_leaves=12)


def _not_a_batch(value):
    return not (isinstance(value, dict) and isinstance(value.get("entries"), list))


def _not_json(raw):
    try:
        json.loads(raw)
    except (ValueError, RecursionError):
        return True
    return False


bad_bodies = st.one_of(
    json_values.filter(_not_a_batch).map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200).filter(_not_json),
    # Deeper than any JSON parser should follow.
    st.integers(5_000, 100_000).map(
        lambda depth: b'{"entries": [' + b"[" * depth + b"]" * depth + b"]}"),
    # Up to 10,000 entries: more than 200.
    st.integers(MAX_ENTRIES + 1, 10_000).map(
        lambda n: json.dumps({"entries": [{}] * n}).encode()),
    st.integers(MAX_ENTRIES + 1, 10_000).map(
        lambda n: json.dumps({"entries": [visit(str(uuid_module.UUID(int=i)))
                                          for i in range(n)]}).encode()),
    # More than 1 MB in one string.
    st.integers(MAX_BYTES, MAX_BYTES + 300_000).map(
        lambda n: json.dumps({"entries": [{"data": {"notes": "x" * n}}]}).encode()),
)


@HYPOTHESIS
@given(body=bad_bodies)
def test_a_body_that_is_not_a_batch_gets_a_clear_4xx(client, world, body):
    before = counts()
    answer = client.post("/api/v1/sync", data=body, content_type="application/json")
    assert 400 <= answer.status_code < 500
    assert answer.is_json
    assert answer.get_json()["message"]
    assert counts() == before


# --- Batches of bad entries -------------------------------------------------------------------------

not_text = st.one_of(st.integers(), st.booleans(), st.lists(st.integers(), max_size=3),
                     st.dictionaries(st.text(max_size=5), st.integers(), max_size=3))
not_uuid = st.one_of(not_text, st.text(max_size=40).filter(
    lambda s: not _is_uuid(s)))
deep = st.integers(2, 400).map(lambda depth: json.loads("[" * depth + "]" * depth))
huge = st.one_of(st.integers(4_001, 30_000).map(lambda n: "ụ" * n),  # 6 bytes each in JSON
                 st.integers(4_001, 200_000).map(lambda n: "x" * n))


def _is_uuid(value):
    try:
        return str(uuid_module.UUID(value)) == value
    except (ValueError, TypeError, AttributeError):
        return False


def bad_entries(world):
    """Each strategy makes an entry the server must refuse; all else in it is valid."""
    own = world["own_case"]

    def with_envelope(**changes):
        return st.builds(lambda values: {**visit(own), **values},
                         st.fixed_dictionaries(changes))

    def changed_data(values):
        entry = visit(own)
        entry["data"].update(values)
        return entry

    def with_data(**changes):
        return st.builds(changed_data, st.fixed_dictionaries(changes))

    return st.one_of(
        json_values.filter(lambda v: not isinstance(v, dict)),
        with_envelope(type=st.text(max_size=30).filter(
            lambda t: t not in ("case", "visit", "referral", "attendance"))),
        with_envelope(uuid=not_uuid),
        with_envelope(revision=st.one_of(st.integers(max_value=0), st.text(max_size=5),
                                         st.booleans(), st.floats(allow_nan=False))),
        with_envelope(data=st.one_of(st.none(), st.text(max_size=20), st.lists(st.integers()))),
        with_envelope(client_created_at=st.one_of(st.integers(), st.text(max_size=10).filter(
            lambda s: not _parses_as_time(s)))),
        with_data(case_uuid=st.one_of(not_text, st.none())),
        with_data(date=st.one_of(not_text, st.none(), st.text(max_size=12).filter(
            lambda s: not _parses_as_date(s)))),
        with_data(kind=st.one_of(not_text, st.none(), st.text(max_size=20).filter(
            lambda s: s.strip() not in ("home_visit", "consultation", "phone_call",
                                        "group_session")))),
        with_data(topics=st.one_of(st.integers(), st.booleans(), st.text(max_size=5),
                                   st.lists(st.text(min_size=30, max_size=40), min_size=1,
                                            max_size=3))),
        with_data(notes=st.one_of(huge, deep, st.integers())),
        with_data(members_present=st.just([world["member_b"]])),
        with_data(appointment_id=st.just(world["appointment_b"])),
        with_data(case_uuid=st.just(world["case_b"])),
        st.builds(changed_data,
                  st.dictionaries(st.text(min_size=1, max_size=10).filter(
                      lambda k: k not in VISIT_FIELDS), st.integers(), min_size=1, max_size=2)),
        # Another member's entry: the same uuid, as a first version and as an edit.
        st.just({"uuid": world["others_case"], "type": "case", "revision": 1,
                 "data": {**case_data(), "full_name": "Đổi tên"}}),
        st.just({"uuid": world["others_case"], "type": "case", "revision": 2,
                 "base_revision": 1, "data": {**case_data(), "full_name": "Đổi tên"}}),
    )


VISIT_FIELDS = {"case_uuid", "date", "kind", "topics", "notes", "needs", "members_present",
                "follow_up_date", "appointment_id"}


def _parses_as_time(text):
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _parses_as_date(text):
    try:
        return date.fromisoformat(text.strip()) <= local_today()
    except ValueError:
        return False


@HYPOTHESIS
@given(data=st.data())
def test_each_bad_entry_is_refused_and_nothing_is_written(client, world, data):
    entries = data.draw(st.lists(bad_entries(world), min_size=1, max_size=4))
    before = counts()
    answer = client.post("/api/v1/sync", json={"entries": entries})
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    results = answer.get_json()["results"]
    assert len(results) == len(entries)
    for entry, result in zip(entries, results):
        assert result["status"] == "invalid", (entry, result)
        assert result["errors"] and all(isinstance(m, str) and m for m in result["errors"].values())
    assert counts() == before
