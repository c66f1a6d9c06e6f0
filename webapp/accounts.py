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
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from itsdangerous import BadSignature, URLSafeTimedSerializer
from peewee import fn

from . import audit
from .extensions import csrf, login_manager
from .db import database, is_postgres, locked, utcnow
from .invalid import Invalid
from .models import AccountEvent, BoardTerm, Club, LoginAttempt, LoginSession, SetupCode, User
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
    except VerificationError:
        return False
    except InvalidHashError:
        return _dummy_verify(password)
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        user.save(only=[User.password_hash])
    return True


def normalise_phone(phone):
    """A phone number as accounts keep it and logins are looked up: without spaces, dots, dashes
    or brackets, and a Vietnamese number in its national form (+84 912… and 84 912… are 0912…)."""
    phone = re.sub(r"[\s.\-()]", "", phone or "")
    if re.fullmatch(r"\+?84[1-9][0-9]{8,9}", phone):
        phone = "0" + phone[phone.index("84") + 2:]
    return phone or None


def phone_forms(phone):
    """The ways an account may hold the number `phone` (accounts made before the national form
    was kept hold it as it was typed)."""
    number = normalise_phone(phone)
    if number and number.startswith("0"):
        return [number, "+84" + number[1:], "84" + number[1:]]
    return [number] if number else []


def phone_holder(phone):
    """The account that holds this phone number, or None."""
    forms = phone_forms(phone)
    return User.select().where(User.phone.in_(forms)).first() if forms else None


def validate_password(password):
    if len(password or "") < current_app.config["PASSWORD_MIN_LENGTH"]:
        raise Invalid(_("The password must have at least %(n)d characters.",
                        n=current_app.config["PASSWORD_MIN_LENGTH"]), field="password")
    if len(password) > 128:
        raise Invalid(_("The password must have at most 128 characters."), field="password")


def normalise_login(login):
    """A login as typed, read as the lookup reads it: trimmed and in lower case, a phone number
    without its spaces, dots, dashes or brackets. The throttle counts tries by this."""
    text = (login or "").strip().lower()
    phone = normalise_phone(text)
    return phone if phone and PHONE_RE.match(phone) else text


def find_by_login(login):
    """The user whose login name or phone number is `login`, or None."""
    name = (login or "").strip().lower()
    if not name:
        return None
    condition = fn.LOWER(User.login) == name
    normalised = normalise_login(login)
    if PHONE_RE.match(normalised):
        condition |= User.phone.in_(phone_forms(normalised))
    return User.select().where(condition).first()


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
    if phone and phone_holder(phone) is not None:
        raise Invalid(_("This phone number belongs to another account."), field="phone")
    with database.atomic():
        user = User.create(
            login=login, phone=phone, full_name=(full_name or "").strip(), role=role, club=club,
            area=(area or "").strip() if role == "supervisor" else "",
            password_hash=hash_password(password), must_change_password=must_change_password,
            device_key=secrets.token_bytes(32),
        )
        if role == "chair":
            begin_term(user, user.created_at)
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
    """Deactivate or reactivate an account; deactivation ends its sessions at once (the member
    may then log in once more, only to hand in what waits on their phone: `may_hand_in`), and
    reactivation such a hand-in session: the phone logs in again, to the book it may read again,
    rather than hand in and log out as a deactivated member's does.

    A board member's term on the board ends with the deactivation (what their phone records after
    it is recorded on no board: holders.answered_for), and a new one begins with the reactivation,
    as the role they keep (board member) reads the whole club again."""
    with database.atomic():
        if locked(user).is_active == active:
            # Done already (in another tab, or the form sent twice): when they were deactivated
            # (what they may still hand in) and their one hand-in stay as they were.
            raise Invalid(_l("%(name)s was already deactivated: nothing was changed.",
                             name=user.full_name or user.login) if not active else
                          _l("%(name)s is already active: nothing was changed.",
                             name=user.full_name or user.login), field="active")
        now = utcnow()
        user.is_active = active
        user.deactivated_at = None if active else now
        user.handed_in_at = None
        user.save(only=[User.is_active, User.deactivated_at, User.handed_in_at])
        if user.role == "chair":
            (begin_term if active else end_term)(user, now)
        end_sessions(user, hand_in_only=active)
        audit.record("account_reactivated" if active else "account_deactivated", user, user=by,
                     club=user.club)


