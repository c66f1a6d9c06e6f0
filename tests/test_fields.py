"""The field definitions: one source for the schema, the sync validation and the desk forms."""
from datetime import timedelta

import pytest
from jsonschema import Draft202012Validator

from webapp.book import entries, fields
from webapp.invalid import Invalid

TODAY = fields.local_today()


def valid_visit(**overrides):
    data = {"case_uuid": "0b6e2f0c-3c1a-4a4e-9a55-3f1f7b0b6a11", "date": TODAY.isoformat(),
            "kind": "consultation"}
    data.update(overrides)
    return data


def test_every_entry_schema_is_valid_draft_2020_12(app):
    with app.test_request_context(headers={"Cookie": "sotd_lang=en"}):
        document = entries.api_schema()
    Draft202012Validator.check_schema(document)
    assert set(document["$defs"]) == {"case", "visit", "referral", "attendance"}
    for schema in document["$defs"].values():
        assert schema["x-order"] == list(schema["properties"]) or set(schema["x-order"]) == set(
            schema["properties"])
        for prop in schema["properties"].values():
            assert prop["title"] and prop["x-messages"]["type"]
            for keyword in fields.CHECKED_KEYWORDS:
                if keyword in prop:
                    assert keyword in prop["x-messages"]


def test_clean_data_has_every_field(app):
    with app.test_request_context(headers={"Cookie": "sotd_lang=en"}):
        clean = fields.validate(fields.VISIT, valid_visit(notes="  hello  "))
    assert clean["date"] == TODAY and clean["notes"] == "hello"
    assert clean["topics"] == [] and clean["follow_up_date"] is None


@pytest.mark.parametrize("overrides, field, message", [
    ({"date": (TODAY + timedelta(days=1)).isoformat()}, "date", "The date cannot be in the future."),
    ({"date": "2026-02-30"}, "date", "Enter a valid date."),
    ({"date": "28/11/2026"}, "date", "Enter a valid date."),
    ({"date": None}, "date", "Enter the date of the visit."),
    ({"follow_up_date": (TODAY - timedelta(days=1)).isoformat()}, "follow_up_date",
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
            fields.validate(fields.VISIT, valid_visit(**overrides))
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
