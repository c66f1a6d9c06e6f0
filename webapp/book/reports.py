"""The club's figures: yearly targets, the chair's dashboard, the monthly meeting and the area view.

Every figure is computed here once, by SQL aggregates (COUNT/SUM grouped by club, member or
code), never by looping in Python over years of rows; the desk pages, the monthly review, the
exports and the supervisors' view all read these functions.

What counts (shown in the dashboard's help text, `DEFINITIONS`):
- Only entries whose `review_status` is "approved" count; entries waiting for review are counted
  apart (`pending_counts`) and never added to a figure.
- A consultation (lượt tư vấn) is one approved visit of any kind — home visit, consultation,
  phone call or group session — on its date; it counts once for the club however many members
  were there. Per member, "visits" are the approved visits the member recorded or was present
  at, and "consultations" those the member recorded (so members' consultations add up to the
  club's).
- A person mobilised (vận động) is one approved attendance row with `brought_by` set, at an
  activity dated in the period; it counts for the member who brought them.
- The cases of the period (people reached) are the approved cases registered in the period or
  with an approved visit, referral or attendance in it. The referred share is the number of
  those with at least one approved referral made in the period, over all of them.
"""
import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from peewee import fn
from peewee import Case as SQLCase

from . import scheduling, vocab
from .. import audit
from ..db import database, utcnow
from ..invalid import Invalid
from ..models import (
    FIELD_ROLES, Activity, Appointment, Attendance, Case, CaseCategory, Club, MonthlyReview,
    Referral, Target, User, Visit, VisitMember,
)
from .vocab import APPROVED, SUBMITTED

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


VISIT_KINDS = vocab.VISIT_KINDS
REFERRAL_STATUSES = vocab.REFERRAL_STATUSES
REFERRAL_OUTCOMES = vocab.REFERRAL_OUTCOMES
SERVICE_KINDS = vocab.SERVICE_KINDS

DEFINITIONS = [
    (_l("Consultations"),
     _l("Each approved visit of any kind (home visit, consultation, phone call, group session) "
        "counts as one consultation on its date, once for the club however many members went. "
        "In the members' table, visits are those the member recorded or was present at; "
        "consultations are those the member recorded, so they add up to the club's figure.")),
    (_l("People mobilised"),
     _l("Each approved attendance at an activity held in the period, recorded with the member "
        "who brought the person. The target is the number per member times the club's active "
        "members.")),
    (_l("Referred share"),
     _l("Cases with at least one approved referral made in the period, out of the cases of the "
        "period: approved cases registered in it or with an approved visit, referral or "
        "attendance in it.")),
    (_l("Waiting for review"),
     _l("Entries not yet approved by the board are shown apart and never counted.")),
]


# --- Periods -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    """Dates from `start` to `end`, both included."""

    start: date
    end: date

    @classmethod
    def year(cls, year):
        return cls(date(year, 1, 1), date(year, 12, 31))

    @classmethod
    def month(cls, year, month):
        last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
        return cls(date(year, month, 1), last)

    def months(self):
        """The calendar months the period touches, as Periods clipped to it."""
        result = []
        year, month = self.start.year, self.start.month
        while date(year, month, 1) <= self.end:
            whole = Period.month(year, month)
            result.append(Period(max(whole.start, self.start), min(whole.end, self.end)))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return result

    def utc_bounds(self):
        """The period as naive-UTC datetimes [from, until): local days in Asia/Ho_Chi_Minh."""
        def utc(day):
            local = datetime.combine(day, time.min, tzinfo=LOCAL_TZ)
            return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
        return utc(self.start), utc(self.end + timedelta(days=1))


def today_local():
    return datetime.now(LOCAL_TZ).date()


