"""The field definitions of the book's entries: one list per entry type, from which the desk forms,
the sync validation and `/api/v1/schema` are all made.

`/api/v1/schema` is JSON Schema draft 2020-12: `$defs` holds one object schema per entry type for
the `data` of a sync entry. Besides the standard keywords (type, required, enum, minLength,
maxLength, minimum, maximum, minItems, uniqueItems, items, format "date" and "uuid",
additionalProperties) the schema carries these extension keywords, which a client may use to show
the server's own labels and messages:

- `title` (standard): the field's label, in the user's language.
- `x-messages`: `{keyword: message}` on every property: the message, in the user's language, to
  show when that keyword fails. Keys are the standard keyword names ("required", "type", "enum",
  "minLength", "maxLength", "minimum", "maximum", "minItems", "uniqueItems", "format") and the
  extension keywords below ("x-not-future", "x-not-before"). "required" sits on the property
  although the standard keyword sits on its parent object. On an entry type's schema,
  `x-messages.additionalProperties` is the message for an unknown field.
- `x-not-future: true` on a date: the date may not be after today in Asia/Ho_Chi_Minh.
- `x-not-before: "<field>"` on a date: the date may not be before the date in that sibling field.
- `x-vocabulary: "<name>"` on a choice (or on a list of choices): the bootstrap vocabulary whose
  codes make the enum; `x-labels: {code: label}` gives the labels here too.
- `x-choices-from: "members"` on a user id (or a list of them): one of bootstrap's `members` ids.
- `x-refers-to: "<entry type>"` on a uuid: the uuid of a case (or activity) the server knows, or
  that is sent in the same batch.
- `x-widget`: how the desk draws the field ("text", "textarea", "number", "date", "select",
  "checkboxes", "checkbox", "consent", "member", "members", "hidden").
- `x-order` on an entry type's schema: the fields in the order the forms show them.

Optional fields may be left out or sent as null; required ones are listed in `required`. Text is
trimmed of surrounding spaces before it is checked, and is stored as text (never rendered as HTML).
"""
import re
import uuid as uuid_module
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask_babel import get_locale, lazy_gettext as _l

from . import vocab
from ..invalid import Invalid

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


# The largest whole number the database holds (64-bit signed): a larger one in an entry is that
# entry's error, never the server's.
MAX_INTEGER = 2 ** 63 - 1

CHECKED_KEYWORDS = ("enum", "minLength", "maxLength", "minimum", "maximum", "minItems",
                    "uniqueItems", "format", "x-not-future", "x-not-before")


def local_today():
    """Today where the clubs are (dates in the book are local dates)."""
    return datetime.now(LOCAL_TZ).date()


