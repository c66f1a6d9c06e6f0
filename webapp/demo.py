"""Demo data: the five pilot clubs of Hạ Long with their boards, members and a year of fictional work.

Every entry goes through the book's own write path (sync.submit_entry, review, referrals,
activities, scheduling), as a member's phone and a chair's desk would make it, and then has its
dates moved back to when it happened — so that each page of each role shows a real story on first
start: cases registered across the year, visits and follow-ups before and after today, referrals
in each status (most naming a provider of the area's directory), activities with the people
members brought (one a member proposed, another proposal waiting), entries waiting for review and one
returned with a reason, appointments due and overdue. All names are made up.
"""
import random
from datetime import datetime, time, timedelta, timezone

from . import accounts
from .book import (
    activities, consent, entries, providers, referrals, review, scheduling, screenings, sync,
)
from .clock import LOCAL_TZ, local_today
from .db import database
from .models import Activity, Case, EntryRevision, Review

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
MET_HOW = ["Gặp trong buổi truyền thông tại khu phố", "Tổ trưởng dân phố giới thiệu",
           "Người nhà tìm đến câu lạc bộ", "Công an phường chuyển sang",
           "Gặp khi đi khảo sát hộ gia đình"]
NOTES = ["Đã tư vấn về di cư an toàn, đưa số đường dây nóng 111.",
         "Chị kể có người trên mạng mời sang nước ngoài làm việc lương cao; đã giải thích cách "
         "nhận biết lời mời lừa đảo.",
         "Gia đình đang khó khăn về kinh tế, cần hỗ trợ học nghề.",
         "Đã hướng dẫn làm lại giấy tờ tùy thân tại phường.",
         "Sức khỏe ổn hơn lần trước; hẹn tuần sau quay lại.",
         "Anh muốn đi làm việc ở nước ngoài theo hợp đồng; đã hướng dẫn tìm doanh nghiệp được cấp "
         "phép."]
PROVIDERS = {
    "legal_support": "Trung tâm Trợ giúp pháp lý tỉnh Quảng Ninh",
    "vocational_training": "Trường Cao đẳng nghề Hạ Long",
    "medical_care": "Trung tâm Y tế thành phố Hạ Long",
    "psychological": "Phòng tư vấn tâm lý, Hội Liên hiệp Phụ nữ tỉnh",
    "loans": "Ngân hàng Chính sách xã hội thành phố",
}
# The area's directory of providers (kept by the supervisor), with fictional contacts; a
# referral names one of them, the last kinds' providers are typed in.
DIRECTORY = [
    ("legal_support", ["legal_support", "legal_aid"], "Số 2 đường Nguyễn Văn Cừ, phường Hồng Hải",
     "0203 3825 111", "Thứ Hai đến thứ Sáu, 7:30–17:00"),
    ("vocational_training", ["vocational_training"], "Tổ 5, khu 3, phường Hà Khẩu",
     "0203 3846 222", "Thứ Hai đến thứ Bảy, 7:00–17:00"),
    ("medical_care", ["medical_care", "psychological"], "Số 651 đường Lê Thánh Tông, Bạch Đằng",
     "0203 3825 333", "Cả tuần, cấp cứu 24 giờ"),
]
CLUB_PROVIDER = ("Trạm y tế phường", ["medical_care", "essential_needs"], "Tổ 3, khu 5",
                 "0912 000 111", "7:00–11:00 và 13:30–17:00")
# Activities members proposed from the field: one waits for the chair, one was approved.
PROPOSALS = [("awareness", "Truyền thông về lời mời việc làm trên mạng cho thanh niên tổ 7", 6),
             ("forum", "Nói chuyện với các gia đình có người đi làm việc ở nước ngoài", -20)]
ACTIVITIES = [("awareness", "Truyền thông phòng, chống mua bán người tại nhà văn hóa khu"),
              ("training", "Tập huấn kỹ năng tư vấn cho thành viên câu lạc bộ"),
              ("forum", "Diễn đàn: đi làm việc ở nước ngoài an toàn, hợp pháp")]
RETURN_REASON = "Ghi rõ chị đã được tư vấn những nội dung gì và hẹn ngày thăm lại."


def _name(rng):
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def _utc(day, hour=9):
    """A naive UTC moment on a local day (the database keeps UTC)."""
    local = datetime.combine(day, time(hour), LOCAL_TZ)
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def _submit(user, entry_type, data, on):
    """Record one entry as the user's phone would; its trail is then dated `on`."""
    result = sync.submit_batch(user, [sync.new_entry(entry_type, data)])[0]
    if result["status"] != "created":
        raise RuntimeError(f"demo {entry_type} refused: {result['errors']}")
    row = entries.TYPES[entry_type].model.get_by_id(result["id"])
    EntryRevision.update(submitted_at=_utc(on)).where(EntryRevision.uuid == row.uuid).execute()
    return row


def _decide(row, chair, on, returned=None):
    """The chair approves (or returns) the entry a day or two after it came in."""
    if returned:
        review.return_entry(row, chair, returned)
    else:
        review.approve(row, chair)
    Review.update(decided_at=_utc(on, 20)).where(Review.entry_uuid == row.uuid).execute()
    return type(row).get_by_id(row.id)  # as decided (the decision wrote a fresh copy)


