"""The chair's dashboard: the club's year to date against its targets."""
from .. import vocab
from ...clock import local_today
from ...models import Referral
from .figures import (
    REFERRAL_OUTCOMES, REFERRAL_STATUSES, SERVICE_KINDS, VISIT_KINDS, Period, cases_by,
    club_figures, labelled_counts, member_figures, monthly_series, overdue_appointments,
    pending_counts, referrals_by, visits_by_kind,
)
from .survey import survey_figures
from .targets import target_progress, targets_for


def dashboard(club, year, as_of=None):
    """Everything the chair's dashboard shows for `year`, as of `as_of` (default today)."""
    as_of = as_of or local_today()
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
        visit_kinds=labelled_counts(VISIT_KINDS, visits_by_kind([club.id], to_date)[club.id]),
        referral_statuses=labelled_counts(
            REFERRAL_STATUSES, referrals_by(Referral.status, [club.id], to_date)[club.id]),
        referral_outcomes=labelled_counts(
            REFERRAL_OUTCOMES, referrals_by(Referral.outcome, [club.id], to_date)[club.id]),
        service_kinds=labelled_counts(
            SERVICE_KINDS, referrals_by(Referral.service_kind, [club.id], to_date)[club.id]),
        categories=labelled_counts(vocab.CASE_CATEGORIES, cases_by("category", club)),
        statuses=labelled_counts(vocab.CASE_STATUSES, cases_by("status", club)),
        overdue_count=overdue_count, overdue=overdue,
        pending=pending_counts(club, to_date),
        survey=survey_figures([club.id], to_date.start, to_date.end),
    )