class Field:
    """One field of an entry: its kind, label, limits and the message for each rule it can break."""

    def __init__(self, name, kind, label, *, required=False, max_length=None, minimum=None,
                 maximum=None, vocabulary=None, not_future=False, not_before=None,
                 refers_to=None, messages=None, desk=True):
        self.name = name
        self.kind = kind
        self.label = label
        self.required = required
        self.max_length = max_length
        self.minimum = minimum
        self.maximum = maximum
        self.vocabulary = vocabulary
        self.not_future = not_future
        self.not_before = not_before
        self.refers_to = refers_to
        self.custom_messages = messages or {}
        self.desk = desk  # drawn on the desk's form (uuid references are not: the page knows them)

    def bound(self, value):
        return value() if callable(value) else value

    def messages(self):
        """{keyword: message} for every rule of this field (lazy strings)."""
        m = {}
        if self.required:
            m["required"] = _l("Fill in this field.")
        type_messages = {
            "text": _l("Enter text."), "textarea": _l("Enter text."),
            "integer": _l("Enter a whole number."), "date": _l("Enter a valid date."),
            "choice": _l("Choose one of the options."), "choices": _l("Choose from the list."),
            "boolean": _l("Answer yes or no."), "consent": _l("For each purpose, answer yes, no or not asked yet."),
            "user": _l("Choose a member of the club."), "users": _l("Choose members of the club."),
            "uuid": _l("This reference is not valid."),
        }
        m["type"] = type_messages[self.kind]
        if self.max_length:
            m["maxLength"] = _l("Use at most %(n)d characters.", n=self.max_length)
        if self.minimum is not None and self.maximum is not None:
            m["minimum"] = m["maximum"] = _l("Enter a number between %(low)s and %(high)s.",
                                             low=self.bound(self.minimum),
                                             high=self.bound(self.maximum))
        if self.kind in ("choice", "choices"):
            m["enum"] = _l("Choose one of the options.")
        if self.kind in ("choices", "users"):
            m["uniqueItems"] = _l("Choose each option only once.")
            if self.required:
                m["minItems"] = _l("Choose at least one.")
        if self.kind == "date":
            m["format"] = _l("Enter a valid date.")
        if self.kind == "uuid":
            m["format"] = _l("This reference is not valid.")
        if self.not_future:
            m["x-not-future"] = _l("The date cannot be in the future.")
        if self.not_before:
            m["x-not-before"] = _l("This date cannot be before the date above.")
        m.update(self.custom_messages)
        if self.kind in ("text", "textarea") and self.required:
            m.setdefault("minLength", m["required"])
        return m

    def schema(self):
        """The JSON Schema of this field, with its label and messages in the current language."""
        nullable = not self.required
        s = {"title": str(self.label)}
        if self.kind in ("text", "textarea"):
            s["type"] = ["string", "null"] if nullable else "string"
            if self.required:
                s["minLength"] = 1
            if self.max_length:
                s["maxLength"] = self.max_length
            s["x-widget"] = self.kind
        elif self.kind == "integer":
            s["type"] = ["integer", "null"] if nullable else "integer"
            if self.minimum is not None:
                s["minimum"] = self.bound(self.minimum)
            s["maximum"] = (self.bound(self.maximum) if self.maximum is not None
                            else MAX_INTEGER)
            s["x-widget"] = "number"
        elif self.kind == "date":
            s["type"] = ["string", "null"] if nullable else "string"
            s["format"] = "date"
            if self.not_future:
                s["x-not-future"] = True
            if self.not_before:
                s["x-not-before"] = self.not_before
            s["x-widget"] = "date"
        elif self.kind == "choice":
            s["type"] = ["string", "null"] if nullable else "string"
            s["enum"] = list(self.vocabulary.codes) + ([None] if nullable else [])
            s["x-vocabulary"] = self.vocabulary.name
            s["x-labels"] = dict(self.vocabulary.choices())
            s["x-widget"] = "select"
        elif self.kind == "choices":
            s["type"] = ["array", "null"] if nullable else "array"
            s["items"] = {"type": "string", "enum": list(self.vocabulary.codes)}
            s["uniqueItems"] = True
            if self.required:
                s["minItems"] = 1
            s["x-vocabulary"] = self.vocabulary.name
            s["x-labels"] = dict(self.vocabulary.choices())
            s["x-widget"] = "checkboxes"
        elif self.kind == "boolean":
            s["type"] = "boolean"
            s["x-widget"] = "checkbox"
        elif self.kind == "consent":
            s["type"] = "object"
            # Each purpose answered: true (agrees), false (does not), null (not asked yet: the
            # person may not have been asked, or may refuse support, Law 53/2024/QH15).
            s["properties"] = {purpose: {"type": ["boolean", "null"], "title": label}
                               for purpose, label in vocab.CONSENT_PURPOSES.choices()}
            s["required"] = list(vocab.CONSENT_PURPOSES.codes)
            s["additionalProperties"] = False
            s["x-widget"] = "consent"
        elif self.kind == "user":
            s["type"] = ["integer", "null"] if nullable else "integer"
            s["minimum"] = 1
            s["maximum"] = MAX_INTEGER
            s["x-choices-from"] = "members"
            s["x-widget"] = "member"
        elif self.kind == "users":
            s["type"] = ["array", "null"] if nullable else "array"
            s["items"] = {"type": "integer", "minimum": 1, "maximum": MAX_INTEGER}
            s["uniqueItems"] = True
            s["x-choices-from"] = "members"
            s["x-widget"] = "members"
        elif self.kind == "uuid":
            s["type"] = "string"
            s["format"] = "uuid"
            s["minLength"] = 36
            s["maxLength"] = 36
            s["x-refers-to"] = self.refers_to
            s["x-widget"] = "hidden"
        messages = {key: str(message) for key, message in self.messages().items()}
        for keyword in CHECKED_KEYWORDS:
            if keyword in s:
                messages.setdefault(keyword, messages["type"])
        s["x-messages"] = messages
        return s


def _this_year():
    return local_today().year


