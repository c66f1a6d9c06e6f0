"""The chair's figures: every number on the dashboard and the monthly review, recounted here."""
import math
import re
from collections import Counter
from datetime import date, timedelta

import pytest

from webapp.book import reports
from webapp.clock import local_today
from webapp.models import Appointment, AuditLog, MonthlyReview, Target

from .factories import login_as, make_case, make_user, make_visit, today
from .report_data import make_activity, make_attendance, make_referral, seed_year

YEAR = 2025
FIGURE = re.compile(r'data-figure="([^"]+)">([^<]*)<')


def next_period():
    """Next month, as the monthly meeting plans it (read when the test runs)."""
    return reports.Period.month(*reports.next_month(today().year, today().month))


def meeting():
    return f"/desk/monthly/{today().year}/{today().month}"


def shown(html):
    """{figure key: value as text} of every figure marked on a page."""
    return dict(FIGURE.findall(html))


def local_day(utc_datetime):
    return (utc_datetime + timedelta(hours=7)).date()


def expected_figures(data, start, end, as_of=None):
    """Straight counting over the seeded records, for dates from `start` to `end`."""
    club = data.club
    members = data.members

    def inside(day):
        return start <= day <= end

    visits = [(v, present) for v, present in data.visits
              if v.review_status == "approved" and inside(v.date)]
    referrals = [r for r in data.referrals if r.review_status == "approved"
                 and inside(r.referred_on)]
    attended = [(a, act) for a, act in data.attendances
                if a.review_status == "approved" and inside(act.date)]
    mobilised = [(a, act) for a, act in attended if a.brought_by_id is not None]
    approved_cases = {c.id for c, _cats in data.cases if c.review_status == "approved"}
    period_cases = set()
    for case, _cats in data.cases:
        if case.id in approved_cases and inside(local_day(case.created_at)):
            period_cases.add(case.id)
    for v, _p in visits:
        period_cases.add(v.case_id)
    for r in referrals:
        period_cases.add(r.case_id)
    for a, _act in attended:
        period_cases.add(a.case_id)
    period_cases &= approved_cases
    referred_cases = {r.case_id for r in referrals} & approved_cases

    figures = {}
    active_members = sum(1 for m in members if m.is_active)
    target = Target.get_or_none((Target.club == club) & (Target.year == start.year))
    consultations_target = target.consultations if target else 120
    per_member = target.mobilised_per_member if target else 2
    percent_target = target.referred_percent if target else 50
    figures["consultations-done"] = len(visits)
    figures["consultations-target"] = consultations_target
    figures["mobilised-done"] = len(mobilised)
    figures["mobilised-target"] = per_member * active_members
    share = round(100 * len(referred_cases) / len(period_cases)) if period_cases else 0
    figures["referred-done"] = share
    figures["referred-target"] = percent_target
    figures["referred-cases"] = len(referred_cases)
    figures["period-cases"] = len(period_cases)
    for month in range(1, 13):
        figures[f"month-{month}-consultations"] = sum(1 for v, _p in visits if v.date.month == month)
        figures[f"month-{month}-mobilised"] = sum(1 for _a, act in mobilised
                                                  if act.date.month == month)
        figures[f"month-{month}-referrals"] = sum(1 for r in referrals
                                                  if r.referred_on.month == month)
    kinds = Counter(v.kind for v, _p in visits)
    for kind in ("home_visit", "consultation", "phone_call", "group_session"):
        figures[f"kind-{kind}"] = kinds[kind]
    for member in members:
        took_part = [v for v, present in visits
                     if v.created_by_id == member.id or member.id in present]
        figures[f"member-{member.id}-visits"] = len(took_part)
        figures[f"member-{member.id}-consultations"] = sum(
            1 for v, _p in visits if v.created_by_id == member.id)
        figures[f"member-{member.id}-mobilised"] = sum(
            1 for a, _act in mobilised if a.brought_by_id == member.id)
        figures[f"member-{member.id}-referrals"] = sum(
            1 for r in referrals if r.created_by_id == member.id)
    figures["referrals"] = len(referrals)
    statuses = Counter(r.status for r in referrals)
    for status in ("referred", "accepted", "completed", "declined"):
        figures[f"referral-status-{status}"] = statuses[status]
    outcomes = Counter(r.outcome for r in referrals)
    for outcome in reports.vocab.REFERRAL_OUTCOMES.codes:
        figures[f"referral-outcome-{outcome}"] = outcomes[outcome]
    services = Counter(r.service_kind for r in referrals)
    for service in reports.SERVICE_KINDS.codes:
        figures[f"service-{service}"] = services[service]
    categories, case_statuses = Counter(), Counter()
    for case, cats in data.cases:
        if case.review_status == "approved":
            categories.update(cats)
            case_statuses[case.status] += 1
    for category in reports.vocab.CASE_CATEGORIES.codes:
        figures[f"category-{category}"] = categories[category]
    for status in reports.vocab.CASE_STATUSES.codes:
        figures[f"status-{status}"] = case_statuses[status]
    today = as_of or local_today()
    figures["overdue"] = sum(1 for a in data.appointments
                             if a.status == "open" and a.due_date < today)
    return {key: str(value) for key, value in figures.items()}


