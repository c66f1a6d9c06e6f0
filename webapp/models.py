"""The peewee models of the club's book (DESIGN.md §2) and of the accounts that use it."""
from flask_login import UserMixin
from peewee import (
    BlobField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from .db import BaseModel, JSONTextField, ListField, new_uuid, utcnow

FIELD_ROLES = ("member", "chair")  # the roles that record entries in the field


class Club(BaseModel):
    """One ward's club."""

    name = CharField(unique=True, max_length=120)
    ward = CharField(max_length=120, default="")
    city = CharField(max_length=120, default="")
    province = CharField(max_length=120, default="")
    # Prefix of the club-unique case codes, e.g. "TC" for TC-2026-014.
    code_prefix = CharField(max_length=8)
    is_active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)

    def __str__(self):
        return self.name


class User(UserMixin, BaseModel):
    """An account: a member or board member of one club, a supervisor of an area, or an admin."""

    session_token = None  # set when loaded from a live LoginSession
    session_id = None  # that LoginSession's id
    hand_in_only = False  # set when that session only hands in what waits on the phone

    login = CharField(unique=True, max_length=64)
    phone = CharField(unique=True, null=True, max_length=20)
    full_name = CharField(max_length=120, default="")
    password_hash = CharField(max_length=255)
    role = CharField(max_length=16)  # vocab.ROLES
    club = ForeignKeyField(Club, null=True, backref="users", on_delete="RESTRICT")
    # A supervisor's area: the city or province whose clubs they see.
    area = CharField(max_length=120, default="")
    is_active = BooleanField(default=True)
    # When it was last deactivated (None while active): entries made before may still name it.
    deactivated_at = DateTimeField(null=True)
    must_change_password = BooleanField(default=False)
    locale = CharField(max_length=8, null=True)
    # Key that encrypts this user's data on the phone, handed over at login.
    device_key = BlobField(null=True)
    reminder_hour = IntegerField(default=7)
    created_at = DateTimeField(default=utcnow)
    last_login_at = DateTimeField(null=True)
    # What the phone said at its last sync: how many entries still wait on it (a count only).
    last_sync_at = DateTimeField(null=True)
    waiting_count = IntegerField(null=True)
    # A deactivated account's one hand-in session left nothing waiting: no more logins.
    handed_in_at = DateTimeField(null=True)

    @property
    def is_authenticated(self):
        # Flask-Login's own says "is active": a deactivated member's hand-in session is logged in.
        return self.is_active or self.hand_in_only

    def get_id(self):
        # The session token, not the user id: ending the session row ends the login.
        return self.session_token

    @property
    def is_board(self):
        return self.role == "chair"

    @classmethod
    def active_members(cls, club):
        """The active members and board members of `club` (a Club or its id): who records entries."""
        return cls.select().where((cls.club == club) & cls.role.in_(FIELD_ROLES) & cls.is_active)

    @classmethod
    def active_member(cls, club, user_id):
        """That active member or board member of `club`, or None."""
        if user_id is None:
            return None
        return cls.active_members(club).where(cls.id == user_id).first()

    @classmethod
    def member_of_record(cls, club, user_id):
        """That member or board member of `club`, active or not: one named in an entry already
        made (present at a visit, who brought someone) may have left the club since. Whether an
        entry may name them is `active_at`."""
        if user_id is None:
            return None
        return cls.get_or_none((cls.id == user_id) & (cls.club == club)
                               & cls.role.in_(FIELD_ROLES))

    def active_at(self, at):
        """True if an entry made at `at` (naive UTC; None: now) may name this account as one of
        the club's (present at a visit, who brought someone): it is active, or was deactivated
        after the entry was made — a fix of that entry keeps them, as it was made then. Nobody
        is newly named in an entry made after they left. A deactivation of unknown time names
        no moment to refuse by: the entry keeps them."""
        if self.is_active:
            return True
        return self.deactivated_at is None or (at is not None and at < self.deactivated_at)

    def __str__(self):
        return self.full_name or self.login