def suppress(value):
    """What a supervisor may see of a count of people or entries: 1 to 4 become "<5".

    The one place small counts are hidden; every area page and export goes through it.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        return value
    return SMALL if 1 <= value <= 4 else value


SMALL = "<5"
HIDDEN = "*"  # a count hidden only so that a small one cannot be worked out from a total


def suppress_parts(parts, total):
    """Suppress counts that add up to `total` (shown beside them): `suppress` each, and where
    that leaves a single hidden part the total would give away, hide the smallest count that is
    still shown as well (HIDDEN). Parts that may add up to less than the total are treated the
    same: the reader may know the rest. Returns the parts as shown, in their order.
    """
    shown = [suppress(n) for n in parts]
    if suppress(total) == SMALL:  # every part is then 0 or hidden, and no exact count leaks
        return shown
    hidden = [i for i, value in enumerate(shown) if value == SMALL]
    if len(hidden) == 1:
        others = [i for i, n in enumerate(parts) if shown[i] != SMALL and isinstance(n, int) and n > 0]
        if others:
            shown[min(others, key=lambda i: (parts[i], i))] = HIDDEN
    return shown


# --- Targets -------------------------------------------------------------------------------

TARGET_DEFAULTS = dict(consultations=120, mobilised_per_member=2, referred_percent=50)
TARGET_LIMITS = dict(consultations=(100, 150), mobilised_per_member=(1, 10),
                     referred_percent=(1, 100))


class TargetError(ValueError):
    """A target out of its allowed range, with a message in the user's language, keyed by field."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field
        self.message = message


def targets_for(club, year):
    """The club's targets for `year`: the saved row, or an unsaved one with the defaults."""
    return (Target.get_or_none((Target.club == club) & (Target.year == year))
            or Target(club=club, year=year, **TARGET_DEFAULTS))


def _range_message(field, low, high):
    if field == "consultations":
        return _l("Consultations must be between %(low)d and %(high)d a year.", low=low,
                  high=high)
    if field == "mobilised_per_member":
        return _l("People mobilised per member must be between %(low)d and %(high)d.",
                  low=low, high=high)
    return _l("The referred share must be between %(low)d%% and %(high)d%%.", low=low,
              high=high)


def validate_targets(consultations, mobilised_per_member, referred_percent):
    """Raise TargetError for the first target outside its allowed range."""
    values = dict(consultations=consultations, mobilised_per_member=mobilised_per_member,
                  referred_percent=referred_percent)
    for field, value in values.items():
        low, high = TARGET_LIMITS[field]
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise TargetError(field, _range_message(field, low, high))


def set_targets(club, year, *, consultations, mobilised_per_member, referred_percent, by):
    """Save the club's targets for `year` (validated), and audit the change."""
    if not 2000 <= year <= 2100:
        raise TargetError("year", _l("Choose a year between 2000 and 2100."))
    validate_targets(consultations, mobilised_per_member, referred_percent)
    with database.atomic():
        target = targets_for(club, year)
        target.consultations = consultations
        target.mobilised_per_member = mobilised_per_member
        target.referred_percent = referred_percent
        target.save()
        audit.record("targets_set", target, user=by, club=club, year=year,
                     consultations=consultations, mobilised_per_member=mobilised_per_member,
                     referred_percent=referred_percent)
    return target


# --- Aggregates, grouped by club -----------------------------------------------------------

def _in(field, period):
    return field.between(period.start, period.end)


def _created_in(model, period):
    since, until = period.utc_bounds()
    return (model.created_at >= since) & (model.created_at < until)


def _by_club(query, club_field):
    """{club_id: count} for a query selecting (club, COUNT) grouped by club."""
    return {club_id: int(count or 0) for club_id, count in query.group_by(club_field).tuples()}


def _monthly(field, months):
    """One SUM(CASE WHEN field in month THEN 1 ELSE 0 END) column per month: portable SQL."""
    return [fn.SUM(SQLCase(None, [(_in(field, m), 1)], 0)) for m in months]