def dashboard_figures(expected):
    """The dashboard also draws each member's consultations as a bar, with the number beside it."""
    pictured = {f"member-consultations-{key.split('-')[1]}": value for key, value in expected.items()
                if re.fullmatch(r"member-\d+-consultations", key)}
    return {**expected, **pictured}


@pytest.fixture
def seeded(app):
    return seed_year(YEAR)


def test_every_dashboard_figure_matches_a_straight_count(client, seeded):
    login_as(client, seeded.chair)
    page = client.get(f"/desk/dashboard?year={YEAR}")
    assert page.status_code == 200
    expected = dashboard_figures(expected_figures(seeded, date(YEAR, 1, 1), date(YEAR, 12, 31)))
    assert shown(page.get_data(as_text=True)) == expected


def test_dashboard_follows_the_targets_the_chair_set(client, seeded):
    reports.set_targets(seeded.club, YEAR, consultations=100, mobilised_per_member=3,
                        referred_percent=20, by=seeded.chair)
    login_as(client, seeded.chair)
    html = client.get(f"/desk/dashboard?year={YEAR}").get_data(as_text=True)
    figures = shown(html)
    assert figures == dashboard_figures(expected_figures(seeded, date(YEAR, 1, 1),
                                                         date(YEAR, 12, 31)))
    assert figures["consultations-target"] == "100"
    assert figures["mobilised-target"] == str(3 * 4)  # four active members, one inactive


def test_pending_entries_are_shown_apart_and_never_counted(client, app):
    chair = make_user(role="chair")
    case = make_case(club=chair.club, created_by=chair)
    make_visit(case, created_by=chair, date=date(YEAR, 3, 2), review_status="approved")
    pending = make_visit(case, created_by=chair, date=date(YEAR, 3, 3),
                         review_status="submitted")
    make_visit(case, created_by=chair, date=date(YEAR, 3, 4), review_status="returned")
    login_as(client, chair)
    html = client.get(f"/desk/dashboard?year={YEAR}").get_data(as_text=True)
    assert shown(html)["consultations-done"] == "1"
    assert shown(html)["month-3-consultations"] == "1"
    assert "1 visits" in html or "1 lượt" in html
    pending.review_status = "approved"
    pending.save()
    html = client.get(f"/desk/dashboard?year={YEAR}").get_data(as_text=True)
    assert shown(html)["consultations-done"] == "2"


def test_pace_needed_for_the_rest_of_the_year():
    period = reports.Period.year(2026)
    assert reports.months_left(period, date(2026, 11, 28)) == 2
    assert reports.months_left(period, date(2027, 1, 1)) == 0
    assert reports.months_left(period, date(2025, 6, 1)) == 12
    progress = reports.progress(120, 100, 2)
    assert progress["remaining"] == 20 and progress["per_month"] == 10 and not progress["met"]
    assert reports.progress(120, 130, 2)["met"]
    assert reports.progress(120, 0, 0)["per_month"] == 0


def test_dashboard_pace_sentence(client, app):
    chair = make_user(role="chair", locale="en")
    login_as(client, chair)
    today = reports.today_local()
    left = reports.months_left(reports.Period.year(today.year), today)
    html = client.get("/desk/dashboard").get_data(as_text=True)
    per_month = math.ceil(120 / left)
    if left == 1:  # December: no "about 120 a month for the 1 months left"
        assert "120 more to go, all of it this month." in html
        assert "months left" not in html
    else:
        assert f"120 more to go: about {per_month} a month for the {left} months left." in html


