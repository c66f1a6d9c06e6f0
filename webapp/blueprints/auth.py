"""Logging in and out, the user's account, password and language."""
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from .. import accounts, audit, push, shell
from ..book import working_set
from ..book.vocab import ROLES
from ..forms import apply_account_error
from ..i18n import LANG_COOKIE, format_date_time
from ..invalid import Invalid
from ..models import User
from ..permissions import FIELD, LOGGED_IN, PUBLIC, access

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    login = StringField(_l("Login name or phone number"),
                        validators=[DataRequired(_l("Enter your login name or phone number.")),
                                    Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password.")),
                                                         Length(max=128)])


class SetupForm(FlaskForm):
    login = StringField(_l("Login name or phone number"),
                        validators=[DataRequired(_l("Enter your login name or phone number.")),
                                    Length(max=64)])
    code = StringField(_l("Setup code"), validators=[DataRequired(_l("Enter the setup code.")),
                                                     Length(max=32)])
    new = PasswordField(_l("New password"), validators=[DataRequired(_l("Enter a new password.")),
                                                        Length(max=128)])
    confirm = PasswordField(_l("New password again"),
                            validators=[EqualTo("new", _l("The two new passwords differ."))])


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"),
                            validators=[DataRequired(_l("Enter your current password."))])
    new = PasswordField(_l("New password"), validators=[DataRequired(_l("Enter a new password."))])
    confirm = PasswordField(_l("New password again"),
                            validators=[EqualTo("new", _l("The two new passwords differ."))])


def safe_next(target):
    """Only a path on this site: never redirect off-site after login."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def next_for(user, target):
    """Where `user` goes after logging in, asked for `target`: a path of this site, and the field
    app only for those who record in the field. A supervisor or an administrator sent there (the
    field app sends whoever is logged out to the login page, on a phone its member shares) would
    find nothing to record: they go home, to the desk, as the field app would send them
    (working_set.at_desk) — unless their phone said entries of theirs still wait on it (a
    member's account given another role): the field app sends them, then logs out."""
    target = safe_next(target)
    if target and working_set.at_desk(user) and urlsplit(target).path.rstrip("/") == "/app":
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@access(PUBLIC)
def login():
    """Log in with a login name or phone number and a password."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            user, error = accounts.authenticate(form.login.data, form.password.data,
                                                request.remote_addr,
                                                request.cookies.get(accounts.DEVICE_COOKIE))
        except accounts.LoginThrottled as throttled:
            return (render_template("auth/login.html", form=form, error=throttled.message), 429,
                    {"Retry-After": str(throttled.seconds)})
        if user is not None:
            news = _log_in(user)
            if user.hand_in_only:  # deactivated: the field app sends what waits, then logs out
                return redirect(url_for("shell.app"))
            if user.must_change_password:
                flash(_("Choose a new password before you go on."), "info")
                response = redirect(url_for("auth.change_password"))
            elif news:
                response = redirect(told_on(user))
            else:
                response = redirect(next_for(user, request.args.get("next"))
                                    or url_for("home.index"))
            return accounts.set_device_cookie(response, user)
    return render_template("auth/login.html", form=form, error=error), (401 if error else 200)


def told_on(user):
    """Where a user goes after something was said to them at login: home, which for a member
    is the field app, shows no notice (it would wait in the session and come up later, out of
    place), so a member is told on their account page, whose bar leads on to the field app."""
    return url_for("auth.account") if user.role == "member" else url_for("home.index")


def _log_in(user):
    session.clear()  # a fresh session at every login
    accounts.start_session(user)
    # This browser's reminders: the user's again if they were theirs, another's no more.
    push.logged_in(user, request.cookies.get(push.BROWSER_COOKIE))
    login_user(user, force=user.hand_in_only)  # a hand-in session: deactivated, so force
    session.permanent = True
    news = accounts.news_for_holder(user)
    for event in news:
        flash(holder_message(event), "warning")
    return news


def holder_message(event):
    """What the holder of an account is told at login about a setup code issued for it, or their
    leaving the board."""
    who = _("you") if event.by_id == event.user_id else (
        ROLES.label(event.by_role) if event.by_role else "—")
    if event.purpose == accounts.LEFT_BOARD:
        return _("On %(when)s, %(who)s took you off the club's board: you now see only the people "
                 "you follow. If you did not expect it, talk to your club's board.",
                 when=format_date_time(event.at), who=who)
    return _("On %(when)s, %(who)s issued a setup code for your account (%(what)s). If you did not "
             "ask for it, tell your club's board at once.", when=format_date_time(event.at),
             who=who, what=accounts.setup_purpose(event.purpose))


@bp.route("/login/setup", methods=["GET", "POST"])
@access(PUBLIC)
def setup():
    """Set one's own password with a one-time setup code (a new account, a reset), and log in."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = SetupForm()
    if form.validate_on_submit():
        try:
            user = accounts.use_setup_code(form.login.data, form.code.data, form.new.data,
                                           request.remote_addr)
        except accounts.LoginThrottled as throttled:
            return (render_template("auth/setup.html", form=form, error=throttled.message), 429,
                    {"Retry-After": str(throttled.seconds)})
        except Invalid as error:
            if error.field == "password":
                form.new.errors = list(form.new.errors) + [error.message]
            else:
                apply_account_error(form, error)
        else:
            _log_in(user)
            flash(_("Your password is set."), "success")
            return accounts.set_device_cookie(redirect(told_on(user)), user)
    return render_template("auth/setup.html", form=form, error=None)


@bp.route("/logout", methods=["POST"])
@access(PUBLIC)
def logout():
    """End the session for good (POST only: nothing changes state on GET)."""
    if current_user.is_authenticated:
        audit.record("logout")
        # The phone's push subscription, ended by logout.js: no reminder goes there any more.
        endpoint = request.form.get("push_endpoint", "")
        if endpoint:
            push.unsubscribe(current_user._get_current_object(), endpoint)
        accounts.end_session(current_user.session_token)
        logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account")
@access(LOGGED_IN)
def account():
    """The user's account: who they are, language, password."""
    # A member's or chair's phone may hold the field app's data: logging out here clears it too.
    strings = shell.logout_strings() if current_user.role in FIELD else None
    return render_template("auth/account.html", strings=strings)


@bp.route("/account/password", methods=["GET", "POST"])
@access(LOGGED_IN)
def change_password():
    """Change one's own password; other sessions of the account end."""
    form = PasswordForm()
    if form.validate_on_submit():
        if not accounts.check_password(current_user, form.current.data):
            form.current.errors.append(_("The current password is wrong."))
        elif form.new.data == form.current.data:
            form.new.errors.append(_("Choose a password different from the current one."))
        else:
            try:
                accounts.set_password(current_user, form.new.data, by=current_user,
                                      must_change=False)
            except Invalid as error:
                form.new.errors.append(error.message)
            else:
                accounts.end_sessions(current_user, keep_token=current_user.session_token)
                flash(_("Your password is changed."), "success")
                return redirect(url_for("home.index"))
    return render_template("auth/password.html", form=form)


@bp.route("/language", methods=["POST"])
@access(PUBLIC)
def language():
    """Switch the language; remembered on the account and in a cookie."""
    lang = request.form.get("lang")
    if lang not in current_app.config["LANGUAGES"]:
        lang = current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user.is_authenticated:
        current_user.locale = lang
        User.update(locale=lang).where(User.id == current_user.id).execute()
    response = redirect(safe_next(request.form.get("next")) or url_for("home.index"))
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True)
    return response
