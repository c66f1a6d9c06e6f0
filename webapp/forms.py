"""Form pieces shared by the desk's account pages (admin and the chair's members page)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional


class NewAccountForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(_l("Enter the full name.")),
                                                         Length(max=120)])
    login = StringField(_l("Login name"), validators=[DataRequired(_l("Enter a login name.")),
                                                      Length(max=64)])
    phone = StringField(_l("Phone number"), validators=[Optional(), Length(max=20)])
    role = SelectField(_l("Role"))
    password = PasswordField(_l("First password (to be changed at first login)"),
                             validators=[DataRequired(_l("Enter a first password."))])


class PasswordResetForm(FlaskForm):
    password = PasswordField(_l("New password (to be changed at next login)"),
                             validators=[DataRequired(_l("Enter a new password."))])


def apply_account_error(form, error):
    """Show an accounts.AccountError on the form field it is about."""
    field = getattr(form, error.field, None)
    if field is not None:
        field.errors = list(field.errors) + [error.message]
    else:
        form.form_errors.append(error.message)
