"""Visits (lượt tiếp cận, tư vấn): a contact with one case, the members present, and its follow-up."""
from flask_babel import lazy_gettext as _l

from . import scheduling
from .. import audit
from ..db import utcnow
from ..invalid import Invalid
from ..models import Appointment, User, Visit, VisitMember

FIELDS = ("date", "kind", "topics", "notes", "needs", "follow_up_date")


def prepare(user, values, lookup, at=None):
    """Check the rules that need the database: members of the club, an appointment of the case.

    A member present may have left the club since the visit was made (`at`): a fix of the visit
    keeps them (User.active_at), but a visit made after they left cannot name them.

    An appointment the visit names that was cancelled, or done by another visit, meanwhile is
    kept as named: the visit is recorded all the same, and closes nothing (close_open_for_visit:
    the nearest open one is only for a visit that names none)."""
    case = values["case"]
    members = []
    known = lookup.memo.setdefault("visits.members", {})  # asked once a batch, not once a visit
    for user_id in values["members_present"]:
        if (case.club_id, user_id) not in known:
            known[case.club_id, user_id] = User.member_of_record(case.club_id, user_id)
        member = known[case.club_id, user_id]
        if member is None:
            raise Invalid({"members_present": _l("Choose members of the club.")})
        if member.id != user.id and not member.active_at(at):  # its author hands it in
            raise Invalid({"members_present": _l(
                "%(name)s had left the club when this visit was recorded: untick them, then "
                "save again.", name=str(member))})
        members.append(member)
    appointment_id = values.get("appointment_id")
    if appointment_id is not None:
        appointment = Appointment.get_or_none((Appointment.id == appointment_id)
                                              & (Appointment.case == case.id))
        if appointment is None:
            raise Invalid({"appointment_id": _l("This appointment is not one of this case's. "
                                                "Record the visit again from the case's page.")})
    return dict(values, members_present=members)


def _may_close_appointment(lookup, visit, appointment_id):
    """False only when the batch knows no open appointment is there for the visit to close.

    The open appointments of the cases the batch read are asked once (one query for the whole
    batch); a visit may close one of its maker's made before it (close_open_for_visit), or the one
    it names. A case whose follow-up the batch stores is asked again, as are cases the batch did
    not read.
    """
    if appointment_id is not None:
        return True
    known = lookup.memo.get("visits.open_appointments")
    if known is None:
        known = lookup.memo["visits.open_appointments"] = scheduling.open_appointments_of(
            {c.id for c in lookup.read("case")})
    if visit.case_id not in known:
        return True
    made = visit.client_created_at or visit.created_at
    return any(member_id == visit.created_by_id and (made is None or created_at <= made)
               for member_id, created_at in known[visit.case_id])


def _fill(visit, values):
    for name in FIELDS:
        setattr(visit, name, values[name])
    visit.updated_at = utcnow()


def _members(visit, values):
    return [{"visit": visit.id, "user": member.id} for member in values["members_present"]]


def _write(visit, values, close_appointment):
    new = visit.id is None
    previous = visit.follow_up_date  # the revision before's: a date left as it was moves nothing
    _fill(visit, values)
    visit.save()
    if not new:
        VisitMember.delete().where(VisitMember.visit == visit).execute()
    if values["members_present"]:
        VisitMember.insert_many(_members(visit, values)).execute()
    if close_appointment:
        scheduling.close_open_for_visit(visit, values.get("appointment_id"))
    scheduling.create_follow_up(visit, new=new, previous=previous)


def create(user, values, lookup, **entry):
    visit = Visit(club=values["case"].club_id, case=values["case"], created_by=user, **entry)

    def recorded(visit):
        audit.record("visit_recorded", visit, user=user, case_id=visit.case_id)

    close = _may_close_appointment(lookup, visit, values.get("appointment_id"))
    if close or values["follow_up_date"]:
        _write(visit, values, close_appointment=close)
        if visit.follow_up_date:  # its appointment: the batch's read of the case no longer holds
            lookup.memo.get("visits.open_appointments", {}).pop(visit.case_id, None)
        recorded(visit)
    else:  # it neither closes nor makes an appointment: the batch may insert it with the others
        _fill(visit, values)
        lookup.insert(visit, lambda visit: (lookup.add(VisitMember, _members(visit, values)),
                                            recorded(visit)))
    return visit


def update(visit, values, by):
    if values["case"].id != visit.case_id:
        raise Invalid({"case_uuid": _l("A visit cannot move to another case.")})
    # A visit closes its appointment when it is first taken (create), never again: a fix of a
    # returned visit, an amendment or a merged conflict is the same visit, not another one.
    _write(visit, values, close_appointment=False)
    audit.record("visit_updated", visit, user=by, case_id=visit.case_id)
    return visit


def data_of(visit):
    return {
        "case_uuid": visit.case.uuid, "date": visit.date.isoformat(), "kind": visit.kind,
        "topics": list(visit.topics), "notes": visit.notes, "needs": list(visit.needs),
        "members_present": [row.user_id for row in visit.member_rows],
        "follow_up_date": visit.follow_up_date.isoformat() if visit.follow_up_date else None,
    }
