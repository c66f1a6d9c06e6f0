"""The field definitions of the book's entries: one list per entry type, from which the desk forms,
the sync validation and `/api/v1/schema` are all made. Each kind of field (text, date, choice, …)
is a class of kinds.py, which owns its part of all three and of the review page.

`/api/v1/schema` is JSON Schema draft 2020-12: `$defs` holds one object schema per entry type for
the `data` of a sync entry. Besides the standard keywords (type, required, enum, minLength,
maxLength, pattern, minimum, maximum, minItems, uniqueItems, items, format "date" and "uuid",
additionalProperties) the schema carries these extension keywords, which a client may use to show
the server's own labels and messages:

- `title` (standard): the field's label, in the user's language.
- `x-messages`: `{keyword: message}` on every property: the message, in the user's language, to
  show when that keyword fails. Keys are the standard keyword names ("required", "type", "enum",
  "minLength", "maxLength", "pattern", "minimum", "maximum", "minItems", "uniqueItems", "format")
  and the extension keywords below ("x-not-future", "x-not-before"). "required" sits on the property
  although the standard keyword sits on its parent object. On an entry type's schema,
  `x-messages.additionalProperties` is the message for an unknown field.
- `x-not-future: true` on a date: the date may not be after today in Asia/Ho_Chi_Minh.
- `x-not-before: "<field>"` on a date: the date may not be before the date in that sibling field.
- `x-vocabulary: "<name>"` on a choice (or on a list of choices): the bootstrap vocabulary whose
  codes make the enum; `x-labels: {code: label}` gives the labels here too.
- `x-choices-from: "members"` on a user id (or a list of them): one of bootstrap's `members` ids.
- `x-refers-to: "<entry type>"` on a uuid: the uuid of a case (or activity) the server knows, or
  that is sent in the same batch; `"provider"`: the uuid of one of bootstrap's `providers` (the
  user's directory), or null when the provider was typed in.
- `x-links-to: "screening"` on a uuid: the entry this one came from (a case registered from a
  screening), stored as sent and linked when the server has both, whichever comes first.
- `x-choices-from: "round_areas"` on a text: one of the areas of the working set's round the
  entry names (`rounds[].areas`).
- `x-risk-rule` on a screening's answers: `{"weights": {code: points}, "levels": [[least
  points, level], …] (highest first), "labels", "explained", "suggested"}` — the server's own
  rule (screenings.py) for the suggested risk level, so the phone suggests the same.
- `x-widget`: how the desk draws the field ("text", "textarea", "number", "date", "select",
  "checkboxes", "checkbox", "tel", "consent", "member", "members", "hidden").
- `x-order` on an entry type's schema: the fields in the order the forms show them.

Optional fields may be left out or sent as null; required ones are listed in `required`. Text is
trimmed of surrounding spaces before it is checked, and is stored as text (never rendered as HTML).
"""
import re
import uuid as uuid_module
from functools import lru_cache

from flask_babel import get_locale, lazy_gettext as _l

from . import screenings, vocab
from ..clock import local_today
from ..invalid import Invalid
from .kinds import (
    Answers, Area, Boolean, Choice, Choices, Consent, Date, Integer, Link, Member, Members, Phone,
    ProviderReference, Reference,
    Text, TextArea, parse_date,
)

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _this_year():
    return local_today().year


CASE = [
    Text("full_name", _l("Full name"), required=True, max_length=120,
         messages={"required": _l("Enter the person's full name.")}),
    Choice("sex", _l("Sex"), required=True, vocabulary=vocab.SEXES,
           messages={"required": _l("Choose the person's sex.")}),
    Integer("birth_year", _l("Year of birth"), minimum=1900, maximum=_this_year),
    Text("address", _l("Address (group, street)"), max_length=200),
    Text("neighbourhood", _l("Neighbourhood"), max_length=120),
    Phone("phone", _l("Phone number"), max_length=20),
    Choices("categories", _l("Categories"), required=True,
            vocabulary=vocab.CASE_CATEGORIES,
            messages={"required": _l("Choose at least one category."),
                      "minItems": _l("Choose at least one category.")}),
    Choice("risk_level", _l("Risk level"), required=True, vocabulary=vocab.RISK_LEVELS,
           messages={"required": _l("Choose the risk level.")}),
    TextArea("met_how", _l("How the club met them"), max_length=2000),
    Consent("consent", _l("Consent"), required=True,
            messages={"required": _l("Record the person's answer for each purpose.")}),
    Member("assigned_to", _l("Assigned member")),
    # Registered from a screening of the ward's survey (it names no one; the case does).
    Link("screening_uuid", _l("Screening"), links_to="screening"),
]