def _approved_visits(club_ids, period):
    return ((Visit.club.in_(club_ids)) & (Visit.review_status == APPROVED)
            & _in(Visit.date, period))


def _approved_mobilisations(club_ids, period):
    return ((Attendance.club.in_(club_ids)) & (Attendance.review_status == APPROVED)
            & Attendance.brought_by.is_null(False) & _in(Activity.date, period))


def _approved_referrals(club_ids, period):
    return ((Referral.club.in_(club_ids)) & (Referral.review_status == APPROVED)
            & _in(Referral.referred_on, period))


def period_case_ids(club_ids, period):
    """Subquery of the ids of the cases of the period (see the module's docstring)."""
    worked = (Visit.select(Visit.case).where(_approved_visits(club_ids, period))
              | Referral.select(Referral.case).where(_approved_referrals(club_ids, period))
              | (Attendance.select(Attendance.case)
                 .join(Activity, on=(Attendance.activity == Activity.id))
                 .where((Attendance.club.in_(club_ids))
                        & (Attendance.review_status == APPROVED)
                        & _in(Activity.date, period))))
    return (Case.select(Case.id)
            .where(Case.club.in_(club_ids) & (Case.review_status == APPROVED)
                   & (Case.id.in_(worked) | _created_in(Case, period))))


def club_figures(club_ids, period):
    """The headline figures of each club for `period`: {club_id: {name: count}}."""
    club_ids = list(club_ids)
    figures = {cid: {} for cid in club_ids}
    if not club_ids:
        return figures

    def put(name, counts):
        for cid in club_ids:
            figures[cid][name] = counts.get(cid, 0)

    put("consultations", _by_club(
        Visit.select(Visit.club, fn.COUNT(Visit.id)).where(_approved_visits(club_ids, period)),
        Visit.club))
    put("mobilised", _by_club(
        (Attendance.select(Attendance.club, fn.COUNT(Attendance.id))
         .join(Activity, on=(Attendance.activity == Activity.id))
         .where(_approved_mobilisations(club_ids, period))), Attendance.club))
    put("referrals", _by_club(
        Referral.select(Referral.club, fn.COUNT(Referral.id))
        .where(_approved_referrals(club_ids, period)), Referral.club))
    put("cases", _by_club(
        Case.select(Case.club, fn.COUNT(Case.id)).where(Case.id.in_(period_case_ids(club_ids,
                                                                                    period))),
        Case.club))
    referred = Referral.select(Referral.case).where(_approved_referrals(club_ids, period))
    put("referred_cases", _by_club(
        Case.select(Case.club, fn.COUNT(Case.id))
        .where(Case.id.in_(referred) & (Case.review_status == APPROVED)), Case.club))
    put("new_cases", _by_club(
        Case.select(Case.club, fn.COUNT(Case.id))
        .where(Case.club.in_(club_ids) & (Case.review_status == APPROVED)
               & _created_in(Case, period)), Case.club))
    put("members", _by_club(
        User.select(User.club, fn.COUNT(User.id))
        .where(User.club.in_(club_ids) & User.role.in_(FIELD_ROLES) & User.is_active), User.club))
    return figures


def visits_by_kind(club_ids, period):
    """{club_id: {kind: count}} of approved visits."""
    result = {cid: {} for cid in club_ids}
    query = (Visit.select(Visit.club, Visit.kind, fn.COUNT(Visit.id))
             .where(_approved_visits(club_ids, period))
             .group_by(Visit.club, Visit.kind))
    for cid, kind, count in query.tuples():
        result[cid][kind] = count
    return result


def referrals_by(field, club_ids, period):
    """{club_id: {code: count}} of approved referrals of the period, by status or service kind."""
    result = {cid: {} for cid in club_ids}
    query = (Referral.select(Referral.club, field, fn.COUNT(Referral.id))
             .where(_approved_referrals(club_ids, period))
             .group_by(Referral.club, field))
    for cid, code, count in query.tuples():
        result[cid][code] = count
    return result