def _visit_data(rng, case, day, members, follow_up=None):
    return {"case_uuid": case.uuid, "date": day.isoformat(),
            "kind": rng.choice(["home_visit", "home_visit", "consultation", "phone_call"]),
            "topics": rng.sample(["safe_migration", "trafficking_tricks", "online_job_scams",
                                  "rights_support", "reporting", "civil_papers"],
                                 rng.randint(1, 3)),
            "notes": rng.choice(NOTES),
            "needs": rng.sample(sorted(PROVIDERS), rng.randint(0, 2)),
            "members_present": [m.id for m in members],
            "follow_up_date": follow_up.isoformat() if follow_up else None}


def _club_story(rng, club, chair, members, today, listed=None):
    """A year of one club's work, oldest first. `listed`: {service kind: provider} of the
    area's directory, which referrals name."""
    listed = dict(listed or {})
    own = providers.save(dict(zip(("name", "service_kinds", "address", "phone", "hours"),
                                  CLUB_PROVIDER), notes=""), chair)
    listed.setdefault("essential_needs", own)
    start = today - timedelta(days=300)
    days = sorted(rng.sample(range(0, 290), 11))
    made = []
    for n, offset in enumerate(days):
        member = members[n % len(members)]
        registered = start + timedelta(days=offset)
        refer = n % 3 != 2
        case = _submit(member, "case", {
            "full_name": _name(rng), "sex": rng.choice(["female", "female", "male"]),
            "birth_year": rng.randint(1972, 2008), "address": f"Tổ {rng.randint(1, 12)}",
            "neighbourhood": f"Khu {rng.randint(1, 8)}",
            "phone": f"09{rng.randint(10000000, 99999999)}",
            "categories": rng.sample(CATEGORIES, rng.randint(1, 2)),
            "risk_level": rng.choice(["low", "medium", "high"]), "met_how": rng.choice(MET_HOW),
            "consent": {"follow": True, "refer": refer, "share": n % 2 == 0},
            "assigned_to": member.id,
        }, registered)
        Case.update(created_at=_utc(registered), updated_at=_utc(registered)).where(
            Case.id == case.id).execute()
        if n == len(days) - 1:
            made.append((case, member, None))  # the newest case still waits for the chair
            continue
        _decide(case, chair, min(registered + timedelta(days=1), today))
        made.append((case, member, registered))

    for n, (case, member, registered) in enumerate(made):
        if registered is None:
            continue
        count = rng.randint(1, 4)
        span = (today - registered).days
        visit_days = sorted({registered + timedelta(days=rng.randint(0, max(span - 1, 0)))
                             for _ in range(count)})
        for i, day in enumerate(visit_days):
            last = i == len(visit_days) - 1
            follow_up = None
            if last:
                # Follow-ups of the last visit: some overdue, some due this week, some later.
                follow_up = max(day, today + timedelta(days=rng.choice([-9, -4, 0, 1, 3, 6, 12])))
            others = [m for m in members if m is not member and rng.random() < 0.3]
            visit = _submit(member, "visit", _visit_data(rng, case, day, others, follow_up), day)
            if last and n == 0:
                _decide(visit, chair, min(day + timedelta(days=1), today), returned=RETURN_REASON)
            elif last and n in (2, 4):
                pass  # waits for review
            else:
                _decide(visit, chair, min(day + timedelta(days=1), today))

    outcomes = [("referred", None), ("accepted", None), ("completed", "service_received"),
                ("declined", "no_response"), ("completed", "partly_received")]
    referred = [(c, m, r) for c, m, r in made
                if r is not None and consent.has_consent(c, "refer")][:len(outcomes)]
    for n, (case, member, registered) in enumerate(referred):
        kind = sorted(PROVIDERS)[n % len(PROVIDERS)]
        on = min(registered + timedelta(days=rng.randint(5, 40)), today)
        provider = listed.get(kind)
        referral = _submit(member, "referral", {
            "case_uuid": case.uuid, "service_kind": kind,
            "provider_uuid": provider.uuid if provider else None,
            "provider": provider.name if provider else PROVIDERS[kind],
            "referred_on": on.isoformat(), "reason": "Cần được hỗ trợ theo nhu cầu đã trao đổi.",
        }, on)
        referral = _decide(referral, chair, min(on + timedelta(days=1), today))
        status, outcome = outcomes[n % len(outcomes)]
        moved = min(on + timedelta(days=rng.randint(3, 20)), today)
        if status in ("accepted", "completed"):
            referrals.set_status(referral, "accepted", None, "", chair, on=moved)
        if status in ("completed", "declined"):
            referrals.set_status(referral, status, outcome,
                                 "Cơ sở đã phản hồi cho câu lạc bộ.", chair,
                                 on=min(moved + timedelta(days=7), today))

    approved = [(c, m) for c, m, r in made if r is not None]
    for n, (kind, title) in enumerate(ACTIVITIES):
        day = today - timedelta(days=200 - 80 * n)
        activity = activities.save_activity({"title": title, "kind": kind, "date": day,
                                             "place": "Nhà văn hóa khu phố",
                                             "attendee_count": 25 + 10 * n}, chair)
        for case, member in rng.sample(approved, min(3, len(approved))):
            attendance = _submit(member, "attendance", {
                "activity_uuid": activity.uuid, "case_uuid": case.uuid, "brought_by": member.id,
            }, day)
            _decide(attendance, chair, min(day + timedelta(days=1), today))

    for n, (kind, title, offset) in enumerate(PROPOSALS):
        day = today + timedelta(days=offset)
        member = members[(n + 1) % len(members)]
        proposed = _submit(member, "activity", {"title": title, "kind": kind,
                                                "date": day.isoformat(),
                                                "place": f"Nhà văn hóa tổ {7 + n}"},
                           min(day, today) - timedelta(days=3))
        Activity.update(created_at=_utc(min(day, today) - timedelta(days=3))).where(
            Activity.id == proposed.id).execute()
        if offset < 0:  # held: approved, with the people its member brought
            _decide(proposed, chair, day - timedelta(days=2))
            for case, holder in approved[:2]:
                attendance = _submit(holder, "attendance", {
                    "activity_uuid": proposed.uuid, "case_uuid": case.uuid,
                    "brought_by": holder.id}, day)
                _decide(attendance, chair, min(day + timedelta(days=1), today))

    # The chair gives a member a visit to make this week, with a note.
    case, member, _registered = made[0]
    scheduling.assign_visit(chair, case, member, today + timedelta(days=2),
                            note="Hỏi thăm tình hình việc làm.", today=today)


