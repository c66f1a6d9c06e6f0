"""The chair's club agenda at the desk: visits planned per member, overdue first; assign, move,
cancel."""
from datetime import date, timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from .. import audit
from ..book import overtaken, scheduling
from ..clock import local_today
from ..forms import typed_again
from ..i18n import format_date
from ..invalid import Invalid
from ..models import Appointment, Case, User
from ..permissions import CHAIR, access, club_record_or_404

bp = Blueprint("agenda", __name__, url_prefix="/desk/agenda")


class AssignForm(FlaskForm):
    case = SelectField(_l("Case"), coerce=int, validators=[InputRequired(_l("Choose a case."))])
    member = SelectField(_l("Member"), coerce=int,
                         validators=[InputRequired(_l("Choose a member."))])
    due_date = DateField(_l("Date of the visit"), validators=[InputRequired(_l("Choose a date."))])
    note = TextAreaField(_l("Note for the member (optional)"),
                         validators=[Optional(), Length(max=500)])


class RescheduleForm(FlaskForm):
    due_date = DateField(_l("New date"), validators=[InputRequired(_l("Choose a date."))])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(_l("Give a reason.")),
                                                     Length(max=500)])
    # Which date the form was opened on (overtaken.mark): another's move since is not overwritten.
    seen = HiddenField()


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(_l("Give a reason.")),
                                                     Length(max=500)])


def _assign_form():
    form = AssignForm(prefix="assign")
    club = current_user.club_id
    form.case.choices = [(c.id, f"{c.code or '—'} · {c.full_name}") for c in
                         Case.select().where(Case.club == club, Case.erased_at.is_null(),
                                             Case.status.not_in(["closed", "closed_referred"]))
                         .order_by(Case.code)]
    form.member.choices = [(u.id, u.full_name or u.login) for u in
                           User.active_members(club).order_by(User.full_name)]
    return form


def _apply(form, error):
    field = getattr(form, error.field or "", None)
    if field is not None:
        field.errors = list(field.errors) + [str(error.message)]
    else:
        flash(str(error.message), "error")


@bp.route("/", methods=["GET", "POST"])
@access(CHAIR)
def index():
    """The club's agenda per member, and a form to assign a visit."""
    form = _assign_form()
    if form.validate_on_submit():
        case = club_record_or_404(Case, form.case.data)
        member = club_record_or_404(User, form.member.data)
        try:
            scheduling.assign_visit(current_user._get_current_object(), case, member,
                                    form.due_date.data, form.note.data)
        except Invalid as error:
            _apply(form, error)
        else:
            flash(_("The visit is planned."), "success")
            return redirect(url_for("agenda.index"))
    today = local_today()
    rows = scheduling.club_agenda(current_user.club_id, today)
    audit.read("agenda", [a.case_id for r in rows
                          for a in r["overdue"] + r["today"] + r["upcoming"]])
    until = today + timedelta(days=scheduling.UPCOMING_DAYS)
    return render_template("agenda/index.html", rows=rows, form=form, today=today, until=until,
                           overdue_total=sum(len(r["overdue"]) for r in rows))


@bp.route("/print")
@access(CHAIR)
def print_week():
    """The week's agenda on paper for the monthly meeting: a sheet per member, A4."""
    today = local_today()
    start = request.args.get("start", type=_day) or today
    end = start + timedelta(days=scheduling.UPCOMING_DAYS - 1)
    sheets = scheduling.week_sheets(current_user.club_id, start)
    audit.read("agenda_print", [a.case_id for s in sheets for a in s["earlier"] + s["week"]])
    return render_template("agenda/print.html", sheets=sheets, start=start, end=end,
                           today=today, club=current_user.club)


def _day(text):
    """A date sent as yyyy-mm-dd (a date input), else None."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


@bp.route("/<int:appointment_id>", methods=["GET", "POST"])
@access(CHAIR)
def detail(appointment_id):
    """One planned visit: move it to another date or cancel it, with a reason."""
    appointment = club_record_or_404(Appointment, appointment_id)
    move = RescheduleForm(prefix="move", due_date=appointment.due_date)
    if not move.is_submitted() and typed_again() is None:  # else: the page drawn again as typed
        move.seen.data = overtaken.mark(scheduling.moved(appointment))
    cancel = CancelForm(prefix="cancel")
    chair = current_user._get_current_object()
    action = request.form.get("action")
    late = None
    try:
        if action == "move" and move.validate_on_submit():
            scheduling.reschedule(appointment, chair, move.due_date.data, move.reason.data,
                                  seen=move.seen.data)
            flash(_("The visit is moved to %(date)s.",
                    date=move.due_date.data.strftime("%d/%m/%Y")), "success")
            return redirect(url_for("agenda.index"))
        if action == "cancel" and cancel.validate_on_submit():
            scheduling.cancel(appointment, chair, cancel.reason.data)
            flash(_("The visit is cancelled."), "success")
            return redirect(url_for("agenda.index"))
    except overtaken.Overtaken as error:
        late = error
        move.seen.data = overtaken.mark(error.saved)  # moved again from here: theirs is seen
        appointment = Appointment.get_by_id(appointment.id)
    except Invalid as error:
        _apply(move if action == "move" else cancel, error)
    audit.read("appointment", [appointment.case_id], appointment)
    page = render_template(
        "agenda/detail.html", appointment=appointment, move=move, cancel=cancel, overtaken=late,
        saved_rows=[(_("Date"), format_date(late.saved["due_date"])),
                    (_("Moved because"), late.saved["reason"])] if late else ())
    return (page, 409) if late else page
