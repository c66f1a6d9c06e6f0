"""Flat factories with sensible defaults, and a login helper (STYLE.md: CTFd's tests/helpers.py)."""
import itertools
import secrets
from datetime import timedelta
from types import SimpleNamespace

from flask import current_app

from webapp import accounts, clock
from webapp.book import cases
from webapp.book.sync import EARLIEST_MADE
from webapp.models import (
    ALL_MODELS,
    Activity,
    Appointment,
    Attendance,
    Case,
    CaseCategory,
    Club,
    Consent,
    EntryRevision,
    Provider,
    Referral,
    Review,
    Screening,
    SurveyRound,
    User,
    Visit,
)

PASSWORD = "correct-horse-9"


def today(days=0):
    """The clubs' date (Asia/Ho_Chi_Minh) `days` from today, read when the test runs.

    Never keep it in a module constant or a parametrize table: those are read once at collection,
    and a suite that runs across the clubs' midnight (17:00 UTC) would test with yesterday.
    """
    return clock.local_today() + timedelta(days=days)


def in_days(days):
    """A date for a parametrize table: `dated` turns it into today(days) when the test runs."""
    return lambda: today(days).isoformat()


def dated(values):
    """`values` with each `in_days(n)` read now."""
    return {key: value() if callable(value) else value for key, value in values.items()}
_seq = itertools.count(1)


def make_club(name=None, code_prefix=None, **overrides):
    n = next(_seq)
    prefix = code_prefix or "".join(chr(65 + int(d)) for d in f"{n:02d}")
    return Club.create(name=name or f"CLB Test {n}", code_prefix=prefix,
                       **{"ward": f"Phường {n}", "city": "Hạ Long", "province": "Quảng Ninh",
                          **overrides})


def password_hash(password):
    """A hash of `password` at the app's current cost, made once per test run (hashing is slow)."""
    cfg = current_app.config
    key = (password, cfg["PASSWORD_HASH_TIME_COST"], cfg["PASSWORD_HASH_MEMORY_KIB"])
    if key not in _hashes:
        _hashes[key] = accounts.hash_password(password)
    return _hashes[key]


_hashes = {}


# When a board member the factory makes took their seat on the board: before any entry may say it
# was made, so that whatever a test has them record is a board member's. `board_since` says
# another moment.
BOARD_SINCE = EARLIEST_MADE


def make_user(club=None, role="member", password=PASSWORD, board_since=BOARD_SINCE, **overrides):
    """A user; a board member sits on their club's board (a term, as accounts.create_user begins
    one) since `board_since`."""
    n = next(_seq)
    if club is None and role in ("member", "chair"):
        club = make_club()
    fields = dict(login=f"user{n}", full_name=f"Người dùng {n}", role=role, club=club,
                  password_hash=password_hash(password), must_change_password=False,
                  area="Hạ Long" if role == "supervisor" else "",
                  device_key=secrets.token_bytes(32))
    fields.update(overrides)
    user = User.create(**fields)
    if user.role == "chair" and user.club_id is not None:
        accounts.begin_term(user, board_since)
    return user


def make_case(club=None, created_by=None, categories=("at_risk",), consent=("follow",), **overrides):
    if created_by is None:
        created_by = make_user(club=club)
    club = club or created_by.club
    fields = dict(club=club, code=cases.next_code(club, today().year), created_by=created_by,
                  assigned_to=created_by, full_name=f"Đối tượng {next(_seq)}", sex="female",
                  birth_year=1995, review_status="approved")
    fields.update(overrides)
    case = Case.create(**fields)
    for category in categories:
        CaseCategory.create(case=case, category=category)
    for purpose in consent:
        Consent.create(case=case, purpose=purpose, recorded_by=created_by)
    return case


def make_visit(case, created_by=None, **overrides):
    fields = dict(club=case.club, case=case, created_by=created_by or case.created_by,
                  date=today(), kind="home_visit", topics=["safe_migration"], notes="",
                  review_status="submitted")
    fields.update(overrides)
    return Visit.create(**fields)


def make_returned_visit(case, member, chair, reason="Ghi rõ hơn", notes="Ngắn quá"):
    """A visit `member` sent on `case` and `chair` returned with `reason`: its first revision as
    the phone sent it, and the decision. Returns (the visit, that revision's data)."""
    first = {"case_uuid": case.uuid, "date": today().isoformat(), "kind": "home_visit",
             "topics": ["safe_migration"], "notes": notes}
    visit = make_visit(case, created_by=member, notes=notes, review_status="returned")
    EntryRevision.create(entry_type="visit", uuid=visit.uuid, revision=1, submitted_by=member,
                         data=first)
    Review.create(club=case.club, entry_type="visit", entry_uuid=visit.uuid, revision=1,
                  decision="returned", reason=reason, decided_by=chair)
    return visit, first


def login_as(client, user, password=PASSWORD):
    """Log `user` in through the real login form; returns the response."""
    return client.post("/login", data={"login": user.login, "password": password})


def session_for(client, user):
    """Give `client` a live session of `user` without the login form (fast, no throttling)."""
    token = accounts.start_session(user)
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
        session.permanent = True
    return client


def make_world(club=None):
    """One club with its board, a member and one record of every kind, for access tests.

    The member registered and is assigned the case, so that both the member and the chair may see
    every record. Access tests fill URL parameters from it: see `record_id`.
    """
    club = club or make_club()
    chair = make_user(club=club, role="chair")
    member = make_user(club=club, role="member")
    case = make_case(club=club, created_by=member)
    visit = make_visit(case)
    on = today()
    referral = Referral.create(club=club, case=case, created_by=member, service_kind="medical",
                               referred_on=on)
    activity = Activity.create(club=club, created_by=chair, kind="awareness", date=on,
                               title="Truyền thông phòng, chống mua bán người")
    attendance = Attendance.create(club=club, activity=activity, case=case, created_by=member,
                                   brought_by=member)
    appointment = Appointment.create(club=club, case=case, member=member, due_date=on,
                                     created_by=chair)
    review = Review.create(club=club, entry_type="visit", entry_uuid=visit.uuid, revision=1,
                           decision="approved", decided_by=chair)
    provider = Provider.create(club=club, name="Trạm y tế phường", service_kinds=["medical_care"],
                               created_by=chair)
    round_ = SurveyRound.create(club=club, name="Khảo sát", starts_on=on, ends_on=on,
                                areas=["Tổ 1"], created_by=chair)
    screening = Screening.create(club=club, round=round_, area="Tổ 1", screened_on=on,
                                 category="at_risk", suggested_level="low", risk_level="low",
                                 created_by=member)
    return SimpleNamespace(club=club, chair=chair, member=member, user=member, case=case,
                           visit=visit, referral=referral, activity=activity,
                           attendance=attendance, appointment=appointment, review=review,
                           provider=provider, round=round_, screening=screening)


def record_id(world, param):
    """The id of `world`'s record that a URL parameter such as `case_id` names, or None.

    `user_id`/`member_id` name the world's member; `<model>_id` any model with a `club` field
    (the world's club's first row of it), so routes added later are covered without changes here.
    """
    name = param[:-3] if param.endswith("_id") else param
    record = getattr(world, name, None)
    if record is not None and hasattr(record, "id"):
        return record.id
    for model in ALL_MODELS:
        if model._meta.table_name == name and "club" in model._meta.fields:
            row = model.select().where(model.club == world.club).order_by(model.id).first()
            if row is not None:
                return row.id
    return None
