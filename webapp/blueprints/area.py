"""The supervisor's view: de-identified figures of the clubs of their city or province."""
from flask import Blueprint, abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField

from ..book import exports, reports
from ..clock import local_today
from ..downloads import download
from ..permissions import SUPERVISOR, access

bp = Blueprint("area", __name__, url_prefix="/area")


class AreaExportForm(FlaskForm):
    file_format = SelectField(_l("Format"), choices=exports.FORMATS.choices)


def _year():
    year = request.args.get("year", type=int) or local_today().year
    if not 2000 <= year <= 2100:
        abort(404)
    return year


def _report(year):
    return reports.area_report(reports.area_clubs(current_user), year)


@bp.route("/")
@access(SUPERVISOR)
def index():
    """The area's clubs side by side for a year: counts only, small ones shown as <5."""
    year = _year()
    return render_template("area/index.html", r=_report(year), year=year,
                           form=AreaExportForm())


@bp.route("/months")
@access(SUPERVISOR)
def months():
    """The area's clubs month by month."""
    year = _year()
    return render_template("area/months.html", r=_report(year), year=year)


@bp.route("/export", methods=["POST"])
@access(SUPERVISOR)
def export():
    """Download the area's figures (suppressed as on the page; audited)."""
    year = _year()
    form = AreaExportForm()
    if not form.validate_on_submit():
        abort(400)
    return download(*exports.export_area(current_user, _report(year), form.file_format.data))
