"""Accounts: password hashing, validation of who may hold which role, login throttling and server-side sessions."""
import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from peewee import fn

from . import audit
from .extensions import csrf, login_manager
from .db import database, utcnow
from .invalid import Invalid
from .models import Club, LoginAttempt, LoginSession, User
from .permissions import ALL_ROLES

LOGIN_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
PHONE_RE = re.compile(r"^\+?[0-9]{9,15}$")


def _hasher():
    cfg = current_app.config
    return PasswordHasher(
        time_cost=cfg["PASSWORD_HASH_TIME_COST"],
        memory_cost=cfg["PASSWORD_HASH_MEMORY_KIB"],
        parallelism=1,
    )


def hash_password(password):
    return _hasher().hash(password)


def check_password(user, password):
    """True if `password` is the user's; rehashes when the cost settings changed."""
    try:
        _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        user.save(only=[User.password_hash])
    return True


def normalise_phone(phone):
    phone = re.sub(r"[\s.\-()]", "", phone or "")
    return phone or None


def validate_password(password):
    if len(password or "") < current_app.config["PASSWORD_MIN_LENGTH"]:
        raise Invalid(_("The password must have at least %(n)d characters.",
                        n=current_app.config["PASSWORD_MIN_LENGTH"]), field="password")
    if len(password) > 128:
        raise Invalid(_("The password must have at most 128 characters."), field="password")


def find_by_login(login):
    """The user whose login name or phone number is `login`, or None."""
    login = (login or "").strip()
    if not login:
        return None
    phone = normalise_phone(login)
    query = User.select().where(fn.LOWER(User.login) == login.lower())
    if phone and PHONE_RE.match(phone):
        query = User.select().where((fn.LOWER(User.login) == login.lower()) | (User.phone == phone))
    return query.first()


def create_user(*, login, password, role, club=None, full_name="", phone=None, area="",
                must_change_password=True, by=None):
    """Create an account after checking every rule; raises Invalid."""
    login = (login or "").strip().lower()
    if not LOGIN_RE.match(login):
        raise Invalid(_("A login name has 3 to 64 letters a-z, digits, dots, dashes "
                        "or underscores, and starts with a letter or digit."), field="login")
    if role not in ALL_ROLES:
        raise Invalid(_("Unknown role."), field="role")
    if role in ("member", "chair") and club is None:
        raise Invalid(_("A club member or board member must belong to a club."), field="club")
    if role in ("supervisor", "admin"):
        club = None
    if role == "supervisor" and not (area or "").strip():
        raise Invalid(_("A supervisor needs an area: a city or a province."), field="area")
    phone = normalise_phone(phone)
    if phone and not PHONE_RE.match(phone):
        raise Invalid(_("Enter a phone number of 9 to 15 digits."), field="phone")
    if len(full_name or "") > 120:
        raise Invalid(_("The name must have at most 120 characters."), field="full_name")
    validate_password(password)
    if User.select().where(fn.LOWER(User.login) == login).exists():
        raise Invalid(_("This login name is taken."), field="login")
    if phone and User.select().where(User.phone == phone).exists():
        raise Invalid(_("This phone number belongs to another account."), field="phone")
    with database.atomic():
        user = User.create(
            login=login, phone=phone, full_name=(full_name or "").strip(), role=role, club=club,
            area=(area or "").strip() if role == "supervisor" else "",
            password_hash=hash_password(password), must_change_password=must_change_password,
            device_key=secrets.token_bytes(32),
        )
        audit.record("account_created", user, user=by, club=club, role=role)
    return user


def create_club(*, name, code_prefix, ward="", city="", province="", by=None):
    """Create a club; raises Invalid on bad input."""
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise Invalid(_("Enter the club's name (at most 120 characters)."), field="name")
    code_prefix = (code_prefix or "").strip().upper()
    if not re.match(r"^[A-Z]{2,8}$", code_prefix):
        raise Invalid(_("The code prefix has 2 to 8 letters A-Z."), field="code_prefix")
    if Club.select().where(fn.LOWER(Club.name) == name.lower()).exists():
        raise Invalid(_("A club with this name exists."), field="name")
    with database.atomic():
        club = Club.create(name=name, code_prefix=code_prefix, ward=(ward or "").strip(),
                           city=(city or "").strip(), province=(province or "").strip())
        audit.record("club_created", club, user=by, club=club)
    return club


