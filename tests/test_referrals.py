"""Referrals: consent to be referred, and the status steps with their outcome."""
import pytest

from webapp.book import referrals
from webapp.book.entries import Lookup
from webapp.book.fields import local_today
from webapp.invalid import Invalid
from webapp.models import Referral

from .factories import make_case


def make_referral(case):
    return Referral.create(club=case.club, case=case, created_by=case.created_by,
                           service_kind="medical_care", provider="Trạm y tế",
                           referred_on=local_today())


def test_referral_needs_consent(app):
    with pytest.raises(Invalid) as caught:
        referrals.prepare(None, {"case": make_case(consent=("follow",))}, Lookup())
    assert "case_uuid" in caught.value.errors
    assert referrals.prepare(None, {"case": make_case(consent=("refer",))}, Lookup())["case"]


def test_status_steps(app):
    referral = make_referral(make_case(consent=("refer",)))
    by = referral.created_by
    with pytest.raises(Invalid):
        referrals.set_status(referral, "completed", "service_received", "", by)
    referrals.set_status(referral, "accepted", "", "", by)
    with pytest.raises(Invalid) as caught:
        referrals.set_status(referral, "completed", "", "", by)
    assert "outcome" in caught.value.errors
    referrals.set_status(referral, "completed", "service_received", "Đã khám", by)
    saved = Referral.get_by_id(referral.id)
    assert (saved.status, saved.outcome, saved.outcome_note) == (
        "completed", "service_received", "Đã khám")
    with pytest.raises(Invalid):
        referrals.set_status(saved, "declined", "other", "", by)
