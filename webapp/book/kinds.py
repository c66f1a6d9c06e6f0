"""The kinds of field an entry is made of, one class each (as WTForms makes each field a class).

A kind owns everything that differs from one kind to another: its JSON Schema fragment and the
messages of its rules (fields.py assembles them into `/api/v1/schema`), how a checked value is
cleaned, the WTForms field the desk draws and how it reads and fills it, and how the review page
shows a value. A new kind is one new class here; nothing else asks which kind it holds.
"""
import re
from datetime import date

from flask_babel import gettext as _, lazy_gettext as _l
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.widgets import CheckboxInput, DateInput, ListWidget, NumberInput, TelInput

from . import vocab
from ..i18n import format_date
from ..models import Activity, Case, Provider, SurveyRound, User

CHOOSE = _l("— choose —")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# The largest whole number the database holds (64-bit signed): a larger one in an entry is that
# entry's error, never the server's.
MAX_INTEGER = 2 ** 63 - 1
# The keywords a value can fail: each has a message in `x-messages` (the type's, unless its own).
CHECKED_KEYWORDS = ("enum", "minLength", "maxLength", "pattern", "minimum", "maximum", "minItems",
                    "uniqueItems", "format", "x-not-future", "x-not-before")
# A Vietnamese phone number as people write it: 0, 84 or +84, then a mobile number (3, 5, 7, 8 or 9
# and eight digits) or a landline (2, its area code and the number: ten digits), in groups split by
# spaces, dots or dashes. Empty passes: a required field says so with minLength. ECMA-262 and
# Python read the pattern alike (the phone checks it too).
VN_PHONE_PATTERN = r"^(?:(?:\+84|84|0)[ .-]?(?:[35789](?:[ .-]?\d){8}|2(?:[ .-]?\d){9}))?$"


class Field:
    """One field of an entry: its name, label, whether it is required and the message for each
    rule it can break. Subclasses are the kinds; `kind` names one, `widget` is its `x-widget`."""

    kind = widget = None
    type_message = None  # the message when the value is of the wrong type
    vocabulary = refers_to = None

    def __init__(self, name, label, *, required=False, messages=None, desk=True):
        self.name = name
        self.label = label
        self.required = required
        self.custom_messages = messages or {}
        self.desk = desk  # drawn on the desk's form (uuid references are not: the page knows them)

    @staticmethod
    def bound(value):
        return value() if callable(value) else value

    def _type(self, json_type):
        """The JSON type of the value: null allowed when the field is optional."""
        return json_type if self.required else [json_type, "null"]

    # --- the schema ----------------------------------------------------------------------------

    def json_schema(self):
        """The kind's keywords of the field's JSON Schema (title, widget and messages aside)."""
        raise NotImplementedError

    def rule_messages(self):
        """{keyword: message} for the kind's own rules, in the order the schema lists them."""
        return {}

    def messages(self):
        """{keyword: message} for every rule of this field (lazy strings)."""
        m = {"required": _l("Fill in this field.")} if self.required else {}
        m["type"] = self.type_message
        m.update(self.rule_messages())
        m.update(self.custom_messages)
        return m

    def schema(self):
        """The JSON Schema of this field, with its label and messages in the current language."""
        s = {"title": str(self.label), **self.json_schema(), "x-widget": self.widget}
        messages = {key: str(message) for key, message in self.messages().items()}
        for keyword in CHECKED_KEYWORDS:
            if keyword in s:
                messages.setdefault(keyword, messages["type"])
        s["x-messages"] = messages
        return s

    # --- the checked value ---------------------------------------------------------------------

    def clean(self, value):
        """The value stored for what passed the schema (left out: None)."""
        return value

    # --- the desk's form -----------------------------------------------------------------------

    def desk_field(self):
        """The WTForms field that draws this one (raw values: the validator checks them)."""
        raise NotImplementedError

    def desk_fields(self):
        """{attribute: WTForms field} this field adds to a desk form class."""
        return {self.name: self.desk_field()}

    def drawn(self, form):
        """The bound WTForms fields that draw this one on `form`."""
        return [getattr(form, self.name)] if hasattr(form, self.name) else []

    def error_target(self, form):
        """The bound WTForms field that shows this field's message, or None."""
        return getattr(form, self.name, None)

    def desk_choices(self, member_choices, case_choices):
        """The options of a select or of checkboxes, or None for a field without options."""
        return None

    def from_desk(self, typed):
        """What was typed, as the phone would send it (uncheckable values kept as typed)."""
        return typed

    def read(self, form):
        return self.from_desk(getattr(form, self.name).data)

    def to_desk(self, value):
        """A stored value as the desk's form holds it."""
        return value

    def fill(self, form, value):
        getattr(form, self.name).data = self.to_desk(value)

    # --- the review page -----------------------------------------------------------------------

    def show(self, value, club):
        """A value as the chair reads it: vocabulary labels, names, case codes, dd/mm/yyyy."""
        if value is None or value == "" or value == [] or value == {}:
            return ""
        return ", ".join(self.shown(value if isinstance(value, list) else [value], club))

    def shown(self, values, club):
        return [str(v) for v in values]

    def members_named(self, value):
        """The user ids of the club's members this field's value names (a Member's: none here)."""
        return []


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _whole_number(value):
    return int(value) if str(value).lstrip("-").isdigit() else value


