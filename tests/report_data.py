"""A seeded year of one club's work (and noise around it), kept as plain Python records.

The report tests count these records themselves, in plain loops, and compare with what the
pages show: the figures are recomputed independently of webapp.reports' SQL.
"""
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from webapp.clock import local_today
from webapp.models import (
    Activity, Appointment, Attendance, Case, CaseCategory, Referral, Visit, VisitMember,
)

from .factories import make_case, make_user, make_visit

KINDS = ["home_visit", "consultation", "phone_call", "group_session"]
STATUSES = ["referred", "accepted", "completed", "declined"]
SERVICES = ["medical_care", "legal_aid", "vocational_training", "psychological"]
OUTCOMES = ["", "service_received", "partly_received", "refused_by_person"]
CATEGORIES = ["victim", "returnee", "at_risk", "labour_migrant", "relative", "being_identified"]
REVIEW = ["approved"] * 6 + ["submitted", "returned"]


@dataclass
class Seeded:
    club: object
    chair: object
    members: list
    cases: list = field(default_factory=list)       # (case, categories)
    visits: list = field(default_factory=list)      # (visit, present user ids)
    referrals: list = field(default_factory=list)
    attendances: list = field(default_factory=list)  # (attendance, activity)
    appointments: list = field(default_factory=list)


def make_activity(club, created_by, day, **overrides):
    fields = dict(club=club, created_by=created_by, kind="awareness", date=day,
                  title="Truyền thông khu phố", review_status="approved")
    fields.update(overrides)
    return Activity.create(**fields)


def make_attendance(activity, case, brought_by, **overrides):
    fields = dict(club=activity.club, activity=activity, case=case, brought_by=brought_by,
                  created_by=brought_by or activity.created_by, review_status="approved")
    fields.update(overrides)
    return Attendance.create(**fields)


def make_referral(case, created_by, **overrides):
    fields = dict(club=case.club, case=case, created_by=created_by, service_kind="medical_care",
                  provider="Trung tâm Y tế", referred_on=date(2025, 5, 1), reason="",
                  status="referred", review_status="approved")
    fields.update(overrides)
    return Referral.create(**fields)


def make_appointment(case, member, due_date, **overrides):
    fields = dict(club=case.club, case=case, member=member, due_date=due_date,
                  created_by=member, status="open")
    fields.update(overrides)
    return Appointment.create(**fields)


def _day(rng, year):
    return date(year, 1, 1) + timedelta(days=rng.randrange(365))


def seed_year(year=2025, seed=7, club=None, n_cases=30):
    """A club with a chair, four members (one inactive), cases, visits, referrals, attendance."""
    rng = random.Random(seed)
    chair = make_user(role="chair", club=club)
    club = chair.club
    members = [chair] + [make_user(club=club) for _ in range(3)]
    inactive = make_user(club=club, is_active=False)
    members.append(inactive)
    data = Seeded(club=club, chair=chair, members=members)
    for n in range(n_cases):
        author = rng.choice(members)
        categories = rng.sample(CATEGORIES, rng.randint(1, 2))
        registered = datetime(rng.choice([year - 1, year, year]), rng.randint(1, 12),
                              rng.randint(1, 28), rng.randint(0, 23))
        case = make_case(club=club, created_by=author, categories=categories,
                         review_status=rng.choice(["approved"] * 5 + ["submitted"]),
                         status=rng.choice(["active", "active", "follow_up", "closed",
                                            "closed_referred"]),
                         created_at=registered, full_name=f"Nguyễn Thị Mật{n}",
                         phone=f"09{n:08d}", address=f"Số {n} đường Bí Mật")
        data.cases.append((case, categories))
    for _ in range(90):
        case, _cats = rng.choice(data.cases)
        author = rng.choice(members)
        day = _day(rng, rng.choice([year - 1, year, year, year, year + 1]))
        visit = make_visit(case, created_by=author, date=day, kind=rng.choice(KINDS),
                           review_status=rng.choice(REVIEW), notes="Ghi chú riêng tư XYZ")
        present = set()
        for other in rng.sample(members, rng.randint(0, 2)):
            if other.id != author.id:
                VisitMember.create(visit=visit, user=other)
                present.add(other.id)
        data.visits.append((visit, present))
    for _ in range(25):
        case, _cats = rng.choice(data.cases)
        author = rng.choice(members)
        data.referrals.append(make_referral(
            case, author, referred_on=_day(rng, rng.choice([year - 1, year, year])),
            status=rng.choice(STATUSES), service_kind=rng.choice(SERVICES),
            outcome=rng.choice(OUTCOMES),
            review_status=rng.choice(REVIEW)))
    for _ in range(6):
        activity = make_activity(club, chair, _day(rng, rng.choice([year - 1, year, year])))
        for case, _cats in rng.sample(data.cases, 6):
            brought_by = rng.choice(members + [None])
            attendance = make_attendance(activity, case, brought_by,
                                         review_status=rng.choice(REVIEW))
            data.attendances.append((attendance, activity))
    today = local_today()
    for offset in (-40, -3, 5):
        case, _cats = rng.choice(data.cases)
        data.appointments.append(make_appointment(case, rng.choice(members),
                                                  today + timedelta(days=offset)))
    data.appointments.append(make_appointment(data.cases[0][0], members[1],
                                              today - timedelta(days=9), status="done"))
    return data


def refresh(model_rows):
    """Re-read rows as the database stores them (dates come back as dates)."""
    return [type(row).get_by_id(row.id) for row in model_rows]


__all__ = ["Seeded", "seed_year", "make_activity", "make_attendance", "make_referral",
           "make_appointment", "Case", "CaseCategory", "refresh"]
