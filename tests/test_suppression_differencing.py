"""Supervisors' figures: no hidden count can be worked out from the figures shown beside it —
outcomes beside the statuses of the referrals they belong to, a provider's declined beside its
sent and accepted, a share of people beside the number of people it is a share of, whether a
target was met beside a count hidden as "<5" or "*".
"""
import io
import re
from datetime import date, datetime

from flask_babel import force_locale
from openpyxl import load_workbook

from webapp.book import reports
from webapp.book.reports import area
from webapp.book.reports.area import HIDDEN, SMALL
from webapp.models import Activity, Attendance, Provider, Target, Visit

from .factories import login_as, make_case, make_club, make_user, make_visit, today
from .report_data import make_activity, make_attendance, make_referral

YEAR = 2025


def hidden_values(shown, total):
    """{index: the values each hidden count may have}, for counts that add up to `total`, as a
    reader who knows the rules reads them: "<5" is 1 to 4; "*" is at least 5 where a "<5" is
    still shown beside it (suppress_parts hid a count shown otherwise), else at least 1."""
    least_hidden = 5 if SMALL in shown else 1
    ranges = {i: range(1, 5) if v == SMALL else range(least_hidden, total + 1)
              for i, v in enumerate(shown) if v in (SMALL, HIDDEN)}
    left = total - sum(v for v in shown if v not in (SMALL, HIDDEN))
    found = {i: set() for i in ranges}

    def walk(indices, chosen, rest):
        if not indices:
            if rest == 0:
                for i, value in chosen.items():
                    found[i].add(value)
            return
        first, *others = indices
        for value in ranges[first]:
            if value <= rest:
                walk(others, {**chosen, first: value}, rest - value)

    walk(sorted(ranges), {}, left)
    return found


def test_referral_outcomes_cannot_be_worked_out_from_the_statuses_beside_them(app):
    """On the area page a club's referrals are shown by status and by outcome, each suppressed
    against the referrals' total (20). But the outcomes add up exactly to the completed and
    declined referrals, shown in the statuses: 6 completed and 0 declined beside outcomes "*"
    (at least 5) and "<5" (at least 1) give both away: 5 received the service, 1 partly."""
    club = make_club(city="Hạ Long", province="Quảng Ninh")
    member = make_user(club=club)
    case = make_case(club=club, created_by=member, consent=("follow", "refer"))
    plan = ([("referred", "")] * 7 + [("accepted", "")] * 7
            + [("completed", "service_received")] * 5 + [("completed", "partly_received")])
    for status, outcome in plan:
        make_referral(case, member, referred_on=date(YEAR, 5, 1), status=status,
                      outcome=outcome)
    [row] = reports.area_report([club], YEAR)["rows"]
    statuses = dict(zip(("referred", "accepted", "completed", "declined"),
                        [value for _label, value in row["statuses"]]))
    outcomes = [value for _label, value in row["outcomes"]]
    assert row["referrals"] == 20
    if not (isinstance(statuses["completed"], int) and isinstance(statuses["declined"], int)):
        return  # the statuses that the outcomes add up to are not shown exactly
    ended = statuses["completed"] + statuses["declined"]  # every outcome is of one of these
    assert all(len(values) > 1 for values in hidden_values(outcomes, ended).values()), (
        statuses, outcomes, hidden_values(outcomes, ended))


def test_a_providers_declined_referrals_cannot_be_worked_out_from_sent_and_accepted(app):
    """The supervisor's directory shows, per provider, the referrals sent, accepted (accepted or
    completed), completed and declined. Completed and declined are suppressed against sent only,
    so sent 6 and accepted 5 leave room for one declined at most, and a hidden count is never 0:
    the hidden declined count is 1."""
    club = make_club(city="Hạ Long", province="Quảng Ninh")
    supervisor = make_user(role="supervisor", area="Hạ Long")
    member = make_user(club=club)
    provider = Provider.create(area="Hạ Long", name="Trung tâm Công tác xã hội tỉnh",
                               service_kinds=["psychological"], created_by=supervisor)
    case = make_case(club=club, created_by=member, consent=("follow", "refer"))
    for status in ["completed"] * 5 + ["declined"]:
        make_referral(case, member, listed_provider=provider, status=status,
                      outcome="service_received" if status == "completed" else "no_capacity",
                      referred_on=today(-40), status_changed_on=today(-10))
    [row] = [r for r in reports.provider_figures(supervisor) if r["provider"].id == provider.id]
    shown = (row["sent"], row["accepted"], row["completed"], row["declined"])
    assert shown[3] in (SMALL, HIDDEN), shown

    def fits(value, count):
        if value == SMALL:
            return 1 <= count <= 4
        if value == HIDDEN:  # hidden, never a 0 (suppress_parts hides counts above 0 only)
            return count >= 1
        return count == value

    # Every split of the 6 referrals by status that the row could be showing.
    possible = set()
    for referred in range(7):
        for accepted_only in range(7 - referred):
            for completed in range(7 - referred - accepted_only):
                declined = 6 - referred - accepted_only - completed
                if (fits(row["accepted"], accepted_only + completed)
                        and fits(row["completed"], completed) and fits(row["declined"], declined)):
                    possible.add(declined)
    assert len(possible) > 1, (shown, possible)


