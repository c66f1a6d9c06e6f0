"""The counts: every figure of the club's book, by SQL aggregates over a Period.

What counts is said once, in the package's docstring (and to the chair in `DEFINITIONS`).
"""
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from peewee import fn
from peewee import Case as SQLCase

from .. import scheduling, vocab
from ..vocab import APPROVED, SUBMITTED
from ...clock import utc_start_of
from ...models import (
    FIELD_ROLES, Activity, Attendance, Case, CaseCategory, Referral, User, Visit,
    VisitMember,
)



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
        return utc_start_of(self.start), utc_start_of(self.end + timedelta(days=1))


# --- Aggregates, grouped by club -----------------------------------------------------------

def in_period(field, period):
    """The condition that a date field falls in the period."""
    return field.between(period.start, period.end)


def _created_in(model, period):
    since, until = period.utc_bounds()
    return (model.created_at >= since) & (model.created_at < until)


def _by_club(query, club_field):
    """{club_id: count} for a query selecting (club, COUNT) grouped by club."""
    return {club_id: int(count or 0) for club_id, count in query.group_by(club_field).tuples()}


def _monthly(field, months):
    """One SUM(CASE WHEN field in month THEN 1 ELSE 0 END) column per month: portable SQL."""
    return [fn.SUM(SQLCase(None, [(in_period(field, m), 1)], 0)) for m in months]


def _approved_visits(club_ids, period):
    return ((Visit.club.in_(club_ids)) & (Visit.review_status == APPROVED)
            & in_period(Visit.date, period))


def _approved_mobilisations(club_ids, period):
    return ((Attendance.club.in_(club_ids)) & (Attendance.review_status == APPROVED)
            & Attendance.brought_by.is_null(False) & in_period(Activity.date, period))


def _approved_referrals(club_ids, period):
    return ((Referral.club.in_(club_ids)) & (Referral.review_status == APPROVED)
            & in_period(Referral.referred_on, period))


def period_case_ids(club_ids, period):
    """Subquery of the ids of the cases of the period (see the module's docstring)."""
    worked = (Visit.select(Visit.case).where(_approved_visits(club_ids, period))
              | Referral.select(Referral.case).where(_approved_referrals(club_ids, period))
              | (Attendance.select(Attendance.case)
                 .join(Activity, on=(Attendance.activity == Activity.id))
                 .where((Attendance.club.in_(club_ids))
                        & (Attendance.review_status == APPROVED)
                        & in_period(Activity.date, period))))
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
                                       & in_period(Visit.date, period)).count()),
        "referral": (Referral.select().where((Referral.club == club)
                                             & (Referral.review_status == SUBMITTED)
                                             & in_period(Referral.referred_on, period)).count()),
        "attendance": (Attendance.select()
                       .join(Activity, on=(Attendance.activity == Activity.id))
                       .where((Attendance.club == club) & (Attendance.review_status == SUBMITTED)
                              & in_period(Activity.date, period)).count()),
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
    rows = scheduling.overdue(club, as_of)
    return rows.count(), list(rows.limit(limit))


def labelled_counts(vocabulary, counts, keep_zero=True):
    """[(code, label, count)] in the vocabulary's order, then any other code found."""
    rows = [(code, vocabulary.label(code), counts.get(code, 0)) for code in vocabulary.codes
            if keep_zero or counts.get(code)]
    rows += [(code, code, count) for code, count in sorted(counts.items())
             if code and code not in vocabulary]
    return rows