# --- The club's board over time -----------------------------------------------------------------
# Who sat on the board when (BoardTerm): an entry a board member recorded on any of the club's
# cases still reaches the club after they step down (book/holders.leave_board, may_record), and
# only what they made while on it is approved on submit (book/review.approves_own).

def begin_term(user, at):
    """`user` sits on their club's board from `at`."""
    if not BoardTerm.select().where((BoardTerm.user == user.id) & BoardTerm.until.is_null()).exists():
        BoardTerm.create(user=user.id, club=user.club_id, since=at)


def end_term(user, at):
    """`user`'s time on the board ends at `at` (a chair from before terms were kept: it began
    with their account). A term ended already (at their deactivation) stays as it was."""
    ended = (BoardTerm.update(until=at)
             .where((BoardTerm.user == user.id) & BoardTerm.until.is_null()).execute())
    if not ended and not BoardTerm.select().where(BoardTerm.user == user.id).exists():
        BoardTerm.create(user=user.id, club=user.club_id, since=user.created_at, until=at)


def on_board(user, club_id, at):
    """True if `user` sat on the board of the club `club_id` at the moment `at` (naive UTC)."""
    if at is None or club_id is None:
        return False
    return (BoardTerm.select()
            .where((BoardTerm.user == user.id) & (BoardTerm.club == club_id)
                   & (BoardTerm.since <= at)
                   & (BoardTerm.until.is_null() | (BoardTerm.until > at)))
            .exists())


def may_step_down(user):
    """Whether `user` may leave the board now: the club keeps another active board member."""
    return (user.role == "chair" and user.club_id is not None
            and User.select().where((User.club == user.club_id) & (User.role == "chair")
                                    & User.is_active & (User.id != user.id)).exists())


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


def phones_holding_entries(club):
    """The club's accounts whose phone, at its last sync, still held entries that may yet reach
    the club: an active account's, or a deactivated one's that has not handed in (may_hand_in,
    once the club is active). Whose they are, for whoever is about to stop them going."""
    return list(User.select()
                .where((User.club == club) & (User.waiting_count > 0)
                       & (User.is_active | (User.role.in_(("member", "chair"))
                                            & User.handed_in_at.is_null())))
                .order_by(User.full_name))


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


# --- Setup codes and the board's view of its accounts -------------------------------------
# An admin makes clubs and their first chair. After that, what would let someone else into a
# club's account — a new account, the role of chair, a new password — goes through a one-time
# code with which the account's holder sets their own password: whoever issues it never knows a
# working password, and the club's board sees each code issued (who, when, for whom) until one of
# them acknowledges it; the holder is told at their next login. Only a hash of a code is kept.

SETUP_PURPOSES = {"new_account": _l("New account"), "make_chair": _l("Made a board member"),
                  "reset": _l("Password reset")}
# What else the board sees of its accounts: a member taken off the board (holders.leave_board).
LEFT_BOARD = "left_board"
ACCOUNT_EVENTS = {**SETUP_PURPOSES, LEFT_BOARD: _l("Left the board")}
SETUP_CODE_HOURS = 24
SETUP_CODE_MAX_HOURS = 7 * 24  # a code printed for a meeting next week; never longer
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read out over the phone


def _code_hash(code):
    text = re.sub(r"[\s-]", "", code or "").upper()
    return hashlib.sha256(("sotd setup|" + text).encode()).hexdigest()


def club_has_chair(club):
    return (club is not None
            and User.select().where((User.club == club) & (User.role == "chair")).exists())


