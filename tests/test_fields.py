"""The field definitions: one source for the schema, the sync validation and the desk forms."""
import json
from datetime import date
from pathlib import Path

import pytest
from flask_babel import force_locale
from jsonschema import Draft202012Validator

from webapp.book import entries, fields
from webapp.book.entry_forms import CaseForm, VisitForm
from webapp.book.kinds import CHECKED_KEYWORDS
from webapp.invalid import Invalid
from webapp.models import Activity

from .factories import dated, in_days, make_case, make_user, session_for, today



def valid_visit(**overrides):
    data = {"case_uuid": "0b6e2f0c-3c1a-4a4e-9a55-3f1f7b0b6a11", "date": today().isoformat(),
            "kind": "consultation"}
    data.update(overrides)
    return data


def test_every_entry_schema_is_valid_draft_2020_12(app):
    with app.test_request_context(headers={"Cookie": "sotd_lang=en"}):
        document = entries.api_schema()
    Draft202012Validator.check_schema(document)
    assert set(document["$defs"]) == {"screening", "case", "visit", "referral", "attendance",
                                      "activity"}
    for schema in document["$defs"].values():
        assert schema["x-order"] == list(schema["properties"]) or set(schema["x-order"]) == set(
            schema["properties"])
        for prop in schema["properties"].values():
            assert prop["title"] and prop["x-messages"]["type"]
            for keyword in CHECKED_KEYWORDS:
                if keyword in prop:
                    assert keyword in prop["x-messages"]


def test_clean_data_has_every_field(app):
    with app.test_request_context(headers={"Cookie": "sotd_lang=en"}):
        clean = fields.validate(fields.VISIT, valid_visit(notes="  hello  "))
    assert clean["date"] == today() and clean["notes"] == "hello"
    assert clean["topics"] == [] and clean["follow_up_date"] is None


@pytest.mark.parametrize("overrides, field, message", [
    ({"date": in_days(1)}, "date", "The date cannot be in the future."),
    ({"date": "2026-02-30"}, "date", "Enter a valid date."),
    ({"date": "28/11/2026"}, "date", "Enter a valid date."),
    ({"date": None}, "date", "Enter the date of the visit."),
    ({"follow_up_date": in_days(-1)}, "follow_up_date",
     "The follow-up date cannot be before the visit."),
    ({"kind": "séance"}, "kind", "Choose one of the options."),
    ({"topics": ["safe_migration", "safe_migration"]}, "topics", "Choose each option only once."),
    ({"members_present": ["1"]}, "members_present", "Choose members of the club."),
    ({"case_uuid": "123"}, "case_uuid", "This reference is not valid."),
    ({"notes": "n" * 4001}, "notes", "Use at most 4000 characters."),
])
def test_visit_rules(app, overrides, field, message):
    with app.test_request_context(headers={"Cookie": "sotd_lang=en"}):
        with pytest.raises(Invalid) as caught:
            fields.validate(fields.VISIT, valid_visit(**dated(overrides)))
    assert caught.value.errors == {field: message}


def test_the_same_rules_as_jsonschema(app):
    """What our validator refuses, jsonschema refuses too (and the other way round)."""
    with app.test_request_context(headers={"Cookie": "sotd_lang=en"}):
        schema = fields.entry_schema(fields.VISIT)
        checker = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        samples = [valid_visit(), valid_visit(kind="x"), valid_visit(topics="x"),
                   valid_visit(notes=None), valid_visit(extra=1), valid_visit(date="2026-13-01"),
                   valid_visit(members_present=[1, 1]), valid_visit(appointment_id=0)]
        for sample in samples:
            try:
                fields.validate(fields.VISIT, sample)
                ours = True
            except Invalid:
                ours = False
            assert ours == checker.is_valid(sample), sample


# /api/v1/schema as main served it before the field kinds became classes (tests/fixtures/), made
# on a day of SNAPSHOT_YEAR: the year of birth's upper bound is the one part that follows the date.
FIXTURES = Path(__file__).parent / "fixtures"
SNAPSHOT_YEAR = "2026"


def _snapshot(name):
    return (FIXTURES / name).read_text(encoding="utf-8").replace(
        SNAPSHOT_YEAR, str(fields.local_today().year))


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_api_schema_is_served_byte_for_byte_as_before(app, client, lang):
    session_for(client, make_user(locale=lang))
    response = client.get("/api/v1/schema")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == _snapshot(f"api_schema.{lang}.json")


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_api_schema_keeps_its_order(app, lang):
    """Keys in the order the phone reads them (the served document sorts them)."""
    with app.test_request_context(), force_locale(lang):
        text = json.dumps(entries.api_schema(), ensure_ascii=False, indent=1) + "\n"
    assert text == _snapshot(f"api_schema.{lang}.ordered.json")