class LoginSession(BaseModel):
    """A server-side session: the cookie only names it, so logout and deactivation end it for good."""

    token_hash = CharField(unique=True, max_length=64)
    user = ForeignKeyField(User, backref="sessions", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    last_seen_at = DateTimeField(default=utcnow)
    ended_at = DateTimeField(null=True)
    # A deactivated member's login: it may only send what waits on the phone (accounts.py).
    hand_in_only = BooleanField(default=False)


class LoginAttempt(BaseModel):
    """A failed login (or one being checked), keyed by a keyed hash of the login name, the address
    or the browser's device cookie (no personal data)."""

    key = CharField(max_length=64, index=True)
    # For an address's rows: the keyed hash of the login tried, to count accounts, not failures.
    subject = CharField(max_length=64, default="")
    at = DateTimeField(default=utcnow, index=True)


class SetupCode(BaseModel):
    """A one-time code with which an account's holder sets their own password (a new account, a
    reset, a role of chair that takes effect with it). Only a hash of the code is kept."""

    user = ForeignKeyField(User, backref="setup_codes", on_delete="CASCADE")
    code_hash = CharField(unique=True, max_length=64)
    purpose = CharField(max_length=16)  # accounts.SETUP_PURPOSES
    role = CharField(max_length=16, null=True)  # the role the account takes when the code is used
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)


class AccountEvent(BaseModel):
    """Something done to a club's account from outside it (a setup code issued): the club's board
    sees it until one of them acknowledges it, and the account's holder is told at next login."""

    club = ForeignKeyField(Club, backref="account_events", on_delete="CASCADE")
    user = ForeignKeyField(User, on_delete="CASCADE")
    purpose = CharField(max_length=16)
    role = CharField(max_length=16, null=True)
    by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    by_role = CharField(max_length=16, default="")
    at = DateTimeField(default=utcnow)
    acknowledged_at = DateTimeField(null=True)
    acknowledged_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    holder_told_at = DateTimeField(null=True)