def issue_setup_code(user, *, by, purpose, role=None, hours=SETUP_CODE_HOURS):
    """A new one-time code for `user` (earlier unused ones stop working), working for `hours`;
    returns its row, with the code's text as `code`, to show once to whoever issued it. The
    club's board will see that it was issued."""
    if purpose not in SETUP_PURPOSES:
        raise ValueError(purpose)
    if not 0 < hours <= SETUP_CODE_MAX_HOURS:
        raise ValueError(hours)
    if not locked(user).is_active:  # deactivated (from another tab, say): it could not be used
        raise Invalid(_l("%(name)s's account is deactivated: reactivate it first, then give "
                         "a setup code.", name=user.full_name or user.login))
    code = "-".join("".join(secrets.choice(_CODE_ALPHABET) for _ in range(4)) for _ in range(3))
    now = utcnow()
    with database.atomic():
        (SetupCode.update(used_at=now)
         .where((SetupCode.user == user) & SetupCode.used_at.is_null()).execute())
        row = SetupCode.create(user=user, code_hash=_code_hash(code), purpose=purpose, role=role,
                               created_by=by, created_at=now,
                               expires_at=now + timedelta(hours=hours))
        if user.club_id is not None:
            AccountEvent.create(club=user.club_id, user=user, purpose=purpose, role=role, by=by,
                                by_role=by.role if by is not None else "", at=now)
        audit.record("setup_code_issued", user, user=by, club=user.club_id, purpose=purpose,
                     role=role, code=row.id)
    row.code = code  # never stored: only its hash is
    return row


# How long after adding an account the same form sent again stands for it (added_just_now).
RESENT_MINUTES = 15


def create_account_with_code(*, login, role, club, full_name="", phone=None, by):
    """A new account of a club that its holder opens with a setup code; returns (user, the issued
    code's row). The same form sent again (a double tap, or its answer lost on a weak signal) by
    the same board member is that account: a new code is issued for it, the first one void."""
    with database.atomic():
        user = added_just_now(login=login, role=role, club=club, full_name=full_name,
                              phone=phone, by=by)
        if user is None:
            user = create_unopened_account(login=login, role=role, club=club,
                                           full_name=full_name, phone=phone, by=by)
        code = issue_setup_code(user, by=by, purpose="new_account")
    return user, code


def added_just_now(*, login, role, club, full_name, phone, by):
    """The account `by` added minutes ago with just these details, never opened since; None."""
    user = User.get_or_none((fn.LOWER(User.login) == (login or "").strip().lower())
                            & (User.club == getattr(club, "id", club)))
    if (user is None or (user.role, user.full_name, user.phone)
            != (role, (full_name or "").strip(), normalise_phone(phone) or None)
            or user.last_login_at is not None
            or user.created_at < utcnow() - timedelta(minutes=RESENT_MINUTES)):
        return None
    # Its codes all of this adding (a used one would have opened it: last_login_at).
    codes = SetupCode.select().where(SetupCode.user == user)
    if any(c.purpose != "new_account" or c.created_by_id != by.id for c in codes):
        return None
    return user


def create_unopened_account(*, login, role, club, full_name="", phone=None, by):
    """A new account of a club that no one can open until its holder gets a setup code."""
    return create_user(login=login, password=secrets.token_urlsafe(24), role=role, club=club,
                       full_name=full_name, phone=phone, by=by)