def _field(entry_type, name):
    return next(f for f in entries.TYPES[entry_type].fields if f.name == name)


def test_each_kind_shows_a_value_as_the_chair_reads_it(app):
    case = make_case(code="AB-2026-007", full_name="Lê Thị Hoa")
    elsewhere = make_case()  # another club's case: its uuid says nothing more
    member = case.created_by
    activity = Activity.create(club=case.club, title="Họp nhóm", kind="meeting",
                               date=date(2026, 3, 8), created_by=member)
    club = case.club
    with app.test_request_context(headers={"Cookie": "sotd_lang=en"}):
        assert _field("visit", "kind").show("home_visit", club) == "Home visit"
        assert _field("visit", "topics").show([], club) == ""
        assert _field("visit", "date").show("2026-03-08", club) == "08/03/2026"
        assert _field("visit", "notes").show("  as typed ", club) == "  as typed "
        assert _field("visit", "appointment_id").show(12, club) == "12"
        assert (_field("visit", "members_present").show([member.id, 999999], club)
                == f"{member.full_name}, 999999")
        assert (_field("visit", "case_uuid").show(case.uuid, club)
                == "AB-2026-007 Lê Thị Hoa")
        assert _field("visit", "case_uuid").show(elsewhere.uuid, club) == elsewhere.uuid
        assert (_field("attendance", "activity_uuid").show(activity.uuid, club)
                == "Họp nhóm (08/03/2026)")
        assert (_field("case", "consent").show({"follow": True, "refer": False}, club)
                == "To be followed by the club: yes; To be referred to services: no")


def test_a_desk_form_gives_back_the_data_it_was_filled_with(app):
    """Each kind fills its desk widget from stored data and reads it back unchanged."""
    member = make_user()
    data = {"full_name": "Trần Văn An", "sex": "male", "birth_year": 1990, "address": "",
            "neighbourhood": "Tổ 3", "phone": "", "categories": ["at_risk", "returnee"],
            "risk_level": "high", "met_how": "", "assigned_to": member.id,
            "consent": {"follow": True, "refer": False, "share": True}}
    with app.test_request_context(headers={"Cookie": "sotd_lang=en"}):
        form = CaseForm(formdata=None, members=[member])
        form.fill(data)
        assert form.entry_data() == data
        assert fields.validate(fields.CASE, form.entry_data())["birth_year"] == 1990
        visit = VisitForm(formdata=None, members=[member], extra={"case_uuid": "x"})
        visit.fill({"date": today().isoformat(), "kind": "consultation", "topics": [],
                    "notes": "", "needs": ["legal_aid"], "members_present": [member.id],
                    "follow_up_date": None})
        assert visit.entry_data() == {"date": today().isoformat(), "kind": "consultation",
                                      "topics": [], "notes": "", "needs": ["legal_aid"],
                                      "members_present": [member.id], "follow_up_date": None,
                                      "case_uuid": "x"}


PHONE_MESSAGE = "Enter a Vietnamese phone number, e.g. 0912 345 678 or 024 3825 1234."


def valid_case(**overrides):
    return {"full_name": "Trần Văn An", "sex": "male", "categories": ["at_risk"],
            "risk_level": "low", "consent": {"follow": True, "refer": False, "share": False},
            **overrides}


@pytest.mark.parametrize("number", [
    "0912345678", "0912 345 678", "0912.345.678", "091-234-5678", "+84912345678",
    "+84 912 345 678", "84912345678", "0386 123 456", "0707.123.456", "0599123456",
    "024 3825 1234", "02438251234", "+84 24 3825 1234", "0236 382 1234", "  0912345678  ", "",
])
def test_a_vietnamese_phone_number_passes(app, number):
    with app.test_request_context(headers={"Cookie": "sotd_lang=en"}):
        assert fields.validate(fields.CASE, valid_case(phone=number))["phone"] == number.strip()


@pytest.mark.parametrize("number", [
    "abc", "12ab", "0912", "091234567", "09123456789", "0112345678", "0412345678",
    "0612345678", "+1 202 555 0143", "+840912345678", "0243825123",
    "0912/345/678", "(024) 3825 1234",
])
def test_anything_else_is_refused_with_the_same_message_everywhere(app, number):
    with app.test_request_context(headers={"Cookie": "sotd_lang=en"}):
        with pytest.raises(Invalid) as refused:
            fields.validate(fields.CASE, valid_case(phone=number))
        phone = entries.api_schema()["$defs"]["case"]["properties"]["phone"]
    assert refused.value.errors == {"phone": PHONE_MESSAGE}
    assert phone["x-messages"]["pattern"] == PHONE_MESSAGE
    # The standard reading of the pattern agrees (the phone runs it as an ECMAScript RegExp).
    assert not Draft202012Validator(phone).is_valid(number.strip())
