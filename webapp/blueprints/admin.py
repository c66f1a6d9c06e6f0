"""Administration: clubs and accounts (an admin sees no case content)."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from peewee import JOIN
from playhouse.flask_utils import get_object_or_404
from wtforms import HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from .. import accounts
from ..book import overtaken, supervisors
from ..forms import NewAccountForm, PasswordResetForm, apply_account_error
from ..invalid import Invalid
from ..models import FIELD_ROLES, Club, User
from ..permissions import ADMIN, access
from .members import show_setup_code
from ..book.vocab import ROLES
from .members import confirm_deactivation

bp = Blueprint("admin", __name__, url_prefix="/admin")


class ClubForm(FlaskForm):
    name = StringField(_l("Club name"), validators=[DataRequired(_l("Enter the club's name.")),
                                                    Length(max=120)])
    code_prefix = StringField(_l("Case code prefix (e.g. TC)"),
                              validators=[DataRequired(_l("Enter a code prefix.")), Length(max=8)])
    ward = StringField(_l("Ward"),
                       validators=[DataRequired(_l("Enter the ward the club works in.")),
                                   Length(max=120)])
    city = StringField(_l("City"), validators=[DataRequired(_l("Enter the city (or district).")),
                                               Length(max=120)])
    province = StringField(_l("Province"), validators=[DataRequired(_l("Enter the province.")),
                                                       Length(max=120)])


class AdminAccountForm(NewAccountForm):
    club = SelectField(_l("Club"), coerce=int)
    area = StringField(_l("Area (supervisors: a city or province)"),
                       validators=[Optional(), Length(max=120)])
    # Only for a club's first chair, supervisors and admins: every other account of a club is
    # opened by its holder with a setup code.
    password = PasswordField(_l("First password (to be changed at first login)"),
                             validators=[Optional()])


class AreaForm(FlaskForm):
    area = StringField(_l("Area (a city or province)"),
                       validators=[DataRequired(_l("Enter a city or province.")), Length(max=120)])
    # the mark of the area the page showed (book/overtaken.py)
    seen = HiddenField()


def _club_choices():
    return [(0, _("— none —"))] + [(c.id, c.name) for c in Club.select().order_by(Club.name)]


@bp.route("/clubs", methods=["GET", "POST"])
@access(ADMIN)
def clubs():
    """List clubs and create one."""
    form = ClubForm()
    if form.validate_on_submit():
        try:
            club = accounts.create_club(name=form.name.data, code_prefix=form.code_prefix.data,
                                        ward=form.ward.data, city=form.city.data,
                                        province=form.province.data, by=current_user)
        except Invalid as error:
            apply_account_error(form, error)
        else:
            flash(_("Club %(name)s created.", name=club.name), "success")
            return redirect(url_for("admin.clubs"))
    rows = Club.select().order_by(Club.name)
    return render_template("admin/clubs.html", clubs=rows, form=form)


@bp.route("/clubs/<int:club_id>/active", methods=["POST"])
@access(ADMIN)
def club_active(club_id):
    """Deactivate (after a question) or reactivate a club: its accounts can no longer log in
    while it is inactive."""
    club = get_object_or_404(Club.select(), Club.id == club_id)
    active = request.form.get("active") == "1"
    if not active and request.form.get("confirmed") != "1":
        users = User.select().where((User.club == club) & User.is_active).count()
        waiting = accounts.phones_holding_entries(club)
        return render_template("admin/club_deactivate.html", club=club, users=users,
                               waiting=waiting)
    accounts.set_club_active(club, active, by=current_user)
    flash(_("Club reactivated.") if active else _("Club deactivated."), "success")
    return redirect(url_for("admin.clubs"))


@bp.route("/users", methods=["GET", "POST"])
@access(ADMIN)
def users():
    """List accounts and create one."""
    form = AdminAccountForm()
    form.role.choices = ROLES.choices()
    form.club.choices = _club_choices()
    if form.validate_on_submit():
        club = Club.get_or_none(Club.id == form.club.data) if form.club.data else None
        by_code = (form.role.data in ("member", "chair") and club is not None
                   and not (form.role.data == "chair" and not accounts.club_has_chair(club)))
        try:
            if by_code:
                user, issued = accounts.create_account_with_code(
                    login=form.login.data, role=form.role.data, club=club,
                    full_name=form.full_name.data, phone=form.phone.data, by=current_user)
                return show_setup_code(user, issued, url_for("admin.users"))
            if not form.password.data:
                raise Invalid(_("Enter a first password."), field="password")
            user = accounts.create_user(login=form.login.data, password=form.password.data,
                                        role=form.role.data, club=club,
                                        full_name=form.full_name.data, phone=form.phone.data,
                                        area=form.area.data, by=current_user)
        except Invalid as error:
            apply_account_error(form, error)
        else:
            flash(_("Account %(login)s created.", login=user.login), "success")
            return redirect(url_for("admin.users"))
    club_filter = request.args.get("club", type=int)
    query = User.select(User, Club).join(Club, JOIN.LEFT_OUTER)
    if club_filter:
        query = query.where(User.club == club_filter)
    rows = query.order_by(User.login)
    return render_template("admin/users.html", users=rows, form=form, clubs=_club_choices(),
                           club_filter=club_filter)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@access(ADMIN)
def user(user_id):
    """One account: reset its password, set a supervisor's area, deactivate or reactivate it."""
    account = get_object_or_404(User.select(), User.id == user_id)
    reset_form = PasswordResetForm(prefix="reset")
    area_form = AreaForm(prefix="area", area=account.area)
    late = None
    if (request.method == "POST" and "reset-password" in request.form and account.club_id is None
            and reset_form.validate()):  # a club's accounts get a setup code instead
        try:
            accounts.set_password(account, reset_form.password.data, by=current_user,
                                  must_change=True)
        except Invalid as error:
            apply_account_error(reset_form, error)
        else:
            accounts.end_sessions(account)
            flash(_("Password reset. The user must change it at next login."), "success")
            return redirect(url_for("admin.user", user_id=account.id))
    if (request.method == "POST" and "area-area" in request.form and account.role == "supervisor"
            and area_form.validate()):
        try:
            supervisors.set_area(account, area_form.area.data, current_user._get_current_object(),
                                 seen=area_form.seen.data)
        except overtaken.Overtaken as other:
            late = other
        else:
            flash(_("Area saved."), "success")
            return redirect(url_for("admin.user", user_id=account.id))
    # The area form names the version it was opened on: after an overtaken save, the other
    # admin's (shown above what was typed).
    if late or not area_form.seen.data:
        area_form.seen.data = overtaken.mark(late.saved if late
                                             else supervisors.area_values(account))
    page = render_template("admin/user.html", account=account, reset_form=reset_form,
                           area_form=area_form, overtaken=late,
                           saved_rows=[(_("Area"), late.saved["area"])] if late else [])
    return (page, 409) if late else page