def cases_reached_by_category(club_ids, period):
    """{club_id: {category: count}} of the cases of the period (a case may be in several)."""
    result = {cid: {} for cid in club_ids}
    query = (CaseCategory.select(Case.club, CaseCategory.category,
                                 fn.COUNT(fn.DISTINCT(CaseCategory.case)))
             .join(Case, on=(CaseCategory.case == Case.id))
             .where(Case.id.in_(period_case_ids(club_ids, period)))
             .group_by(Case.club, CaseCategory.category))
    for cid, category, count in query.tuples():
        result[cid][category] = count
    return result


def monthly_series(club_ids, period):
    """{club_id: {"consultations"|"mobilised"|"referrals": [count per month]}} over the period."""
    months = period.months()
    series = {cid: {name: [0] * len(months) for name in ("consultations", "mobilised",
                                                          "referrals")} for cid in club_ids}
    if not club_ids:
        return months, series
    queries = {
        "consultations": (Visit.select(Visit.club, *_monthly(Visit.date, months))
                          .where(_approved_visits(club_ids, period)).group_by(Visit.club)),
        "mobilised": (Attendance.select(Attendance.club, *_monthly(Activity.date, months))
                      .join(Activity, on=(Attendance.activity == Activity.id))
                      .where(_approved_mobilisations(club_ids, period))
                      .group_by(Attendance.club)),
        "referrals": (Referral.select(Referral.club, *_monthly(Referral.referred_on, months))
                      .where(_approved_referrals(club_ids, period)).group_by(Referral.club)),
    }
    for name, query in queries.items():
        for cid, *counts in query.tuples():
            series[cid][name] = [int(c or 0) for c in counts]
    return months, series


def pending_counts(club, period):
    """Entries of the period waiting for review, by entry type: shown apart, never counted."""
    return {
        "case": (Case.select().where((Case.club == club) & (Case.review_status == SUBMITTED)
                                     & _created_in(Case, period)).count()),
        "visit": (Visit.select().where((Visit.club == club) & (Visit.review_status == SUBMITTED)
                                       & _in(Visit.date, period)).count()),
        "referral": (Referral.select().where((Referral.club == club)
                                             & (Referral.review_status == SUBMITTED)
                                             & _in(Referral.referred_on, period)).count()),
        "attendance": (Attendance.select()
                       .join(Activity, on=(Attendance.activity == Activity.id))
                       .where((Attendance.club == club) & (Attendance.review_status == SUBMITTED)
                              & _in(Activity.date, period)).count()),
    }


# --- The chair's view of one club ----------------------------------------------------------

def member_figures(club, period):
    """Per member of the club: visits, consultations, people mobilised, referrals (approved)."""
    cid = [club.id]
    took_part = (Visit.select(Visit.id.alias("visit_id"), Visit.created_by.alias("user_id"))
                 .where(_approved_visits(cid, period))
                 | (VisitMember.select(VisitMember.visit.alias("visit_id"),
                                       VisitMember.user.alias("user_id"))
                    .join(Visit, on=(VisitMember.visit == Visit.id))
                    .where(_approved_visits(cid, period))))
    part = took_part.alias("part")
    counts = {
        "visits": (part.select_from(part.c.user_id, fn.COUNT(part.c.visit_id))
                   .group_by(part.c.user_id)),
        "consultations": (Visit.select(Visit.created_by, fn.COUNT(Visit.id))
                          .where(_approved_visits(cid, period)).group_by(Visit.created_by)),
        "mobilised": (Attendance.select(Attendance.brought_by, fn.COUNT(Attendance.id))
                      .join(Activity, on=(Attendance.activity == Activity.id))
                      .where(_approved_mobilisations(cid, period))
                      .group_by(Attendance.brought_by)),
        "referrals": (Referral.select(Referral.created_by, fn.COUNT(Referral.id))
                      .where(_approved_referrals(cid, period)).group_by(Referral.created_by)),
    }
    by_user = {}
    for name, query in counts.items():
        for user_id, count in query.tuples():
            by_user.setdefault(user_id, {})[name] = int(count)
    members = (User.select()
               .where((User.club == club) & User.role.in_(FIELD_ROLES)
                      & (User.is_active | User.id.in_(list(by_user) or [0])))
               .order_by(User.full_name, User.login))
    rows = []
    for member in members:
        values = by_user.get(member.id, {})
        rows.append(dict(member=member, **{name: values.get(name, 0) for name in counts}))
    return rows


