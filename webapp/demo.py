"""Demo data: the five pilot clubs of Hạ Long with their boards, members and fictional cases."""
import random
from datetime import date, timedelta

from . import accounts
from .book import cases
from .db import database, utcnow
from .models import Case, CaseCategory, Consent, Review, Visit

PILOT_WARDS = [
    ("Hùng Thắng", "HT"), ("Cao Xanh", "CX"), ("Bạch Đằng", "BD"), ("Hồng Gai", "HG"),
    ("Tuần Châu", "TC"),
]
# Fictional people: any likeness to a real person is chance.
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô"]
MIDDLE = ["Thị", "Văn", "Minh", "Thu", "Ngọc", "Đức", "Hải", "Thanh"]
GIVEN = ["Lan", "Hoa", "Mai", "Hùng", "Nam", "Hương", "Tuấn", "Linh", "Dũng", "Trang", "Phương",
         "Quang"]
CATEGORIES = ["victim", "returnee", "at_risk", "labour_migrant", "relative", "being_identified"]


def _name(rng):
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def fill(password, seed=2026):
    """Create the demo clubs, accounts and cases; returns (login, role, club name) rows."""
    rng = random.Random(seed)
    logins = []
    today = date.today()
    with database.atomic():
        admin = accounts.create_user(login="admin", password=password, role="admin",
                                     full_name="Quản trị hệ thống", must_change_password=False)
        logins.append((admin.login, "admin", ""))
        supervisor = accounts.create_user(login="tinh", password=password, role="supervisor",
                                          full_name="Cán bộ theo dõi Hạ Long", area="Hạ Long",
                                          must_change_password=False)
        logins.append((supervisor.login, "supervisor", "Hạ Long"))
        for ward, prefix in PILOT_WARDS:
            club = accounts.create_club(name=f"CLB {ward}", code_prefix=prefix, ward=ward,
                                        city="Hạ Long", province="Quảng Ninh")
            chair = accounts.create_user(login=f"{prefix.lower()}.chunhiem", password=password,
                                         role="chair", club=club, full_name=_name(rng),
                                         must_change_password=False)
            logins.append((chair.login, "chair", club.name))
            members = []
            for n in range(1, 4):
                member = accounts.create_user(login=f"{prefix.lower()}.tv{n}", password=password,
                                              role="member", club=club, full_name=_name(rng),
                                              must_change_password=False)
                members.append(member)
                logins.append((member.login, "member", club.name))
            for _ in range(8):
                member = rng.choice(members)
                case = Case.create(
                    club=club, code=cases.next_code(club, today.year), full_name=_name(rng),
                    sex=rng.choice(["female", "male"]), birth_year=rng.randint(1970, 2008),
                    address=f"Tổ {rng.randint(1, 12)}", neighbourhood=f"Khu {rng.randint(1, 8)}",
                    risk_level=rng.choice(["low", "medium", "high"]), assigned_to=member,
                    created_by=member, review_status="approved",
                    met_how="Gặp trong buổi truyền thông tại khu phố",
                )
                for category in rng.sample(CATEGORIES, rng.randint(1, 2)):
                    CaseCategory.create(case=case, category=category)
                Consent.create(case=case, purpose="follow", given=True, recorded_by=member)
                for _ in range(rng.randint(0, 3)):
                    visit = Visit.create(
                        club=club, case=case, created_by=member, review_status="approved",
                        date=today - timedelta(days=rng.randint(1, 120)),
                        kind=rng.choice(["home_visit", "consultation", "phone_call"]),
                        topics=["safe_migration"], notes="Đã tư vấn về di cư an toàn.",
                    )
                    Review.create(club=club, entry_type="visit", entry_uuid=visit.uuid,
                                  revision=1, decision="approved", decided_by=chair,
                                  decided_at=utcnow())
    return logins
