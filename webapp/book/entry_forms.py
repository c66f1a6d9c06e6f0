"""The desk's forms of the book, made from the field definitions (fields.py).

A form draws each field, collects what was typed into the same `data` the phone sends, and checks
it with the same validator as the sync API, so the desk shows the phone's messages word for word.
"""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.widgets import CheckboxInput, DateInput, ListWidget, NumberInput

from . import fields
from .entries import TYPES
from ..invalid import Invalid
from .vocab import CONSENT_PURPOSES


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes (large targets on a phone)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        pass  # the field definitions check the choices, with their own message


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _wtf_field(f):
    """The WTForms field that draws field definition `f` (raw values: the validator checks them)."""
    if f.kind == "text":
        return StringField(f.label, filters=[_strip])
    if f.kind == "textarea":
        return TextAreaField(f.label, filters=[_strip])
    if f.kind == "integer":
        return StringField(f.label, widget=NumberInput(), filters=[_strip])
    if f.kind == "date":
        return StringField(f.label, widget=DateInput(), filters=[_strip])
    if f.kind in ("choice", "user", "uuid"):
        return SelectField(f.label, choices=[], validate_choice=False)
    if f.kind in ("choices", "users"):
        return CheckboxesField(f.label, choices=[])
    if f.kind == "boolean":
        return BooleanField(f.label)
    raise ValueError(f.kind)


class EntryForm(FlaskForm):
    """Base of the book's desk forms, made from field definitions: `form_fields` all of them (CASE,
    VISIT, …), `definitions` those the desk draws."""

    form_fields = ()
    definitions = ()

    def __init__(self, *args, members=(), case_choices=(), extra=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.values = None
        self.extra = extra or {}  # data the page knows, e.g. the case_uuid of a visit
        member_choices = [(str(m.id), m.full_name or m.login) for m in members]
        for f in self.definitions:
            if not hasattr(self, f.name) and f.kind != "consent":
                continue
            if f.kind in ("choice", "choices"):
                options = f.vocabulary.choices()
                getattr(self, f.name).choices = (options if f.kind == "choices"
                                                 else [("", _l("— choose —"))] + options)
            elif f.kind == "user":
                getattr(self, f.name).choices = [("", _l("— choose —"))] + member_choices
            elif f.kind == "users":
                getattr(self, f.name).choices = member_choices
            elif f.kind == "uuid":
                getattr(self, f.name).choices = [("", _l("— choose —"))] + list(case_choices)

    def drawn(self):
        """The form's fields in the order of the definitions (consent as its three boxes)."""
        out = []
        for f in self.definitions:
            if f.kind == "consent":
                out.extend(getattr(self, f"consent_{p}") for p in CONSENT_PURPOSES.codes)
            elif hasattr(self, f.name):
                out.append(getattr(self, f.name))
        return out

    def entry_data(self):
        """What was typed, as the `data` of a sync entry (uncheckable values kept as typed)."""
        data = {}
        for f in self.definitions:
            if f.kind == "consent":
                data[f.name] = {p: bool(getattr(self, f"consent_{p}").data)
                                for p in CONSENT_PURPOSES.codes}
                continue
            if not hasattr(self, f.name):
                continue
            value = getattr(self, f.name).data
            if f.kind in ("integer", "user"):
                value = None if value in (None, "") else (
                    int(value) if str(value).lstrip("-").isdigit() else value)
            elif f.kind in ("date", "choice", "uuid"):
                value = value or None
            elif f.kind == "users":
                value = [int(v) if str(v).isdigit() else v for v in value or []]
            elif f.kind == "choices":
                value = list(value or [])
            elif f.kind in ("text", "textarea"):
                value = value or ""
            data[f.name] = value
        data.update(self.extra)
        return data

    def fill(self, data):
        """Show an entry's data in the form (editing)."""
        for f in self.definitions:
            value = data.get(f.name)
            if f.kind == "consent":
                for p in CONSENT_PURPOSES.codes:
                    getattr(self, f"consent_{p}").data = bool((value or {}).get(p))
            elif hasattr(self, f.name):
                if f.kind in ("users",):
                    value = [str(v) for v in value or []]
                elif f.kind in ("integer", "user"):
                    value = "" if value is None else str(value)
                getattr(self, f.name).data = value

    def show_errors(self, errors):
        """Put messages keyed by field (from the validator or the sync API) on their fields."""
        for name, message in errors.items():
            target = getattr(self, name, None)
            if name == "consent":
                target = getattr(self, "consent_follow")
            if target is not None and hasattr(target, "errors"):
                target.errors = list(target.errors) + [str(message)]
            else:
                self.form_errors.append(str(message))

    def validate(self, extra_validators=None):
        if not super().validate(extra_validators):
            return False
        try:
            self.values = fields.validate(self.form_fields, self.entry_data())
        except Invalid as invalid:
            self.show_errors(invalid.errors)
            return False
        return True


def form_class(name, form, skip=()):
    """An EntryForm subclass drawn from the field definitions `form` (CASE, VISIT, …)."""
    definitions = [f for f in form if f.desk and f.name not in skip]
    attrs = {"form_fields": form, "definitions": definitions}
    for f in definitions:
        if f.kind == "consent":
            for purpose, label in CONSENT_PURPOSES.items.items():
                attrs[f"consent_{purpose}"] = BooleanField(label)
        else:
            attrs[f.name] = _wtf_field(f)
    return type(f"{name.title()}Form", (EntryForm,), attrs)


CaseForm = form_class("case", TYPES["case"].fields)
VisitForm = form_class("visit", TYPES["visit"].fields)
ReferralForm = form_class("referral", TYPES["referral"].fields)
AttendanceForm = form_class("attendance", TYPES["attendance"].fields)
ActivityForm = form_class("activity", fields.ACTIVITY)