def cases_by(field_name, club):
    """{code: count} of the club's approved cases now, by status or by category."""
    alive = (Case.club == club) & (Case.review_status == APPROVED) & Case.erased_at.is_null()
    if field_name == "category":
        query = (CaseCategory.select(CaseCategory.category, fn.COUNT(CaseCategory.id))
                 .join(Case, on=(CaseCategory.case == Case.id)).where(alive)
                 .group_by(CaseCategory.category))
    else:
        query = Case.select(Case.status, fn.COUNT(Case.id)).where(alive).group_by(Case.status)
    return dict(query.tuples())


def overdue_appointments(club, as_of, limit=20):
    """Open appointments past their date: (count, the oldest `limit` of them)."""
    where = ((Appointment.club == club) & (Appointment.status == "open")
             & (Appointment.due_date < as_of))
    count = Appointment.select().where(where).count()
    rows = (Appointment.select(Appointment, Case, User)
            .join(Case, on=(Appointment.case == Case.id))
            .switch(Appointment).join(User, on=(Appointment.member == User.id))
            .where(where).order_by(Appointment.due_date).limit(limit))
    return count, list(rows)


def months_left(period, as_of):
    """Months still to come in the period, the current one included (0 when it is over)."""
    if as_of > period.end:
        return 0
    if as_of < period.start:
        return len(period.months())
    return (period.end.year - as_of.year) * 12 + period.end.month - as_of.month + 1


def progress(target, done, left):
    """How far `done` is towards `target`, and the monthly pace needed for the rest."""
    remaining = max(target - done, 0)
    return dict(target=target, done=done, remaining=remaining,
                percent=min(100, round(100 * done / target)) if target else 100,
                met=done >= target,
                per_month=math.ceil(remaining / left) if left and remaining else 0)


def target_progress(targets, figures, period, as_of):
    """Each target of the year against what is done, with the pace needed (see DEFINITIONS)."""
    left = months_left(period, as_of)
    mobilised_target = targets.mobilised_per_member * figures["members"]
    cases, referred = figures["cases"], figures["referred_cases"]
    referred_needed = math.ceil(targets.referred_percent * cases / 100)
    share = round(100 * referred / cases) if cases else 0
    return dict(
        months_left=left,
        consultations=progress(targets.consultations, figures["consultations"], left),
        mobilised=progress(mobilised_target, figures["mobilised"], left),
        referred=dict(target=targets.referred_percent, done=share, referred=referred,
                      cases=cases, needed=referred_needed,
                      remaining=max(referred_needed - referred, 0),
                      met=bool(cases) and share >= targets.referred_percent,
                      percent=min(100, round(100 * share / targets.referred_percent))),
    )


