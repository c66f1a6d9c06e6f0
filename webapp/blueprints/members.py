"""The chair's page of the club's members: add, deactivate (after a question), reactivate."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import accounts
from ..forms import NewAccountForm, apply_account_error
from ..invalid import Invalid
from ..models import User
from ..permissions import CHAIR, access, club_record_or_404
from ..book.vocab import ROLES

bp = Blueprint("members", __name__, url_prefix="/club/members")


@bp.route("/", methods=["GET", "POST"])
@access(CHAIR)
def index():
    """The club's members, and a form to add one."""
    form = NewAccountForm()
    form.role.choices = [(code, ROLES.label(code)) for code in ("member", "chair")]
    if form.validate_on_submit():
        try:
            user = accounts.create_user(login=form.login.data, password=form.password.data,
                                        role=form.role.data, club=current_user.club,
                                        full_name=form.full_name.data, phone=form.phone.data,
                                        by=current_user)
        except Invalid as error:
            apply_account_error(form, error)
        else:
            flash(_("%(name)s can now log in as %(login)s.", name=user.full_name,
                    login=user.login), "success")
            return redirect(url_for("members.index"))
    members = (User.select()
               .where(User.club == current_user.club)
               .order_by(User.is_active.desc(), User.full_name))
    members = list(members)
    return render_template("members/index.html", members=members, form=form,
                           seen=accounts.last_seen(members))


@bp.route("/<int:user_id>/active", methods=["POST"])
@access(CHAIR)
def set_active(user_id):
    """Deactivate or reactivate a member of the chair's own club."""
    member = club_record_or_404(User, user_id)
    if member.role not in ("member", "chair"):
        abort(404)
    active = request.form.get("active") == "1"
    if member.id == current_user.id:
        flash(_("You cannot deactivate your own account."), "error")
    elif not active and request.form.get("confirmed") != "1":
        return confirm_deactivation(member, url_for("members.set_active", user_id=member.id),
                                    url_for("members.index"))
    else:
        accounts.set_active(member, active, by=current_user)
        flash(_("%(name)s is reactivated.", name=member.full_name) if active
              else _("%(name)s is deactivated.", name=member.full_name), "success")
    return redirect(url_for("members.index"))


def confirm_deactivation(member, action, cancel):
    """The question asked before an account is deactivated: nothing changes until it is answered."""
    seen = accounts.last_seen([member]).get(member.id)
    return render_template("members/deactivate.html", member=member, seen=seen, action=action,
                           cancel=cancel)
