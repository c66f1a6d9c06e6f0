"""The chair's page of the club's members: add, deactivate (after a question), reactivate,
setup codes, stepping down from the board (after a question), and the changes to the club's
accounts that its board has to see."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user

from .. import accounts
from ..forms import MemberAccountForm, apply_account_error
from ..invalid import Invalid
from ..models import FIELD_ROLES, AccountEvent, User
from ..permissions import CHAIR, access, club_record_or_404
from ..book import holders, review
from ..book.vocab import ROLES

bp = Blueprint("members", __name__, url_prefix="/club/members")


@bp.route("/", methods=["GET", "POST"])
@access(CHAIR)
def index():
    """The club's members, and a form to add one."""
    form = MemberAccountForm()
    form.role.choices = [(code, ROLES.label(code)) for code in ("member", "chair")]
    if form.validate_on_submit():
        try:
            user, code = accounts.create_account_with_code(
                login=form.login.data, role=form.role.data, club=current_user.club,
                full_name=form.full_name.data, phone=form.phone.data, by=current_user)
        except Invalid as error:
            apply_account_error(form, error)
        else:
            return show_setup_code(user, code, url_for("members.index"))
    members = (User.select()
               .where(User.club == current_user.club)
               .order_by(User.is_active.desc(), User.full_name))
    members = list(members)
    return render_template("members/index.html", members=members, form=form,
                           account_events=accounts.open_account_events(current_user.club_id),
                           seen=accounts.last_seen(members))


def show_setup_code(account, issued, back):
    """The page that shows a new setup code, once (the answer to the POST: never in an address)."""
    return render_template("accounts/setup_code.html", account=account, code=issued.code,
                           expires_at=issued.expires_at, back=back)


def _own_member(user_id):
    member = club_record_or_404(User, user_id)
    if member.role not in FIELD_ROLES:
        abort(404)
    return member


@bp.route("/<int:user_id>/setup-code", methods=["POST"])
@access(CHAIR)
def setup_code(user_id):
    """A one-time setup code for a member of the club who forgot their password."""
    member = _own_member(user_id)
    if member.id == current_user.id:
        abort(404)  # one's own password is changed on the account page
    code = accounts.issue_setup_code(member, by=current_user, purpose="reset")
    return show_setup_code(member, code, url_for("members.index"))


@bp.route("/<int:user_id>/make-chair", methods=["POST"])
@access(CHAIR)
def make_chair(user_id):
    """Make a member a board member: it takes effect when they use the setup code."""
    member = _own_member(user_id)
    if member.role != "member":
        abort(404)
    code = accounts.issue_setup_code(member, by=current_user, purpose="make_chair", role="chair")
    return show_setup_code(member, code, url_for("members.index"))


@bp.route("/events/<int:account_event_id>/seen", methods=["POST"])
@access(CHAIR)
def acknowledge(account_event_id):
    """A board member has seen a change to one of the club's accounts."""
    event = club_record_or_404(AccountEvent, account_event_id)
    try:
        accounts.acknowledge_account_event(event, by=current_user)
    except Invalid as error:
        flash(error.message, "error")
    return redirect(safe_back() or url_for("members.index"))


def safe_back():
    back = request.form.get("back", "")
    return back if back in (url_for("home.index"), url_for("members.index")) else None


@bp.route("/<int:user_id>/active", methods=["POST"])
@access(CHAIR)
def set_active(user_id):
    """Deactivate or reactivate a member of the chair's own club."""
    member = _own_member(user_id)
    active = request.form.get("active") == "1"
    if member.id == current_user.id:
        flash(_("You cannot deactivate your own account."), "error")
    elif not active and request.form.get("confirmed") != "1":
        return confirm_deactivation(member, url_for("members.set_active", user_id=member.id),
                                    url_for("members.index"))
    else:
        try:
            accounts.set_active(member, active, by=current_user)
        except Invalid as error:  # done already, in another tab
            flash(error.message, "info")
            return redirect(url_for("members.index"))
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


@bp.route("/<int:user_id>/step-down", methods=["POST"])
@access(CHAIR)
def step_down(user_id):
    """A board member (oneself or another) leaves the board and stays a member, once asked."""
    member = _own_member(user_id)
    if member.role != "chair":
        abort(404)
    if request.form.get("confirmed") != "1":
        return render_template("members/step_down.html", member=member,
                               myself=member.id == current_user.id,
                               may=accounts.may_step_down(member))
    try:
        holders.leave_board(member, by=current_user)
    except Invalid as error:
        flash(error.message, "error")
        return redirect(url_for("members.index"))
    flash(_("%(name)s is no longer on the board.", name=member.full_name or member.login),
          "success")
    # One's own step down ends one's use of this page.
    return redirect(url_for("home.index") if member.id == current_user.id
                    else url_for("members.index"))


def confirm_deactivation(member, action, cancel):
    """The question asked before an account is deactivated: nothing changes until it is answered."""
    seen = accounts.last_seen([member]).get(member.id)
    # What was returned to them and is not fixed: it comes back to the board (review.unclaimed).
    # Named by its case's code to the board only (an admin sees no case's).
    returned = [review.entry_code(row) for _type, row in review.returned_rows(member)]
    return render_template("members/deactivate.html", member=member, seen=seen, action=action,
                           cancel=cancel, returned=len(returned),
                           returned_codes=", ".join(returned) if current_user.is_board else "")
