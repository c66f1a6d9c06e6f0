"""Administration: clubs and accounts (an admin sees no case content)."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from peewee import JOIN
from playhouse.flask_utils import get_object_or_404
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from .. import accounts, audit
from ..forms import NewAccountForm, PasswordResetForm, apply_account_error
from ..invalid import Invalid
from ..models import Club, User
from ..permissions import ADMIN, access
from ..book.vocab import ROLES

bp = Blueprint("admin", __name__, url_prefix="/admin")


class ClubForm(FlaskForm):
    name = StringField(_l("Club name"), validators=[DataRequired(_l("Enter the club's name.")),
                                                    Length(max=120)])
    code_prefix = StringField(_l("Case code prefix (e.g. TC)"),
                              validators=[DataRequired(_l("Enter a code prefix.")), Length(max=8)])
    ward = StringField(_l("Ward"), validators=[Optional(), Length(max=120)])
    city = StringField(_l("City"), validators=[Optional(), Length(max=120)])
    province = StringField(_l("Province"), validators=[Optional(), Length(max=120)])


class AdminAccountForm(NewAccountForm):
    club = SelectField(_l("Club"), coerce=int)
    area = StringField(_l("Area (supervisors: a city or province)"),
                       validators=[Optional(), Length(max=120)])


class AreaForm(FlaskForm):
    area = StringField(_l("Area (a city or province)"),
                       validators=[DataRequired(_l("Enter a city or province.")), Length(max=120)])


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
    """Deactivate or reactivate a club (its accounts can no longer log in while inactive)."""
    club = get_object_or_404(Club.select(), Club.id == club_id)
    active = request.form.get("active") == "1"
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
        try:
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
    if request.method == "POST" and "reset-password" in request.form and reset_form.validate():
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
        account.area = area_form.area.data.strip()
        account.save(only=[User.area])
        audit.record("account_area_changed", account, club=None)
        flash(_("Area saved."), "success")
        return redirect(url_for("admin.user", user_id=account.id))
    return render_template("admin/user.html", account=account, reset_form=reset_form,
                           area_form=area_form)


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@access(ADMIN)
def user_active(user_id):
    """Deactivate or reactivate an account."""
    account = get_object_or_404(User.select(), User.id == user_id)
    if account.id == current_user.id:
        flash(_("You cannot deactivate your own account."), "error")
    else:
        accounts.set_active(account, request.form.get("active") == "1", by=current_user)
        flash(_("Account saved."), "success")
    return redirect(url_for("admin.user", user_id=account.id))
