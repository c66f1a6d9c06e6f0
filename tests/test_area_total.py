"""The area's column: each figure summed over the area's clubs, shown only where every club's
count is shown exactly, so that no hidden count can be worked out from it."""
import re
from datetime import date

from webapp.book import reports

from .factories import login_as, make_case, make_club, make_user, make_visit

YEAR = 2025
CELL = re.compile(r'data-figure="total-([a-z]+)">([^<]*)<')


def busy_club(name, consultations, cases=6):
    club = make_club(name=name)
    member = make_user(club=club)
    people = [make_case(club=club, created_by=member) for _ in range(cases)]
    for n in range(consultations):
        make_visit(people[n % cases], date=date(YEAR, 3, 1 + n % 28), review_status="approved")
    return club


def test_the_area_total_adds_up_only_exact_counts(client):
    busy_club("CLB Một", 12)
    busy_club("CLB Hai", 7)
    login_as(client, make_user(role="supervisor", area="Hạ Long"))
    totals = dict(CELL.findall(client.get(f"/area/?year={YEAR}").get_data(as_text=True)))
    assert totals["consultations"] == "19"
    assert totals["cases"] == "12"  # six people reached by each club
    assert totals["referrals"] == "0"  # nothing, everywhere: zero is exact

    busy_club("CLB Ba", 3, cases=3)  # three consultations: shown as <5
    html = client.get(f"/area/?year={YEAR}").get_data(as_text=True)
    totals = dict(CELL.findall(html))
    assert totals["consultations"] == reports.HIDDEN  # 22 would give away the 3
    assert totals["cases"] == reports.HIDDEN
    assert "Cả địa bàn" in html


def test_exact_sum():
    assert reports.exact_sum([12, 0, 7]) == 19
    assert reports.exact_sum([]) == 0
    assert reports.exact_sum([12, reports.SMALL]) == reports.HIDDEN
    assert reports.exact_sum([reports.HIDDEN, 9]) == reports.HIDDEN
