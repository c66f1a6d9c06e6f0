"""The agenda per member printed for the monthly meeting: a sheet for each member with the week's
visits and those still to do from before it; reached from the agenda and the monthly meeting."""
from datetime import timedelta

import pytest

from webapp.book import scheduling
from webapp.clock import local_today
from webapp.db import utcnow
from webapp.models import Appointment

from .factories import make_case, make_club, make_user, session_for


@pytest.fixture
def week(club, chair):
    today = local_today()
    lan = make_user(club=club, full_name="Nguyễn Thị Lan")
    hoa = make_user(club=club, full_name="Trần Thị Hoa")  # nothing planned
    left = make_user(club=club, full_name="Vũ Văn Nam", is_active=False)

    def plan(member, days, code, **extra):
        case = make_case(club=member.club, created_by=member, code=code,
                         full_name=f"Người {code}", address="Tổ 4", neighbourhood="Khu 2")
        return Appointment.create(club=member.club, case=case, member=member, created_by=chair,
                                  due_date=today + timedelta(days=days), note=f"Ghi chú {code}",
                                  **extra)

    plan(lan, -3, "HT-1")                        # overdue
    plan(lan, 0, "HT-2")                         # today
    plan(lan, 6, "HT-3")                         # the week's last day
    plan(lan, 7, "HT-4")                         # after the week
    plan(lan, 2, "HT-5", status="cancelled")
    erased = plan(lan, 1, "HT-6")
    erased.case.erased_at = utcnow()
    erased.case.save()
    plan(left, 4, "HT-7")                        # a former member's: to hand over
    other = make_club()
    plan(make_user(club=other), 1, "XX-1")       # another club's
    return dict(today=today, lan=lan, hoa=hoa, left=left, other=other)


def codes(rows):
    return [a.case.code for a in rows]


def test_a_sheet_per_member_with_the_weeks_visits(club, week):
    sheets = {s["member"].full_name: s for s in scheduling.week_sheets(club.id, week["today"])}
    assert set(sheets) >= {"Nguyễn Thị Lan", "Trần Thị Hoa", "Vũ Văn Nam"}
    lan = sheets["Nguyễn Thị Lan"]
    assert (codes(lan["earlier"]), codes(lan["week"])) == (["HT-1"], ["HT-2", "HT-3"])
    assert (sheets["Trần Thị Hoa"]["earlier"], sheets["Trần Thị Hoa"]["week"]) == ([], [])
    assert codes(sheets["Vũ Văn Nam"]["week"]) == ["HT-7"]
    # A week later: what was planned before it and is still open comes first.
    later = {s["member"].full_name: s
             for s in scheduling.week_sheets(club.id, week["today"] + timedelta(days=7))}
    assert codes(later["Nguyễn Thị Lan"]["earlier"]) == ["HT-1", "HT-2", "HT-3"]
    assert codes(later["Nguyễn Thị Lan"]["week"]) == ["HT-4"]


def test_the_printed_agenda_page(app, client, in_english, club, chair, week):
    session_for(client, chair)
    page = client.get("/desk/agenda/print")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert text.count('class="card sheet"') >= 3
    for shown in ("Nguyễn Thị Lan", "Trần Thị Hoa", "<strong>HT-1</strong>", "<strong>HT-2</strong>",
                  "<strong>HT-3</strong>", "<strong>HT-7</strong>", "Ghi chú HT-2",
                  "Tổ 4, Khu 2", "No visit planned this week.", "hand these visits over",
                  "Overdue, still to do", "data-print"):
        assert shown in text, shown
    for hidden in ("<strong>HT-4</strong>", "<strong>HT-5</strong>", "<strong>HT-6</strong>",
                   "<strong>XX-1</strong>"):
        assert hidden not in text, hidden
    start = (week["today"] + timedelta(days=7)).isoformat()
    later = client.get(f"/desk/agenda/print?start={start}").get_data(as_text=True)
    assert "<strong>HT-4</strong>" in later and "Due before" in later
    assert client.get("/desk/agenda/print?start=nonsense").status_code == 200  # today's week
    # Reached from the agenda and from the monthly meeting.
    assert "/desk/agenda/print" in client.get("/desk/agenda/").get_data(as_text=True)
    month = client.get(f"/desk/monthly/{week['today'].year}/{week['today'].month}")
    assert "/desk/agenda/print" in month.get_data(as_text=True)


def test_only_the_chair_prints_the_agenda(app, client, week):
    session_for(client, week["lan"])
    assert client.get("/desk/agenda/print").status_code in (403, 404)
    stranger = app.test_client()
    session_for(stranger, make_user(club=week["other"], role="chair"))
    text = stranger.get("/desk/agenda/print").get_data(as_text=True)
    assert "<strong>HT-1</strong>" not in text and "<strong>XX-1</strong>" in text