class Text(Field):
    """A line of text, trimmed; "" when left out."""

    kind = widget = "text"
    type_message = _l("Enter text.")
    desk_class = StringField

    def __init__(self, name, label, *, max_length=None, **common):
        super().__init__(name, label, **common)
        self.max_length = max_length

    def json_schema(self):
        s = {"type": self._type("string")}
        if self.required:
            s["minLength"] = 1
        if self.max_length:
            s["maxLength"] = self.max_length
        return s

    def rule_messages(self):
        if not self.max_length:
            return {}
        return {"maxLength": _l("Use at most %(n)d characters.", n=self.max_length)}

    def messages(self):
        m = super().messages()
        if self.required:  # an empty text breaks "required" in the reader's eyes
            m.setdefault("minLength", m["required"])
        return m

    def clean(self, value):
        return value or ""

    def desk_field(self):
        return self.desk_class(self.label, filters=[_strip])

    def from_desk(self, typed):
        return typed or ""


class Phone(Text):
    """A Vietnamese phone number (mobile or landline), kept as typed."""

    kind, widget = "phone", "tel"
    pattern = VN_PHONE_PATTERN

    def json_schema(self):
        return {**super().json_schema(), "pattern": self.pattern}

    def rule_messages(self):
        return {**super().rule_messages(),
                "pattern": _l("Enter a Vietnamese phone number, e.g. 0912 345 678 or "
                              "024 3825 1234.")}

    def desk_field(self):
        return self.desk_class(self.label, filters=[_strip], widget=TelInput())


class TextArea(Text):
    """Several lines of text."""

    kind = widget = "textarea"
    desk_class = TextAreaField


class Integer(Field):
    """A whole number between optional bounds (a bound may be a function, e.g. this year)."""

    kind, widget = "integer", "number"
    type_message = _l("Enter a whole number.")

    def __init__(self, name, label, *, minimum=None, maximum=None, **common):
        super().__init__(name, label, **common)
        self.minimum = minimum
        self.maximum = maximum

    def json_schema(self):
        s = {"type": self._type("integer")}
        if self.minimum is not None:
            s["minimum"] = self.bound(self.minimum)
        s["maximum"] = self.bound(self.maximum) if self.maximum is not None else MAX_INTEGER
        return s

    def rule_messages(self):
        if self.minimum is None or self.maximum is None:
            return {}
        message = _l("Enter a number between %(low)s and %(high)s.",
                     low=self.bound(self.minimum), high=self.bound(self.maximum))
        return {"minimum": message, "maximum": message}

    def desk_field(self):
        return StringField(self.label, widget=NumberInput(), filters=[_strip])

    def from_desk(self, typed):
        return None if typed in (None, "") else _whole_number(typed)

    def to_desk(self, value):
        return "" if value is None else str(value)