def _survey_story(rng, club, chair, members, today):
    """The club's ward survey under way: an open round, its areas given to members, screenings
    recorded on the phones, two people registered as cases from them."""
    areas = [f"Tổ {n}" for n in range(1, 5)] + ["Khu phố 2", "Khu phố 5"]
    round_ = screenings.save_round(club.id, chair, {
        "name": f"Khảo sát địa bàn quý {(today.month - 1) // 3 + 1}/{today.year}",
        "starts_on": today - timedelta(days=20), "ends_on": today + timedelta(days=40),
        "areas": areas}, None)
    screenings.assign_areas(round_, {area: members[n % len(members)].id
                                     for n, area in enumerate(areas)}, chair)
    answers = [["plans_abroad", "broker_contact"], ["plans_abroad"], [], ["debts"],
               ["earlier_trafficking", "papers_held"], ["relative_abroad", "debts"], [],
               ["plans_abroad", "debts", "broker_contact"]]
    categories = ["labour_migrant", "labour_migrant", "at_risk", "at_risk", "returnee",
                  "relative", "at_risk", "labour_migrant"]
    for n, indicators in enumerate(answers):
        member = members[n % len(members)]
        day = today - timedelta(days=rng.randint(0, 18))
        level = screenings.suggested_level(indicators)
        counselled = bool(indicators) or n % 2 == 0
        row = _submit(member, "screening", {
            "round_uuid": round_.uuid, "area": areas[n % len(areas)],
            "screened_on": day.isoformat(), "category": categories[n],
            "indicators": indicators, "risk_level": level, "counselled": counselled,
            "topics": ["safe_migration", "online_job_scams"][:1 + n % 2] if counselled else [],
            "notes": "Đã phát tờ rơi, hẹn gặp lại." if counselled else ""}, day)
        if level == "high" and n < 5:  # the person agreed to be followed
            case = _submit(member, "case", {
                "full_name": _name(rng), "sex": rng.choice(["female", "male"]),
                "categories": [categories[n]], "risk_level": level,
                "met_how": "Gặp trong đợt khảo sát địa bàn.",
                "consent": {"follow": True, "refer": True, "share": False},
                "assigned_to": member.id, "screening_uuid": row.uuid}, day)
            _decide(case, chair, today)
        if n < 6:
            _decide(row, chair, min(day + timedelta(days=1), today))


def fill(password, seed=2026):
    """Create the demo clubs, accounts and a year of their work; returns (login, role, club)."""
    rng = random.Random(seed)
    logins = []
    today = local_today()
    with database.atomic():
        admin = accounts.create_user(login="admin", password=password, role="admin",
                                     full_name="Quản trị hệ thống", must_change_password=False)
        logins.append((admin.login, "admin", ""))
        supervisor = accounts.create_user(login="tinh", password=password, role="supervisor",
                                          full_name="Cán bộ theo dõi Hạ Long", area="Hạ Long",
                                          must_change_password=False)
        logins.append((supervisor.login, "supervisor", "Hạ Long"))
        listed = {kind: providers.save({"name": PROVIDERS[kind], "service_kinds": kinds,
                                        "address": address, "phone": phone, "hours": hours,
                                        "notes": ""}, supervisor)
                  for kind, kinds, address, phone, hours in DIRECTORY}
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
            _club_story(rng, club, chair, members, today, listed)
            _survey_story(random.Random(seed + len(logins)), club, chair, members, today)
    return logins
