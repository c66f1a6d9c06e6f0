"""The supervisor's evaluation of the pilot: the area's clubs over the pilot's months, against
their targets; printable on A4 and exported to XLSX."""
from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user
from flask_wtf import FlaskForm

from ..book import exports, reports
from ..clock import local_today
from ..downloads import download
from ..invalid import Invalid
from ..permissions import SUPERVISOR, access

bp = Blueprint("evaluation", __name__, url_prefix="/area/evaluation")


def _render(data, errors, start, end, status=200):
    return render_template("evaluation/index.html", e=data, errors=errors, start=start, end=end,
                           form=FlaskForm(), notes=reports.EVALUATION_NOTES,
                           columns=reports.MONTH_COLUMNS, display=reports.display,
                           side_by_side=reports.side_by_side), status


def _chosen(values):
    """The period asked for in `values` (start, end as YYYY-MM), or the pilot's by default."""
    return reports.choose_period(reports.area_clubs(current_user), local_today(),
                                 values.get("start"), values.get("end"),
                                 configured=current_app.config.get("PILOT_START"))


@bp.route("/")
@access(SUPERVISOR)
def index():
    """The area's clubs side by side over the pilot, and each club month by month."""
    clubs = reports.area_clubs(current_user)
    try:
        chosen = _chosen(request.args)
    except Invalid as error:
        return _render(None, error.errors, request.args.get("start", ""),
                       request.args.get("end", ""), status=400)
    return _render(reports.pilot_evaluation(clubs, chosen, local_today()), {},
                   chosen.period.start.strftime("%Y-%m"), chosen.period.end.strftime("%Y-%m"))


@bp.route("/export", methods=["POST"])
@access(SUPERVISOR)
def export():
    """Download the evaluation as XLSX (suppressed as on the page; audited)."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        chosen = _chosen(request.form)
    except Invalid:
        abort(400)
    data = reports.pilot_evaluation(reports.area_clubs(current_user), chosen, local_today())
    return download(*exports.export_evaluation(current_user, data))
