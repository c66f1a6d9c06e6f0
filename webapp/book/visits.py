"""Visits (lượt tiếp cận, tư vấn): a contact with one case, the members present, and its follow-up."""
from flask_babel import lazy_gettext as _l

from . import scheduling
from .. import audit
from ..db import utcnow
from ..invalid import Invalid
from ..models import Appointment, User, Visit, VisitMember

FIELDS = ("date", "kind", "topics", "notes", "needs", "follow_up_date")


def prepare(user, values, lookup):
    """Check the rules that need the database: members of the club, an open appointment."""
    case = values["case"]
    members = []
    for user_id in values["members_present"]:
        member = User.member_of_record(case.club_id, user_id)
        if member is None:
            raise Invalid({"members_present": _l("Choose members of the club.")})
        members.append(member)
    appointment_id = values.get("appointment_id")
    if appointment_id is not None:
        appointment = Appointment.get_or_none((Appointment.id == appointment_id)
                                              & (Appointment.case == case.id))
        if appointment is None:
            raise Invalid({"appointment_id": _l("This appointment is not one of this case's. "
                                                "Record the visit again from the case's page.")})
        if appointment.status != "open":
            # Cancelled, or done by another visit meanwhile: the visit is recorded all the same.
            appointment_id = None
    return dict(values, members_present=members, appointment_id=appointment_id)


def _may_have_open_appointment(lookup, case):
    """False only when the batch knows the case has no open appointment for the visit to close.

    The cases the batch read are asked once (one query for the whole batch); a follow-up date the
    batch stores makes an appointment, so its case may then have one.
    """
    known = lookup.memo.get("visits.open_appointments")
    if known is None:
        asked = {c.id for c in lookup.read("case")}
        with_open = scheduling.cases_with_open_appointment(asked)
        known = lookup.memo["visits.open_appointments"] = (asked, with_open)
    asked, with_open = known
    return case.id not in asked or case.id in with_open


def _write(visit, values, close_appointment=True):
    new = visit.id is None
    for name in FIELDS:
        setattr(visit, name, values[name])
    visit.updated_at = utcnow()
    visit.save()
    if not new:
        VisitMember.delete().where(VisitMember.visit == visit).execute()
    for member in values["members_present"]:
        VisitMember.create(visit=visit, user=member)
    if close_appointment:
        scheduling.close_open_for_visit(visit, values.get("appointment_id"))
    scheduling.create_follow_up(visit, new=new)


def create(user, values, lookup, **entry):
    visit = Visit(club=values["case"].club_id, case=values["case"], created_by=user, **entry)
    _write(visit, values, close_appointment=_may_have_open_appointment(lookup, visit.case))
    if visit.follow_up_date:
        lookup.memo["visits.open_appointments"][1].add(visit.case_id)
    audit.record("visit_recorded", visit, user=user, case_id=visit.case_id)
    return visit


def update(visit, values, by):
    if values["case"].id != visit.case_id:
        raise Invalid({"case_uuid": _l("A visit cannot move to another case.")})
    _write(visit, values)
    audit.record("visit_updated", visit, user=by, case_id=visit.case_id)
    return visit


def data_of(visit):
    return {
        "case_uuid": visit.case.uuid, "date": visit.date.isoformat(), "kind": visit.kind,
        "topics": list(visit.topics), "notes": visit.notes, "needs": list(visit.needs),
        "members_present": [row.user_id for row in visit.member_rows],
        "follow_up_date": visit.follow_up_date.isoformat() if visit.follow_up_date else None,
    }