class EntryModel(BaseModel):
    """Fields every entry of the sync contract carries: the phone's uuid, revision and review state."""

    uuid = CharField(unique=True, max_length=36, default=new_uuid)
    revision = IntegerField(default=1)
    review_status = CharField(max_length=16, default="submitted", index=True)  # vocab.REVIEW_STATUSES
    created_by = ForeignKeyField(User, on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    client_created_at = DateTimeField(null=True)
    # An edit of an approved entry (review.py): its revision waits in EntryRevision, reviewed again,
    # while this row keeps the approved version. Status: submitted or returned; None when none.
    amendment_revision = IntegerField(null=True)
    amendment_status = CharField(max_length=16, null=True)


class Case(EntryModel):
    """One person the club follows (hồ sơ đối tượng đích)."""

    club = ForeignKeyField(Club, backref="cases", on_delete="RESTRICT")
    code = CharField(max_length=24, null=True)  # assigned on the server, unique in the club
    full_name = CharField(max_length=120, default="")
    sex = CharField(max_length=8, default="")
    birth_year = IntegerField(null=True)
    address = CharField(max_length=200, default="")
    neighbourhood = CharField(max_length=120, default="")
    phone = CharField(max_length=20, default="")
    risk_level = CharField(max_length=8, default="low")
    met_how = TextField(default="")
    status = CharField(max_length=16, default="active")
    closed_reason = TextField(default="")
    assigned_to = ForeignKeyField(User, null=True, backref="assigned_cases", on_delete="SET NULL")
    erased_at = DateTimeField(null=True)
    # The screening of the ward's survey the person was met in, when registered from one (a uuid:
    # the screening may reach the server after the case, or never). One case per screening in a
    # club: two phones registering it at once meet the unique index (cases.create).
    screening_uuid = CharField(max_length=36, null=True)

    class Meta:
        indexes = ((("club", "code"), True), (("screening_uuid", "club"), True))


class CaseHolder(BaseModel):
    """Who held a case (was assigned it), from when to when: what they recorded meanwhile is theirs
    to hand in, even after the case passed to someone else."""

    case = ForeignKeyField(Case, backref="holders", on_delete="CASCADE")
    member = ForeignKeyField(User, backref="held_cases", on_delete="CASCADE")
    since = DateTimeField(default=utcnow)
    until = DateTimeField(null=True)


class BoardTerm(BaseModel):
    """A member's time on their club's board (the role of chair), from when to when: what they
    recorded meanwhile on any of the club's cases is theirs to hand in after they step down."""

    user = ForeignKeyField(User, backref="board_terms", on_delete="CASCADE")
    club = ForeignKeyField(Club, backref="board_terms", on_delete="CASCADE")
    since = DateTimeField(default=utcnow)
    until = DateTimeField(null=True)


class CaseCategory(BaseModel):
    case = ForeignKeyField(Case, backref="category_rows", on_delete="CASCADE")
    category = CharField(max_length=24)  # vocab.CASE_CATEGORIES

    class Meta:
        indexes = ((("case", "category"), True),)


class Consent(BaseModel):
    """Consent for one purpose, given or refused, recorded by whom and when; withdrawable."""

    case = ForeignKeyField(Case, backref="consents", on_delete="CASCADE")
    purpose = CharField(max_length=16)  # vocab.CONSENT_PURPOSES
    given = BooleanField(default=True)
    recorded_at = DateTimeField(default=utcnow)
    recorded_by = ForeignKeyField(User, on_delete="RESTRICT")
    withdrawn_at = DateTimeField(null=True)
    withdrawn_by = ForeignKeyField(User, null=True, on_delete="RESTRICT")


class Visit(EntryModel):
    """A home visit, consultation, phone call or group session with one case."""

    club = ForeignKeyField(Club, backref="visits", on_delete="RESTRICT")
    case = ForeignKeyField(Case, backref="visits", on_delete="CASCADE")
    date = DateField()
    kind = CharField(max_length=24)
    topics = ListField(default=list)
    notes = TextField(default="")
    needs = ListField(default=list)  # service kinds
    follow_up_date = DateField(null=True)


class VisitMember(BaseModel):
    """A member present at a visit."""

    visit = ForeignKeyField(Visit, backref="member_rows", on_delete="CASCADE")
    user = ForeignKeyField(User, on_delete="RESTRICT")

    class Meta:
        indexes = ((("visit", "user"), True),)


class Provider(BaseModel):
    """A service provider (nơi tiếp nhận) of a directory: the area's (kept by its supervisor,
    `area` set, no club) or one club's (kept by its board, `club` set)."""

    uuid = CharField(unique=True, max_length=36, default=new_uuid)
    club = ForeignKeyField(Club, null=True, backref="providers", on_delete="CASCADE")
    area = CharField(max_length=120, default="", index=True)
    name = CharField(max_length=200)
    service_kinds = ListField(default=list)  # vocab.SERVICE_KINDS
    address = CharField(max_length=200, default="")
    phone = CharField(max_length=40, default="")
    hours = CharField(max_length=200, default="")
    notes = TextField(default="")
    is_active = BooleanField(default=True)
    created_by = ForeignKeyField(User, on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)


class Referral(EntryModel):
    """A case sent to a service provider."""

    club = ForeignKeyField(Club, backref="referrals", on_delete="RESTRICT")
    case = ForeignKeyField(Case, backref="referrals", on_delete="CASCADE")
    service_kind = CharField(max_length=32)
    provider = CharField(max_length=200, default="")
    # The directory's provider it was sent to, when one was picked; `provider` keeps its name.
    listed_provider = ForeignKeyField(Provider, null=True, backref="referrals", on_delete="SET NULL")
    referred_on = DateField()
    reason = TextField(default="")
    status = CharField(max_length=16, default="referred")  # referred, accepted, completed, declined
    outcome = TextField(default="")  # vocab.REFERRAL_OUTCOMES
    outcome_note = TextField(default="")
    status_changed_on = DateField(null=True)


class Activity(EntryModel):
    """An awareness event, training or workshop."""

    # The chair's own record unless a member proposed it from the field (an entry: review.py
    # makes it submitted when it comes in).
    review_status = CharField(max_length=16, default="approved", index=True)
    club = ForeignKeyField(Club, backref="activities", on_delete="RESTRICT")
    kind = CharField(max_length=24)
    date = DateField()
    place = CharField(max_length=200, default="")
    title = CharField(max_length=200)
    attendee_count = IntegerField(default=0)


class SameActivity(BaseModel):
    """A member's proposal refused as an activity the club's book already had (activities.py):
    its uuid, made on the phone, stands for that activity from then on, so attendance recorded at
    the proposal and sent later goes to the club's activity (the proposal itself is not kept)."""

    uuid = CharField(unique=True, max_length=36)
    activity = ForeignKeyField(Activity, backref="proposed_as", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)


class Attendance(EntryModel):
    """A case who came to an activity, and the member who brought them (vận động)."""

    club = ForeignKeyField(Club, backref="attendances", on_delete="RESTRICT")
    activity = ForeignKeyField(Activity, backref="attendances", on_delete="CASCADE")
    case = ForeignKeyField(Case, backref="attendances", on_delete="CASCADE")
    brought_by = ForeignKeyField(User, null=True, on_delete="SET NULL")

    class Meta:
        indexes = ((("activity", "case"), True),)


class SurveyRound(BaseModel):
    """A survey round of the club's ward (đợt khảo sát): a period and the areas (tổ, khu phố) to
    cover, each assigned to a member (SurveyAssignment)."""

    uuid = CharField(unique=True, max_length=36, default=new_uuid)
    club = ForeignKeyField(Club, backref="survey_rounds", on_delete="CASCADE")
    name = CharField(max_length=200)
    starts_on = DateField()
    ends_on = DateField()
    areas = ListField(default=list)  # the areas' names, in the order the chair listed them
    closed_at = DateTimeField(null=True)
    created_by = ForeignKeyField(User, on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)


class SurveyAssignment(BaseModel):
    """An area of a round given to a member to cover."""

    round = ForeignKeyField(SurveyRound, backref="assignments", on_delete="CASCADE")
    area = CharField(max_length=120)
    member = ForeignKeyField(User, backref="survey_areas", on_delete="CASCADE")

    class Meta:
        indexes = ((("round", "area"), True),)


class Screening(EntryModel):
    """A short assessment of one person met in the ward's survey (sàng lọc): it names no one."""

    club = ForeignKeyField(Club, backref="screenings", on_delete="RESTRICT")
    round = ForeignKeyField(SurveyRound, backref="screenings", on_delete="RESTRICT")
    area = CharField(max_length=120)
    screened_on = DateField()
    category = CharField(max_length=24)  # vocab.CASE_CATEGORIES
    indicators = ListField(default=list)  # vocab.RISK_INDICATORS answered yes
    suggested_level = CharField(max_length=8)  # screenings.suggested_level of the indicators
    risk_level = CharField(max_length=8)  # what the member recorded
    counselled = BooleanField(default=False)
    topics = ListField(default=list)  # vocab.VISIT_TOPICS
    notes = TextField(default="")
    # The case the person was registered as, when they agreed to be followed.
    registered_case = ForeignKeyField(Case, null=True, backref="+", on_delete="SET NULL")


class Appointment(BaseModel):
    """A visit scheduled for a member (lịch hẹn)."""

    club = ForeignKeyField(Club, backref="appointments", on_delete="RESTRICT")
    case = ForeignKeyField(Case, backref="appointments", on_delete="CASCADE")
    member = ForeignKeyField(User, backref="appointments", on_delete="RESTRICT")
    due_date = DateField(index=True)
    note = TextField(default="")
    source = CharField(max_length=16, default="assigned")  # follow_up, assigned, monthly_review, referral
    source_visit = ForeignKeyField(Visit, null=True, on_delete="SET NULL")
    # A referral left without an outcome for REFERRAL_FOLLOW_UP_DAYS (source "referral"); one
    # appointment per referral (unique: migration 0013).
    source_referral = ForeignKeyField(Referral, null=True, unique=True, on_delete="CASCADE")
    status = CharField(max_length=16, default="open")  # vocab.APPOINTMENT_STATUSES
    done_visit = ForeignKeyField(Visit, null=True, on_delete="SET NULL")
    cancelled_reason = TextField(default="")
    rescheduled_reason = TextField(default="")
    rescheduled_at = DateTimeField(null=True)
    created_by = ForeignKeyField(User, on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)


class EntryRevision(BaseModel):
    """Each revision of an entry as the phone sent it: the basis of duplicates, conflicts and amendments."""

    entry_type = CharField(max_length=16)
    uuid = CharField(max_length=36)
    revision = IntegerField()
    data = JSONTextField()
    submitted_by = ForeignKeyField(User, on_delete="RESTRICT")
    submitted_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("uuid", "revision"), True),)