def set_password(user, password, *, by, must_change):
    """Set a password; a password set by someone else must be changed at next login."""
    validate_password(password)
    with database.atomic():
        user.password_hash = hash_password(password)
        user.must_change_password = must_change
        user.save(only=[User.password_hash, User.must_change_password])
        audit.record("password_reset" if by != user else "password_changed", user, user=by,
                     club=user.club)


def set_active(user, active, *, by):
    """Deactivate or reactivate an account; deactivation ends its sessions at once (the member
    may then log in once more, only to hand in what waits on their phone: `may_hand_in`)."""
    with database.atomic():
        user.is_active = active
        user.handed_in_at = None
        user.save(only=[User.is_active, User.handed_in_at])
        if not active:
            end_sessions(user)
        audit.record("account_reactivated" if active else "account_deactivated", user, user=by,
                     club=user.club)


def set_club_active(club, active, *, by):
    """Deactivate or reactivate a club; its accounts' sessions end while it is inactive."""
    with database.atomic():
        club.is_active = active
        club.save(only=[Club.is_active])
        if not active:
            for user in club.users:
                end_sessions(user)
        audit.record("club_reactivated" if active else "club_deactivated", club, user=by, club=club)


# --- Handing in what waits on a phone -------------------------------------------------------
# A deactivated member's phone may still hold entries: the account may log in once more into a
# session that only sends them (no reading, no desk), which ends once nothing waits any more.

SENT = ("created", "updated", "duplicate", "gone")  # results after which the phone drops the entry
HAND_IN_GRACE = timedelta(hours=1)  # a finished hand-in session lives on this long, to log out


def may_hand_in(user):
    """True if this deactivated account may open a hand-in-only session."""
    return (not user.is_active and user.role in ("member", "chair") and user.club is not None
            and user.club.is_active and user.handed_in_at is None)


def note_sync(user, waiting, results):
    """Keep what a phone said at a sync: when, and how many entries still wait on it (the count
    it sent, this batch included, less those the answer takes). A hand-in that leaves nothing
    waiting is done: the account logs in no more."""
    sent = sum(result["status"] in SENT for result in results)
    if isinstance(waiting, int) and not isinstance(waiting, bool) and 0 <= waiting <= 10 ** 6:
        left = max(0, waiting - sent)
    else:
        left = None  # an older phone that does not say
    user.last_sync_at = utcnow()
    changed = [User.last_sync_at]
    if left is not None:
        user.waiting_count = left
        changed.append(User.waiting_count)
    if user.hand_in_only and (left if left is not None else len(results) - sent) == 0:
        user.handed_in_at = user.last_sync_at
        changed.append(User.handed_in_at)
        audit.record("hand_in_done", user, user=user, club=user.club)
    user.save(only=changed)


# --- Throttling ---------------------------------------------------------------------------

def _key(kind, value):
    secret = current_app.config["SECRET_KEY"].encode()
    return kind + ":" + hmac.new(secret, value.lower().encode(), hashlib.sha256).hexdigest()[:40]


def login_wait_seconds(login, address):
    """Seconds before another try is allowed for this login name or address (0: now).

    Failures past the free allowance double the wait, capped: a member is slowed down, never
    locked out for good by someone guessing their password.
    """
    cfg = current_app.config
    now = utcnow()
    since = now - timedelta(minutes=cfg["LOGIN_THROTTLE_WINDOW_MINUTES"])
    wait = 0
    for key, free in ((_key("login", login or ""), cfg["LOGIN_THROTTLE_FREE_FAILURES_ACCOUNT"]),
                      (_key("addr", address or ""), cfg["LOGIN_THROTTLE_FREE_FAILURES_ADDRESS"])):
        row = (LoginAttempt
               .select(fn.COUNT(LoginAttempt.id).alias("n"), fn.MAX(LoginAttempt.at).alias("last"))
               .where((LoginAttempt.key == key) & (LoginAttempt.at > since))
               .dicts()
               .get())
        failures, last = row["n"], row["last"]
        if failures >= free and last is not None:
            if isinstance(last, str):  # SQLite returns MAX() of a datetime as text
                last = datetime.fromisoformat(last)
            delay = min(2 ** (failures - free), cfg["LOGIN_THROTTLE_MAX_DELAY_SECONDS"])
            wait = max(wait, (last + timedelta(seconds=delay) - now).total_seconds())
    return max(0, int(wait + 0.999))


