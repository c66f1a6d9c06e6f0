"""Appointments (lịch hẹn): made from a visit's follow-up date or by the chair, moved, cancelled,
and done when a visit to the case is recorded; and the agendas that list them."""
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from peewee import IntegrityError, fn

from . import holders, notices, overtaken
from .. import audit
from ..clock import local_today
from ..db import database, locked, utcnow
from ..invalid import Invalid
from ..models import FIELD_ROLES, Appointment, Case, Referral, User, Visit

CLOSED_STATUSES = ("closed", "closed_referred")
UPCOMING_DAYS = 7
REFERRAL_FOLLOW_UP_DAYS = 30  # a referral without an outcome this long is followed up




# ---------------------------------------------------------------------------------------------
# From the visits the members record


def create_follow_up(visit, new=False, previous=None):
    """The appointment a visit's follow-up date promises, for the member who recorded it (or,
    once the case is no longer theirs, for whoever follows it: holders.follower).

    Called on every accepted revision of a visit: the same visit keeps one appointment, moved when
    the revision changes the date (`previous`: the follow-up date of the revision before) and
    cancelled when the date is removed. A revision that leaves the date as it was leaves the
    appointment where it is: the chair may have moved it meanwhile (reschedule). Returns the open
    appointment or None. `new`: the visit was just inserted, so it has no appointment yet.
    """
    if new and not visit.follow_up_date:
        return None
    with database.atomic():
        existing = None if new else (
            Appointment.select()
            .where(Appointment.source_visit == visit, Appointment.source == "follow_up")
            .first())
        if existing is not None:
            if existing.status != "open":
                return existing
            if not visit.follow_up_date:
                existing.status, existing.cancelled_reason = "cancelled", "follow-up date removed"
                existing.updated_at = utcnow()
                existing.save()
                return None
            if visit.follow_up_date != previous and existing.due_date != visit.follow_up_date:
                existing.due_date = visit.follow_up_date
                existing.updated_at = utcnow()
                existing.save()
            return existing
        if not visit.follow_up_date:
            return None
        if visit.case.status in CLOSED_STATUSES:
            notices.tell(visit, _l("The case is closed, so the follow-up date made no "
                                   "appointment. Ask your club's chair to reopen it if the "
                                   "person needs more visits."))
            return None
        member = holders.follower(visit.case, visit.created_by)
        if member is None:
            return None
        appointment = Appointment.create(
            club=visit.club_id, case=visit.case_id, member=member,
            due_date=visit.follow_up_date, source="follow_up", source_visit=visit,
            created_by=visit.created_by_id)
        audit.record("appointment_create", appointment, user=visit.created_by,
                     case_code=visit.case.code, source="follow_up")
        return appointment


def follow_up_referrals(today=None):
    """Make a follow-up appointment, once, for each referral still without an outcome
    REFERRAL_FOLLOW_UP_DAYS after it was made, for the member who made it while the case is still
    theirs, else for whoever follows it (holders.follower): the reminders then cover it. Returns
    the appointments made. Not on a closed case (CLOSED_STATUSES): closing it cancelled its visits.

    Once per referral even when two senders run at once (a worker's thread and cron): the unique
    index on appointment.source_referral refuses the second, which is skipped."""
    today = today or local_today()
    waiting = (Referral.select(Referral, Case)
               .join(Case)
               .where(Referral.status.in_(("referred", "accepted"))
                      & (Referral.review_status != "returned")
                      & (Referral.referred_on <= today - timedelta(days=REFERRAL_FOLLOW_UP_DAYS))
                      & Case.erased_at.is_null()
                      & Case.status.not_in(CLOSED_STATUSES)
                      & ~fn.EXISTS(Appointment.select(Appointment.id)
                                   .where(Appointment.source_referral == Referral.id))))
    made = []
    for referral in waiting:
        member = holders.follower(referral.case, referral.created_by)
        if member is None:
            continue
        try:
            with database.atomic():  # a savepoint when the caller holds a transaction
                appointment = Appointment.create(
                    club=referral.club_id, case=referral.case_id, member=member,
                    due_date=today, source="referral", source_referral=referral,
                    created_by=referral.created_by_id)
                audit.record("appointment_create", appointment, user=referral.created_by,
                             case_code=referral.case.code, source="referral")
        except IntegrityError:
            continue  # another sender made it since the read: one follow-up per referral
        made.append(appointment)
    return made


