"""Web Push for the user: the public key, subscribing a device, and the notification settings page."""
from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from playhouse.flask_utils import get_object_or_404
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from .. import audit, push
from ..db import database
from ..models import PushSubscription, User
from ..permissions import FIELD, LOGGED_IN, access

bp = Blueprint("push", __name__)

HOURS = list(range(5, 22))  # a daily reminder between 05:00 and 21:00


class ReminderHourForm(FlaskForm):
    reminder_hour = SelectField(_l("Daily reminder at"), coerce=int,
                                choices=[SelectChoice(h, f"{h:02d}:00") for h in HOURS],
                                validators=[InputRequired()])


def _json_error(message, field="", status=400):
    response = jsonify(error="invalid", field=field, message=message)
    response.status_code = status
    return response


@bp.route("/api/v1/push/key")
@access(LOGGED_IN)
def public_key():
    """The installation's VAPID public key, the page's applicationServerKey."""
    return jsonify(public_key=push.public_key_b64())


@bp.route("/api/v1/push/subscriptions", methods=["POST"])
@access(*FIELD)
def subscribe():
    """Store the browser's PushSubscription.toJSON() for the current user."""
    payload = request.get_json(silent=True)
    allow_local = current_app.testing or current_app.debug
    subscription = push.subscribe(current_user._get_current_object(), payload,
                                  request.headers.get("User-Agent", ""), allow_local)
    audit.record("push_subscribe", subscription)
    response = jsonify(id=subscription.id, device_label=subscription.device_label)
    response.status_code = 201
    return push.set_browser_cookie(response, subscription)


@bp.route("/api/v1/push/subscriptions", methods=["DELETE"])
@access(*FIELD)
def unsubscribe():
    """Delete the current user's subscription with the given endpoint."""
    payload = request.get_json(silent=True) or {}
    endpoint = payload.get("endpoint") if isinstance(payload, dict) else None
    if not isinstance(endpoint, str) or not endpoint:
        return _json_error(_("The endpoint is missing or too long."), "endpoint")
    if not push.unsubscribe(current_user._get_current_object(), endpoint):
        return _json_error(_("This device is not subscribed."), "endpoint", 404)
    audit.record("push_unsubscribe")
    return jsonify(deleted=True)


@bp.route("/account/notifications")
@access(*FIELD)
def settings():
    """Notifications: turn them on for this device, the user's devices, the reminder hour."""
    form = ReminderHourForm(reminder_hour=current_user.reminder_hour)
    devices = (PushSubscription.select()
               .where(PushSubscription.user == current_user.id)
               .order_by(PushSubscription.created_at.desc()))
    # The browser may hold a subscription another account made on it (a shared phone): this
    # device is on only if the one the server sends to is the current user's, in this session.
    this_browser = push.for_this_browser(current_user, request.cookies.get(push.BROWSER_COOKIE))
    # A device whose session ended gets nothing until the user logs in on it again.
    reached = {device.id for device in push.while_logged_in(devices)}
    return render_template("push/settings.html", form=form, devices=devices, reached=reached,
                           this_browser=this_browser, evening_hour=current_app.config["REMINDER_EVENING_HOUR"])


@bp.route("/account/notifications/hour", methods=["POST"])
@access(*FIELD)
def set_hour():
    """Set the hour of the daily reminder."""
    form = ReminderHourForm()
    if form.validate_on_submit():
        with database.atomic():
            User.update(reminder_hour=form.reminder_hour.data).where(
                User.id == current_user.id).execute()
        flash(_("Daily reminders will come at %(hour)s.", hour=f"{form.reminder_hour.data:02d}:00"),
              "success")
    else:
        flash(_("Choose an hour between 05:00 and 21:00."), "error")
    return redirect(url_for("push.settings"))


@bp.route("/account/notifications/devices/<int:subscription_id>/delete", methods=["POST"])
@access(*FIELD)
def remove_device(subscription_id):
    """Stop notifications to one of the user's devices (another's answers 404)."""
    device = get_object_or_404(PushSubscription.select(),
                               (PushSubscription.id == subscription_id)
                               & (PushSubscription.user == current_user.id))
    with database.atomic():
        device.delete_instance()
    audit.record("push_unsubscribe")
    flash(_("That device will no longer get notifications."), "success")
    return redirect(url_for("push.settings"))