class SyncConflict(BaseModel):
    """An entry the server could not take without overwriting another: kept for a person to resolve."""

    entry_type = CharField(max_length=16)
    uuid = CharField(max_length=36, index=True)
    revision = IntegerField()
    base_revision = IntegerField(null=True)
    data = JSONTextField()
    user = ForeignKeyField(User, on_delete="CASCADE")
    club = ForeignKeyField(Club, null=True, on_delete="CASCADE")
    received_at = DateTimeField(default=utcnow)
    # The board's decision (book/conflicts.py): merged into a new revision, or dismissed.
    resolved_at = DateTimeField(null=True)
    resolved_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    resolution = CharField(max_length=16, null=True)  # merged, dismissed
    resolved_revision = IntegerField(null=True)  # the revision a merge made
    reason = TextField(default="")


class Review(BaseModel):
    """The chair's decision on one revision of an entry."""

    club = ForeignKeyField(Club, on_delete="RESTRICT")
    entry_type = CharField(max_length=16)
    entry_uuid = CharField(max_length=36, index=True)
    revision = IntegerField()
    decision = CharField(max_length=16)  # vocab.REVIEW_DECISIONS
    reason = TextField(default="")
    decided_by = ForeignKeyField(User, on_delete="RESTRICT")
    decided_at = DateTimeField(default=utcnow)


