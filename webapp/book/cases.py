"""Cases (hồ sơ đối tượng đích): the club-unique codes and the rules of one person's record."""
import unicodedata

from flask_babel import lazy_gettext as _l
from peewee import fn

from . import holders, notices, overtaken, screenings
from .. import accounts, audit
from .consent import consent_of, set_consent
from ..clock import local_today
from ..db import database, is_postgres, locked, utcnow
from ..invalid import Invalid
from ..models import (
    Appointment, Attendance, Case, CaseCategory, Club, Consent, EntryRevision, Referral, Review,
    Screening, SyncConflict, User, Visit,
)

# Fields of a case that hold personal data: emptied when the person asks to be erased.
PERSONAL_FIELDS = ("full_name", "address", "neighbourhood", "phone", "met_how", "closed_reason")


def next_code(club, year):
    """The next free club-unique code for `year`, e.g. TC-2026-014 (call inside a write transaction)."""
    if is_postgres():
        # Registrations in one club take their turn: two at once would both read the same MAX and
        # collide on the unique code (SQLite's IMMEDIATE transactions already serialise writers).
        Club.select(Club.id).where(Club.id == club.id).for_update().execute()
    prefix = f"{club.code_prefix}-{year}-"
    last = (Case.select(fn.MAX(Case.code))
            .where((Case.club == club) & Case.code.startswith(prefix))
            .scalar())
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:03d}"


# --- The record ---------------------------------------------------------------------------------

def prepare(user, values, lookup, at=None):
    """A case refers to nothing: its rules (who it is assigned to) are checked when written."""
    return values


def _assignee(user, values, case=None, at=None):
    """Who the case is assigned to after `user`'s change (the rule depends on the row as it is).
    A registration made at `at` while `user` sat on the club's board keeps the member they gave
    it to, though they have left the board since."""
    assigned_id = values.get("assigned_to")
    if assigned_id is None:
        return case.assigned_to if case is not None else user
    assignee = user if assigned_id == user.id else User.active_member(user.club_id, assigned_id)
    if assignee is None:
        raise Invalid({"assigned_to": _l("Choose a member of the club.")})
    current = case.assigned_to_id if case is not None else user.id
    board = user.is_board or (case is None and accounts.on_board(user, user.club_id, at))
    if not board and assignee.id not in (user.id, current):
        raise Invalid({"assigned_to": _l("Only the club's board assigns cases to others.")})
    if not user.is_board and case is not None:
        # Only the board moves a case: a member's edit (perhaps made on the copy they had before
        # the case passed to another) keeps whoever holds it now.
        return case.assigned_to
    return assignee


def _write(case, values, by):
    new, previous_id = case.id is None, case.assigned_to_id
    for name in ("full_name", "sex", "birth_year", "address", "neighbourhood", "phone",
                 "risk_level", "met_how", "assigned_to"):
        setattr(case, name, values[name])
    case.updated_at = utcnow()
    case.save()
    if case.assigned_to_id is not None:
        # Registered offline, the case was held from the moment it was recorded on the phone.
        since = min(case.client_created_at or case.updated_at, case.updated_at) if new else None
        holders.hand_over(case, case.assigned_to_id, previous_id, at=since)
    wanted = set(values["categories"])
    have = {row.category for row in case.category_rows}
    (CaseCategory.delete()
     .where((CaseCategory.case == case) & CaseCategory.category.not_in(list(wanted) or [""]))
     .execute())
    for category in sorted(wanted - have):
        CaseCategory.create(case=case, category=category)
    for purpose, given in values["consent"].items():
        if given is not None:  # not asked yet: what was recorded stands
            set_consent(case, purpose, given, by)


def create(user, values, lookup, **entry):
    """Register a new case in the user's club; the code is given here, on the server."""
    # One person met is one case. Registered at this very moment on another phone too, the later
    # insert meets the unique index on the screening (models.Case): sync takes the entry again,
    # and it is answered here as a duplicate of the other.
    first = screenings.registered_as(values.get("screening_uuid"), user.club_id)
    if first is not None:  # nothing of this uuid is stored
        raise notices.AlreadyRecorded(first, _l(
            "The person met in this screening was already registered as case %(code)s: nothing "
            "more to do. Record what follows on that case.", code=first.code))
    values = dict(values, assigned_to=_assignee(user, values, at=entry.get("client_created_at")))
    case = Case(club=user.club_id, created_by=user, code=next_code(user.club, local_today().year),
                screening_uuid=values.get("screening_uuid"), **entry)
    _write(case, values, user)
    screenings.link_case(case)
    audit.record("case_registered", case, user=user, code=case.code)
    return case