def use_setup_code(login, code, password, address):
    """Set the holder's password with their setup code (and take the role it carries); returns
    the user. Raises Invalid for a wrong or expired code, LoginThrottled when guessing."""
    validate_password(password)
    user = find_by_login(login)
    attempt = _begin_try(login, address, None)
    now = utcnow()
    row = None
    if user is not None:
        row = (SetupCode.select()
               .where((SetupCode.user == user) & (SetupCode.code_hash == _code_hash(code))
                      & SetupCode.used_at.is_null() & (SetupCode.expires_at > now))
               .first())
    if row is None or not user.is_active or (user.club is not None and not user.club.is_active):
        audit.record("setup_code_refused", user=user, club=user.club_id if user else None)
        raise _wrong_code()
    with database.atomic():
        used = (SetupCode.update(used_at=now)
                .where((SetupCode.id == row.id) & SetupCode.used_at.is_null()).execute())
        if not used:  # the same code, used at the same moment elsewhere
            raise _wrong_code()
        user.password_hash = hash_password(password)
        user.must_change_password = False
        if row.role:
            user.role = row.role
            if row.role == "chair":
                begin_term(user, now)
        user.last_login_at = now
        user.save(only=[User.password_hash, User.must_change_password, User.role,
                        User.last_login_at])
        end_sessions(user)
        # The holder knows of the code they have just used, and of those it replaced (a new code
        # stops the earlier ones): telling them at this login to report it would alarm them for
        # nothing. What else was done to the account (leaving the board) is still told.
        (AccountEvent.update(holder_told_at=now)
         .where((AccountEvent.user == user) & AccountEvent.holder_told_at.is_null()
                & AccountEvent.purpose.in_(list(SETUP_PURPOSES)) & (AccountEvent.at <= row.created_at))
         .execute())
        LoginAttempt.delete().where(LoginAttempt.id.in_(attempt)).execute()
        audit.record("setup_code_used", user, user=user, club=user.club_id, code=row.id)
    return user


def _wrong_code():
    return Invalid(_("This setup code is wrong, used or expired. Ask your club's chair for a new "
                     "one."), field="code")


def open_account_events(club):
    """The club's account events that no one on its board has acknowledged yet, newest first."""
    return list(AccountEvent.select()
                .where((AccountEvent.club == club) & AccountEvent.acknowledged_at.is_null())
                .order_by(AccountEvent.at.desc()))


def acknowledge_account_event(event, *, by):
    """A board member other than the one who issued the code has seen the event."""
    if event.by_id == by.id:
        raise Invalid(_("Another board member must acknowledge what you did."))
    with database.atomic():
        event.acknowledged_at = utcnow()
        event.acknowledged_by = by
        event.save(only=[AccountEvent.acknowledged_at, AccountEvent.acknowledged_by])
        audit.record("account_event_acknowledged", event, user=by, club=event.club_id)


def setup_purpose(purpose):
    return ACCOUNT_EVENTS.get(purpose, purpose)


def news_for_holder(user):
    """What was done to `user`'s account since they last heard (shown once, at login)."""
    with database.atomic():
        events = list(AccountEvent.select()
                      .where((AccountEvent.user == user) & AccountEvent.holder_told_at.is_null())
                      .order_by(AccountEvent.at))
        if events:
            (AccountEvent.update(holder_told_at=utcnow())
             .where(AccountEvent.id.in_([e.id for e in events])).execute())
    return events


# --- Throttling ---------------------------------------------------------------------------
# OWASP's "device cookies": failures slow guessing down, but never keep a member out of the browser
# where they last logged in. A try from that browser counts against its device cookie alone; a try
# from anywhere else counts against the login name (read as the lookup reads it) and against the
# address, which is slowed by how many accounts it tried, not by one account's failures (a
# carrier's NAT puts many members behind one address). Checking the allowance and recording the
# try are one step, so parallel tries cannot all pass the check before any of them is recorded.

DEVICE_COOKIE = "sotd_device"
THROTTLE_LOCK = 0x534F544C  # "SOTL": PostgreSQL's advisory lock of the throttle's check


class LoginThrottled(Exception):
    """Too many failed tries: `seconds` before the next one is allowed."""

    def __init__(self, seconds):
        super().__init__(seconds)
        self.seconds = seconds

    @property
    def message(self):
        return _("Too many failed attempts. Try again in %(wait)s.", wait=wait_text(self.seconds))


