"""Consent (đồng ý): what a person agreed to — being followed, referred to services, having their
data shared — recorded, withdrawn, and asked before a rule that needs it."""
from .. import audit
from ..db import utcnow
from ..models import Consent, EntryRevision
from .vocab import CONSENT_PURPOSES, SUBMITTED


def consent_of(case):
    """{purpose: True/False}: whether the person's consent for each purpose stands now."""
    given = set(Consent.select(Consent.purpose)
                .where((Consent.case == case) & Consent.given & Consent.withdrawn_at.is_null())
                .tuples()
                .iterator())
    return {purpose: (purpose,) in given for purpose in CONSENT_PURPOSES.codes}


def has_consent(case, purpose):
    return consent_of(case)[purpose]


def waits_for_review(case, purpose):
    """True if consent for `purpose` is recorded in an amendment of the case that waits for the
    board's review (a member recorded it in the field on an approved case): what needs it may be
    taken, and waits with it."""
    if case.amendment_status != SUBMITTED or case.amendment_revision is None:
        return False
    pending = (EntryRevision.select(EntryRevision.data)
               .where((EntryRevision.uuid == case.uuid)
                      & (EntryRevision.revision == case.amendment_revision))
               .first())
    consent = (pending.data or {}).get("consent") if pending is not None else None
    return isinstance(consent, dict) and consent.get(purpose) is True


def set_consent(case, purpose, given, by):
    """Record consent given, or its withdrawal (or a refusal when nothing was recorded yet)."""
    active = (Consent.select()
              .where((Consent.case == case) & (Consent.purpose == purpose)
                     & Consent.withdrawn_at.is_null())
              .order_by(Consent.id.desc())
              .first())
    if given and not (active and active.given):
        if active:
            active.withdrawn_at, active.withdrawn_by = utcnow(), by
            active.save()
        Consent.create(case=case, purpose=purpose, given=True, recorded_by=by)
        audit.record("consent_given", case, user=by, code=case.code, purpose=purpose)
    elif not given and active and active.given:
        active.withdrawn_at, active.withdrawn_by = utcnow(), by
        active.save()
        audit.record("consent_withdrawn", case, user=by, code=case.code, purpose=purpose)
    elif not given and active is None:
        Consent.create(case=case, purpose=purpose, given=False, recorded_by=by)
        audit.record("consent_refused", case, user=by, code=case.code, purpose=purpose)