class Date(Field):
    """A local date, sent as yyyy-mm-dd, stored as a `date`; maybe not in the future, or not
    before the date in a sibling field."""

    kind = widget = "date"
    type_message = _l("Enter a valid date.")

    def __init__(self, name, label, *, not_future=False, not_before=None, **common):
        super().__init__(name, label, **common)
        self.not_future = not_future
        self.not_before = not_before

    def json_schema(self):
        s = {"type": self._type("string"), "format": "date"}
        if self.not_future:
            s["x-not-future"] = True
        if self.not_before:
            s["x-not-before"] = self.not_before
        return s

    def rule_messages(self):
        m = {"format": _l("Enter a valid date.")}
        if self.not_future:
            m["x-not-future"] = _l("The date cannot be in the future.")
        if self.not_before:
            m["x-not-before"] = _l("This date cannot be before the date above.")
        return m

    def clean(self, value):
        return parse_date(value)

    def desk_field(self):
        return StringField(self.label, widget=DateInput(), filters=[_strip])

    def from_desk(self, typed):
        return typed or None

    def shown(self, values, club):
        return [format_date(v) for v in values]


class Choice(Field):
    """One code of a vocabulary, drawn as a select."""

    kind, widget = "choice", "select"
    type_message = _l("Choose one of the options.")

    def __init__(self, name, label, *, vocabulary, **common):
        super().__init__(name, label, **common)
        self.vocabulary = vocabulary

    def json_schema(self):
        return {"type": self._type("string"),
                "enum": list(self.vocabulary.codes) + ([] if self.required else [None]),
                **self._vocabulary_keywords()}

    def _vocabulary_keywords(self):
        return {"x-vocabulary": self.vocabulary.name, "x-labels": dict(self.vocabulary.choices())}

    def rule_messages(self):
        return {"enum": _l("Choose one of the options.")}

    def desk_field(self):
        return SelectField(self.label, choices=[], validate_choice=False)

    def desk_choices(self, member_choices, case_choices):
        return [("", CHOOSE)] + self.vocabulary.choices()

    def from_desk(self, typed):
        return typed or None

    def shown(self, values, club):
        return [self.vocabulary.label(v) for v in values]


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes (large targets on a phone)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        pass  # the field definitions check the choices, with their own message


class Choices(Choice):
    """Several codes of a vocabulary, each once, drawn as checkboxes; [] when left out."""

    kind, widget = "choices", "checkboxes"
    type_message = _l("Choose from the list.")

    def json_schema(self):
        s = {"type": self._type("array"),
             "items": {"type": "string", "enum": list(self.vocabulary.codes)},
             "uniqueItems": True}
        if self.required:
            s["minItems"] = 1
        return {**s, **self._vocabulary_keywords()}

    def rule_messages(self):
        return {"enum": _l("Choose one of the options."), **_list_messages(self)}

    def clean(self, value):
        return list(value or [])

    def desk_field(self):
        return CheckboxesField(self.label, choices=[])

    def desk_choices(self, member_choices, case_choices):
        return self.vocabulary.choices()

    def from_desk(self, typed):
        return list(typed or [])


class Answers(Choices):
    """Yes/no questions, each answered yes by being ticked, with the rule that suggests a risk
    level from them (`rule`: a callable giving its data, sent as `x-risk-rule`)."""

    def __init__(self, name, label, *, rule, **common):
        super().__init__(name, label, **common)
        self.rule = rule

    def json_schema(self):
        return {**super().json_schema(), "x-risk-rule": self.rule()}