def test_monthly_review_shows_the_months_figures(client, seeded):
    login_as(client, seeded.chair)
    html = client.get(f"/desk/monthly/{YEAR}/3").get_data(as_text=True)
    figures = shown(html)
    march = expected_figures(seeded, date(YEAR, 3, 1), date(YEAR, 3, 31))
    year_to_march = expected_figures(seeded, date(YEAR, 1, 1), date(YEAR, 3, 31))
    assert figures["month-consultations"] == march["consultations-done"]
    assert figures["month-mobilised"] == march["mobilised-done"]
    assert figures["month-referrals"] == march["referrals"]
    assert figures["month-referred-cases"] == march["referred-cases"]
    assert figures["month-cases"] == march["period-cases"]
    assert figures["ytd-consultations"] == year_to_march["consultations-done"]
    assert figures["ytd-mobilised"] == year_to_march["mobilised-done"]
    assert figures["ytd-referrals"] == year_to_march["referrals"]
    for key, value in march.items():
        if key.startswith(("member-", "kind-", "referral-status-")):
            assert figures[key] == value, key
    new_cases = sum(1 for c, _ in seeded.cases if c.review_status == "approved"
                    and date(YEAR, 3, 1) <= local_day(c.created_at) <= date(YEAR, 3, 31))
    assert figures["month-new-cases"] == str(new_cases)
    overdue = sum(1 for a in seeded.appointments
                  if a.status == "open" and a.due_date <= date(YEAR, 3, 31))
    assert figures["month-overdue"] == str(overdue)


def test_the_evaluation_is_saved_and_audited(client, seeded):
    login_as(client, seeded.chair)
    response = client.post(f"/desk/monthly/{YEAR}/3/evaluation",
                           data={"review-evaluation": "Tháng này CLB làm tốt."})
    assert response.status_code == 302
    review = MonthlyReview.get((MonthlyReview.club == seeded.club) & (MonthlyReview.month == 3))
    assert review.evaluation == "Tháng này CLB làm tốt." and review.updated_by_id == seeded.chair.id
    assert AuditLog.select().where(AuditLog.action == "monthly_review_saved").count() == 1
    assert "Tháng này CLB làm tốt." in client.get(f"/desk/monthly/{YEAR}/3").get_data(as_text=True)


def test_a_monthly_task_becomes_an_appointment_on_the_members_agenda(client, seeded):
    case = next(c for c, _ in seeded.cases if c.status in ("active", "follow_up")
                and c.assigned_to_id != seeded.chair.id)
    member = next(m for m in seeded.members if m.id == case.assigned_to_id)
    login_as(client, seeded.chair)
    due = next_period().start + timedelta(days=9)
    response = client.post(f"{meeting()}/tasks", data={
        "task-member": member.id, "task-case": case.id, "task-due_date": due.isoformat(),
        "task-note": "Thăm lại gia đình"})
    assert response.status_code == 302
    appointment = Appointment.get(Appointment.source == "monthly_review")
    assert (appointment.member_id, appointment.case_id, appointment.due_date,
            appointment.status, appointment.club_id) == (member.id, case.id, due, "open",
                                                         seeded.club.id)
    assert appointment.note == "Thăm lại gia đình"
    assert AuditLog.select().where(AuditLog.action == "monthly_task_assigned").count() == 1
    html = client.get(meeting()).get_data(as_text=True)
    assert case.code in html and "Thăm lại gia đình" in html


def test_no_task_can_be_given_for_a_past_month(client, seeded):
    login_as(client, seeded.chair)
    response = client.post(f"/desk/monthly/{YEAR}/3/tasks", data={
        "task-member": seeded.chair.id, "task-case": seeded.cases[0][0].id,
        "task-due_date": f"{YEAR}-04-10"})
    assert response.status_code == 400
    assert Appointment.select().where(Appointment.source == "monthly_review").count() == 0


@pytest.fixture
def english_chair(app):
    chair = make_user(role="chair", locale="en")
    case = make_case(club=chair.club, created_by=chair)
    other = make_user(role="chair")
    other_case = make_case(club=other.club, created_by=other)
    return chair, case, other, other_case