def open_appointment(club_id, case_id, appointment_id):
    """The open appointment `appointment_id` on this case of this club, or None."""
    return Appointment.get_or_none((Appointment.id == appointment_id)
                                   & (Appointment.club == club_id)
                                   & (Appointment.case == case_id)
                                   & (Appointment.status == "open"))


def open_appointments_of(case_ids):
    """{case id: [(member id, created_at), …]}: the open appointments of the cases `case_ids`,
    what `close_open_for_visit` may close."""
    found = {case_id: [] for case_id in case_ids}
    if not case_ids:
        return found
    rows = (Appointment.select(Appointment.case, Appointment.member, Appointment.created_at)
            .where(Appointment.case.in_(sorted(case_ids)) & (Appointment.status == "open"))
            .tuples())
    for case_id, member_id, created_at in rows:
        found[case_id].append((member_id, created_at))
    return found


def close_open_for_visit(visit, appointment_id=None):
    """Mark done the appointment a recorded visit fulfils; returns the list closed (0 or 1).

    The visit names it (`appointment_id`, from the visit form), and only that one closes, if it is
    still open: one cancelled or done meanwhile leaves the visit closing nothing. A visit that
    names none closes the open appointment of that case and member whose date is nearest the
    visit's date. An appointment made from this very visit's follow-up date, or made after the
    visit was recorded, is never closed by it. Called once, when the visit is first taken.
    """
    # Only an appointment made before the visit was: an old visit synced late leaves a newer
    # appointment open.
    made = visit.client_created_at or visit.created_at
    open_for_case = (Appointment.select()
                     .where(Appointment.club == visit.club_id, Appointment.case == visit.case_id,
                            Appointment.status == "open", Appointment.created_at <= made,
                            (Appointment.source_visit.is_null())
                            | (Appointment.source_visit != visit.id)))
    appointment = None
    if appointment_id:
        appointment = open_for_case.where(Appointment.id == int(appointment_id)).first()
    else:
        candidates = list(open_for_case.where(Appointment.member == visit.created_by_id))
        if candidates:
            appointment = min(candidates,
                              key=lambda a: (abs((a.due_date - visit.date).days), a.due_date, a.id))
    if appointment is None:
        return []
    with database.atomic():
        appointment.status, appointment.done_visit = "done", visit.id
        appointment.updated_at = utcnow()
        appointment.save()
        audit.record("appointment_done", appointment, user=visit.created_by,
                     case_code=visit.case.code, visit=visit.id)
    return [appointment]


# ---------------------------------------------------------------------------------------------
# The chair's decisions


def _check_date(due_date, today):
    if not isinstance(due_date, date):
        raise Invalid(_l("Choose a date."), field="due_date")
    if due_date < today:
        raise Invalid(_l("The date is in the past."), field="due_date")


def planned_already(case, member, due_date, note, source):
    """The open appointment that plans just this (the same form sent twice: a double tap, a page
    the browser sent again), else None. Asked inside the plan's transaction, the case locked:
    two sendings at once take turns, and the second finds the first's."""
    locked(case)
    return (Appointment.select()
            .where((Appointment.case == case.id) & (Appointment.member == member.id)
                   & (Appointment.due_date == due_date) & (Appointment.source == source)
                   & (Appointment.note == (note or "").strip()) & (Appointment.status == "open"))
            .first())