def test_the_referred_share_never_gives_a_small_count_of_people_away(app):
    """The evaluation shows the referred share of the people reached; the area page shows the
    people reached exactly. For a period of one whole year, 20% of 10 people says that exactly
    2 people were referred: a count under 5 that no page shows (the referrals are "<5")."""
    club = make_club(city="Hạ Long", province="Quảng Ninh")
    supervisor = make_user(role="supervisor", area="Hạ Long")
    member = make_user(club=club)
    people = [make_case(club=club, created_by=member, consent=("follow", "refer"),
                        created_at=datetime(YEAR, 3, 1, 3)) for _ in range(10)]
    for person in people[:2]:
        make_referral(person, member, referred_on=date(YEAR, 6, 1))
    clubs = reports.area_clubs(supervisor)
    [area_row] = reports.area_report(clubs, YEAR)["rows"]
    assert area_row["cases"] == 10 and area_row["referrals"] == SMALL
    with app.test_request_context(), force_locale("vi"):
        chosen = reports.choose_period(clubs, date(2026, 12, 15), f"{YEAR}-01", f"{YEAR}-12")
        data = reports.pilot_evaluation(clubs, chosen, date(2026, 12, 15))
    share = data["rows"][0]["total"]["share"]
    if isinstance(share, int):
        referred = {k for k in range(area_row["cases"] + 1)
                    if round(100 * k / area_row["cases"]) == share}
        assert not (len(referred) == 1 and 1 <= min(referred) <= 4), (share, referred)


# --- "Target met" beside a hidden count ------------------------------------------------------
#
# A count's target is pro-rated to the period (the evaluation) or is the club's members times its
# number per member (the area page, the evaluation): it may be small. "Met" beside "<5" against
# 3.3 consultations (10 days of June at 120 a year) says the count is 4; beside a hidden "*" it
# says on which side of the target the hidden count lies. The brute force: every small count
# (and every split of a year's 12 between two months), read as a supervisor reads the pages; two
# such worlds that show the same counts everywhere must show the same marks as well.

# (active members, people mobilised per member a year): targets from 0 to 24 people a year.
MEMBERS = ((0, 2), (1, 2), (2, 2), (3, 1), (12, 2))
WORLDS = (
    # n consultations and n people mobilised in June 2025 and on 1 June 2026, n from 0 to 6.
    [(f"{n} in June 2025 and June 2026", {date(YEAR, 6, 9): n, date(YEAR + 1, 6, 1): n})
     for n in range(7)]
    # 2025's 12 split between March and June: June "<5" hides March as "*".
    + [(f"{12 - n} in March 2025, {n} in June", {date(YEAR, 3, 9): 12 - n, date(YEAR, 6, 9): n})
       for n in range(5)])
TODAYS = [date(YEAR + 1, 6, day) for day in (1, 10, 20, 30)]
# Whole years, single months, the current month, and June 2025 to June 2026: its total is "*"
# where both Junes are "<5", and what the area pages tell of it (2 to 8) says "not met".
PERIODS = (("2025-01", "2025-12"), ("2025-03", "2025-03"), ("2025-06", "2025-06"),
           ("2025-06", "2025-07"), ("2026-01", "2026-06"), ("2026-06", "2026-06"),
           ("2025-06", "2026-06"))