@pytest.mark.parametrize("change, message", [
    (lambda next_: {"task-due_date": (next_.end + timedelta(days=1)).isoformat()},
     lambda next_: ("The date must fall in the next month "
                    f"({next_.start:%d/%m/%Y} to {next_.end:%d/%m/%Y}).")),
    (lambda next_: {"task-due_date": (next_.start - timedelta(days=1)).isoformat()},
     "The date must fall in the next month"),
    ({"task-due_date": ""}, "Enter the date of the task."),
    ({"task-due_date": "31/04/2025"}, "Not a valid date value."),
    ({"task-member": "other"}, "Choose a member of the club."),
    ({"task-member": "colleague"}, "Another member follows this case"),
    ({"task-case": "other"}, "Choose a case of the club."),
    ({"task-note": "x" * 501}, "The note is too long (500 characters at most)."),
])
def test_bad_monthly_tasks_are_refused_with_a_clear_message(client, english_chair, change,
                                                            message):
    chair, case, other, other_case = english_chair
    next_ = next_period()
    data = {"task-member": chair.id, "task-case": case.id,
            "task-due_date": next_.start.isoformat(), "task-note": ""}
    data.update(change(next_) if callable(change) else change)
    message = message(next_) if callable(message) else message
    if data["task-member"] == "other":
        data["task-member"] = other.id
    if data["task-member"] == "colleague":
        data["task-member"] = make_user(club=chair.club).id
    if data["task-case"] == "other":
        data["task-case"] = other_case.id
    login_as(client, chair)
    response = client.post(f"{meeting()}/tasks", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert Appointment.select().count() == 0


def test_a_task_for_another_clubs_case_is_refused_in_the_domain(english_chair):
    chair, _case, _other, other_case = english_chair
    with pytest.raises(reports.TaskError):
        reports.assign_task(chair.club, today().year, today().month, member_id=chair.id,
                            case_id=other_case.id, due_date=next_period().start, note="", by=chair)


@pytest.mark.parametrize("change, message", [
    ({"consultations": "99"}, "Consultations must be between 100 and 150 a year."),
    ({"consultations": "151"}, "Consultations must be between 100 and 150 a year."),
    ({"consultations": ""}, "Enter a number."),
    ({"consultations": "abc"}, "Not a valid integer value."),
    ({"mobilised_per_member": "0"}, "People mobilised per member must be between 1 and 10."),
    ({"referred_percent": "101"}, "The referred share must be between 1% and 100%."),
    ({"referred_percent": "0"}, "The referred share must be between 1% and 100%."),
])
def test_bad_targets_are_refused_with_a_clear_message(client, english_chair, change, message):
    chair = english_chair[0]
    data = {"consultations": "130", "mobilised_per_member": "2", "referred_percent": "50"}
    data.update(change)
    login_as(client, chair)
    response = client.post(f"/desk/targets?year={YEAR}", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert Target.select().count() == 0


def test_targets_are_saved_per_year_and_audited(client, english_chair):
    chair = english_chair[0]
    login_as(client, chair)
    page = client.get(f"/desk/targets?year={YEAR}").get_data(as_text=True)
    assert 'value="120"' in page and 'value="50"' in page  # the defaults
    response = client.post(f"/desk/targets?year={YEAR}", data={
        "consultations": "140", "mobilised_per_member": "3", "referred_percent": "60"})
    assert response.status_code == 302
    target = Target.get((Target.club == chair.club) & (Target.year == YEAR))
    assert (target.consultations, target.mobilised_per_member, target.referred_percent) == (
        140, 3, 60)
    assert reports.targets_for(chair.club, YEAR + 1).consultations == 120
    assert AuditLog.select().where(AuditLog.action == "targets_set").count() == 1


@pytest.mark.parametrize("url", ["/desk/dashboard", "/desk/targets", "/desk/monthly/",
                                 f"/desk/monthly/{YEAR}/3", "/desk/exports"])
@pytest.mark.parametrize("role", ["member", "supervisor", "admin"])
def test_only_chairs_reach_the_clubs_figures(client, app, url, role):
    user = make_user(role=role)
    login_as(client, user)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url, data", [
    ("/desk/targets", {"consultations": "130", "mobilised_per_member": "2",
                       "referred_percent": "50"}),
    (f"/desk/monthly/{YEAR}/3/evaluation", {"review-evaluation": "x"}),
    (f"/desk/monthly/{YEAR}/3/tasks", {}),
    (f"/desk/monthly/{YEAR}/3/export", {"export-file_format": "csv"}),
    ("/desk/exports", {"dataset": "cases", "file_format": "csv", "start": "2025-01-01",
                       "end": "2025-12-31"}),
])
def test_members_cannot_post_to_the_figures(client, app, url, data):
    member = make_user(role="member")
    login_as(client, member)
    assert client.post(url, data=data).status_code == 403
    assert Target.select().count() == 0 and MonthlyReview.select().count() == 0