def assign_visit(chair, case, member, due_date, note="", today=None, source="assigned"):
    """The chair asks `member` to visit `case` on `due_date` (with an optional note).

    A member sees only the cases assigned to them or that they registered, so a case nobody
    follows yet is assigned to them with the visit; a case another member follows is refused.
    `source` says where the request came from: "assigned" from the agenda, "monthly_review" for a
    task given at the monthly meeting (reports.assign_task).
    """
    _check_date(due_date, today or local_today())
    if case.club_id != chair.club_id or member.club_id != chair.club_id:
        raise Invalid(_l("Choose a case and a member of your club."))
    if not member.is_active or member.role not in FIELD_ROLES:
        raise Invalid(_l("This member cannot receive visits."), field="member")
    follows = member.id in (case.assigned_to_id, case.created_by_id)
    if not member.is_board and not follows and case.assigned_to_id is not None:
        raise Invalid(_l("Another member follows this case: choose that member, or "
                         "assign the case to this one first."), field="member")
    with database.atomic():
        same = planned_already(case, member, due_date, note, source)
        if same is not None:
            return same
        if not member.is_board and not follows:
            holders.hand_over(case, member, case.assigned_to_id)
            Case.update(assigned_to=member).where(Case.id == case.id).execute()
            audit.record("case_assign", case, user=chair, case_code=case.code, member=member.id)
        appointment = Appointment.create(club=chair.club_id, case=case, member=member,
                                         due_date=due_date, note=(note or "").strip(),
                                         source=source, created_by=chair)
        audit.record("appointment_assign", appointment, user=chair, case_code=case.code,
                     member=member.id, source=source)
    return appointment


def _require_reason(reason):
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_l("Give a reason."), field="reason")
    return reason


def moved(appointment):
    """An appointment's date and why it was last moved, as the form that moves it shows them
    (its mark: overtaken.mark)."""
    return {"due_date": appointment.due_date, "reason": appointment.rescheduled_reason}


def reschedule(appointment, by, due_date, reason, today=None, seen=None):
    """Move an open appointment to another date, saying why.

    `seen`: the mark of what the form was opened on: if another board member moved the visit
    since, nothing is written (overtaken.Overtaken); the same move sent again is taken."""
    if appointment.status != "open":
        raise Invalid(_l("Only a scheduled visit can be moved."))
    reason = _require_reason(reason)
    _check_date(due_date, today or local_today())
    with database.atomic():
        appointment = locked(appointment)
        if appointment.status != "open":
            raise Invalid(_l("Only a scheduled visit can be moved."))
        typed = {"due_date": due_date, "reason": reason}
        if overtaken.check(seen, moved(appointment), typed,
                           by=lambda: audit.last_by(appointment, "appointment_reschedule")):
            return appointment  # sent again as it was: nothing to write
        previous = appointment.due_date
        appointment.due_date, appointment.rescheduled_reason = due_date, reason
        appointment.rescheduled_at = appointment.updated_at = utcnow()
        appointment.save()
        audit.record("appointment_reschedule", appointment, user=by,
                     case_code=appointment.case.code, previous=previous.isoformat(),
                     due_date=due_date.isoformat())
    return appointment


def cancel(appointment, by, reason):
    """Cancel an open appointment, saying why."""
    if appointment.status != "open":
        raise Invalid(_l("Only a scheduled visit can be cancelled."))
    reason = _require_reason(reason)
    with database.atomic():
        appointment.status, appointment.cancelled_reason = "cancelled", reason
        appointment.updated_at = utcnow()
        appointment.save()
        audit.record("appointment_cancel", appointment, user=by, case_code=appointment.case.code)
    return appointment


def may_change(user, appointment):
    """The chair of the club, or the member the visit is for."""
    if user.club_id != appointment.club_id:
        return False
    return user.is_board or appointment.member_id == user.id


# ---------------------------------------------------------------------------------------------
# Agendas


def open_appointments():
    return (Appointment.select(Appointment, Case, User)
            .join(Case, on=(Appointment.case == Case.id))
            .switch(Appointment)
            .join(User, on=(Appointment.member == User.id))
            .where(Appointment.status == "open", Case.erased_at.is_null())
            .order_by(Appointment.due_date, Appointment.id))


def overdue(club, as_of):
    """The club's appointments overdue on the day `as_of`: open, and due before it. The agenda,
    the dashboard and the monthly meeting all count these, so their figures agree."""
    return open_appointments().where(Appointment.club == club, Appointment.due_date < as_of)