def wait_text(seconds):
    """"45 seconds", "3 minutes": how long to wait, rounded up, in the user's language."""
    if seconds < 60:
        return ngettext("%(num)d second", "%(num)d seconds", seconds)
    return ngettext("%(num)d minute", "%(num)d minutes", -(-seconds // 60))


def _key(kind, value):
    secret = current_app.config["SECRET_KEY"].encode()
    return kind + ":" + hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()[:40]


def _throttle_keys(login, address, device):
    """[(key, free failures, counts accounts)] that a try counts against."""
    cfg = current_app.config
    if device:
        return [(_key("device", device), cfg["LOGIN_THROTTLE_FREE_FAILURES_ACCOUNT"], False)]
    return [(_key("login", normalise_login(login)), cfg["LOGIN_THROTTLE_FREE_FAILURES_ACCOUNT"],
             False),
            (_key("addr", address or ""), cfg["LOGIN_THROTTLE_FREE_ACCOUNTS_ADDRESS"], True)]


def _wait(key, free, counts_accounts, now):
    cfg = current_app.config
    since = now - timedelta(minutes=cfg["LOGIN_THROTTLE_WINDOW_MINUTES"])
    counted = (fn.COUNT(fn.DISTINCT(LoginAttempt.subject)) if counts_accounts
               else fn.COUNT(LoginAttempt.id))
    row = (LoginAttempt
           .select(counted.alias("n"), fn.MAX(LoginAttempt.at).alias("last"))
           .where((LoginAttempt.key == key) & (LoginAttempt.at > since))
           .dicts()
           .get())
    failures, last = row["n"], row["last"]
    if failures < free or last is None:
        return 0
    if isinstance(last, str):  # SQLite returns MAX() of a datetime as text
        last = datetime.fromisoformat(last)
    delay = min(2 ** (failures - free), cfg["LOGIN_THROTTLE_MAX_DELAY_SECONDS"])
    return max(0, int((last + timedelta(seconds=delay) - now).total_seconds() + 0.999))


def login_wait_seconds(login, address, device=None):
    """Seconds before another try is allowed for this login from this address, or from the browser
    of the device cookie `device` (0: now).

    Failures past the free allowance double the wait, capped: a member is slowed down, never
    locked out for good by someone guessing their password.
    """
    now = utcnow()
    return max(_wait(key, free, counts, now) for key, free, counts in
               _throttle_keys(login, address, device))


def record_failure(login, address, device=None):
    """Count one try against each of its keys; returns the rows' ids."""
    subject = _key("login", normalise_login(login))
    with database.atomic():
        return [LoginAttempt.create(key=key, subject=subject if counts else "").id
                for key, _free, counts in _throttle_keys(login, address, device)]


def _begin_try(login, address, device):
    """Check the allowance and count the try as failed, in one step; raises LoginThrottled.

    Returns the rows to forget if the password turns out right.
    """
    with database.atomic():
        if is_postgres():
            database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (THROTTLE_LOCK,))
        wait = login_wait_seconds(login, address, device)
        if wait:
            raise LoginThrottled(wait)
        return record_failure(login, address, device)


def _device_signer(user):
    # Salted with the account's id: a cookie works for the account it was issued to only.
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"sotd device {user.id}")


def device_of(cookie, user):
    """The id of the browser in a device cookie this installation gave `user`, or None."""
    if not cookie or user is None:
        return None
    try:
        device = _device_signer(user).loads(
            cookie, max_age=current_app.config["LOGIN_DEVICE_COOKIE_DAYS"] * 86400)
    except BadSignature:
        return None
    return device if isinstance(device, str) else None