def target_clubs():
    """One club of Hạ Long for each of MEMBERS, with an inactive member who records the work,
    and one case; their targets for 2025 and 2026 (120 consultations a year)."""
    clubs = []
    for members, per_member in MEMBERS:
        club = make_club(city="Hạ Long", province="Quảng Ninh")
        for _ in range(members):
            make_user(club=club)
        recorder = make_user(club=club, is_active=False)
        case = make_case(club=club, created_by=recorder, consent=("follow", "refer"))
        for year in (YEAR, YEAR + 1):
            Target.create(club=club, year=year, consultations=120,
                          mobilised_per_member=per_member, referred_percent=50)
        clubs.append((club, recorder, case))
    return clubs


def record_world(clubs, world):
    """Each club's approved consultations and people mobilised: `world` {day: n of each}."""
    for club, recorder, case in clubs:
        Attendance.delete().where(Attendance.club == club).execute()
        Activity.delete().where(Activity.club == club).execute()
        Visit.delete().where(Visit.club == club).execute()
        for day, n in world.items():
            for _ in range(n):
                make_visit(case, created_by=recorder, date=day, review_status="approved")
                make_attendance(make_activity(club, recorder, day), case, recorder)


def read_pages(app, supervisor):
    """(everything the area page and the evaluation show but the marks, the marks): each as
    {where: value}, over both years' area pages and every period of PERIODS on every day of
    TODAYS."""
    shown, marks = {}, {}
    clubs = reports.area_clubs(supervisor)
    for year in (YEAR, YEAR + 1):
        report = reports.area_report(clubs, year)
        for i, row in enumerate(report["rows"]):
            for key, value in row.items():
                if key == "targets_met":
                    for name, met in value.items():
                        marks["area", year, i, name] = met
                elif key != "club":
                    shown["area", year, i, key] = repr(value)
        for name in ("consultations", "mobilised"):  # "n clubs met it", as the page counts
            marks["area", year, "clubs met", name] = sum(
                1 for row in report["rows"] if row["targets_met"][name])
        shown["area", year, "total"] = repr(report["total"])
    for today in TODAYS:
        for start, end in PERIODS:
            if end.startswith(str(YEAR)) and today != TODAYS[-1]:
                continue  # a period over by then reads the same whatever the day
            with app.test_request_context(), force_locale("vi"):
                chosen = reports.choose_period(clubs, today, start, end)
                data = reports.pilot_evaluation(clubs, chosen, today)
            where = (start, end, today)
            for i, row in enumerate(data["rows"]):
                for line in row["months"] + [dict(row["total"], month="total")]:
                    for key, value in line.items():
                        at = (*where, i, str(line["month"]), key)
                        (marks if key.endswith("_met") else shown)[at] = repr(value)
            for key, value in data["total"].items():
                (marks if key == "met" else shown)[(*where, "area", key)] = repr(value)
    return shown, marks


def assert_marks_tell_nothing(readings):
    """readings: [(world, (shown, marks))]. Worlds that show the same everywhere but the marks
    must show the same marks: else a mark tells the reader which of them it is."""
    groups = {}
    for world, (shown, marks) in readings:
        groups.setdefault(tuple(sorted(shown.items(), key=repr)), []).append((world, marks))
    assert len(groups) < len(readings), "no two worlds read alike: nothing was tried"
    leaks = []
    for alike in groups.values():
        for where in alike[0][1]:
            told = {}
            for world, marks in alike:
                told.setdefault(marks[where], []).append(world)
            if len(told) > 1:
                leaks.append((where, told))
    assert not leaks, f"{len(leaks)} marks tell a hidden count: " + "; ".join(
        f"{where}: {told}" for where, told in leaks[:6])


def test_target_met_beside_a_hidden_count_tells_nothing_of_it(app):
    """Every world of WORLDS on the area pages of 2025 and 2026 and the evaluation of every
    period of PERIODS on the 1st, 10th, 20th and 30th of June 2026, for clubs of 0 to 12 members:
    whether a target was met never tells a "<5" or "*" count apart from the others it may be."""
    clubs = target_clubs()
    supervisor = make_user(role="supervisor", area="Hạ Long")
    readings = []
    for name, world in WORLDS:
        record_world(clubs, world)
        readings.append((name, read_pages(app, supervisor)))
    assert_marks_tell_nothing(readings)