class Area(Text):
    """An area (tổ, khu phố) of the survey round the entry belongs to: one of the working set's
    round `areas`, checked by the screening's own rules."""

    widget = "select"

    def json_schema(self):
        return {**super().json_schema(), "x-choices-from": "round_areas"}


def _list_messages(field):
    m = {"uniqueItems": _l("Choose each option only once.")}
    if field.required:
        m["minItems"] = _l("Choose at least one.")
    return m


class Boolean(Field):
    """Yes or no, drawn as a checkbox."""

    kind, widget = "boolean", "checkbox"
    type_message = _l("Answer yes or no.")

    def json_schema(self):
        return {"type": "boolean"}

    def desk_field(self):
        return BooleanField(self.label)

    def shown(self, values, club):
        return [_("yes") if v else _("no") for v in values]


class Consent(Field):
    """The person's answer for each consent purpose: true (agrees), false (does not) or null (not
    asked yet: they may not have been asked, or may refuse support, Law 53/2024/QH15); drawn on
    the desk as one checkbox a purpose."""

    kind = widget = "consent"
    type_message = _l("For each purpose, answer yes, no or not asked yet.")
    purposes = vocab.CONSENT_PURPOSES

    def json_schema(self):
        return {"type": "object",
                "properties": {purpose: {"type": ["boolean", "null"], "title": label}
                               for purpose, label in self.purposes.choices()},
                "required": list(self.purposes.codes),
                "additionalProperties": False}

    def clean(self, value):
        value = value or {}
        return {purpose: None if value.get(purpose) is None else bool(value[purpose])
                for purpose in self.purposes.codes}

    def desk_fields(self):
        return {f"consent_{purpose}": BooleanField(label)
                for purpose, label in self.purposes.items.items()}

    def drawn(self, form):
        return [getattr(form, f"consent_{purpose}") for purpose in self.purposes.codes]

    def error_target(self, form):
        return form.consent_follow

    def read(self, form):
        return {purpose: bool(box.data) for purpose, box in zip(self.purposes.codes,
                                                               self.drawn(form))}

    def fill(self, form, value):
        for purpose, box in zip(self.purposes.codes, self.drawn(form)):
            box.data = bool((value or {}).get(purpose))

    def show(self, value, club):
        if not isinstance(value, dict):
            return super().show(value, club)
        answers = {True: _("yes"), False: _("no"), None: _("not asked yet")}
        return "; ".join(f"{self.purposes.label(k)}: {answers.get(v, _('no'))}"
                         for k, v in value.items())


class Member(Field):
    """A member of the club, by user id, drawn as a select of the club's members."""

    kind, widget = "user", "member"
    type_message = _l("Choose a member of the club.")

    def json_schema(self):
        return {"type": self._type("integer"), "minimum": 1, "maximum": MAX_INTEGER,
                "x-choices-from": "members"}

    def desk_field(self):
        return SelectField(self.label, choices=[], validate_choice=False)

    def desk_choices(self, member_choices, case_choices):
        return [("", CHOOSE)] + member_choices

    def from_desk(self, typed):
        return None if typed in (None, "") else _whole_number(typed)

    def to_desk(self, value):
        return "" if value is None else str(value)

    def shown(self, values, club):
        names = {u.id: str(u) for u in User.select().where((User.id.in_(values))
                                                           & (User.club == club))}
        return [names.get(v, str(v)) for v in values]

    def members_named(self, value):
        values = value if isinstance(value, list) else [value]
        return [v for v in values if isinstance(v, int) and not isinstance(v, bool)]


