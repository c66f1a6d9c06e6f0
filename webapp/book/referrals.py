"""Referrals (chuyển gửi): a case sent to a service provider, and how it went."""
from flask_babel import lazy_gettext as _l

from .. import audit
from . import notices, providers
from .consent import has_consent, waits_for_review
from ..db import database, utcnow
from .fields import local_today
from ..invalid import Invalid
from ..models import Referral
from .vocab import REFERRAL_OUTCOMES, REFERRAL_RESULTS, REFERRAL_STATUSES

FIELDS = ("service_kind", "provider", "listed_provider", "referred_on", "reason")
# Which status may follow which: referred → accepted → completed, or declined on the way.
NEXT_STATUSES = {
    "referred": ("accepted", "declined"),
    "accepted": ("completed", "declined"),
    "completed": (),
    "declined": (),
}
# How a referral ended (as Primero's do): successful when completed with the service received;
# otherwise not successful, for a reason from the list. not_eligible and no_response are older
# reasons, still read but no longer offered.
SUCCESSFUL_OUTCOMES = ("service_received", "partly_received")
NOT_SUCCESSFUL_REASONS = ("refused_by_person", "no_capacity", "could_not_contact", "other")


def outcome_choices():
    """The outcomes the board picks from, grouped as (result label, [(code, label)])."""
    return [(REFERRAL_RESULTS.label("successful"),
             [(c, REFERRAL_OUTCOMES.label(c)) for c in SUCCESSFUL_OUTCOMES]),
            (REFERRAL_RESULTS.label("not_successful"),
             [(c, REFERRAL_OUTCOMES.label(c)) for c in NOT_SUCCESSFUL_REASONS])]


def result_of(referral):
    """"successful", "not_successful", or None while the referral has no outcome."""
    if referral.status not in ("completed", "declined"):
        return None
    if referral.status == "completed" and referral.outcome in SUCCESSFUL_OUTCOMES:
        return "successful"
    return "not_successful"


def prepare(user, values, lookup, at=None):
    """A referral needs the person's consent to be referred to services; a provider it picks from
    the directory must be one of the user's (its name is sent as `provider` beside it)."""
    case = values["case"]
    if not has_consent(case, "refer") and not waits_for_review(case, "refer"):
        raise Invalid({"case_uuid": _l("This person has not agreed to be referred to services. "
                                       "Record their consent on the case's screen (edit the "
                                       "case), then send the referral again.")})
    listed, removed = None, None
    if values.get("provider_uuid"):
        listed = providers.by_uuid(user, values["provider_uuid"])
        # Taken out of the directory while the referral waited on the phone: the person was
        # sent there all the same, so the referral is taken with the name it carries.
        removed = listed or providers.by_uuid(user, values["provider_uuid"], removed=True)
        if removed is None:
            raise Invalid({"provider_uuid": _l("This provider is not in your club's directory. "
                                               "Choose another, or type the provider in.")})
    return dict(values, listed_provider=listed, removed_provider=None if listed else removed)


def waits_for(referral):
    """What the referral waits for besides its case's approval (review.waiting): the person's
    consent to be referred — recorded in an amendment of the case that waits for review
    ("consent_in_review"), or not at all: returned or withdrawn since the referral was taken
    ("consent"). (the case, reason), or None. It is not approved without consent."""
    case = referral.case
    if has_consent(case, "refer"):
        return None
    return case, "consent_in_review" if waits_for_review(case, "refer") else "consent"


def _write(referral, values):
    for name in FIELDS:
        setattr(referral, name, values[name])
    referral.updated_at = utcnow()
    referral.save()


def create(user, values, lookup, **entry):
    referral = Referral(club=values["case"].club_id, case=values["case"], created_by=user,
                        **entry)
    _write(referral, values)
    audit.record("referral_recorded", referral, user=user, case_id=referral.case_id,
                 service_kind=referral.service_kind)
    if values.get("removed_provider") is not None:
        notices.tell(referral, _l("%(name)s was taken out of the club's directory meanwhile: the "
                                  "referral is recorded with the name “%(typed)s”.",
                                  name=values["removed_provider"].name, typed=referral.provider))
    return referral


def update(referral, values, by):
    if values["case"].id != referral.case_id:
        raise Invalid({"case_uuid": _l("A referral cannot move to another case.")})
    _write(referral, values)
    audit.record("referral_updated", referral, user=by, case_id=referral.case_id)
    return referral


def data_of(referral):
    return {
        "case_uuid": referral.case.uuid, "service_kind": referral.service_kind,
        "provider_uuid": referral.listed_provider.uuid if referral.listed_provider_id else None,
        "provider": referral.provider, "referred_on": referral.referred_on.isoformat(),
        "reason": referral.reason,
    }


def set_status(referral, status, outcome, note, by, on=None):
    """Move a referral on (accepted, completed, declined) with its outcome."""
    if status not in REFERRAL_STATUSES or status not in NEXT_STATUSES[referral.status]:
        raise Invalid({"status": _l("A referral that is %(status)s cannot become this.",
                                    status=REFERRAL_STATUSES.items.get(referral.status, referral.status))})
    if status in ("completed", "declined") and outcome not in REFERRAL_OUTCOMES:
        raise Invalid({"outcome": _l("Choose the outcome.")})
    if status == "declined" and outcome in SUCCESSFUL_OUTCOMES:
        raise Invalid({"outcome": _l("A declined referral is not successful: choose the reason.")})
    if len(note or "") > 2000:
        raise Invalid({"note": _l("Use at most %(n)d characters.", n=2000)})
    on = on or local_today()
    if on > local_today():
        raise Invalid({"on": _l("The date cannot be in the future.")})
    with database.atomic():
        referral.status = status
        referral.outcome = outcome or ""
        referral.outcome_note = (note or "").strip()
        referral.status_changed_on = on
        referral.updated_at = utcnow()
        referral.save()
        audit.record("referral_status", referral, user=by, case_id=referral.case_id,
                     status=status, outcome=referral.outcome)