def edit_from(values, base_data):
    """An edit's values, given the data of the revision it was made from: leaving the assignee
    or a consent as it was there keeps what the case holds now, so a phone's older copy never
    takes back a case the board gave to another, nor gives again a consent the person withdrew
    meanwhile (the board records both without a new revision)."""
    if base_data is None:
        return values
    if values.get("assigned_to") == base_data.get("assigned_to"):
        values = dict(values, assigned_to=None)
    before = base_data.get("consent") or {}
    consent = {purpose: None if purpose in before and before[purpose] == given else given
               for purpose, given in (values.get("consent") or {}).items()}
    return dict(values, consent=consent)


def update(case, values, by):
    values = dict(values, assigned_to=_assignee(by, values, case))
    _write(case, values, by)
    audit.record("case_updated", case, user=by, code=case.code)
    return case


def data_of(case):
    """The case as the `data` of a sync entry."""
    return {
        "full_name": case.full_name, "sex": case.sex or None, "birth_year": case.birth_year,
        "address": case.address, "neighbourhood": case.neighbourhood, "phone": case.phone,
        "categories": categories_of(case), "risk_level": case.risk_level,
        "met_how": case.met_how, "consent": consent_of(case),
        "assigned_to": case.assigned_to_id, "screening_uuid": case.screening_uuid,
    }


def categories_of(case):
    return sorted(row.category for row in case.category_rows)


# --- The board's actions on a case --------------------------------------------------------------

CLOSED = ("closed", "closed_referred")
# assign, close and reopen read the case again, locked (db.locked): the page the chair acted on
# may show it as it was before another tab (or the same form sent a moment ago) changed it.


def assigned_mark(case):
    """What the assign form carries of whom the case was assigned to when the page was drawn."""
    return overtaken.mark({"assigned_to": case.assigned_to_id})


def _assigned_elsewhere(case):
    holder = case.assigned_to
    name = (holder.full_name or holder.login) if holder is not None else ""
    return _l("Meanwhile the case was assigned to %(name)s: nothing was changed. This page now "
              "shows who has it; if it should still go to someone else, choose them and assign "
              "again.", name=name) if holder is not None else \
        _l("Meanwhile the case was taken off its member: nothing was changed. This page now shows "
           "it as it is; choose the member and assign again.")


def assign(case, member, by, seen=None):
    """Give the case to a member of the club to follow.

    `seen`: the assigned_mark of the page the chair acted on. If another board member assigned the
    case to someone else since, nothing is written (overtaken.Overtaken, whose message says who
    has it now). The same assignment sent twice (a double tap, a retry) is taken once."""
    member_id = getattr(member, "id", member)
    if User.active_member(case.club_id, member_id) is None:
        raise Invalid({"member": _l("Choose a member of the club.")})
    with database.atomic():
        case = locked(case)
        if overtaken.check(seen, {"assigned_to": case.assigned_to_id}, {"assigned_to": member_id},
                           message=lambda _name: _assigned_elsewhere(case)):
            return  # given to them already (the form sent twice, or from another tab)
        holders.hand_over(case, member, case.assigned_to_id)
        case.assigned_to = member
        case.updated_at = utcnow()
        case.save(only=[Case.assigned_to, Case.updated_at])
        audit.record("case_assigned", case, user=by, code=case.code, member_id=case.assigned_to_id)


