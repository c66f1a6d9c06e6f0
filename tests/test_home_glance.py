"""The chair's home: the month at a glance, each figure recounted here and a tap to its page."""
import re
from datetime import timedelta

from webapp import accounts
from webapp.book import reports
from webapp.db import utcnow
from webapp.models import LoginSession, User

from .factories import login_as, make_case, make_user, make_visit, today
from .report_data import make_appointment

FIGURE = re.compile(r'data-figure="([^"]+)">([^<]*)<')


def seen(user, days_ago):
    LoginSession.create(token_hash=f"t{user.id}-{days_ago}", user=user,
                        last_seen_at=utcnow() - timedelta(days=days_ago))


def test_the_chairs_home_shows_the_month_at_a_glance(client):
    chair = make_user(role="chair")
    club = chair.club
    busy = make_user(club=club, full_name="Lê Thị Bận")
    silent = make_user(club=club, full_name="Trần Văn Im")
    never = make_user(club=club, full_name="Đỗ Thị Mới", phone="0912000111")
    gone = make_user(club=club, is_active=False, full_name="Ngô Văn Nghỉ")
    seen(busy, 1)
    seen(silent, 12)
    seen(silent, 9)
    seen(gone, 30)
    case = make_case(club=club, created_by=busy)
    waiting = [make_visit(case, review_status="submitted") for _ in range(3)]
    approved = [make_visit(case, review_status="approved") for _ in range(2)]
    make_case(club=club, created_by=busy, review_status="submitted")
    make_appointment(case, busy, today(-2))
    make_appointment(case, busy, today(2))
    make_appointment(case, silent, today(-5), status="cancelled")

    login_as(client, chair)
    html = client.get("/").get_data(as_text=True)
    figures = dict(FIGURE.findall(html))
    assert figures["waiting"] == str(len(waiting) + 1)
    assert figures["overdue"] == "1"
    assert figures["quiet"] == "2"
    assert figures["month-consultations"] == str(len(approved))
    assert figures["consultations-done"] == str(len(approved))
    # The longest silent first: the one never seen, then the one last seen 9 days ago (the
    # latest of their sessions); not those seen this week, nor the deactivated.
    quiet = html.split('id="glance-quiet"', 1)[1]
    assert quiet.index("Đỗ Thị Mới") < quiet.index("Trần Văn Im")
    assert "Lê Thị Bận" not in quiet and "Ngô Văn Nghỉ" not in quiet
    assert today(-9).strftime("%d/%m/%Y") in quiet
    assert 'href="tel:0912000111"' in quiet
    for page in ("/desk/review/", "/desk/agenda/", "/club/members/", "/desk/dashboard"):
        assert f'href="{page}"' in html
        assert client.get(page).status_code == 200


def test_a_login_counts_as_being_seen(app):
    member = make_user(last_login_at=utcnow() - timedelta(days=2))
    seen(member, 20)
    assert reports.quiet_members(member.club) == []
    assert accounts.last_seen([member])[member.id] == User.get_by_id(member.id).last_login_at


def test_other_roles_have_no_glance(client):
    login_as(client, make_user(role="supervisor"))
    assert 'id="glance-title"' not in client.get("/").get_data(as_text=True)
