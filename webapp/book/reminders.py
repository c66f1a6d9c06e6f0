"""Reminders: what is due at a given moment, sent by Web Push, each one once.

`send_due(now)` is the one function that finds and sends them; `flask reminders send` runs it from
cron or a systemd timer, and a serving process runs it from a background thread. Each reminder to
each device is claimed first by inserting a PushDelivery row with a unique key, in its own
transaction: a second sender running at the same time gets an IntegrityError and skips it.
"""
import logging
import threading
from datetime import datetime, timedelta, timezone

import click
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from peewee import IntegrityError

from . import review, scheduling
from .. import push
from ..clock import LOCAL_TZ, local_now, local_today
from ..db import database
from .entries import ENTRY_TYPES, TYPES
from ..models import (
    FIELD_ROLES, Appointment, Case, Club, EntryRevision, PushDelivery, PushSubscription, Review,
    User,
)

log = logging.getLogger(__name__)

REVIEW_LOOKBACK = timedelta(days=7)  # decisions older than this are not announced any more
# A delivery row only matters while its reminder can still be due: every key names its day, or a
# decision of the last REVIEW_LOOKBACK. Older rows are removed, with a wide margin.
DELIVERY_KEPT = timedelta(days=30)
# Pages a notification opens: the field app's screens (its hash routes) and the review queue.
TODAY_URL = "/app/#/today"
REVIEW_QUEUE_URL = "/desk/review/"


def case_url(case):
    """The field app's page of a case: by uuid, which says nothing about the person."""
    return f"/app/#/case/{case.uuid}"


class Reminder:
    """One message for one user: a key that says which reminder it is, and what it shows.

    What it shows is on the phone's lock screen, for anyone to read: no name, no case code, no date
    of a visit ("a visit is due tomorrow"); the details are in the app once it is open.
    """

    def __init__(self, key, title, body, url, tag, ttl, urgency="normal", not_before=None):
        self.key, self.title, self.body, self.url, self.tag = key, title, body, url, tag
        self.ttl, self.urgency = max(60, int(ttl)), urgency
        # Only devices subscribed at or before this time get it (e.g. decisions made later).
        self.not_before = not_before

    def payload(self):
        return push.payload_json(self.title, self.body, self.url, self.tag)


def _seconds_until_end_of(day, local):
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=LOCAL_TZ)
    return (end - local).total_seconds()


# ---------------------------------------------------------------------------------------------
# What is due for one user at local time `local`


def appointment_reminders(user, local):
    today = local.date()
    tomorrow = today + timedelta(days=1)
    evening_hour = current_app.config["REMINDER_EVENING_HOUR"]
    rows = (Appointment.select(Appointment, Case)
            .join(Case, on=(Appointment.case == Case.id))
            .where(Appointment.member == user, Appointment.status == "open",
                   Appointment.due_date.in_([today, tomorrow]), Case.erased_at.is_null()))
    for appointment in rows:
        if appointment.due_date == tomorrow and local.hour >= evening_hour:
            yield Reminder(f"appt:{appointment.id}:eve:{tomorrow.isoformat()}",
                           _("Visit tomorrow"),
                           _("A visit is due tomorrow. Open the app to see which."),
                           case_url(appointment.case), f"appointment-{appointment.id}",
                           _seconds_until_end_of(tomorrow, local))
        elif appointment.due_date == today and local.hour >= user.reminder_hour:
            yield Reminder(f"appt:{appointment.id}:day:{today.isoformat()}",
                           _("Visit today"),
                           _("A visit is due today. Open the app to see which."),
                           case_url(appointment.case), f"appointment-{appointment.id}",
                           _seconds_until_end_of(today, local), urgency="high")


def overdue_reminder(user, local):
    today = local.date()
    if local.hour < user.reminder_hour:
        return None
    count = (Appointment.select()
             .join(Case, on=(Appointment.case == Case.id))
             .where(Appointment.member == user, Appointment.status == "open",
                    Appointment.due_date < today, Case.erased_at.is_null())
             .count())
    if not count:
        return None
    return Reminder(f"user:{user.id}:overdue:{today.isoformat()}",
                    _("Overdue visits: %(count)d", count=count),
                    _("Some visits are past their date. Open the app to see them."),
                    TODAY_URL, "overdue", _seconds_until_end_of(today, local))


