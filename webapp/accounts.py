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
    """Create a club with a prefix of its own, in a ward, city and province; raises Invalid on
    bad input."""
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise Invalid(_("Enter the club's name (at most 120 characters)."), field="name")
    code_prefix = (code_prefix or "").strip().upper()
    if not re.match(r"^[A-Z]{2,8}$", code_prefix):
        raise Invalid(_("The code prefix has 2 to 8 letters A-Z."), field="code_prefix")
    if Club.select().where(fn.LOWER(Club.name) == name.lower()).exists():
        raise Invalid(_("A club with this name exists."), field="name")
    # Case codes start with the prefix: two clubs with one prefix would print the same codes.
    used_by = Club.get_or_none(fn.UPPER(Club.code_prefix) == code_prefix)
    if used_by is not None:
        raise Invalid(_("%(club)s already uses the prefix %(prefix)s: choose another.",
                        club=used_by.name, prefix=code_prefix), field="code_prefix")
    # Reports for the city and the province group clubs by where they are.
    place = {}
    for field, value, message in (
            ("ward", ward, _("Enter the ward the club works in.")),
            ("city", city, _("Enter the city (or district).")),
            ("province", province, _("Enter the province."))):
        place[field] = (value or "").strip()
        if not place[field]:
            raise Invalid(message, field=field)
    with database.atomic():
        club = Club.create(name=name, code_prefix=code_prefix, **place)
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
    """Deactivate or reactivate an account; deactivation ends its sessions at once."""
    with database.atomic():
        user.is_active = active
        user.save(only=[User.is_active])
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
    LoginSession.create(token_hash=_token_hash(token), user=user)
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
    if (now - row.last_seen_at > timedelta(days=cfg["SESSION_IDLE_DAYS"])
            or now - row.created_at > timedelta(days=cfg["SESSION_MAX_DAYS"])
            or not user.is_active):
        LoginSession.update(ended_at=now).where(LoginSession.id == row.id).execute()
        return None
    if now - row.last_seen_at > timedelta(minutes=1):
        LoginSession.update(last_seen_at=now).where(LoginSession.id == row.id).execute()
    user.session_token = token
    return user


def last_seen(users):
    """{user id: when the user's phone or browser last reached the server (naive UTC)}, for the
    users ever seen.

    Each request of a session marks it (to the minute), a sync as much as a page, so this is when
    a member last synced, near enough, until the server keeps a log of syncs of its own; the login
    time stands in for a session that left no mark.
    """
    ids = [user.id for user in users]
    seen = {}
    for user_id, when in (LoginSession.select(LoginSession.user, fn.MAX(LoginSession.last_seen_at))
                          .where(LoginSession.user.in_(ids or [0]))
                          .group_by(LoginSession.user).tuples()):
        seen[user_id] = datetime.fromisoformat(when) if isinstance(when, str) else when
    for user in users:
        if user.last_login_at and (user.id not in seen or seen[user.id] < user.last_login_at):
            seen[user.id] = user.last_login_at
    return seen


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
