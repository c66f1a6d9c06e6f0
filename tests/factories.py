"""Flat factories with sensible defaults, and a login helper (STYLE.md: CTFd's tests/helpers.py)."""
import itertools
import secrets
from datetime import date

from webapp import accounts, cases
from webapp.models import Case, CaseCategory, Club, Consent, User, Visit

PASSWORD = "correct-horse-9"
_seq = itertools.count(1)


def make_club(name=None, code_prefix=None, **overrides):
    n = next(_seq)
    prefix = code_prefix or "".join(chr(65 + int(d)) for d in f"{n:02d}")
    return Club.create(name=name or f"CLB Test {n}", code_prefix=prefix,
                       **{"ward": f"Phường {n}", "city": "Hạ Long", "province": "Quảng Ninh",
                          **overrides})


def make_user(club=None, role="member", password=PASSWORD, **overrides):
    n = next(_seq)
    if club is None and role in ("member", "chair"):
        club = make_club()
    fields = dict(login=f"user{n}", full_name=f"Người dùng {n}", role=role, club=club,
                  password_hash=accounts.hash_password(password), must_change_password=False,
                  area="Hạ Long" if role == "supervisor" else "",
                  device_key=secrets.token_bytes(32))
    fields.update(overrides)
    return User.create(**fields)


def make_case(club=None, created_by=None, categories=("at_risk",), consent=("follow",), **overrides):
    if created_by is None:
        created_by = make_user(club=club)
    club = club or created_by.club
    fields = dict(club=club, code=cases.next_code(club, date.today().year), created_by=created_by,
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
                  date=date.today(), kind="home_visit", topics=["safe_migration"], notes="",
                  review_status="submitted")
    fields.update(overrides)
    return Visit.create(**fields)


def login_as(client, user, password=PASSWORD):
    """Log `user` in through the real login form; returns the response."""
    return client.post("/login", data={"login": user.login, "password": password})
