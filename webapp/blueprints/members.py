"""The chair's page of the club's members: add, deactivate, reactivate."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, ngettext
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
    return render_template("members/index.html", members=members, form=form)


@bp.route("/<int:user_id>/active", methods=["POST"])
@access(CHAIR)
def set_active(user_id):
    """Deactivate or reactivate a member of the chair's own club."""
    member = club_record_or_404(User, user_id)
    if member.role not in ("member", "chair"):
        abort(404)
    if member.id == current_user.id:
        flash(_("You cannot deactivate your own account."), "error")
    else:
        active = request.form.get("active") == "1"
        accounts.set_active(member, active, by=current_user)
        flash(_("%(name)s is reactivated.", name=member.full_name) if active
              else _("%(name)s is deactivated.", name=member.full_name), "success")
        if not active and member.waiting_count:
            flash(ngettext("At their last sync, %(name)s's phone still held %(num)d entry not "
                           "sent. They can log in once more to send it: ask them to do so soon.",
                           "At their last sync, %(name)s's phone still held %(num)d entries not "
                           "sent. They can log in once more to send them: ask them to do so soon.",
                           member.waiting_count, name=member.full_name or member.login),
                  "warning")
    return redirect(url_for("members.index"))