VISIT = [
    Reference("case_uuid", _l("Case"), required=True, refers_to="case", desk=False,
              messages={"required": _l("Choose the case.")}),
    Date("date", _l("Date"), required=True, not_future=True,
         messages={"required": _l("Enter the date of the visit.")}),
    Choice("kind", _l("Kind of contact"), required=True, vocabulary=vocab.VISIT_KINDS,
           messages={"required": _l("Choose the kind of contact.")}),
    Choices("topics", _l("Topics"), vocabulary=vocab.VISIT_TOPICS),
    TextArea("notes", _l("Notes"), max_length=4000),
    Choices("needs", _l("Needs found"), vocabulary=vocab.SERVICE_KINDS),
    Members("members_present", _l("Members present")),
    Date("follow_up_date", _l("Follow-up date"), not_before="date",
         messages={"x-not-before": _l("The follow-up date cannot be before the visit.")}),
    Integer("appointment_id", _l("Appointment"), minimum=1, desk=False),
]

REFERRAL = [
    Reference("case_uuid", _l("Case"), required=True, refers_to="case", desk=False,
              messages={"required": _l("Choose the case.")}),
    Choice("service_kind", _l("Service"), required=True, vocabulary=vocab.SERVICE_KINDS,
           messages={"required": _l("Choose the service.")}),
    # A provider of the directory, when one fits; `provider` holds its name, or one typed in.
    ProviderReference("provider_uuid", _l("Provider from the directory")),
    Text("provider", _l("Service provider"), required=True, max_length=200,
         messages={"required": _l("Enter the service provider.")}),
    Date("referred_on", _l("Referred on"), required=True, not_future=True,
         messages={"required": _l("Enter the date of the referral.")}),
    TextArea("reason", _l("Reason"), max_length=2000),
]

ATTENDANCE = [
    Reference("activity_uuid", _l("Activity"), required=True, refers_to="activity",
              desk=False, messages={"required": _l("Choose the activity.")}),
    Reference("case_uuid", _l("Case"), required=True, refers_to="case",
              messages={"required": _l("Choose the case.")}),
    Member("brought_by", _l("Brought by")),
]

SCREENING = [
    Reference("round_uuid", _l("Survey round"), required=True, refers_to="round", desk=False,
              messages={"required": _l("Choose the survey round.")}),
    Area("area", _l("Area (tổ, khu phố)"), required=True, max_length=120,
         messages={"required": _l("Choose the area where you met the person.")}),
    Date("screened_on", _l("Date"), required=True, not_future=True,
         messages={"required": _l("Enter the date of the screening.")}),
    Choice("category", _l("The person met is"), required=True, vocabulary=vocab.CASE_CATEGORIES,
           messages={"required": _l("Choose what best describes the person.")}),
    Answers("indicators", _l("Ask, and tick each answer yes"), vocabulary=vocab.RISK_INDICATORS,
            rule=screenings.risk_rule),
    Choice("risk_level", _l("Risk level"), required=True, vocabulary=vocab.RISK_LEVELS,
           messages={"required": _l("Choose the risk level.")}),
    Boolean("counselled", _l("Counselled the person")),
    Choices("topics", _l("Counselling topics"), vocabulary=vocab.VISIT_TOPICS),
    TextArea("notes", _l("Short notes (no name, phone or address)"), max_length=500),
]

# Desk-only records (not entries of the sync contract).
ACTIVITY = [
    Text("title", _l("Title"), required=True, max_length=200,
         messages={"required": _l("Enter the activity's title.")}),
    Choice("kind", _l("Kind of activity"), required=True, vocabulary=vocab.ACTIVITY_KINDS,
           messages={"required": _l("Choose the kind of activity.")}),
    Date("date", _l("Date"), required=True,
         messages={"required": _l("Enter the date of the activity.")}),
    Text("place", _l("Place"), max_length=200),
    Integer("attendee_count", _l("Number of attendees"), minimum=0, maximum=100000),
]

# The directory of service providers (desk-only: kept by the board and the supervisor).
PROVIDER = [
    Text("name", _l("Name"), required=True, max_length=200,
         messages={"required": _l("Enter the provider's name.")}),
    Choices("service_kinds", _l("Services offered"), required=True, vocabulary=vocab.SERVICE_KINDS,
            messages={"required": _l("Choose at least one service."),
                      "minItems": _l("Choose at least one service.")}),
    Text("address", _l("Address"), max_length=200),
    Text("phone", _l("Phone number"), max_length=40),
    Text("hours", _l("Opening hours"), max_length=200),
    TextArea("notes", _l("Notes"), max_length=2000),
]


def object_schema(fields):
    """The JSON Schema of a record made of `fields`."""
    return {
        "type": "object",
        "properties": {f.name: f.schema() for f in fields},
        "required": [f.name for f in fields if f.required],
        "additionalProperties": False,
        "x-order": [f.name for f in fields],
        "x-messages": {"additionalProperties": str(_l("This field is not part of the form.")),
                       "type": str(_l("The entry's data must be an object."))},
    }


