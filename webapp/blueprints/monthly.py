"""The monthly meeting (sinh hoạt định kỳ): the month's figures, the board's evaluation, tasks."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Optional

from .. import audit
from ..book import exports, overtaken, reports
from ..clock import local_today
from ..downloads import download
from ..models import Case, User
from ..permissions import CHAIR, access

bp = Blueprint("monthly", __name__, url_prefix="/desk/monthly")


class EvaluationForm(FlaskForm):
    evaluation = TextAreaField(_l("The board's evaluation of the month"))
    # Which text the form was opened on (overtaken.mark): another's save since is not overwritten.
    seen = HiddenField()


class TaskForm(FlaskForm):
    member = SelectField(_l("Member"), coerce=int, validate_choice=False,
                         validators=[InputRequired(_l("Choose a member of the club."))])
    case = SelectField(_l("Case"), coerce=int, validate_choice=False,
                       validators=[InputRequired(_l("Choose a case of the club."))])
    due_date = DateField(_l("Date"), validators=[InputRequired(_l("Enter the date of the task."))])
    note = TextAreaField(_l("Task"), validators=[Optional()])


class MonthlyExportForm(FlaskForm):
    file_format = SelectField(_l("Format"), choices=exports.FORMATS.choices)


def _month_or_404(year, month):
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        abort(404)


@bp.route("/")
@access(CHAIR)
def index():
    """This month's meeting."""
    today = local_today()
    return redirect(url_for("monthly.month", year=today.year, month=today.month))


def _task_form(club):
    form = TaskForm(prefix="task")
    form.member.choices = [(u.id, u.full_name or u.login) for u in
                           User.active_members(club).order_by(User.full_name)]
    form.case.choices = [(c.id, c.code) for c in
                         Case.select(Case.id, Case.code)
                         .where((Case.club == club) & Case.erased_at.is_null()
                                & Case.status.in_(("active", "follow_up")))
                         .order_by(Case.code)]
    return form


def _render_monthly(year, month, evaluation_form=None, task_form=None, late=None):
    """The month's page; `late`: the Overtaken of a save another board member's came before."""
    data = reports.monthly(current_user.club, year, month)
    audit.read("monthly", [task.case_id for task in data["tasks"]])  # the tasks' cases and notes
    saved = reports.evaluation_of(data["review"])
    if evaluation_form is None:
        evaluation_form = EvaluationForm(prefix="review", **saved)
    # The form names the text the page shows now: saved again from here, it is the chair's.
    evaluation_form.seen.data = overtaken.mark(saved)
    task_form = task_form or _task_form(current_user.club)
    if task_form.due_date.data is None and not task_form.errors:
        task_form.due_date.data = data["next_period"].start
    previous = (year - 1, 12) if month == 1 else (year, month - 1)
    return render_template("monthly/month.html", d=data, evaluation_form=evaluation_form,
                           overtaken=late,
                           task_form=task_form, export_form=MonthlyExportForm(prefix="export"),
                           previous=previous, following=reports.next_month(year, month))


@bp.route("/<int:year>/<int:month>")
@access(CHAIR)
def month(year, month):
    """The monthly meeting (sinh hoạt định kỳ): the month's figures, evaluation and tasks."""
    _month_or_404(year, month)
    return _render_monthly(year, month)


@bp.route("/<int:year>/<int:month>/evaluation", methods=["POST"])
@access(CHAIR)
def save_evaluation(year, month):
    """Save the board's evaluation of the month."""
    _month_or_404(year, month)
    form = EvaluationForm(prefix="review")
    if form.validate_on_submit():
        try:
            reports.save_evaluation(current_user.club, year, month, form.evaluation.data,
                                    by=current_user, seen=form.seen.data or None)
        except overtaken.Overtaken as error:
            form.evaluation.errors.append(error.message)
            return _render_monthly(year, month, evaluation_form=form, late=error), 409
        except reports.TaskError as error:
            form.evaluation.errors.append(error.message)
        else:
            flash(_("The evaluation is saved."), "success")
            return redirect(url_for("monthly.month", year=year, month=month))
    return _render_monthly(year, month, evaluation_form=form), 400


@bp.route("/<int:year>/<int:month>/tasks", methods=["POST"])
@access(CHAIR)
def assign_task(year, month):
    """Give a member a task for next month: it goes on their agenda as an appointment."""
    _month_or_404(year, month)
    form = _task_form(current_user.club)
    if form.validate_on_submit():
        try:
            reports.assign_task(current_user.club, year, month, member_id=form.member.data,
                                case_id=form.case.data, due_date=form.due_date.data,
                                note=form.note.data, by=current_user)
        except reports.TaskError as error:
            getattr(form, error.field).errors.append(error.message)
        else:
            flash(_("The task is on the member's agenda."), "success")
            return redirect(url_for("monthly.month", year=year, month=month) + "#tasks")
    return _render_monthly(year, month, task_form=form), 400


@bp.route("/<int:year>/<int:month>/export", methods=["POST"])
@access(CHAIR)
def export(year, month):
    """Download the month's figures and tasks (audited)."""
    _month_or_404(year, month)
    form = MonthlyExportForm(prefix="export")
    if not form.validate_on_submit():
        abort(400)
    data = reports.monthly(current_user.club, year, month)
    return download(*exports.export_monthly(data, form.file_format.data, current_user))
