"""Attendance (who came to an activity, brought by whom — vận động): an entry of the book."""
from flask_babel import lazy_gettext as _l

from . import notices
from .. import audit
from ..db import utcnow
from ..invalid import Invalid
from ..models import Attendance, User


def prepare(user, values, lookup, at=None):
    """Attendance: an activity of the club, a case not yet recorded there, a member who brought
    them — who may have left the club since the attendance was made (`at`), never before it
    (User.active_at)."""
    case = values["case"]
    brought_by = (user if values.get("brought_by") in (None, user.id)
                  else User.member_of_record(case.club_id, values["brought_by"]))
    if brought_by is None:
        raise Invalid({"brought_by": _l("Choose a member of the club.")})
    if brought_by.id != user.id and not brought_by.active_at(at):
        raise Invalid({"brought_by": _l(
            "%(name)s had left the club when this attendance was recorded: choose the member "
            "who brought the person, then save again.", name=str(brought_by))})
    if values["activity"].club_id != case.club_id:
        raise Invalid({"activity_uuid": _l("This activity is not one of your club's.")})
    return dict(values, brought_by=brought_by)


def _check_once(attendance_id, activity, case):
    taken = Attendance.select().where((Attendance.activity == activity)
                                      & (Attendance.case == case))
    if attendance_id is not None:
        taken = taken.where(Attendance.id != attendance_id)
    if taken.exists():
        raise Invalid({"case_uuid": _l("This person's attendance at this activity is already "
                                       "recorded.")})


def create(user, values, lookup, **entry):
    first = Attendance.get_or_none((Attendance.activity == values["activity"])
                                   & (Attendance.case == values["case"]))
    if first is not None:
        # Recorded already, perhaps by another member: the first record stands, and takes this
        # one's member as who brought the person only when it names nobody.
        if first.brought_by_id is None and values["brought_by"] is not None:
            first.brought_by, first.updated_at = values["brought_by"], utcnow()
            first.save(only=[Attendance.brought_by, Attendance.updated_at])
            audit.record("attendance_brought_by", first, user=user, case_id=first.case_id)
        raise notices.AlreadyRecorded(first, _l(
            "This person's attendance at this activity was already recorded by %(name)s: "
            "nothing more to do.", name=first.created_by.full_name or first.created_by.login))
    attendance = Attendance.create(club=values["case"].club_id, activity=values["activity"],
                                   case=values["case"], brought_by=values["brought_by"],
                                   created_by=user, **entry)
    audit.record("attendance_recorded", attendance, user=user, case_id=attendance.case_id,
                 activity_id=attendance.activity_id)
    # Its proposal was refused as a twin, in this batch or an earlier one (Lookup.refused).
    if values["activity"].uuid != values["activity_uuid"]:
        notices.tell(attendance, _l("The activity proposed with this attendance is already in the "
                                    "club's book: the attendance is recorded at “%(title)s” on "
                                    "%(date)s.", title=values["activity"].title,
                                    date=values["activity"].date.strftime("%d/%m/%Y")))
    return attendance


def update(attendance, values, by):
    _check_once(attendance.id, values["activity"], values["case"])
    attendance.activity = values["activity"]
    attendance.case = values["case"]
    attendance.brought_by = values["brought_by"]
    attendance.updated_at = utcnow()
    attendance.save()
    audit.record("attendance_updated", attendance, user=by, case_id=attendance.case_id)
    return attendance


def data_of(attendance):
    return {"activity_uuid": attendance.activity.uuid, "case_uuid": attendance.case.uuid,
            "brought_by": attendance.brought_by_id}