def _club_account(user_id):
    account = get_object_or_404(User.select(), User.id == user_id)
    if account.club_id is None or account.role not in FIELD_ROLES:
        abort(404)
    return account


@bp.route("/users/<int:user_id>/setup-code", methods=["POST"])
@access(ADMIN)
def setup_code(user_id):
    """A setup code for a club's account that lost its password: the club's board sees it."""
    account = _club_account(user_id)
    issued = accounts.issue_setup_code(account, by=current_user, purpose="reset")
    return show_setup_code(account, issued, url_for("admin.user", user_id=account.id))


@bp.route("/users/<int:user_id>/make-chair", methods=["POST"])
@access(ADMIN)
def make_chair(user_id):
    """Make a member a board member, once they use the setup code: the club's board sees it."""
    account = _club_account(user_id)
    if account.role != "member":
        abort(404)
    issued = accounts.issue_setup_code(account, by=current_user, purpose="make_chair",
                                       role="chair")
    return show_setup_code(account, issued, url_for("admin.user", user_id=account.id))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@access(ADMIN)
def user_active(user_id):
    """Deactivate or reactivate an account."""
    account = get_object_or_404(User.select(), User.id == user_id)
    active = request.form.get("active") == "1"
    if account.id == current_user.id:
        flash(_("You cannot deactivate your own account."), "error")
    elif not active and request.form.get("confirmed") != "1":
        return confirm_deactivation(account, url_for("admin.user_active", user_id=account.id),
                                    url_for("admin.user", user_id=account.id))
    else:
        try:
            accounts.set_active(account, active, by=current_user)
        except Invalid as error:  # done already, in another tab
            flash(error.message, "info")
        else:
            flash(_("Account saved."), "success")
    return redirect(url_for("admin.user", user_id=account.id))
