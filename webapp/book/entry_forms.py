"""The desk's forms of the book, made from the field definitions (fields.py).

A form draws each field, collects what was typed into the same `data` the phone sends, and checks
it with the same validator as the sync API, so the desk shows the phone's messages word for word.
"""
from flask_wtf import FlaskForm
from wtforms import HiddenField

from . import fields
from ..db import new_uuid
from .entries import TYPES
from ..invalid import Invalid


class EntryForm(FlaskForm):
    """Base of the book's desk forms, made from field definitions: `form_fields` all of them (CASE,
    VISIT, …), `definitions` those the desk draws."""

    form_fields = ()
    definitions = ()
    # The uuid of the entry the form stands for, made when the form is drawn: sent twice (a
    # double tap, a page the browser sends again), it is the same entry (sync.desk_entry).
    entry_uuid = HiddenField()

    def __init__(self, *args, members=(), case_choices=(), extra=None, **kwargs):
        super().__init__(*args, **kwargs)
        if not fields.is_uuid(self.entry_uuid.data):
            self.entry_uuid.data = new_uuid()
        self.values = None
        self.extra = extra or {}  # data the page knows, e.g. the case_uuid of a visit
        member_choices = [(str(m.id), m.full_name or m.login) for m in members]
        for f in self.definitions:
            choices = f.desk_choices(member_choices, case_choices)
            if choices is not None:
                getattr(self, f.name).choices = choices

    def drawn(self):
        """The form's fields in the order of the definitions (consent as its three boxes)."""
        return [wtf_field for f in self.definitions for wtf_field in f.drawn(self)]

    def entry_data(self):
        """What was typed, as the `data` of a sync entry (uncheckable values kept as typed)."""
        data = {f.name: f.read(self) for f in self.definitions}
        data.update(self.extra)
        return data

    def fill(self, data):
        """Show an entry's data in the form (editing)."""
        for f in self.definitions:
            f.fill(self, data.get(f.name))

    def show_errors(self, errors):
        """Put messages keyed by field (from the validator or the sync API) on their fields."""
        definitions = {f.name: f for f in self.definitions}
        for name, message in errors.items():
            f = definitions.get(name)
            target = f.error_target(self) if f is not None else getattr(self, name, None)
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
        attrs.update(f.desk_fields())
    return type(f"{name.title()}Form", (EntryForm,), attrs)


CaseForm = form_class("case", TYPES["case"].fields)
VisitForm = form_class("visit", TYPES["visit"].fields)
ReferralForm = form_class("referral", TYPES["referral"].fields)
AttendanceForm = form_class("attendance", TYPES["attendance"].fields)
ActivityForm = form_class("activity", fields.ACTIVITY)


class ProviderForm(form_class("provider", fields.PROVIDER)):
    # The mark of the provider the change's form was opened on (overtaken.mark): another board
    # member's save since is not overwritten.
    seen = HiddenField()