def dashboard(club, year, as_of=None):
    """Everything the chair's dashboard shows for `year`, as of `as_of` (default today)."""
    as_of = as_of or today_local()
    period = Period.year(year)
    to_date = Period(period.start, min(period.end, max(as_of, period.start)))
    figures = club_figures([club.id], to_date)[club.id]
    targets = targets_for(club, year)
    months, series = monthly_series([club.id], to_date)
    overdue_count, overdue = overdue_appointments(club, as_of)
    return dict(
        club=club, year=year, as_of=as_of, period=period, to_date=to_date,
        figures=figures, targets=targets,
        progress=target_progress(targets, figures, period, as_of),
        months=months, series=series[club.id],
        members=member_figures(club, to_date),
        visit_kinds=_ordered(VISIT_KINDS, visits_by_kind([club.id], to_date)[club.id]),
        referral_statuses=_ordered(REFERRAL_STATUSES,
                                   referrals_by(Referral.status, [club.id], to_date)[club.id]),
        referral_outcomes=_ordered(REFERRAL_OUTCOMES, referrals_by(Referral.outcome, [club.id],
                                                                   to_date)[club.id]),
        service_kinds=_ordered(SERVICE_KINDS, referrals_by(Referral.service_kind, [club.id],
                                                           to_date)[club.id]),
        categories=_ordered(vocab.CASE_CATEGORIES, cases_by("category", club)),
        statuses=_ordered(vocab.CASE_STATUSES, cases_by("status", club)),
        overdue_count=overdue_count, overdue=overdue,
        pending=pending_counts(club, to_date),
    )


def _ordered(vocabulary, counts, keep_zero=True):
    """[(code, label, count)] in the vocabulary's order, then any other code found."""
    rows = [(code, vocabulary.label(code), counts.get(code, 0)) for code in vocabulary.codes
            if keep_zero or counts.get(code)]
    rows += [(code, code, count) for code, count in sorted(counts.items())
             if code and code not in vocabulary]
    return rows


# --- The monthly meeting -------------------------------------------------------------------

class TaskError(ValueError):
    """A bad monthly task, with a message in the user's language, keyed by field."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field
        self.message = message


def next_month(year, month):
    return (year + 1, 1) if month == 12 else (year, month + 1)


def monthly(club, year, month):
    """The month's figures, its evaluation and the tasks assigned for next month."""
    period = Period.month(year, month)
    figures = club_figures([club.id], period)[club.id]
    year_to_date = club_figures([club.id], Period(date(year, 1, 1), period.end))[club.id]
    targets = targets_for(club, year)
    following = Period.month(*next_month(year, month))
    review = MonthlyReview.get_or_none((MonthlyReview.club == club) & (MonthlyReview.year == year)
                                       & (MonthlyReview.month == month))
    return dict(
        club=club, year=year, month=month, period=period, next_period=following,
        figures=figures, year_to_date=year_to_date, targets=targets,
        progress=target_progress(targets, year_to_date, Period.year(year), period.end),
        members=member_figures(club, period),
        visit_kinds=_ordered(VISIT_KINDS, visits_by_kind([club.id], period)[club.id]),
        referral_statuses=_ordered(REFERRAL_STATUSES,
                                   referrals_by(Referral.status, [club.id], period)[club.id]),
        pending=pending_counts(club, period),
        overdue_count=overdue_appointments(club, period.end + timedelta(days=1), limit=0)[0],
        review=review,
        tasks=list(monthly_tasks(club, following)),
    )


def monthly_tasks(club, period):
    """Tasks the monthly meeting assigned in `period`: appointments from the monthly review."""
    return (Appointment.select(Appointment, Case, User)
            .join(Case, on=(Appointment.case == Case.id))
            .switch(Appointment).join(User, on=(Appointment.member == User.id))
            .where((Appointment.club == club) & (Appointment.source == "monthly_review")
                   & _in(Appointment.due_date, period))
            .order_by(Appointment.due_date, User.full_name))


def save_evaluation(club, year, month, evaluation, by):
    """Write the board's evaluation of the month (sinh hoạt định kỳ)."""
    evaluation = (evaluation or "").strip()
    if len(evaluation) > 10000:
        raise TaskError("evaluation", _l("The evaluation is too long (10,000 characters at most)."))
    with database.atomic():
        review, _created = MonthlyReview.get_or_create(club=club, year=year, month=month)
        review.evaluation = evaluation
        review.updated_by = by
        review.updated_at = utcnow()
        review.save()
        audit.record("monthly_review_saved", review, user=by, club=club, year=year, month=month)
    return review