def record_failure(login, address):
    with database.atomic():
        LoginAttempt.create(key=_key("login", login or ""))
        LoginAttempt.create(key=_key("addr", address or ""))


def authenticate(login, password, address):
    """Return (user, None) on success or (None, message). Records the outcome in the audit log."""
    wait = login_wait_seconds(login, address)
    if wait:
        return None, _("Too many failed attempts. Try again in %(s)d seconds.", s=wait)
    user = find_by_login(login)
    if user is None or not check_password(user, password or ""):
        record_failure(login, address)
        audit.record("login_failed", user=user, club=user.club if user else None)
        return None, _("Wrong login name or password.")
    if not user.is_active and may_hand_in(user):
        user.hand_in_only = True
        audit.record("login_hand_in", user=user, club=user.club)
        return user, None
    if not user.is_active or (user.club is not None and not user.club.is_active):
        audit.record("login_refused_inactive", user=user, club=user.club)
        return None, _("This account is deactivated. Ask your club's chair or the administrator.")
    with database.atomic():
        user.last_login_at = utcnow()
        user.save(only=[User.last_login_at])
        audit.record("login", user=user, club=user.club)
    return user, None


# --- Sessions -----------------------------------------------------------------------------

def _token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user):
    """A new server-side session for `user`; its token becomes the Flask-Login id."""
    token = secrets.token_urlsafe(32)
    LoginSession.create(token_hash=_token_hash(token), user=user, hand_in_only=user.hand_in_only)
    user.session_token = token
    return token


def load_session(token):
    """The user of a live session token, or None if it ended, idled out or grew too old."""
    if not token:
        return None
    row = (LoginSession.select(LoginSession, User)
           .join(User)
           .where((LoginSession.token_hash == _token_hash(token)) & LoginSession.ended_at.is_null())
           .first())
    if row is None:
        return None
    cfg = current_app.config
    now = utcnow()
    user = row.user
    handed_in = row.hand_in_only and user.handed_in_at is not None and (
        now - user.handed_in_at > HAND_IN_GRACE)
    if (now - row.last_seen_at > timedelta(days=cfg["SESSION_IDLE_DAYS"])
            or now - row.created_at > timedelta(days=cfg["SESSION_MAX_DAYS"])
            or (not user.is_active and not row.hand_in_only) or handed_in):
        LoginSession.update(ended_at=now).where(LoginSession.id == row.id).execute()
        return None
    if now - row.last_seen_at > timedelta(minutes=1):
        LoginSession.update(last_seen_at=now).where(LoginSession.id == row.id).execute()
    user.session_token = token
    user.hand_in_only = row.hand_in_only
    return user


def end_session(token):
    if token:
        (LoginSession.update(ended_at=utcnow())
         .where((LoginSession.token_hash == _token_hash(token)) & LoginSession.ended_at.is_null())
         .execute())


def end_sessions(user, keep_token=None):
    """End every live session of `user`, but `keep_token`'s."""
    query = LoginSession.update(ended_at=utcnow()).where(
        (LoginSession.user == user) & LoginSession.ended_at.is_null())
    if keep_token:
        query = query.where(LoginSession.token_hash != _token_hash(keep_token))
    query.execute()


def init_app(app):
    login_manager.init_app(app)
    login_manager.session_protection = None  # phones change networks all day
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.user_loader(load_session)
    csrf.init_app(app)