def close(case, reason, by, referred=False):
    """Close the case with a reason (closed_referred when the person was handed to a service)."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid({"reason": _l("Give the reason for closing the case.")})
    if len(reason) > 2000:
        raise Invalid({"reason": _l("Use at most %(n)d characters.", n=2000)})
    with database.atomic():
        case = locked(case)
        if case.status in CLOSED:  # closed in another tab, or the form sent twice
            raise Invalid({"status": _l("The case was already closed: nothing was changed.")})
        case.status = "closed_referred" if referred else "closed"
        case.closed_reason = reason
        case.updated_at = utcnow()
        case.save(only=[Case.status, Case.closed_reason, Case.updated_at])
        (Appointment.update(status="cancelled", cancelled_reason="case closed",
                            updated_at=utcnow())
         .where((Appointment.case == case) & (Appointment.status == "open"))
         .execute())
        audit.record("case_closed", case, user=by, code=case.code, status=case.status)


def reopen(case, by):
    """Open a closed case again. Raises Invalid if it is open (reopened from another tab)."""
    with database.atomic():
        case = locked(case)
        if case.status not in CLOSED:
            raise Invalid({"status": _l("The case is already open: nothing was changed.")})
        case.status = "active"
        case.updated_at = utcnow()
        case.save(only=[Case.status, Case.updated_at])
        audit.record("case_reopened", case, user=by, code=case.code)


def set_status(case, status, by):
    """Active or follow-up (closing has its own function: it needs a reason)."""
    with database.atomic():
        case.status = status
        case.updated_at = utcnow()
        case.save(only=[Case.status, Case.updated_at])
        audit.record("case_status", case, user=by, code=case.code, status=status)


def folded(text):
    """Text without case or Vietnamese accents, for searching by name."""
    text = unicodedata.normalize("NFD", (text or "").strip().casefold().replace("đ", "d"))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def search(query, text="", category="", status="", risk="", member=None):
    """Narrow a query of cases by name or code, category, status, risk level and member."""
    needle = folded(text)
    if needle:
        # Matched in Python, without case or accents ("Đỗ" is found by "do"): SQLite's LOWER()
        # knows ASCII only, and a club's book is small.
        found = [row.id for row in query.select(Case.id, Case.full_name, Case.code)
                 if needle in folded(row.full_name) or needle in folded(row.code)]
        query = query.where(Case.id.in_(found or [0]))
    if category:
        query = query.where(Case.id.in_(CaseCategory.select(CaseCategory.case)
                                        .where(CaseCategory.category == category)))
    if status:
        query = query.where(Case.status == status)
    if risk:
        query = query.where(Case.risk_level == risk)
    if member:
        query = query.where(Case.assigned_to == member)
    return query


# --- Data-subject requests ----------------------------------------------------------------------

def erase(case, by):
    """Erase a person on request: personal fields emptied everywhere, de-identified counts kept.

    The case row, its code, categories, visits' dates and kinds, referrals' kinds and statuses and
    attendance stay, so that the club's figures do not change; names, contacts, notes and the
    phone's copies of every revision go.
    """
    with database.atomic():
        for name in PERSONAL_FIELDS:
            setattr(case, name, "")
        case.birth_year = None
        case.erased_at = utcnow()
        case.status = "closed" if case.status not in CLOSED else case.status
        case.save()
        visits = Visit.select().where(Visit.case == case)
        Visit.update(notes="").where(Visit.case == case).execute()
        # The screening the person was met in keeps its counts, not its notes: nor in its
        # revisions, its kept copies or the board's reasons for returning it.
        met_in = Screening.registered_case == case
        if case.screening_uuid:
            met_in |= Screening.uuid == case.screening_uuid
        met_in = [s.uuid for s in Screening.select(Screening.uuid).where(met_in)]
        Screening.update(notes="").where(Screening.uuid.in_(met_in)).execute()
        for copy in (list(EntryRevision.select().where(EntryRevision.uuid.in_(met_in)))
                     + list(SyncConflict.select().where(SyncConflict.uuid.in_(met_in)))):
            copy.data = dict(copy.data, notes="") if isinstance(copy.data, dict) else copy.data
            copy.save()
        SyncConflict.update(reason="").where(SyncConflict.uuid.in_(met_in)).execute()
        Review.update(reason="").where(Review.entry_uuid.in_(met_in)).execute()
        referrals = Referral.select().where(Referral.case == case)
        Referral.update(reason="", outcome="", outcome_note="", provider="").where(
            Referral.case == case).execute()
        # Open appointments are cancelled: no member is sent to a person who asked to be erased.
        (Appointment.update(status="cancelled", updated_at=utcnow())
         .where((Appointment.case == case) & (Appointment.status == "open")).execute())
        Appointment.update(note="", cancelled_reason="", rescheduled_reason="").where(
            Appointment.case == case).execute()
        uuids = ([case.uuid] + [v.uuid for v in visits] + [r.uuid for r in referrals]
                 + [a.uuid for a in Attendance.select().where(Attendance.case == case)])
        EntryRevision.update(data={"erased": True}).where(EntryRevision.uuid.in_(uuids)).execute()
        (SyncConflict.update(data={"erased": True}, reason="")
         .where(SyncConflict.uuid.in_(uuids)).execute())
        Review.update(reason="").where(Review.entry_uuid.in_(uuids)).execute()
        audit.record("case_erased", case, user=by, code=case.code)


def erased_uuids():
    """The uuids of the cases erased at their person's request."""
    return [c.uuid for c in Case.select(Case.uuid).where(Case.erased_at.is_null(False))
            .order_by(Case.id)]


