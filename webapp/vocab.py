"""The club's vocabularies, defined once: codes stored in the database, labels in Vietnamese and English."""
from flask_babel import lazy_gettext as _l


class Vocabulary:
    """An ordered set of codes with translatable labels."""

    def __init__(self, name, items):
        self.name = name
        self.items = dict(items)

    @property
    def codes(self):
        return list(self.items)

    def label(self, code):
        return str(self.items.get(code, code))

    def choices(self):
        return [(code, str(label)) for code, label in self.items.items()]

    def __contains__(self, code):
        return code in self.items

    def __iter__(self):
        return iter(self.items)


ROLES = Vocabulary("role", [
    ("member", _l("Club member")),
    ("chair", _l("Club board (chair)")),
    ("supervisor", _l("Supervisor")),
    ("admin", _l("Administrator")),
])

CASE_CATEGORIES = Vocabulary("case_category", [
    ("victim", _l("Trafficking victim")),
    ("returnee", _l("Returned irregular migrant")),
    ("at_risk", _l("At risk of being trafficked")),
    ("labour_migrant", _l("Planning to work abroad")),
    ("relative", _l("Relative of a victim")),
    ("being_identified", _l("Being identified as a victim")),
])

CASE_STATUSES = Vocabulary("case_status", [
    ("active", _l("Active")),
    ("follow_up", _l("Follow-up")),
    ("closed", _l("Closed")),
    ("closed_referred", _l("Closed, referred")),
])

RISK_LEVELS = Vocabulary("risk_level", [
    ("low", _l("Low")),
    ("medium", _l("Medium")),
    ("high", _l("High")),
])

SEXES = Vocabulary("sex", [
    ("female", _l("Female")),
    ("male", _l("Male")),
    ("other", _l("Other")),
])

CONSENT_PURPOSES = Vocabulary("consent_purpose", [
    ("follow", _l("To be followed by the club")),
    ("refer", _l("To be referred to services")),
    ("share", _l("To share with other organisations")),
])

REVIEW_STATUSES = Vocabulary("review_status", [
    ("submitted", _l("Waiting for review")),
    ("approved", _l("Approved")),
    ("returned", _l("Returned")),
])

REVIEW_DECISIONS = Vocabulary("review_decision", [
    ("approved", _l("Approved")),
    ("returned", _l("Returned")),
    ("self_approved", _l("Approved on submit (board member)")),
])

APPOINTMENT_STATUSES = Vocabulary("appointment_status", [
    ("open", _l("Scheduled")),
    ("done", _l("Done")),
    ("cancelled", _l("Cancelled")),
])

ENTRY_TYPES = Vocabulary("entry_type", [
    ("case", _l("New case")),
    ("visit", _l("Visit")),
    ("referral", _l("Referral")),
    ("attendance", _l("Attendance")),
])