def assign_task(club, year, month, *, member_id, case_id, due_date, note, by):
    """Give a member a task for the month after `month`: an appointment on their agenda."""
    following = Period.month(*next_month(year, month))
    member = User.get_or_none((User.id == member_id) & (User.club == club)
                              & User.role.in_(FIELD_ROLES) & User.is_active)
    if member is None:
        raise TaskError("member", _l("Choose a member of the club."))
    case = Case.get_or_none((Case.id == case_id) & (Case.club == club)
                            & Case.erased_at.is_null())
    if case is None:
        raise TaskError("case", _l("Choose a case of the club."))
    if due_date is None:
        raise TaskError("due_date", _l("Enter the date of the task."))
    if not following.start <= due_date <= following.end:
        raise TaskError("due_date", _l("The date must fall in the next month (%(start)s to "
                                      "%(end)s).", start=following.start.strftime("%d/%m/%Y"),
                                      end=following.end.strftime("%d/%m/%Y")))
    note = (note or "").strip()
    if len(note) > 500:
        raise TaskError("note", _l("The note is too long (500 characters at most)."))
    with database.atomic():
        try:
            appointment = scheduling.assign_visit(by, case, member, due_date, note,
                                                  source="monthly_review")
        except Invalid as error:
            raise TaskError(error.field or "due_date", error.message) from error
        audit.record("monthly_task_assigned", appointment, user=by, club=club,
                     case_code=case.code, member_id=member.id, year=year, month=month)
    return appointment


# --- The supervisor's view -----------------------------------------------------------------

def area_clubs(user):
    """The clubs of a supervisor's area: those whose city or province is the area."""
    area = (user.area or "").strip()
    if not area:
        return []
    return list(Club.select()
                .where(((Club.city == area) | (Club.province == area)) & Club.is_active)
                .order_by(Club.name))


def area_report(clubs, year):
    """De-identified figures of the area's clubs for `year`, every count already suppressed.

    No names, notes or codes leave this function: clubs are named (they are public bodies),
    people only counted.
    """
    ids = [club.id for club in clubs]
    period = Period.year(year)
    figures = club_figures(ids, period)
    categories = cases_reached_by_category(ids, period)
    statuses = referrals_by(Referral.status, ids, period)
    outcomes = referrals_by(Referral.outcome, ids, period)
    months, series = monthly_series(ids, period)
    rows = []

    def parts_of(vocabulary, counts, total):
        ordered = _ordered(vocabulary, counts)
        shown = suppress_parts([n for _c, _label, n in ordered], total)
        return [(label, value) for (_c, label, _n), value in zip(ordered, shown)]

    for club in clubs:
        f = figures[club.id]
        done = target_progress(targets_for(club, year), f, period, period.end)
        rows.append(dict(
            club=club.name,
            consultations=suppress(f["consultations"]),
            cases=suppress(f["cases"]),
            # A case may be in several categories: these do not add up to the cases.
            categories=[(label, suppress(categories[club.id].get(code, 0)))
                        for code, label, _n in _ordered(vocab.CASE_CATEGORIES, {})],
            referrals=suppress(f["referrals"]),
            statuses=parts_of(REFERRAL_STATUSES, statuses[club.id], f["referrals"]),
            outcomes=parts_of(REFERRAL_OUTCOMES, outcomes[club.id], f["referrals"]),
            mobilised=suppress(f["mobilised"]),
            targets_met=dict(consultations=done["consultations"]["met"],
                             mobilised=done["mobilised"]["met"],
                             referred=done["referred"]["met"]),
            # Each month's count adds up to the year's, shown on the area's first page.
            series={name: suppress_parts(values, f[name])
                    for name, values in series[club.id].items()},
        ))
    return dict(year=year, months=months, rows=rows)