def overdue_at_end_of(club, day):
    """How many of the club's appointments were overdue when the day `day` ended: due on it or
    before, and still open then (open now, or done only by a visit dated after it)."""
    done_later = (Visit.select(Visit.id).where(Visit.date > day))
    return (Appointment.select()
            .join(Case, on=(Appointment.case == Case.id))
            .where((Appointment.club == club) & Case.erased_at.is_null()
                   & (Appointment.due_date <= day)
                   & ((Appointment.status == "open")
                      | ((Appointment.status == "done")
                         & Appointment.done_visit.in_(done_later))))
            .count())


def _bucket(agenda, appointment, today):
    """File an appointment under "overdue", "today" or "upcoming" of `agenda`."""
    if appointment.due_date < today:
        agenda["overdue"].append(appointment)
    elif appointment.due_date == today:
        agenda["today"].append(appointment)
    else:
        agenda["upcoming"].append(appointment)


def _due_by(today, days):
    return Appointment.due_date <= today + timedelta(days=days)


def member_agenda(user, today=None, days=UPCOMING_DAYS):
    """A member's open appointments: {"overdue", "today", "upcoming" (next `days` days)}."""
    today = today or local_today()
    agenda = {"overdue": [], "today": [], "upcoming": []}
    for appointment in open_appointments().where(Appointment.member == user, _due_by(today, days)):
        _bucket(agenda, appointment, today)
    return agenda


def club_agenda(club, today=None, days=UPCOMING_DAYS):
    """Per member of the club, their overdue, today's and next days' visits; members with overdue
    visits first."""
    today = today or local_today()
    by_member = {}
    for appointment in open_appointments().where(Appointment.club == club, _due_by(today, days)):
        agenda = by_member.setdefault(appointment.member_id, {
            "member": appointment.member, "overdue": [], "today": [], "upcoming": []})
        _bucket(agenda, appointment, today)
    return sorted(by_member.values(),
                  key=lambda e: (-len(e["overdue"]), e["member"].full_name or e["member"].login))


def week_sheets(club, start, days=UPCOMING_DAYS):
    """The printed agenda of the monthly meeting: one sheet per member of the club (those with
    nothing planned too), each with the visits due in the week from `start` (`days` days) and,
    first, those due before it and still open. A member no longer active who still holds visits
    has a sheet too, so that the board sees them to hand over."""
    end = start + timedelta(days=days - 1)
    sheets = {m.id: {"member": m, "earlier": [], "week": []}
              for m in User.active_members(club).order_by(User.full_name, User.login)}
    for appointment in open_appointments().where(Appointment.club == club,
                                                 Appointment.due_date <= end):
        sheet = sheets.setdefault(appointment.member_id, {
            "member": appointment.member, "earlier": [], "week": []})
        sheet["earlier" if appointment.due_date < start else "week"].append(appointment)
    return list(sheets.values())


def appointment_json(appointment):
    """One appointment as the field app's working set carries it (no name: the case's code)."""
    return {
        "id": appointment.id,
        "case_id": appointment.case_id,
        "case_uuid": appointment.case.uuid,
        "case_code": appointment.case.code,
        "due_date": appointment.due_date.isoformat(),
        "note": appointment.note,
        "status": appointment.status,
        "source": appointment.source,
        "member_id": appointment.member_id,
    }


def working_set_appointments(user, today=None):
    """The open appointments a user's phone needs for the agenda (overdue, today, the next days,
    and later ones too so that the case screen shows its next visit), oldest first."""
    rows = open_appointments().where(Appointment.member == user)
    return [appointment_json(a) for a in rows]


def next_appointment(case, user=None):
    """A case's next open appointment as {id, due_date}, or None."""
    query = (Appointment.select()
             .where(Appointment.case == case, Appointment.status == "open")
             .order_by(Appointment.due_date, Appointment.id))
    if user is not None:
        query = query.where(Appointment.member == user)
    appointment = query.first()
    return None if appointment is None else {"id": appointment.id,
                                             "due_date": appointment.due_date.isoformat()}
