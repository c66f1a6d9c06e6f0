"""The monthly meeting (sinh hoạt định kỳ): the month's figures, and its writes — the board's
evaluation and the tasks it gives members for the next month."""
from datetime import date

from flask_babel import lazy_gettext as _l

from .. import overtaken, scheduling
from ... import audit
from ...clock import local_today
from ...db import database, locked, utcnow
from ...invalid import Invalid
from ...models import FIELD_ROLES, Appointment, Case, MonthlyReview, Referral, User
from .figures import (
    REFERRAL_STATUSES, VISIT_KINDS, Period, club_figures, in_period, labelled_counts,
    member_figures, pending_counts, referrals_by, visits_by_kind,
)
from .survey import survey_figures
from .targets import target_progress, targets_for


class TaskError(ValueError):
    """A bad monthly task, with a message in the user's language, keyed by field."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field
        self.message = message


def next_month(year, month):
    return (year + 1, 1) if month == 12 else (year, month + 1)


def overdue_for_month(club, period, today):
    """The monthly meeting's overdue figure: as of today while the month lasts (a visit due later
    in the month is not late yet), at the month's end once it is over."""
    if period.end < today:
        return scheduling.overdue_at_end_of(club, period.end)
    return scheduling.overdue(club, today).count()


def monthly(club, year, month, today=None):
    """The month's figures, its evaluation and the tasks assigned for next month."""
    today = today or local_today()
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
        visit_kinds=labelled_counts(VISIT_KINDS, visits_by_kind([club.id], period)[club.id]),
        referral_statuses=labelled_counts(
            REFERRAL_STATUSES, referrals_by(Referral.status, [club.id], period)[club.id]),
        pending=pending_counts(club, period),
        overdue_count=overdue_for_month(club, period, today), month_over=period.end < today,
        review=review,
        tasks=list(monthly_tasks(club, following)),
        survey=survey_figures([club.id], period.start, period.end),
    )


def monthly_tasks(club, period):
    """Tasks the monthly meeting assigned in `period`: appointments from the monthly review."""
    return (Appointment.select(Appointment, Case, User)
            .join(Case, on=(Appointment.case == Case.id))
            .switch(Appointment).join(User, on=(Appointment.member == User.id))
            .where((Appointment.club == club) & (Appointment.source == "monthly_review")
                   & in_period(Appointment.due_date, period))
            .order_by(Appointment.due_date, User.full_name))


def evaluation_of(review):
    """The evaluation as its form's mark (overtaken.mark) and an overtaken save show it."""
    return {"evaluation": review.evaluation if review else ""}


def _overtaken_message(name):
    return _l("%(name)s saved the evaluation meanwhile: nothing was overwritten. Their text is "
              "shown above yours; put what you want to keep of it into yours, then save again.",
              name=name)


def save_evaluation(club, year, month, evaluation, by, seen=None):
    """Write the board's evaluation of the month (sinh hoạt định kỳ).

    `seen`: the mark (overtaken.mark) of the text the form was opened on. If another board member
    saved another text since (two at the meeting, each on their phone), nothing is written:
    overtaken.Overtaken.
    """
    evaluation = (evaluation or "").strip()
    if len(evaluation) > 10000:
        raise TaskError("evaluation", _l("The evaluation is too long (10,000 characters at most)."))
    with database.atomic():
        review, _created = MonthlyReview.get_or_create(club=club, year=year, month=month)
        review = locked(review)
        overtaken.check(seen, evaluation_of(review), {"evaluation": evaluation},
                        by=review.updated_by, message=_overtaken_message)
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
        same = scheduling.planned_already(case, member, due_date, note, "monthly_review")
        if same is not None:
            return same  # the task sent twice (a double tap, the page sent again)
        try:
            appointment = scheduling.assign_visit(by, case, member, due_date, note,
                                                  source="monthly_review")
        except Invalid as error:
            raise TaskError(error.field or "due_date", error.message) from error
        audit.record("monthly_task_assigned", appointment, user=by, club=club,
                     case_code=case.code, member_id=member.id, year=year, month=month)
    return appointment