def review_digest(user, local):
    today = local.date()
    if not user.is_board or local.hour < user.reminder_hour:
        return None
    count = review.queue_count(user.club_id)
    if not count:
        return None
    return Reminder(f"user:{user.id}:review:{today.isoformat()}",
                    _("Entries to review"),
                    _("%(count)d entries are waiting for your review.", count=count),
                    REVIEW_QUEUE_URL, "review-digest", _seconds_until_end_of(today, local),
                    urgency="low")


def _submitter_id(decision):
    revision = (EntryRevision.select(EntryRevision.submitted_by)
                .where(EntryRevision.uuid == decision.entry_uuid,
                       EntryRevision.revision == decision.revision)
                .first())
    if revision is not None:
        return revision.submitted_by_id
    row = _entry(decision)
    return row.created_by_id if row is not None else None


def _entry(decision):
    kind = TYPES.get(decision.entry_type)
    return kind.model.get_or_none(kind.model.uuid == decision.entry_uuid) if kind else None


def decision_reminders(user, now_utc):
    """The member's entries approved or returned by someone else in the last days."""
    decisions = (Review.select()
                 .where(Review.club == user.club_id,
                        Review.decision.in_([review.APPROVED, review.RETURNED]),
                        Review.decided_by != user.id,
                        Review.decided_at >= now_utc - REVIEW_LOOKBACK,
                        Review.decided_at <= now_utc)
                 .order_by(Review.id))
    for decision in decisions:
        if _submitter_id(decision) != user.id:
            continue
        row = _entry(decision)
        kind = ENTRY_TYPES.label(decision.entry_type)
        if decision.decision == review.RETURNED:
            title = _("Entry returned")
            body = _("%(kind)s: returned to you. Open the app to correct it.", kind=kind)
            url = TODAY_URL  # where returned entries are listed, each with its Fix button
        else:
            title = _("Entry approved")
            body = _("%(kind)s: approved.", kind=kind)
            case = row if isinstance(row, Case) else getattr(row, "case", None)
            url = case_url(case) if case is not None else TODAY_URL
        yield Reminder(f"review:{decision.id}", title, body, url, f"review-{decision.id}",
                       3 * 24 * 3600,
                       urgency="normal" if decision.decision == review.RETURNED else "low",
                       not_before=decision.decided_at)


def due_for(user, now_utc):
    """Every reminder due for `user` at `now_utc` (naive UTC), in the user's language."""
    local = local_now(now_utc)
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        reminders = list(appointment_reminders(user, local))
        reminders += [r for r in (overdue_reminder(user, local), review_digest(user, local)) if r]
        reminders += list(decision_reminders(user, now_utc))
    return reminders


# ---------------------------------------------------------------------------------------------
# Sending, each once


def claim(key, user_id):
    """Take the reminder `key` for sending; False when another sender already has it."""
    try:
        with database.atomic():
            PushDelivery.create(key=key, user=user_id)
        return True
    except IntegrityError:
        return False


def release(key):
    """Give a claimed reminder back, so that a later run retries it."""
    with database.atomic():
        PushDelivery.delete().where(PushDelivery.key == key).execute()


def prune_deliveries(now_utc):
    """Forget deliveries of reminders that can no longer be due; returns how many went."""
    with database.atomic():
        return (PushDelivery.delete()
                .where(PushDelivery.created_at < now_utc - DELIVERY_KEPT).execute())


def _naive_utc(now):
    if now is None:
        return datetime.now(timezone.utc).replace(tzinfo=None)
    if now.tzinfo is not None:
        now = now.astimezone(timezone.utc).replace(tzinfo=None)
    return now


