"""Error answers in the user's language: pages for people, JSON under /api/."""
from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .forms import form_again
from .invalid import Invalid
from .permissions import PUBLIC, rule_for, wants_json


def _messages():
    return {
        400: _("The request could not be understood. Go back and try again."),
        401: _("Please log in again."),
        403: _("You are not allowed to see this page."),
        404: _("This page does not exist, or it is not yours to see."),
        405: _("This action is not allowed here."),
        413: _("What you sent is too large."),
        429: _("Too many requests. Wait a moment and try again."),
        500: _("Something went wrong on the server. What you entered was not saved; try again."),
    }


def _logged_out_meanwhile():
    """True if a form of a page that needs a login came from a browser logged out since."""
    rule = rule_for(request.endpoint) if request.endpoint else None
    return not current_user.is_authenticated and rule is not None and PUBLIC not in rule


def handle(error):
    if isinstance(error, CSRFError) and not wants_json():
        # The form's token does not hold (its session ended, or the user logged in again since):
        # what was typed is never lost where it can be kept.
        again = form_again(_("This page was opened before you last logged in, so nothing was "
                             "saved yet. What you typed is still here: check it and save again."))
        if again is not None:
            return again
    code = error.code if isinstance(error, HTTPException) and error.code else 500
    message = _messages().get(code, error.description if isinstance(error, HTTPException) else "")
    if isinstance(error, CSRFError):
        message = (_("You were logged out, so this was not saved. To keep what you typed, go "
                     "back to the form with your browser's Back button, log in again in a new "
                     "tab, then come back to the form and save.")
                   if _logged_out_meanwhile() and not wants_json()
                   else _("The form expired. Reload the page and try again."))
    if wants_json():
        response = jsonify(error=code, message=message)
        response.status_code = code
        return response
    return render_template("error.html", code=code, message=message), code


def invalid(error):
    """Input or a decision that breaks a rule, which the view left to this handler: its messages,
    on a page or as JSON under /api/ (400)."""
    if wants_json():
        response = jsonify(error="invalid", field=error.field, message=error.message,
                           errors={field: str(message) for field, message in error.errors.items()})
        response.status_code = 400
        return response
    return render_template("error.html", code=400, message=error.message), 400


def init_app(app):
    app.register_error_handler(HTTPException, handle)
    app.register_error_handler(Invalid, invalid)

    @app.errorhandler(Exception)
    def _unexpected(error):
        if isinstance(error, HTTPException):
            return handle(error)
        app.logger.exception("Unhandled error")
        return handle(error)