def set_device_cookie(response, user):
    """After a successful login: this browser keeps its own allowance for `user` (a new id each
    time). It logs no one in, and goes to the login page only."""
    days = current_app.config["LOGIN_DEVICE_COOKIE_DAYS"]
    response.set_cookie(DEVICE_COOKIE, _device_signer(user).dumps(secrets.token_urlsafe(16)),
                        max_age=days * 86400, path="/login", httponly=True, samesite="Strict",
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


_dummy_hashes = {}


def _dummy_verify(password):
    """Spend the time a real check takes, so that an unknown login answers as slowly as a known
    one: the answer's time must not tell which logins and phone numbers exist."""
    hasher = _hasher()
    try:
        hasher.verify(_dummy_hash(hasher), password)
    except VerificationError:
        pass
    return False


def _dummy_hash(hasher):
    cost = (hasher.time_cost, hasher.memory_cost)
    if cost not in _dummy_hashes:
        _dummy_hashes[cost] = hasher.hash(secrets.token_urlsafe(16))
    return _dummy_hashes[cost]


def authenticate(login, password, address, device_cookie=None):
    """Return (user, None) on success or (None, message); raises LoginThrottled while this login,
    address or browser must wait. Records the outcome in the audit log."""
    user = find_by_login(login)
    device = device_of(device_cookie, user)
    attempt = _begin_try(login, address, device)
    if user is None:
        _dummy_verify(password or "")
    if user is None or not check_password(user, password or ""):
        audit.record("login_failed", user=user, club=user.club if user else None)
        return None, _("Wrong login name or password.")
    LoginAttempt.delete().where(LoginAttempt.id.in_(attempt)).execute()
    if not user.is_active and may_hand_in(user):
        user.hand_in_only = True
        audit.record("login_hand_in", user=user, club=user.club)
        return user, None
    if user.club is not None and not user.club.is_active:
        # Their chair is locked out too: only the administrator can open the club again.
        refusal = _("Your club is deactivated: nobody of it can log in until the administrator "
                    "reactivates it. What waits on your phone stays there, and is sent then.")
    elif not user.is_active:
        refusal = _("This account is deactivated. Ask your club's chair or the administrator.")
    else:
        refusal = None
    if refusal is not None:
        audit.record("login_refused_inactive", user=user, club=user.club)
        return None, refusal
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
    row = LoginSession.create(token_hash=_token_hash(token), user=user,
                              hand_in_only=user.hand_in_only)
    user.session_token, user.session_id = token, row.id
    return token


def _session_limits(now):
    """(last use, start) before which a session has ended: SESSION_IDLE_DAYS without use,
    SESSION_MAX_DAYS at most."""
    cfg = current_app.config
    return (now - timedelta(days=cfg["SESSION_IDLE_DAYS"]),
            now - timedelta(days=cfg["SESSION_MAX_DAYS"]))


def session_lasts(now=None, idle_ends=True):
    """The LoginSession rows still alive at `now`, as a query condition: load_session's limits,
    for what is done for a session while nobody uses it. `idle_ends=False`: a session left unused
    for SESSION_IDLE_DAYS still counts until it is used again (load_session ends it then) — the
    phone is still its member's, nobody else logged in there, and a reminder (push.py), which
    names nobody, is what brings a member back to visits gone overdue."""
    idle, oldest = _session_limits(now or utcnow())
    lasts = LoginSession.ended_at.is_null() & (LoginSession.created_at >= oldest)
    return lasts & (LoginSession.last_seen_at >= idle) if idle_ends else lasts


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
    now = utcnow()
    idle, oldest = _session_limits(now)
    user = row.user
    handed_in = row.hand_in_only and user.handed_in_at is not None and (
        now - user.handed_in_at > HAND_IN_GRACE)
    if (row.last_seen_at < idle or row.created_at < oldest
            or (not user.is_active and not row.hand_in_only) or handed_in):
        LoginSession.update(ended_at=now).where(LoginSession.id == row.id).execute()
        return None
    if now - row.last_seen_at > timedelta(minutes=1):
        LoginSession.update(last_seen_at=now).where(LoginSession.id == row.id).execute()
    user.session_token, user.session_id = token, row.id
    user.hand_in_only = row.hand_in_only
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


def end_sessions(user, keep_token=None, hand_in_only=False):
    """End every live session of `user`, but `keep_token`'s (`hand_in_only`: only the sessions
    that may only hand in what waits on a phone)."""
    query = LoginSession.update(ended_at=utcnow()).where(
        (LoginSession.user == user) & LoginSession.ended_at.is_null())
    if keep_token:
        query = query.where(LoginSession.token_hash != _token_hash(keep_token))
    if hand_in_only:
        query = query.where(LoginSession.hand_in_only)
    query.execute()


def init_app(app):
    login_manager.init_app(app)
    login_manager.session_protection = None  # phones change networks all day
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.user_loader(load_session)
    csrf.init_app(app)
    app.jinja_env.globals["setup_purpose"] = setup_purpose
    with app.app_context():
        _dummy_hash(_hasher())  # made now, so that not even the first unknown login is faster