CASE = [
    Field("full_name", "text", _l("Full name"), required=True, max_length=120,
          messages={"required": _l("Enter the person's full name.")}),
    Field("sex", "choice", _l("Sex"), required=True, vocabulary=vocab.SEXES,
          messages={"required": _l("Choose the person's sex.")}),
    Field("birth_year", "integer", _l("Year of birth"), minimum=1900, maximum=_this_year),
    Field("address", "text", _l("Address (group, street)"), max_length=200),
    Field("neighbourhood", "text", _l("Neighbourhood"), max_length=120),
    Field("phone", "text", _l("Phone number"), max_length=20),
    Field("categories", "choices", _l("Categories"), required=True,
          vocabulary=vocab.CASE_CATEGORIES,
          messages={"required": _l("Choose at least one category."),
                    "minItems": _l("Choose at least one category.")}),
    Field("risk_level", "choice", _l("Risk level"), required=True, vocabulary=vocab.RISK_LEVELS,
          messages={"required": _l("Choose the risk level.")}),
    Field("met_how", "textarea", _l("How the club met them"), max_length=2000),
    Field("consent", "consent", _l("Consent"), required=True,
          messages={"required": _l("Record the person's answer for each purpose.")}),
    Field("assigned_to", "user", _l("Assigned member")),
]

VISIT = [
    Field("case_uuid", "uuid", _l("Case"), required=True, refers_to="case", desk=False,
          messages={"required": _l("Choose the case.")}),
    Field("date", "date", _l("Date"), required=True, not_future=True,
          messages={"required": _l("Enter the date of the visit.")}),
    Field("kind", "choice", _l("Kind of contact"), required=True, vocabulary=vocab.VISIT_KINDS,
          messages={"required": _l("Choose the kind of contact.")}),
    Field("topics", "choices", _l("Topics"), vocabulary=vocab.VISIT_TOPICS),
    Field("notes", "textarea", _l("Notes"), max_length=4000),
    Field("needs", "choices", _l("Needs found"), vocabulary=vocab.SERVICE_KINDS),
    Field("members_present", "users", _l("Members present")),
    Field("follow_up_date", "date", _l("Follow-up date"), not_before="date",
          messages={"x-not-before": _l("The follow-up date cannot be before the visit.")}),
    Field("appointment_id", "integer", _l("Appointment"), minimum=1, desk=False),
]

REFERRAL = [
    Field("case_uuid", "uuid", _l("Case"), required=True, refers_to="case", desk=False,
          messages={"required": _l("Choose the case.")}),
    Field("service_kind", "choice", _l("Service"), required=True, vocabulary=vocab.SERVICE_KINDS,
          messages={"required": _l("Choose the service.")}),
    Field("provider", "text", _l("Service provider"), required=True, max_length=200,
          messages={"required": _l("Enter the service provider.")}),
    Field("referred_on", "date", _l("Referred on"), required=True, not_future=True,
          messages={"required": _l("Enter the date of the referral.")}),
    Field("reason", "textarea", _l("Reason"), max_length=2000),
]

ATTENDANCE = [
    Field("activity_uuid", "uuid", _l("Activity"), required=True, refers_to="activity",
          desk=False, messages={"required": _l("Choose the activity.")}),
    Field("case_uuid", "uuid", _l("Case"), required=True, refers_to="case",
          messages={"required": _l("Choose the case.")}),
    Field("brought_by", "user", _l("Brought by")),
]

# Desk-only records (not entries of the sync contract).
ACTIVITY = [
    Field("title", "text", _l("Title"), required=True, max_length=200,
          messages={"required": _l("Enter the activity's title.")}),
    Field("kind", "choice", _l("Kind of activity"), required=True,
          vocabulary=vocab.ACTIVITY_KINDS, messages={"required": _l("Choose the kind of activity.")}),
    Field("date", "date", _l("Date"), required=True,
          messages={"required": _l("Enter the date of the activity.")}),
    Field("place", "text", _l("Place"), max_length=200),
    Field("attendee_count", "integer", _l("Number of attendees"), minimum=0, maximum=100000),
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


def _parse_date(value):
    if not isinstance(value, str) or not DATE_RE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


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
        if s.get("format") == "date":
            parsed = _parse_date(value)
            if parsed is None:
                return "format"
            if s.get("x-not-future") and parsed > local_today():
                return "x-not-future"
            other = _parse_date(data.get(s.get("x-not-before") or "", None))
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
    result = {}
    for f in form:
        value = data.get(f.name)
        if f.kind == "date":
            value = _parse_date(value)
        elif f.kind in ("text", "textarea"):
            value = value or ""
        elif f.kind in ("choices", "users"):
            value = list(value or [])
        elif f.kind == "consent":
            value = {purpose: (None if (value or {}).get(purpose) is None
                               else bool(value[purpose]))
                     for purpose in vocab.CONSENT_PURPOSES.codes}
        result[f.name] = value
    return result


def new_uuid():
    return str(uuid_module.uuid4())


def is_uuid(value):
    if not isinstance(value, str):
        return False
    try:
        return str(uuid_module.UUID(value)) == value
    except ValueError:
        return False
