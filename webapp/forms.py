"""Form pieces shared by the desk's forms: WTForms' own messages in the user's language, and the
account forms of the admin and the chair's members page."""
import io
from urllib.parse import urlsplit

import flask_babel
import flask_wtf.form
from flask import current_app, flash, g, request, session
from flask.ctx import RequestContext
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import same_origin
from werkzeug.exceptions import HTTPException
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional


class _WTFormsTranslations:
    """WTForms ships no Vietnamese: its built-in messages go through the app's catalogues."""

    # The catalogue's own methods: WTForms formats the %(…)s values itself afterwards.
    def gettext(self, string):
        return flask_babel.get_translations().gettext(string)

    def ngettext(self, singular, plural, n):
        return flask_babel.get_translations().ngettext(singular, plural, n)


# Flask-WTF asks this module attribute for the translations of every FlaskForm.
flask_wtf.form.translations = _WTFormsTranslations()

# WTForms' built-in messages a desk form can show, listed so that extraction puts them in the
# catalogue (translated in core.po). Forms should still prefer their own clear messages.
WTFORMS_MESSAGES = (
    _l("This field is required."),
    _l("Not a valid choice."),
    _l("Invalid Choice: could not coerce."),
    _l("Not a valid integer value."),
    _l("Not a valid date value."),
    _l("Not a valid decimal value."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Field must be between %(min)d and %(max)d characters long."),
    _l("Field must be equal to %(other_name)s."),
    _l("Invalid input."),
    _l("Invalid email address."),
    lazy_ngettext("Field cannot be longer than %(max)d character.",
                  "Field cannot be longer than %(max)d characters.", 1),
    lazy_ngettext("Field must be at least %(min)d character long.",
                  "Field must be at least %(min)d characters long.", 1),
    lazy_ngettext("'%(value)s' is not a valid choice for this field.",
                  "'%(value)s' are not valid choices for this field.", 1),
)


class MemberAccountForm(FlaskForm):
    """A new account of a club: its holder opens it with a setup code (no password is typed)."""

    full_name = StringField(_l("Full name"), validators=[DataRequired(_l("Enter the full name.")),
                                                         Length(max=120)])
    login = StringField(_l("Login name"), validators=[DataRequired(_l("Enter a login name.")),
                                                      Length(max=64)])
    phone = StringField(_l("Phone number"), validators=[Optional(), Length(max=20)])
    role = SelectField(_l("Role"))


class NewAccountForm(MemberAccountForm):
    """A new account with a first password set by the admin (to be changed at first login)."""

    password = PasswordField(_l("First password (to be changed at first login)"),
                             validators=[DataRequired(_l("Enter a first password."))])


class PasswordResetForm(FlaskForm):
    password = PasswordField(_l("New password (to be changed at next login)"),
                             validators=[DataRequired(_l("Enter a new password."))])


def apply_account_error(form, error):
    """Show an Invalid (from accounts) on the form field it is about."""
    field = getattr(form, error.field, None)
    if field is not None:
        field.errors = list(field.errors) + [error.message]
    else:
        form.form_errors.append(error.message)


def first_error_here():
    """True for the first field with an error that a page renders, once per request.

    That field gets `autofocus`: the browser scrolls the page to it and puts the cursor in it, so
    an error far down a long page is where the user lands (no script needed).
    """
    if getattr(g, "autofocus_taken", False):
        return False
    g.autofocus_taken = True
    return True


# --- A form sent with the token of an earlier login: its page again, with what was typed ---------

_wrap_formdata = FlaskForm.Meta.wrap_formdata


def _typed_or_sent(meta, form, formdata):
    """A form's data: on a page drawn again by `form_again`, what was typed into it (only the
    form whose fields were sent: the page's other forms are drawn as on any visit)."""
    typed = g.get("typed_again")
    if typed is not None and formdata is flask_wtf.form._Auto:
        return typed if any(f.name in typed for f in form if f.name != "csrf_token") else None
    return _wrap_formdata(meta, form, formdata)


FlaskForm.Meta.wrap_formdata = _typed_or_sent


def typed_again():
    """What was typed into the form of a page `form_again` draws again, else None."""
    return g.get("typed_again")


def _from_this_site():
    """True if the browser says the post came from one of this site's pages."""
    sent_from = request.headers.get("Origin") or request.headers.get("Referer")
    return bool(sent_from) and same_origin(sent_from, request.host_url)


def _page_of_form():
    """The address of the page the posted form is on: its own (a page that posts to itself), or
    the page the browser says it came from; None when neither is known."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    if "GET" in request.url_rule.methods:
        return request.path, request.query_string.decode("latin-1")
    referer = urlsplit(request.headers.get("Referer", ""))
    if not referer.path or not same_origin(request.headers["Referer"], request.host_url):
        return None
    try:
        adapter.match(referer.path, method="GET")
    except HTTPException:
        return None
    return referer.path, referer.query


def form_again(message):
    """The page a form was sent from, drawn again with what was typed and `message` (a 400): the
    answer to a form whose token is of an earlier login of the user — logged in again since (in
    another tab, or their session ended) — so nothing was done, and the page's own token now
    saves it with one more tap. None when it cannot be: not logged in, a post not from this
    site's pages (a forgery shows nothing of what it sent), or a page that is not drawn as such.
    """
    if (request.method != "POST" or request.url_rule is None or not current_user.is_authenticated
            or not _from_this_site()):
        return None
    page = _page_of_form()
    if page is None:
        return None
    path, query = page
    environ = dict(request.environ, REQUEST_METHOD="GET", PATH_INFO=path, QUERY_STRING=query,
                   CONTENT_LENGTH="0", CONTENT_TYPE="")
    environ["wsgi.input"] = io.BytesIO(b"")
    typed = request.form.copy()
    typed.pop("csrf_token", None)
    # The same session: the new token the page draws is saved with this answer.
    with RequestContext(current_app, environ, session=session._get_current_object()):
        g.typed_again = typed
        flash(message, "error")
        try:
            answer = current_app.preprocess_request() or current_app.dispatch_request()
            response = current_app.make_response(answer)
        except HTTPException:
            response = None
        finally:
            g.pop("typed_again", None)
        if response is None or response.status_code != 200:
            session.get("_flashes", []).pop()  # not shown: the plain refusal says it
            return None
    response.status_code = 400
    return response


def init_app(app):
    app.jinja_env.globals["first_error_here"] = first_error_here
