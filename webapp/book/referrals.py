"""Referrals (chuyển gửi): a case sent to a service provider, and how it went."""
from flask_babel import lazy_gettext as _l

from .. import audit
from .consent import has_consent, waits_for_review
from ..db import database, utcnow
from .fields import local_today
from ..invalid import Invalid
from ..models import Referral
from .vocab import REFERRAL_OUTCOMES, REFERRAL_STATUSES

FIELDS = ("service_kind", "provider", "referred_on", "reason")
# Which status may follow which: referred → accepted → completed, or declined on the way.
NEXT_STATUSES = {
    "referred": ("accepted", "declined"),
    "accepted": ("completed", "declined"),
    "completed": (),
    "declined": (),
}


def prepare(user, values, lookup):
    """A referral needs the person's consent to be referred to services."""
    case = values["case"]
    if not has_consent(case, "refer") and not waits_for_review(case, "refer"):
        raise Invalid({"case_uuid": _l("This person has not agreed to be referred to services. "
                                       "Record their consent on the case's screen (edit the "
                                       "case), then send the referral again.")})
    return values


def waits_for(referral):
    """The case whose amendment, waiting for review, holds the consent this referral needs (the
    referral waits with it), or None."""
    case = referral.case
    if not has_consent(case, "refer") and waits_for_review(case, "refer"):
        return case
    return None


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
