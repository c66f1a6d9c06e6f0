"""The ward survey at the desk: the board opens a round, lists its areas, assigns them to members,
and reads its screenings and figures. Views stay thin: the rules are in book.screenings."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..book import fields, overtaken, screenings
from ..book.kinds import parse_date
from ..book.reports import survey as figures
from ..clock import local_today
from ..db import new_uuid
from ..forms import typed_again
from ..invalid import Invalid
from ..models import User
from ..permissions import CHAIR, access

bp = Blueprint("survey", __name__, url_prefix="/survey")


def _round(round_id):
    """A round of the board's own club, else 404 (another club's ids do not exist)."""
    round_ = screenings.round_or_none(current_user.club_id, round_id)
    if round_ is None:
        abort(404)
    return round_


def _typed():
    form = request.form
    return {"name": form.get("name", ""), "starts_on": parse_date(form.get("starts_on")),
            "ends_on": parse_date(form.get("ends_on")),
            "areas": screenings.parse_areas(form.get("areas", ""))}


def _form(round_=None):
    """Open a round, or change one: the same form. A new round's form carries the uuid it will
    have, so that the form sent twice (a double tap, the page sent again) opens one round."""
    errors, late = {}, None
    # What was typed: posted now, or by a page drawn again (forms.form_again).
    typed = request.form if request.method == "POST" else typed_again()
    uuid = typed.get("entry_uuid", "") if typed is not None else ""
    uuid = uuid if fields.is_uuid(uuid) else new_uuid()
    # Which version of the round a change's form was opened on (overtaken.mark).
    seen = typed.get("seen", "") if typed is not None else ""
    if round_ is not None and not seen:
        seen = overtaken.mark(screenings.values_of(round_))
    if request.method == "POST":
        try:
            round_ = screenings.save_round(current_user.club_id, current_user._get_current_object(),
                                           _typed(), round_, uuid=None if round_ else uuid,
                                           seen=seen)
        except overtaken.Overtaken as error:
            late, seen = error, overtaken.mark(error.saved)  # saved again from here: a merge
        except Invalid as invalid:
            errors = {key: str(message) for key, message in invalid.errors.items()}
        else:
            flash(_("The survey round is saved."), "success")
            return redirect(url_for("survey.page", round_id=round_.id))
    today = local_today()
    values = typed if typed is not None else (
        {"name": round_.name, "starts_on": round_.starts_on.isoformat(),
         "ends_on": round_.ends_on.isoformat(), "areas": "\n".join(round_.areas)}
        if round_ else {"starts_on": today.isoformat(), "ends_on": ""})
    page = render_template("survey/form.html", round=round_, values=values, errors=errors,
                           entry_uuid=uuid, seen=seen, overtaken=late,
                           saved_rows=screenings.shown_round(late.saved) if late else ())
    return (page, 409) if late else page


@bp.route("/")
@access(CHAIR)
def index():
    """The club's survey rounds, the open ones first."""
    rounds = screenings.rounds_of(current_user.club_id)
    return render_template("survey/index.html", rounds=rounds, is_open=screenings.is_open)


@bp.route("/new", methods=["GET", "POST"])
@access(CHAIR)
def new():
    """Open a survey round: its name, period and areas."""
    return _form()


@bp.route("/<int:round_id>")
@access(CHAIR)
def page(round_id):
    """One round: its areas and members, figures and screenings."""
    round_ = _round(round_id)
    found = figures.survey_figures([round_.club_id], round_=round_)
    by_area = dict(found["areas"])
    areas = [(area, by_area.get(area, dict.fromkeys(figures.COUNTS, 0))) for area in round_.areas]
    return render_template("survey/round.html", round=round_, figures=found, areas=areas,
                           assigned=screenings.assignments_of(round_),
                           screenings=screenings.screenings_of(round_),
                           is_open=screenings.is_open(round_))


@bp.route("/<int:round_id>/edit", methods=["GET", "POST"])
@access(CHAIR)
def edit(round_id):
    """Change a round's name, period or areas."""
    return _form(_round(round_id))


@bp.route("/<int:round_id>/areas", methods=["GET", "POST"])
@access(CHAIR)
def assign(round_id):
    """Give each area of the round to a member."""
    round_ = _round(round_id)
    errors, late = {}, None
    saved = screenings.assigned_values(round_)
    chosen, seen = saved["members"], overtaken.mark(saved)
    if request.method == "POST":
        chosen = {area: request.form.get(f"area-{i}", type=int)
                  for i, area in enumerate(round_.areas)}
        try:
            screenings.assign_areas(round_, chosen, current_user._get_current_object(),
                                    seen=request.form.get("seen", ""))
        except overtaken.Overtaken as error:
            late, seen = error, overtaken.mark(error.saved)  # saved again from here: a merge
        except Invalid as invalid:
            errors = {key: str(message) for key, message in invalid.errors.items()}
            seen = request.form.get("seen", "")
        else:
            flash(_("The areas are assigned."), "success")
            return redirect(url_for("survey.page", round_id=round_.id))
    members = list(User.active_members(round_.club_id).order_by(User.full_name))
    page = render_template("survey/assign.html", round=round_, members=members, errors=errors,
                           chosen=chosen, seen=seen, overtaken=late,
                           saved_rows=screenings.shown_assigned(late.saved) if late else ())
    return (page, 409) if late else page


@bp.route("/<int:round_id>/close", methods=["POST"])
@access(CHAIR)
def close(round_id):
    """End the round: screenings made after now are refused."""
    screenings.close_round(_round(round_id), current_user._get_current_object())
    flash(_("The survey round is closed."), "success")
    return redirect(url_for("survey.page", round_id=round_id))