def erase_again(uuids):
    """A backup from before an erasure was restored: the people erased since (the cases `uuids`,
    backup.restore) asked for it, so they are erased again. How many were."""
    again = list(Case.select().where(Case.uuid.in_(list(uuids)) & Case.erased_at.is_null()))
    for case in again:
        erase(case, None)
    return len(again)


# --- The case's page: its timeline, and everything held on the person ---------------------------

def _day(value):
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def timeline(case):
    """Everything that happened to the case, newest first: [{day, kind, row, ...}].

    Kinds: registered, visit, referral, attendance, appointment, consent, review.
    """
    events = [{"day": _day(case.created_at), "kind": "registered", "row": case}]
    visits = list(Visit.select().where(Visit.case == case))
    referrals = list(Referral.select().where(Referral.case == case))
    attendances = list(Attendance.select().where(Attendance.case == case))
    events += [{"day": v.date, "kind": "visit", "row": v} for v in visits]
    events += [{"day": r.referred_on, "kind": "referral", "row": r} for r in referrals]
    events += [{"day": a.activity.date, "kind": "attendance", "row": a} for a in attendances]
    events += [{"day": a.due_date, "kind": "appointment", "row": a}
               for a in Appointment.select().where(Appointment.case == case)]
    events += [{"day": _day(c.recorded_at), "kind": "consent", "row": c}
               for c in Consent.select().where(Consent.case == case)]
    uuids = [case.uuid] + [r.uuid for r in visits + referrals + attendances]
    events += [{"day": _day(r.decided_at), "kind": "review", "row": r}
               for r in Review.select().where(Review.entry_uuid.in_(uuids)
                                              & (Review.club == case.club_id))]
    order = {"review": 0, "consent": 1, "appointment": 2, "attendance": 3, "referral": 4,
             "visit": 5, "registered": 6}
    events.sort(key=lambda e: (e["day"], -order[e["kind"]], e["row"].id), reverse=True)
    return events


def everything_held(case):
    """All the server holds on one person, for a data-subject request (printable)."""
    visits = list(Visit.select().where(Visit.case == case).order_by(Visit.date))
    referrals = list(Referral.select().where(Referral.case == case).order_by(Referral.referred_on))
    attendances = list(Attendance.select().where(Attendance.case == case))
    uuids = [case.uuid] + [r.uuid for r in visits + referrals + attendances]
    return {
        "case": case,
        "categories": categories_of(case),
        "consents": list(Consent.select().where(Consent.case == case).order_by(Consent.id)),
        "visits": visits,
        "referrals": referrals,
        "attendances": attendances,
        "appointments": list(Appointment.select().where(Appointment.case == case)
                             .order_by(Appointment.due_date)),
        "revisions": list(EntryRevision.select().where(EntryRevision.uuid.in_(uuids))
                          .order_by(EntryRevision.submitted_at, EntryRevision.id)),
        "conflicts": list(SyncConflict.select().where(SyncConflict.uuid.in_(uuids))),
        "reviews": list(Review.select().where(Review.entry_uuid.in_(uuids)
                                              & (Review.club == case.club_id))
                        .order_by(Review.decided_at)),
    }