def test_count_met_shows_a_mark_beside_a_hidden_count_only_where_it_tells_nothing():
    """Every target from 0 to 12 by tenths, every count from 0 to 40: beside "<5" the mark is
    the same for 1 to 4 or not shown, beside "*" the same for every count or not shown; beside
    a count shown exactly, as it is."""
    for tenths in range(121):
        target = tenths / 10
        beside = {}
        for count in range(41):
            shown = area.suppress(count)
            for as_shown in (shown, HIDDEN):
                mark = area.count_met(as_shown, target, count >= target)
                beside.setdefault(as_shown, set()).add(mark)
                if isinstance(as_shown, int):
                    assert mark == (count >= target), (target, count)
        for as_shown in (SMALL, HIDDEN):
            assert len(beside[as_shown]) == 1, (target, as_shown, beside[as_shown])
        # Shown wherever it cannot narrow the count: a target met by any count, or by none 1 to 4.
        assert beside[SMALL] == ({True} if target <= 1 else {False} if target > 4 else {None})
        assert beside[HIDDEN] == ({True} if target <= 0 else {None})


def test_the_pages_and_exports_show_no_target_met_beside_a_small_count(app, client):
    """Two members at 2 people each: a target of 4 people mobilised in 2025. 4 people mobilised
    are shown as "<5", and "met" beside it said it was 4 — on the area page and its export, on
    the evaluation of 2025 (the page, printed from the same page, and the XLSX)."""
    club = make_club(city="Hạ Long", province="Quảng Ninh")
    members = [make_user(club=club) for _ in range(2)]
    supervisor = make_user(role="supervisor", area="Hạ Long")
    for n in range(4):
        case = make_case(club=club, created_by=members[0])
        make_attendance(make_activity(club, members[0], date(YEAR, 6, 1 + n)), case, members[0])
    [row] = reports.area_report([club], YEAR)["rows"]
    assert row["mobilised"] == SMALL
    assert row["targets_met"]["mobilised"] is None, row["targets_met"]
    assert row["targets_met"]["consultations"] is False  # 0 of 120: shown as it is

    login_as(client, supervisor)
    html = client.get(f"/area/?year={YEAR}").get_data(as_text=True)
    cells = dict(re.findall(r'data-figure="([^"]+)">([^<]*)<', html))
    assert cells["met-mobilised-1"] == "Không hiển thị", cells
    assert cells["met-mobilised-area"] == "0 CLB đạt", cells
    assert cells["met-consultations-1"] == "Chưa đạt", cells
    exported = client.post(f"/area/export?year={YEAR}", data={"file_format": "csv"}).get_data(
        as_text=True)
    [line] = [line for line in exported.splitlines() if "Đạt chỉ tiêu vận động" in line]
    assert line.rstrip().rsplit(",", 1)[1] == "Không hiển thị", line

    period = {"start": f"{YEAR}-01", "end": f"{YEAR}-12"}
    html = client.get("/area/evaluation/", query_string=period).get_data(as_text=True)
    cells = dict(re.findall(r'data-figure="([^"]+)">([^<]*)<', html))
    assert cells["mobilised-1"] == "&lt;5", cells
    assert cells["mobilised_met-1"] == "—", cells
    assert cells["mobilised_met-area"] == "0 CLB đạt", cells
    sheet = load_workbook(io.BytesIO(client.post("/area/evaluation/export", data=period)
                                     .get_data())).active
    [line] = [r for r in sheet.iter_rows(values_only=True) if r[0] == "Đạt chỉ tiêu vận động"]
    assert line[1:3] == ("—", "0 CLB đạt"), line


def test_the_monthly_meeting_shows_the_chair_the_clubs_own_counts_and_targets(app, client):
    """The chair sees the club's real counts beside its targets: 4 people mobilised of a target
    of 4 (two members at 2 each) is 4 and met, not "<5" and not hidden (the rule is the
    supervisors' only)."""
    club = make_club(city="Hạ Long", province="Quảng Ninh")
    chair = make_user(club=club, role="chair")
    member = make_user(club=club)
    for n in range(4):
        case = make_case(club=club, created_by=member)
        make_attendance(make_activity(club, member, date(YEAR, 6, 1 + n)), case, member)
    with app.test_request_context():
        data = reports.monthly(club, YEAR, 6, today=date(YEAR, 7, 1))
    assert data["figures"]["mobilised"] == 4 and data["year_to_date"]["mobilised"] == 4
    assert data["progress"]["mobilised"]["target"] == 4
    assert data["progress"]["mobilised"]["met"] is True
    login_as(client, chair)
    html = client.get(f"/desk/monthly/{YEAR}/6").get_data(as_text=True)
    cells = dict(re.findall(r'data-figure="([^"]+)">([^<]*)<', html))
    assert cells["month-mobilised"] == "4" and cells["ytd-mobilised"] == "4", cells