def entry_schema(form):
    """The schema of a record made of the fields `form` (CASE, VISIT, …) in the current language;
    shared, so not to be changed.

    Made once per language and day (some bounds follow the date): a sync of 200 entries would
    otherwise translate every label and message 200 times.
    """
    return _entry_schema(tuple(form), str(get_locale()), local_today())


@lru_cache(maxsize=64)
def _entry_schema(form, _locale, _today):
    return object_schema(form)


def api_schema(forms):
    """The document served at /api/v1/schema: one schema per entry type ({name: fields}), in
    `$defs`."""
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": "/api/v1/schema",
        "title": str(_l("Sổ Theo Dõi: data of the entries sent to /api/v1/sync")),
        "x-sync-version": 1,
        "x-entry-types": list(forms),
        "$defs": {name: entry_schema(form) for name, form in forms.items()},
    }


# --- Validation --------------------------------------------------------------------------------

def _is_type(value, json_type):
    if json_type == "null":
        return value is None
    if json_type == "string":
        return isinstance(value, str)
    if json_type == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if json_type == "boolean":
        return isinstance(value, bool)
    if json_type == "array":
        return isinstance(value, list)
    if json_type == "object":
        return isinstance(value, dict)
    return False


def _check(value, s, data):
    """The first keyword of schema `s` that `value` fails, or None."""
    types = s.get("type")
    if types is not None:
        types = types if isinstance(types, list) else [types]
        if not any(_is_type(value, t) for t in types):
            return "type"
    if value is None:
        return None
    if "enum" in s and value not in s["enum"]:
        return "enum"
    if isinstance(value, str):
        if len(value) < s.get("minLength", 0):
            return "minLength"
        if "maxLength" in s and len(value) > s["maxLength"]:
            return "maxLength"
        if "pattern" in s and not re.search(s["pattern"], value):
            return "pattern"
        if s.get("format") == "date":
            parsed = parse_date(value)
            if parsed is None:
                return "format"
            if s.get("x-not-future") and parsed > local_today():
                return "x-not-future"
            other = parse_date(data.get(s.get("x-not-before") or "", None))
            if other is not None and parsed < other:
                return "x-not-before"
        if s.get("format") == "uuid" and not UUID_RE.match(value):
            return "format"
    if isinstance(value, int) and not isinstance(value, bool):
        if "minimum" in s and value < s["minimum"]:
            return "minimum"
        if "maximum" in s and value > s["maximum"]:
            return "maximum"
    if isinstance(value, list):
        if len(value) < s.get("minItems", 0):
            return "minItems"
        items = s.get("items")
        failures = [_check(item, items, data) for item in value] if items else []
        if "enum" in failures:
            return "enum"
        if any(failures):
            return "type"
        if s.get("uniqueItems") and len({repr(v) for v in value}) != len(value):
            return "uniqueItems"
    if isinstance(value, dict):
        if set(value) - set(s.get("properties", {})) and s.get("additionalProperties") is False:
            return "type"
        for key in s.get("required", []):
            if key not in value:
                return "type"
        for key, sub in s.get("properties", {}).items():
            if key in value and _check(value[key], sub, value):
                return "type"
    return None


def _message(s, keyword):
    messages = s.get("x-messages", {})
    return messages.get(keyword) or messages.get("type") or str(_l("This value is not valid."))


def _trim(value):
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):
        return [item.strip() if isinstance(item, str) else item for item in value]
    return value


def validate(form, data):
    """Check `data` against the schema of `form` (a list of fields: CASE, VISIT, …); returns the
    cleaned data or raises Invalid.

    The clean data has text trimmed, dates as `date`, and every field present (None, "" or []
    for what was left out).
    """
    schema = entry_schema(form)
    if not isinstance(data, dict):
        raise Invalid({"data": _message(schema, "type")})
    data = {key: _trim(value) for key, value in data.items()}
    errors = {}
    for key in data:
        if key not in schema["properties"]:
            errors[key] = _message(schema, "additionalProperties")
    for name, s in schema["properties"].items():
        if name not in data or (data[name] is None and name in schema["required"]):
            if name in schema["required"]:
                errors[name] = _message(s, "required")
            continue
        failed = _check(data[name], s, data)
        if failed:
            errors[name] = _message(s, failed)
    if errors:
        raise Invalid(errors)
    return clean(form, data)


def clean(form, data):
    """Fill in what was left out and turn dates into `date` (data already checked)."""
    return {f.name: f.clean(data.get(f.name)) for f in form}


def is_uuid(value):
    if not isinstance(value, str):
        return False
    try:
        return str(uuid_module.UUID(value)) == value
    except ValueError:
        return False
