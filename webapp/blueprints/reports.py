"""The chair's figures: dashboard, yearly targets, the monthly meeting and exports of the book."""
from datetime import date

from flask import (Blueprint, Response, abort, flash, redirect, render_template, request,
                   stream_with_context, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Optional

from .. import exports, reports
from ..models import Case, User
from ..permissions import CHAIR, access

bp = Blueprint("reports", __name__, url_prefix="/desk")


class TargetForm(FlaskForm):
    consultations = IntegerField(_l("Consultations in the year"),
                                 validators=[InputRequired(_l("Enter a number."))])
    mobilised_per_member = IntegerField(_l("People each member mobilises to activities"),
                                        validators=[InputRequired(_l("Enter a number."))])
    referred_percent = IntegerField(_l("Share of cases referred to a service (%)"),
                                    validators=[InputRequired(_l("Enter a number."))])


class EvaluationForm(FlaskForm):
    evaluation = TextAreaField(_l("The board's evaluation of the month"))


class TaskForm(FlaskForm):
    member = SelectField(_l("Member"), coerce=int, validate_choice=False,
                         validators=[InputRequired(_l("Choose a member of the club."))])
    case = SelectField(_l("Case"), coerce=int, validate_choice=False,
                       validators=[InputRequired(_l("Choose a case of the club."))])
    due_date = DateField(_l("Date"), validators=[InputRequired(_l("Enter the date of the task."))])
    note = TextAreaField(_l("Task"), validators=[Optional()])


class ExportForm(FlaskForm):
    dataset = SelectField(_l("What to export"), choices=exports.DATASETS.choices)
    file_format = SelectField(_l("Format"), choices=exports.FORMATS.choices)
    start = DateField(_l("From"), validators=[InputRequired(_l("Enter the first day."))])
    end = DateField(_l("To"), validators=[InputRequired(_l("Enter the last day."))])
    names = BooleanField(_l("Include names, phone numbers, addresses and notes"))


class MonthlyExportForm(FlaskForm):
    file_format = SelectField(_l("Format"), choices=exports.FORMATS.choices)


def _year():
    year = request.args.get("year", type=int) or reports.today_local().year
    if not 2000 <= year <= 2100:
        abort(404)
    return year


def _month_or_404(year, month):
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        abort(404)


def _download(filename, mimetype, chunks):
    response = Response(stream_with_context(chunks), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/dashboard")
@access(CHAIR)
def dashboard():
    """The club's year to date against its targets, per member, referrals and cases."""
    data = reports.dashboard(current_user.club, _year())
    return render_template("reports/dashboard.html", d=data, definitions=reports.DEFINITIONS)


@bp.route("/targets", methods=["GET", "POST"])
@access(CHAIR)
def targets():
    """Set the club's targets for a year."""
    year = _year()
    current = reports.targets_for(current_user.club, year)
    form = TargetForm(obj=current)
    if form.validate_on_submit():
        try:
            reports.set_targets(current_user.club, year, consultations=form.consultations.data,
                                mobilised_per_member=form.mobilised_per_member.data,
                                referred_percent=form.referred_percent.data, by=current_user)
        except reports.TargetError as error:
            getattr(form, error.field).errors.append(error.message)
        else:
            flash(_("The targets for %(year)d are saved.", year=year), "success")
            return redirect(url_for("reports.dashboard", year=year))
    return render_template("reports/targets.html", form=form, year=year,
                           limits=reports.TARGET_LIMITS, saved=current.id is not None)


@bp.route("/monthly/")
@access(CHAIR)
def monthly_current():
    """This month's meeting."""
    today = reports.today_local()
    return redirect(url_for("reports.monthly", year=today.year, month=today.month))


def _task_form(club):
    form = TaskForm(prefix="task")
    form.member.choices = [(u.id, u.full_name or u.login) for u in
                           User.select().where((User.club == club) & User.is_active
                                               & User.role.in_(reports.FIELD_ROLES))
                           .order_by(User.full_name)]
    form.case.choices = [(c.id, c.code) for c in
                         Case.select(Case.id, Case.code)
                         .where((Case.club == club) & Case.erased_at.is_null()
                                & Case.status.in_(("active", "follow_up")))
                         .order_by(Case.code)]
    return form


def _render_monthly(year, month, evaluation_form=None, task_form=None):
    data = reports.monthly(current_user.club, year, month)
    if evaluation_form is None:
        evaluation_form = EvaluationForm(prefix="review",
                                         evaluation=data["review"].evaluation
                                         if data["review"] else "")
    task_form = task_form or _task_form(current_user.club)
    if task_form.due_date.data is None and not task_form.errors:
        task_form.due_date.data = data["next_period"].start
    previous = (year - 1, 12) if month == 1 else (year, month - 1)
    return render_template("reports/monthly.html", d=data, evaluation_form=evaluation_form,
                           task_form=task_form, export_form=MonthlyExportForm(prefix="export"),
                           previous=previous, following=reports.next_month(year, month))


@bp.route("/monthly/<int:year>/<int:month>")
@access(CHAIR)
def monthly(year, month):
    """The monthly meeting (sinh hoạt định kỳ): the month's figures, evaluation and tasks."""
    _month_or_404(year, month)
    return _render_monthly(year, month)


@bp.route("/monthly/<int:year>/<int:month>/evaluation", methods=["POST"])
@access(CHAIR)
def save_evaluation(year, month):
    """Save the board's evaluation of the month."""
    _month_or_404(year, month)
    form = EvaluationForm(prefix="review")
    if form.validate_on_submit():
        try:
            reports.save_evaluation(current_user.club, year, month, form.evaluation.data,
                                    by=current_user)
        except reports.TaskError as error:
            form.evaluation.errors.append(error.message)
        else:
            flash(_("The evaluation is saved."), "success")
            return redirect(url_for("reports.monthly", year=year, month=month))
    return _render_monthly(year, month, evaluation_form=form), 400


@bp.route("/monthly/<int:year>/<int:month>/tasks", methods=["POST"])
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
            return redirect(url_for("reports.monthly", year=year, month=month) + "#tasks")
    return _render_monthly(year, month, task_form=form), 400


@bp.route("/monthly/<int:year>/<int:month>/export", methods=["POST"])
@access(CHAIR)
def export_monthly(year, month):
    """Download the month's figures and tasks (audited)."""
    _month_or_404(year, month)
    form = MonthlyExportForm(prefix="export")
    if not form.validate_on_submit():
        abort(400)
    data = reports.monthly(current_user.club, year, month)
    return _download(*exports.export_monthly(data, form.file_format.data, current_user))


@bp.route("/exports", methods=["GET", "POST"])
@access(CHAIR)
def export_book():
    """Export the club's book by period: codes by default, names only when chosen (audited)."""
    today = reports.today_local()
    form = ExportForm()
    if request.method == "GET":
        form.start.data = date(today.year, 1, 1)
        form.end.data = today
    if form.validate_on_submit():
        period = None
        if form.end.data < form.start.data:
            form.end.errors.append(_("The last day must not be before the first."))
        elif form.dataset.data == "book" and form.file_format.data == "csv":
            form.file_format.errors.append(
                _("The whole book is a workbook: choose XLSX, or one table for CSV."))
        else:
            period = reports.Period(form.start.data, form.end.data)
        if period is not None:
            return _download(*exports.export_book(current_user.club, form.dataset.data,
                                                  form.file_format.data, period,
                                                  form.names.data, current_user))
    return render_template("reports/exports.html", form=form,
                           htcds_commit=exports.HTCDS_COMMIT), 400 if form.errors else 200
