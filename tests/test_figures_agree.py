"""One figure, one answer: the dashboard, the agenda and the monthly meeting count overdue visits
the same way — as of today, or at the end of a month that is over — on the same records."""
import re

import pytest

from webapp.book import reports
from webapp.db import utcnow
from webapp.models import Case

from .factories import login_as, make_case, make_user, make_visit, today
from .report_data import make_appointment



def this_month():
    return reports.Period.month(today().year, today().month)


def last_month():
    return reports.Period.month(*(((today().year - 1, 12) if today().month == 1
                                   else (today().year, today().month - 1))))


FIGURE = re.compile(r'data-figure="([^"]+)">([^<]*)<')


def figure(html, key):
    return dict(FIGURE.findall(html))[key]


@pytest.fixture
def club(app):
    """Appointments on both sides of last month's end and of today, in every state."""
    chair = make_user(role="chair")
    member = make_user(club=chair.club)
    cases = [make_case(club=chair.club, created_by=member) for _ in range(6)]
    later_this_month = min(today(3), this_month().end)
    appointments = [
        make_appointment(cases[0], member, last_month().start),  # late then and now
        make_appointment(cases[1], member, today(-1)),           # late now
        make_appointment(cases[2], member, later_this_month),    # not late yet
        make_appointment(cases[3], member, today(40)),           # far ahead
        make_appointment(cases[4], member, last_month().start, status="cancelled"),
    ]
    # Done after last month ended: it was late at the month's end, it is not now.
    visit_after = make_visit(cases[5], date=today(), review_status="approved")
    appointments.append(make_appointment(cases[5], member, last_month().end, status="done",
                                         done_visit=visit_after))
    # Done on the month's last day: never late.
    visit_on_time = make_visit(cases[0], date=last_month().end, review_status="approved")
    appointments.append(make_appointment(cases[0], member, last_month().end, status="done",
                                         done_visit=visit_on_time))
    # The case of a late visit was erased at the person's request: it counts nowhere.
    erased = make_case(club=chair.club, created_by=member)
    appointments.append(make_appointment(erased, member, last_month().start))
    Case.update(erased_at=utcnow()).where(Case.id == erased.id).execute()
    return chair, appointments, {erased.id}, {visit_after.id: visit_after.date,
                                              visit_on_time.id: visit_on_time.date}


def late_now(appointments, erased):
    return sum(1 for a in appointments if a.case_id not in erased and a.status == "open"
               and a.due_date < today())


def late_at_end_of(day, appointments, erased, visit_dates):
    def still_open(a):
        return a.status == "open" or (a.status == "done" and visit_dates[a.done_visit_id] > day)
    return sum(1 for a in appointments if a.case_id not in erased and a.due_date <= day
               and still_open(a))


def test_dashboard_agenda_and_this_months_meeting_agree(client, club):
    chair, appointments, erased, _visits = club
    login_as(client, chair)
    expected = late_now(appointments, erased)
    dashboard = client.get(f"/desk/dashboard?year={today().year}").get_data(as_text=True)
    agenda = client.get("/desk/agenda/").get_data(as_text=True)
    meeting = client.get(f"/desk/monthly/{today().year}/{today().month}").get_data(as_text=True)
    assert figure(dashboard, "overdue") == str(expected)
    assert re.search(r"quá hạn: (\d+)", agenda).group(1) == str(expected)
    assert agenda.count("agenda__item--overdue") == expected
    assert figure(meeting, "month-overdue") == str(expected)
    assert "Lịch hẹn quá hạn tính đến hôm nay" in meeting
    assert expected == 2  # the visit due later this month is not late yet


def test_last_months_meeting_counts_what_was_late_when_it_ended(client, club):
    chair, appointments, erased, visit_dates = club
    login_as(client, chair)
    meeting = (client.get(f"/desk/monthly/{last_month().start.year}/{last_month().start.month}")
               .get_data(as_text=True))
    expected = late_at_end_of(last_month().end, appointments, erased, visit_dates)
    assert figure(meeting, "month-overdue") == str(expected)
    assert "Lịch hẹn quá hạn vào cuối tháng" in meeting
    # The first and the one done after the month: late then; the others were not yet due, done
    # in time, cancelled or erased.
    assert expected == 2 + (1 if today(-1) <= last_month().end else 0)
    # Today's figures, on the dashboard, count only what is still open.
    dashboard = client.get(f"/desk/dashboard?year={today().year}").get_data(as_text=True)
    assert figure(dashboard, "overdue") == str(late_now(appointments, erased))