def send_due(now=None):
    """Send every reminder due at `now` (aware, or naive UTC; default: the clock) that has not
    gone out yet; returns counts per outcome."""
    now_utc = _naive_utc(now)
    counts = dict.fromkeys(("sent", "gone", "retry", "failed", "backed_off", "taken"), 0)
    prune_deliveries(now_utc)
    # Referrals forgotten for 30 days become appointments, which the reminders below then cover.
    scheduling.follow_up_referrals(local_today(now_utc))
    # Only the active accounts of active clubs: a deactivated club's members can no longer log
    # in, so a reminder of a visit (no name in it, but a visit all the same) would only mislead.
    # And only to a browser whose member is still logged in on it (push.while_logged_in).
    subscriptions = push.while_logged_in(
        PushSubscription.select(PushSubscription, User)
        .join(User).join(Club, on=(User.club == Club.id))
        .where(User.is_active == True, User.role.in_(FIELD_ROLES),  # noqa: E712
               Club.is_active == True)  # noqa: E712
        .switch(PushSubscription)).order_by(PushSubscription.user, PushSubscription.id)
    by_user = {}
    for subscription in subscriptions:
        by_user.setdefault(subscription.user_id, (subscription.user, []))[1].append(subscription)
    if not by_user:
        return counts
    vapid = push.load_key()
    with push.new_session() as session:
        for user, devices in by_user.values():
            for reminder in due_for(user, now_utc):
                for device in devices:
                    outcome = _deliver(reminder, device, vapid, session)
                    counts[outcome] += 1
    return counts


def _deliver(reminder, device, vapid, session):
    if reminder.not_before is not None and device.created_at > reminder.not_before:
        return "taken"  # the device subscribed after the event: not news to announce
    if push.backed_off(device.endpoint):
        return push.BACKED_OFF
    key = f"{reminder.key}/s{device.id}"
    if not claim(key, device.user_id):
        return "taken"
    try:
        outcome = push.send(device, reminder.payload(), ttl=reminder.ttl,
                            urgency=reminder.urgency, vapid=vapid, session=session)
    except Exception:
        release(key)
        log.exception("push to subscription %s failed", device.id)
        return push.RETRY
    if outcome in (push.RETRY, push.BACKED_OFF):
        release(key)
    return outcome


# ---------------------------------------------------------------------------------------------
# Running it: a command for cron or a timer, and a thread in the serving process


def parse_now(value):
    """An ISO-8601 moment; without a UTC offset it is local time (Asia/Ho_Chi_Minh)."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    return moment


@click.group("reminders", help="Web Push reminders.")
def reminders_cli():
    pass


@reminders_cli.command("send")
@click.option("--now", "now_text", default=None, metavar="ISO-8601",
              help="Send what is due at this moment (local time unless it has an offset); "
                   "default: now.")
def send_command(now_text):
    """Send the reminders that are due and have not gone out yet, once."""
    try:
        now = parse_now(now_text) if now_text else None
    except ValueError:
        raise click.BadParameter("use ISO 8601, e.g. 2026-11-28T19:00 or 2026-11-28T12:00+00:00",
                                 param_hint="--now")
    counts = send_due(now)
    click.echo(" ".join(f"{name}={value}" for name, value in counts.items()))


class Sender(threading.Thread):
    """Calls send_due every few minutes from the serving process."""

    def __init__(self, app):
        super().__init__(name="reminders", daemon=True)
        self.app = app
        self.stopping = threading.Event()

    def run(self):
        interval = self.app.config["REMINDERS_INTERVAL_SECONDS"]
        wait = min(30, interval)  # a first run soon after start-up catches up after downtime
        while not self.stopping.wait(wait):
            wait = interval
            with self.app.app_context():
                try:
                    send_due()
                except Exception:
                    log.exception("sending reminders failed")
                finally:
                    if not database.is_closed():
                        database.close()


_sender = None
_sender_lock = threading.Lock()


def start_sender(app):
    """Start the background sender once per process (the first request starts it)."""
    global _sender
    with _sender_lock:
        if _sender is None or not _sender.is_alive():
            _sender = Sender(app)
            _sender.start()
    return _sender


def init_app(app):
    app.cli.add_command(reminders_cli)
    if app.config.get("REMINDERS_THREAD") and not app.testing:
        # Started by the first request, so that only a serving process (flask run, gunicorn
        # workers) sends, and not every `flask` command.
        @app.before_request
        def _start_sender():
            if _sender is None:
                start_sender(app)
