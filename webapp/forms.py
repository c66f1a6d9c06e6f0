"""Form pieces shared by the desk's forms: WTForms' own messages in the user's language, and the
account forms of the admin and the chair's members page."""
import flask_babel
import flask_wtf.form
from flask import g
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from flask_wtf import FlaskForm
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


def init_app(app):
    app.jinja_env.globals["first_error_here"] = first_error_here