def test_the_meeting_of_a_month_ahead_counts_as_of_today(app, club):
    chair, appointments, erased, _visits = club
    ahead = today(40)
    data = reports.monthly(chair.club, ahead.year, ahead.month)
    assert data["overdue_count"] == late_now(appointments, erased)
    assert not data["month_over"]


# --- The supervisor's evaluation of the pilot agrees with the chair's and the area's pages ----

AREA_ROW = re.compile(r'<tr><th scope="row">(\d\d/\d{4})</th><td class="num">([^<]*)</td>')


def test_the_pilots_evaluation_agrees_with_the_dashboard_the_meetings_and_the_area(app):
    from .report_data import seed_year

    from datetime import date

    from webapp.models import Screening, SurveyRound

    evaluated = today().year - 1
    seeded = seed_year(evaluated, seed=8, n_cases=30)
    round_ = SurveyRound.create(club=seeded.club, name="Khảo sát", areas=["Tổ 1"],
                                starts_on=date(evaluated, 1, 1), ends_on=date(evaluated, 12, 31),
                                created_by=seeded.chair)
    for n in range(17):
        Screening.create(club=seeded.club, round=round_, area="Tổ 1", category="at_risk",
                         screened_on=date(evaluated, 1 + n % 4, 2), created_by=seeded.chair,
                         risk_level=("low", "high")[n % 2], suggested_level="low",
                         review_status="approved" if n % 5 else "submitted")
    supervisor = make_user(role="supervisor", area=seeded.club.city)
    chair_client, supervisor_client = app.test_client(), app.test_client()
    login_as(chair_client, seeded.chair)
    login_as(supervisor_client, supervisor)

    def page(client, url):
        response = client.get(url)
        assert response.status_code == 200, url
        return dict(FIGURE.findall(response.get_data(as_text=True)))

    evaluation = page(supervisor_client,
                      f"/area/evaluation/?start={evaluated}-01&end={evaluated}-12")
    dashboard = page(chair_client, f"/desk/dashboard?year={evaluated}")
    area = page(supervisor_client, f"/area/?year={evaluated}")
    months_html = supervisor_client.get(f"/area/months?year={evaluated}").get_data(as_text=True)
    # The area's month-by-month page: its first table is the consultations.
    area_months = dict(AREA_ROW.findall(months_html.split("</table>")[0]))

    def suppressed(value):
        return str(reports.suppress(int(value))).replace("<", "&lt;")

    # The year: the evaluation's total is the area's and (suppressed) the dashboard's.
    for name, total in (("consultations", "total-consultations"), ("mobilised", "total-mobilised"),
                        ("referrals", "total-referrals")):
        assert evaluation[f"{name}-1"] == area[total] == suppressed(dashboard[
            {"consultations": "consultations-done", "mobilised": "mobilised-done",
             "referrals": "referrals"}[name]]), name
    for name in ("screened", "at_risk", "registered"):  # the survey's reach, as the area's
        assert evaluation[f"{name}-1"] == area[f"total-survey_{name}"], name
    assert evaluation["screened-1"] == "13"
    if evaluation["completed-1"] not in ("&lt;5", "*"):
        assert evaluation["completed-1"] == dashboard["referral-status-completed"]
    checked = 0
    for month in range(1, 13):
        key = f"1-{evaluated}-{month:02d}"
        shown = evaluation[f"{key}-consultations"]
        # Each month as the area's month-by-month page shows it …
        assert shown == area_months[f"{month:02d}/{evaluated}"], month
        # … and, where it is shown exactly, the chair's dashboard and monthly meeting count it.
        meeting = page(chair_client, f"/desk/monthly/{evaluated}/{month}")
        assert meeting["month-consultations"] == dashboard[f"month-{month}-consultations"]
        if shown not in ("&lt;5", "*"):
            assert shown == meeting["month-consultations"]
            checked += 1
        elif shown == "&lt;5":
            assert 1 <= int(meeting["month-consultations"]) <= 4
        cases, referred = int(meeting["month-cases"]), int(meeting["month-referred-cases"])
        # Not shown for fewer than 5 people, nor where 1 to 4 were referred or not referred.
        hidden = cases < 5 or 1 <= referred <= 4 or 1 <= cases - referred <= 4
        share = "—" if hidden else f"{round(100 * referred / cases)}%"
        assert evaluation[f"{key}-share"] == share, month
    assert checked >= 1
