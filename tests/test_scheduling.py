"""Appointments from follow-up dates, and visits that close them."""
from datetime import timedelta

from webapp import scheduling
from webapp.fields import local_today
from webapp.models import Appointment

from .factories import make_case, make_visit

TODAY = local_today()


def test_follow_up_date_makes_moves_and_cancels_an_appointment(app):
    case = make_case()
    visit = make_visit(case, follow_up_date=TODAY + timedelta(days=5))
    appointment = scheduling.create_follow_up(visit)
    assert appointment.member_id == visit.created_by_id and appointment.status == "open"
    visit.follow_up_date = TODAY + timedelta(days=9)
    assert scheduling.create_follow_up(visit).id == appointment.id
    assert Appointment.get_by_id(appointment.id).due_date == TODAY + timedelta(days=9)
    visit.follow_up_date = None
    assert scheduling.create_follow_up(visit) is None
    assert Appointment.get_by_id(appointment.id).status == "cancelled"


def test_a_visit_closes_due_appointments_of_its_author(app):
    case = make_case()
    member = case.created_by
    due = Appointment.create(club=case.club, case=case, member=member,
                             due_date=TODAY - timedelta(days=1), created_by=member)
    later = Appointment.create(club=case.club, case=case, member=member,
                               due_date=TODAY + timedelta(days=10), created_by=member)
    visit = make_visit(case)
    assert [a.id for a in scheduling.close_open_for_visit(visit)] == [due.id]
    assert Appointment.get_by_id(later.id).status == "open"
    assert [a.id for a in scheduling.close_open_for_visit(visit, later.id)] == [later.id]
    assert Appointment.get_by_id(later.id).done_visit_id == visit.id