class Target(BaseModel):
    """The club's yearly targets (chỉ tiêu)."""

    club = ForeignKeyField(Club, backref="targets", on_delete="CASCADE")
    year = IntegerField()
    consultations = IntegerField(default=120)
    mobilised_per_member = IntegerField(default=2)
    referred_percent = IntegerField(default=50)

    class Meta:
        indexes = ((("club", "year"), True),)


class MonthlyReview(BaseModel):
    """The board's monthly meeting (sinh hoạt định kỳ): evaluation of the month."""

    club = ForeignKeyField(Club, on_delete="CASCADE")
    year = IntegerField()
    month = IntegerField()
    evaluation = TextField(default="")
    updated_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("club", "year", "month"), True),)


class PushSubscription(BaseModel):
    """A browser's push subscription, per user and device: sent to only while the session that
    registered it lasts (push.py)."""

    user = ForeignKeyField(User, backref="push_subscriptions", on_delete="CASCADE")
    login_session = ForeignKeyField(LoginSession, null=True, on_delete="SET NULL")
    endpoint = TextField(unique=True)
    p256dh = CharField(max_length=200)
    auth = CharField(max_length=64)
    device_label = CharField(max_length=120, default="")
    created_at = DateTimeField(default=utcnow)
    last_success_at = DateTimeField(null=True)


class PushDelivery(BaseModel):
    """One reminder that went out: its unique key makes each reminder go out once."""

    key = CharField(unique=True, max_length=120)
    user = ForeignKeyField(User, on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)


class WorkingSetCursor(BaseModel):
    """What one bootstrap answer left on a user's phone, as a keyed digest per record: the base
    the next answer is a delta of (book/working_set.py)."""

    user = ForeignKeyField(User, backref="working_set_cursors", on_delete="CASCADE")
    token = CharField(unique=True, max_length=32)
    digests = JSONTextField()
    created_at = DateTimeField(default=utcnow, index=True)


class AuditLog(BaseModel):
    """Who did what to which record; holds ids and codes, never names or notes."""

    at = DateTimeField(default=utcnow, index=True)
    user = ForeignKeyField(User, null=True, on_delete="SET NULL")
    club = ForeignKeyField(Club, null=True, on_delete="SET NULL")
    action = CharField(max_length=48)
    object_type = CharField(max_length=24, default="")
    object_id = IntegerField(null=True)
    details = JSONTextField(null=True)

    class Meta:
        # The lines about one record, newest first (audit.last_by): migration 0019.
        indexes = ((("object_type", "object_id", "id"), False),)


ALL_MODELS = [
    Club, User, LoginSession, LoginAttempt, SetupCode, AccountEvent, Case, CaseHolder, BoardTerm,
    CaseCategory, Consent, Visit, VisitMember, Provider,
    Referral, SurveyRound, SurveyAssignment, Screening, Activity, SameActivity, Attendance,
    Appointment, EntryRevision, SyncConflict, Review, Target,
    MonthlyReview, PushSubscription, PushDelivery, AuditLog, WorkingSetCursor,
]
