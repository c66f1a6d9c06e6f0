"""The chair's figures: dashboard, yearly targets and exports of the book."""
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField
from wtforms.validators import InputRequired

from .. import audit
from ..book import exports, overtaken, reports
from ..clock import local_today
from ..downloads import download
from ..forms import typed_again
from ..permissions import CHAIR, access

bp = Blueprint("reports", __name__, url_prefix="/desk")


class TargetForm(FlaskForm):
    consultations = IntegerField(_l("Consultations in the year"),
                                 validators=[InputRequired(_l("Enter a number."))])
    mobilised_per_member = IntegerField(_l("People each member mobilises to activities"),
                                        validators=[InputRequired(_l("Enter a number."))])
    referred_percent = IntegerField(_l("Share of cases referred to a service (%)"),
                                    validators=[InputRequired(_l("Enter a number."))])
    # Which targets the form was opened on (overtaken.mark): another's save since is not overwritten.
    seen = HiddenField()


class ExportForm(FlaskForm):
    dataset = SelectField(_l("What to export"), choices=exports.DATASETS.choices)
    file_format = SelectField(_l("Format"), choices=exports.FORMATS.choices)
    start = DateField(_l("From"), validators=[InputRequired(_l("Enter the first day."))])
    end = DateField(_l("To"), validators=[InputRequired(_l("Enter the last day."))])
    names = BooleanField(_l("Include names, phone numbers, addresses and notes"))


def _year():
    year = request.args.get("year", type=int) or local_today().year
    if not 2000 <= year <= 2100:
        abort(404)
    return year


@bp.route("/dashboard")
@access(CHAIR)
def dashboard():
    """The club's year to date against its targets, per member, referrals and cases."""
    data = reports.dashboard(current_user.club, _year())
    audit.read("dashboard", [a.case_id for a in data["overdue"]])  # the overdue list's cases
    return render_template("reports/dashboard.html", d=data, definitions=reports.DEFINITIONS)


@bp.route("/targets", methods=["GET", "POST"])
@access(CHAIR)
def targets():
    """Set the club's targets for a year."""
    year = _year()
    current = reports.targets_for(current_user.club, year)
    form = TargetForm(obj=current)
    if not form.is_submitted() and typed_again() is None:  # else: the page drawn again as typed
        form.seen.data = overtaken.mark(reports.target_values(current))
    late = None
    if form.validate_on_submit():
        try:
            reports.set_targets(current_user.club, year, consultations=form.consultations.data,
                                mobilised_per_member=form.mobilised_per_member.data,
                                referred_percent=form.referred_percent.data, by=current_user,
                                seen=form.seen.data)
        except overtaken.Overtaken as error:
            late = error
            form.seen.data = overtaken.mark(error.saved)  # saved again from here: a merge
        except reports.TargetError as error:
            getattr(form, error.field).errors.append(error.message)
        else:
            flash(_("The targets for %(year)d are saved.", year=year), "success")
            return redirect(url_for("reports.dashboard", year=year))
    page = render_template(
        "reports/targets.html", form=form, year=year, limits=reports.TARGET_LIMITS,
        saved=current.id is not None or late is not None, overtaken=late,
        saved_rows=[(getattr(form, name).label.text, value)
                    for name, value in late.saved.items()] if late else ())
    return (page, 409) if late else page


@bp.route("/exports", methods=["GET", "POST"])
@access(CHAIR)
def export_book():
    """Export the club's book by period: codes by default, names only when chosen (audited)."""
    today = local_today()
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
            return download(*exports.export_book(current_user.club, form.dataset.data,
                                                  form.file_format.data, period,
                                                  form.names.data, current_user))
    return render_template("reports/exports.html", form=form,
                           htcds_commit=exports.HTCDS_COMMIT), 400 if form.errors else 200
