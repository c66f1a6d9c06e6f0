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

# The review states of an entry and the board's decisions (the rules are review.py's).
SUBMITTED, APPROVED, RETURNED, SELF_APPROVED = "submitted", "approved", "returned", "self_approved"

REVIEW_STATUSES = Vocabulary("review_status", [
    (SUBMITTED, _l("Waiting for review")),
    (APPROVED, _l("Approved")),
    (RETURNED, _l("Returned")),
])

REVIEW_DECISIONS = Vocabulary("review_decision", [
    (APPROVED, _l("Approved")),
    (RETURNED, _l("Returned")),
    (SELF_APPROVED, _l("Approved on submit (board member)")),
])

APPOINTMENT_STATUSES = Vocabulary("appointment_status", [
    ("open", _l("Scheduled")),
    ("done", _l("Done")),
    ("cancelled", _l("Cancelled")),
])

VISIT_KINDS = Vocabulary("visit_kind", [
    ("home_visit", _l("Home visit")),
    ("consultation", _l("Consultation")),
    ("phone_call", _l("Phone call")),
    ("group_session", _l("Group session")),
])

VISIT_TOPICS = Vocabulary("topic", [
    ("safe_migration", _l("Safe migration")),
    ("legal_labour_export", _l("Working abroad legally")),
    ("trafficking_tricks", _l("Recognising traffickers' tricks")),
    ("online_job_scams", _l("Online job offers and scams")),
    ("rights_support", _l("Rights and support regimes")),
    ("reporting", _l("Where to report and ask for help")),
    ("reintegration_livelihood", _l("Reintegration and livelihood")),
    ("civil_papers", _l("Civil status papers and residence")),
    ("other", _l("Other")),
])

# The support regimes of Law 53/2024/QH15 on Prevention and Combat of Human Trafficking, art. 37.
SERVICE_KINDS = Vocabulary("service_kind", [
    ("essential_needs", _l("Essential needs")),
    ("medical_care", _l("Medical care")),
    ("interpretation", _l("Interpretation")),
    ("legal_support", _l("Legal advice and support")),
    ("legal_aid", _l("Legal aid")),
    ("travel", _l("Travel costs")),
    ("psychological", _l("Psychological support")),
    ("schooling", _l("Schooling")),
    ("vocational_training", _l("Vocational training and job counselling")),
    ("hardship_allowance", _l("Initial hardship allowance")),
    ("loans", _l("Loans")),
])

REFERRAL_STATUSES = Vocabulary("referral_status", [
    ("referred", _l("Referred")),
    ("accepted", _l("Accepted")),
    ("completed", _l("Completed")),
    ("declined", _l("Declined")),
])

REFERRAL_OUTCOMES = Vocabulary("referral_outcome", [
    ("service_received", _l("Received the service")),
    ("partly_received", _l("Partly received the service")),
    ("not_eligible", _l("Not eligible")),
    ("refused_by_person", _l("The person refused the service")),
    ("no_capacity", _l("The provider had no capacity")),
    ("could_not_contact", _l("Could not contact the person or the provider")),
    ("no_response", _l("No answer from the provider")),
    ("other", _l("Other")),
])

REFERRAL_RESULTS = Vocabulary("referral_result", [
    ("successful", _l("Successful")),
    ("not_successful", _l("Not successful")),
])

# The yes/no questions of a screening (HTCDS v2.0's risk factors and the club's own work), worded
# as a volunteer asks them; the weight each answer "yes" carries is screenings.RISK_RULE's.
RISK_INDICATORS = Vocabulary("risk_indicator", [
    ("plans_abroad", _l("Are you (or is someone at home) planning to go and work abroad?")),
    ("broker_contact", _l("Has a broker, or a job offer online, approached you?")),
    ("debts", _l("Do you have debts you are worried about?")),
    ("papers_held", _l("Is someone else holding your papers (ID card, passport)?")),
    ("relative_abroad", _l("Is a relative of yours abroad without papers or a contract?")),
    ("earlier_trafficking", _l("Were you ever tricked or sold abroad, or sent back from there?")),
])

ACTIVITY_KINDS = Vocabulary("activity_kind", [
    ("awareness", _l("Awareness session")),
    ("training", _l("Training")),
    ("workshop", _l("Workshop")),
    ("forum", _l("Talk or forum")),
    ("contest", _l("Contest")),
])

# The vocabularies the field app receives in bootstrap, by name.
FIELD_VOCABULARIES = [
    CASE_CATEGORIES, CASE_STATUSES, RISK_LEVELS, SEXES, CONSENT_PURPOSES, REVIEW_STATUSES,
    VISIT_KINDS, VISIT_TOPICS, SERVICE_KINDS, REFERRAL_STATUSES, ACTIVITY_KINDS, APPOINTMENT_STATUSES,
    RISK_INDICATORS,
]  # and the entry types (entries.ENTRY_TYPES)