class Members(Member):
    """Several members of the club, each once, drawn as checkboxes; [] when left out."""

    kind, widget = "users", "members"
    type_message = _l("Choose members of the club.")

    def json_schema(self):
        return {"type": self._type("array"),
                "items": {"type": "integer", "minimum": 1, "maximum": MAX_INTEGER},
                "uniqueItems": True, "x-choices-from": "members"}

    def rule_messages(self):
        return _list_messages(self)

    def clean(self, value):
        return list(value or [])

    def desk_field(self):
        return CheckboxesField(self.label, choices=[])

    def desk_choices(self, member_choices, case_choices):
        return member_choices

    def from_desk(self, typed):
        return [int(v) if str(v).isdigit() else v for v in typed or []]

    def to_desk(self, value):
        return [str(v) for v in value or []]


def _case_names(uuids, club):
    cases = {c.uuid: c for c in Case.select().where((Case.uuid.in_(uuids)) & (Case.club == club))}
    return {uuid: f"{c.code or ''} {c.full_name}".strip() for uuid, c in cases.items()}


def _activity_names(uuids, club):
    activities = Activity.select().where((Activity.uuid.in_(uuids)) & (Activity.club == club))
    return {a.uuid: f"{a.title} ({format_date(a.date)})" for a in activities}


def _round_names(uuids, club):
    rounds = SurveyRound.select().where((SurveyRound.uuid.in_(uuids)) & (SurveyRound.club == club))
    return {r.uuid: r.name for r in rounds}


class Reference(Field):
    """The uuid of a record the entry refers to (a case, an activity): known to the server or
    sent in the same batch. The desk draws it as a select of cases, when it draws it at all."""

    kind, widget = "uuid", "hidden"
    type_message = _l("This reference is not valid.")
    # How the chair reads each one.
    NAMES = {"case": _case_names, "activity": _activity_names, "round": _round_names}

    def __init__(self, name, label, *, refers_to, **common):
        super().__init__(name, label, **common)
        self.refers_to = refers_to

    def json_schema(self):
        return {"type": "string", "format": "uuid", "minLength": 36, "maxLength": 36,
                "x-refers-to": self.refers_to}

    def rule_messages(self):
        return {"format": _l("This reference is not valid.")}

    def desk_field(self):
        return SelectField(self.label, choices=[], validate_choice=False)

    def desk_choices(self, member_choices, case_choices):
        return [("", CHOOSE)] + list(case_choices)

    def from_desk(self, typed):
        return typed or None

    def shown(self, values, club):
        namer = self.NAMES.get(self.refers_to)
        names = namer(values, club) if namer else {}
        return [names.get(v, str(v)) for v in values]


class Link(Field):
    """The uuid of an entry this one came from (a case's screening), which may reach the server
    later or never: stored as sent, linked when both are there (`x-links-to`). Never drawn."""

    kind, widget = "uuid", "hidden"
    type_message = _l("This reference is not valid.")

    def __init__(self, name, label, *, links_to, **common):
        super().__init__(name, label, desk=False, **common)
        self.links_to = links_to

    def json_schema(self):
        return {"type": self._type("string"), "format": "uuid", "minLength": 36,
                "maxLength": 36, "x-links-to": self.links_to}

    def rule_messages(self):
        return {"format": _l("This reference is not valid.")}


class ProviderReference(Reference):
    """The uuid of a provider of the user's directory (the working set's `providers`), checked by
    the referral's own rules; the desk draws it as a select the page fills."""

    widget = "select"

    def __init__(self, name, label, **common):
        super().__init__(name, label, refers_to="provider", **common)

    def json_schema(self):
        return {**super().json_schema(), "type": self._type("string")}

    def desk_field(self):
        # Left out of a post, the select holds None (str would make it "None").
        return SelectField(self.label, choices=[], validate_choice=False,
                           coerce=lambda v: v if v is None else str(v))

    def desk_choices(self, member_choices, case_choices):
        return None  # the page sets the directory's providers

    def shown(self, values, club):
        names = {p.uuid: p.name for p in Provider.select().where(Provider.uuid.in_(values))}
        return [names.get(v, str(v)) for v in values]


def parse_date(value):
    """A yyyy-mm-dd string as a `date`, or None."""
    if not isinstance(value, str) or not DATE_RE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None
