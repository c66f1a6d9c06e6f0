"""Cases: codes, consent per purpose, who sees which case, closing, search and erasure."""
import pytest

from webapp.book import cases, consent
from webapp.book.fields import local_today
from webapp.invalid import Invalid
from webapp.models import Appointment, Case, Consent, EntryRevision, Referral, Visit
from webapp.permissions import may_write_case, visible_cases

from .factories import make_case, make_club, make_user, make_visit


def test_codes_are_club_unique_and_follow_on(app):
    club = make_club(code_prefix="TC")
    year = local_today().year
    first = make_case(club=club)
    second = make_case(club=club)
    other = make_case(club=make_club(code_prefix="CX"))
    assert first.code == f"TC-{year}-001" and second.code == f"TC-{year}-002"
    assert other.code == f"CX-{year}-001"
    assert cases.next_code(club, year) == f"TC-{year}-003"


def test_members_see_their_cases_chairs_the_club(app):
    club = make_club()
    chair = make_user(club=club, role="chair")
    member, colleague = make_user(club=club), make_user(club=club)
    registered = make_case(created_by=member, assigned_to=colleague)
    assigned = make_case(created_by=colleague, assigned_to=member)
    theirs = make_case(created_by=colleague)
    elsewhere = make_case(club=make_club())
    assert set(visible_cases(member)) == {registered, assigned}
    assert set(visible_cases(chair)) == {registered, assigned, theirs}
    assert not may_write_case(member, theirs) and may_write_case(chair, theirs)
    assert not may_write_case(chair, elsewhere)
    for outsider in (make_user(role="supervisor"), make_user(role="admin")):
        assert list(visible_cases(outsider)) == []


def test_consent_given_withdrawn_and_refused(app):
    case = make_case(consent=())
    by = case.created_by
    consent.set_consent(case, "refer", False, by)
    assert consent.consent_of(case) == {"follow": False, "refer": False, "share": False}
    assert Consent.get(Consent.case == case).given is False
    consent.set_consent(case, "refer", True, by)
    assert consent.has_consent(case, "refer")
    consent.set_consent(case, "refer", False, by)
    assert not consent.has_consent(case, "refer")
    withdrawn = Consent.get((Consent.case == case) & Consent.given)
    assert withdrawn.withdrawn_at is not None and withdrawn.withdrawn_by_id == by.id


def test_close_needs_a_reason_and_cancels_appointments(app):
    case = make_case()
    Appointment.create(club=case.club, case=case, member=case.created_by, due_date=local_today(),
                       created_by=case.created_by)
    with pytest.raises(Invalid) as caught:
        cases.close(case, "  ", case.created_by)
    assert "reason" in caught.value.errors
    cases.close(case, "Đã chuyển về quê", case.created_by, referred=True)
    assert Case.get_by_id(case.id).status == "closed_referred"
    assert Appointment.get(Appointment.case == case).status == "cancelled"
    cases.reopen(case, case.created_by)
    assert Case.get_by_id(case.id).status == "active"


def test_search_by_name_code_and_filters(app):
    club = make_club()
    member = make_user(club=club)
    lan = make_case(created_by=member, full_name="Nguyễn Thị Lan", categories=("victim",),
                    risk_level="high")
    nam = make_case(created_by=member, full_name="Trần Văn Nam", categories=("at_risk",))
    query = visible_cases(member)
    assert list(cases.search(query, text="lan")) == [lan]
    assert list(cases.search(query, text="NGUYEN thi")) == [lan]
    assert list(cases.search(query, text="Trần")) == [nam]
    assert list(cases.search(query, text=nam.code.lower())) == [nam]
    assert list(cases.search(query, category="victim")) == [lan]
    assert list(cases.search(query, risk="high")) == [lan]
    assert set(cases.search(query, member=member.id)) == {lan, nam}


def test_erase_removes_personal_data_and_keeps_counts(app):
    case = make_case(full_name="Nguyễn Thị Lan", phone="0912345678", address="Tổ 3",
                     consent=("follow", "refer"))
    visit = make_visit(case, notes="Chuyện riêng tư")
    EntryRevision.create(entry_type="visit", uuid=visit.uuid, revision=1,
                         data={"notes": "Chuyện riêng tư"}, submitted_by=case.created_by)
    referral = Referral.create(club=case.club, case=case, created_by=case.created_by,
                               service_kind="legal_aid", provider="TGPL",
                               referred_on=local_today(), reason="Riêng tư")
    cases.erase(case, case.created_by)
    case = Case.get_by_id(case.id)
    assert case.full_name == "" and case.phone == "" and case.address == ""
    assert case.erased_at is not None and case.code
    assert Visit.get_by_id(visit.id).notes == "" and Visit.select().count() == 1
    assert Referral.get_by_id(referral.id).reason == ""
    assert EntryRevision.get(EntryRevision.uuid == visit.uuid).data == {"erased": True}
    assert list(visible_cases(case.created_by)) == []
