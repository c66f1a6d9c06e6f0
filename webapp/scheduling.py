"""Appointments (lịch hẹn): a visit's follow-up date becomes one, and a visit to the case closes it."""
from .db import utcnow
from .models import Appointment


def create_follow_up(visit):
    """Keep the appointment made from `visit`'s follow-up date in step with the visit.

    A follow-up date makes an open appointment for the visit's author; changing the date moves it;
    removing the date cancels it. Returns the appointment or None. Call inside a transaction.
    """
    existing = (Appointment.select()
                .where((Appointment.source_visit == visit) & (Appointment.source == "follow_up")
                       & (Appointment.status == "open"))
                .first())
    if visit.follow_up_date is None:
        if existing is not None:
            existing.status = "cancelled"
            existing.cancelled_reason = "follow-up date removed"
            existing.updated_at = utcnow()
            existing.save()
        return None
    if existing is not None:
        if existing.due_date != visit.follow_up_date:
            existing.due_date = visit.follow_up_date
            existing.updated_at = utcnow()
            existing.save()
        return existing
    return Appointment.create(club=visit.club_id, case=visit.case_id, member=visit.created_by_id,
                              due_date=visit.follow_up_date, source="follow_up",
                              source_visit=visit, created_by=visit.created_by_id)


def open_appointment(club_id, case_id, appointment_id):
    """The open appointment `appointment_id` on this case of this club, or None."""
    return Appointment.get_or_none((Appointment.id == appointment_id)
                                   & (Appointment.club == club_id)
                                   & (Appointment.case == case_id)
                                   & (Appointment.status == "open"))


def close_open_for_visit(visit, appointment_id=None):
    """Mark done what `visit` fulfils: the appointment it names, else the open ones on its case
    for its author that fall due by the visit's date. Returns the appointments closed.
    """
    query = Appointment.select().where((Appointment.club == visit.club_id)
                                       & (Appointment.case == visit.case_id)
                                       & (Appointment.status == "open"))
    if appointment_id is not None:
        query = query.where(Appointment.id == appointment_id)
    else:
        query = query.where((Appointment.member == visit.created_by_id)
                            & (Appointment.due_date <= visit.date))
    query = query.where((Appointment.source_visit.is_null())
                        | (Appointment.source_visit != visit.id))
    closed = []
    for appointment in query:
        appointment.status = "done"
        appointment.done_visit = visit
        appointment.updated_at = utcnow()
        appointment.save()
        closed.append(appointment)
    return closed