def test_another_clubs_chair_sees_nothing_of_this_club(client, seeded):
    other = make_user(role="chair")
    login_as(client, other)
    html = client.get(f"/desk/dashboard?year={YEAR}").get_data(as_text=True)
    figures = shown(html)
    assert figures["consultations-done"] == "0" and figures["referrals"] == "0"
    for case, _ in seeded.cases:
        assert case.code not in html and case.full_name not in html
    for member in seeded.members:
        assert member.full_name not in html
    monthly = client.get(f"/desk/monthly/{YEAR}/3").get_data(as_text=True)
    assert all(case.code not in monthly for case, _ in seeded.cases)


@pytest.mark.parametrize("url", ["/desk/monthly/2025/13", "/desk/monthly/1999/1",
                                 "/desk/dashboard?year=3000"])
def test_impossible_months_and_years_answer_404(client, app, url):
    login_as(client, make_user(role="chair"))
    assert client.get(url).status_code == 404


def test_overdue_follow_ups_list_the_oldest_open_ones(client, seeded):
    login_as(client, seeded.chair)
    html = client.get(f"/desk/dashboard?year={YEAR}").get_data(as_text=True)
    overdue = [a for a in seeded.appointments if a.status == "open" and a.due_date < local_today()]
    assert shown(html)["overdue"] == str(len(overdue))
    for appointment in overdue:
        assert appointment.due_date.strftime("%d/%m/%Y") in html


@pytest.mark.parametrize("value, seen", [(0, 0), (1, "<5"), (4, "<5"), (5, 5), (12, 12),
                                         (True, True), ("x", "x")])
def test_suppress_hides_counts_from_one_to_four(value, seen):
    assert reports.suppress(value) == seen


def test_periods():
    assert reports.Period.month(2024, 2).end == date(2024, 2, 29)
    assert reports.Period.month(2025, 12).end == date(2025, 12, 31)
    months = reports.Period(date(2025, 11, 15), date(2026, 2, 3)).months()
    assert [(m.start, m.end) for m in months][0] == (date(2025, 11, 15), date(2025, 11, 30))
    assert months[-1].end == date(2026, 2, 3) and len(months) == 4


def test_attendance_without_brought_by_counts_as_reached_not_mobilised(app):
    chair = make_user(role="chair")
    case = make_case(club=chair.club, created_by=chair, created_at=date(2020, 1, 1))
    activity = make_activity(chair.club, chair, date(YEAR, 6, 1))
    make_attendance(activity, case, None)
    figures = reports.club_figures([chair.club.id], reports.Period.year(YEAR))[chair.club.id]
    assert figures["mobilised"] == 0 and figures["cases"] == 1
    make_referral(case, chair, referred_on=date(YEAR, 6, 2))
    figures = reports.club_figures([chair.club.id], reports.Period.year(YEAR))[chair.club.id]
    assert figures["referred_cases"] == 1 and figures["referrals"] == 1


@pytest.mark.parametrize("parts, total, seen", [
    ([0, 7, 9], 16, [0, 7, 9]),                      # nothing small: nothing hidden
    ([3, 7, 9], 19, ["<5", "*", 9]),                 # 19 − 7 − 9 would give the 3 away
    ([3, 2, 9], 14, ["<5", "<5", 9]),                # two small ones hide each other
    ([3, 0, 0], 3, ["<5", 0, 0]),                    # the total is small too: nothing exact
    ([3, 0, 12], 15, ["<5", 0, "*"]),                # a zero cannot hide the small one
    ([3, 6], 11, ["<5", "*"]),                       # parts short of the total: the rest known
    ([6, 3, 6], 15, ["*", "<5", 6]),                 # the smallest shown count, first of equals
])
def test_suppress_parts_leaves_no_small_count_to_work_out(parts, total, seen):
    assert reports.suppress_parts(parts, total) == seen
