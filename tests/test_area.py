"""The supervisor's area view: the area's clubs only, counts only, small counts shown as <5."""
import csv
import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook

from webapp.models import AuditLog

from .factories import login_as, make_case, make_club, make_user, make_visit
from .report_data import seed_year

YEAR = 2025


@pytest.fixture
def area(app):
    """Two clubs of Hạ Long with a seeded year each, and one club elsewhere."""
    first = seed_year(YEAR, seed=3, n_cases=30)
    second = seed_year(YEAR, seed=11, n_cases=8,
                       club=make_club(city="Cẩm Phả", province="Quảng Ninh"))
    elsewhere = seed_year(YEAR, seed=5, n_cases=8,
                          club=make_club(city="Hải Phòng", province="Hải Phòng"))
    supervisor = make_user(role="supervisor", area="Hạ Long", full_name="Cán Bộ Giám Sát")
    province = make_user(role="supervisor", area="Quảng Ninh")
    return dict(first=first, second=second, elsewhere=elsewhere, supervisor=supervisor,
                province=province)


def secrets_of(seeded):
    """Every name, note, code and login a supervisor must never see."""
    values = set()
    for case, _cats in seeded.cases:
        values |= {case.full_name, case.code, case.phone, case.address}
    for visit, _present in seeded.visits:
        values.add(visit.notes)
    for member in seeded.members:
        values |= {member.full_name, member.login}
    return {v for v in values if v}


def assert_no_secret(text, area):
    for key in ("first", "second", "elsewhere"):
        for secret in secrets_of(area[key]):
            assert secret not in text, secret


def assert_suppressed(values):
    """No count from 1 to 4 anywhere."""
    for value in values:
        assert value not in {"1", "2", "3", "4"}, values


def test_no_small_count_can_be_worked_out_from_a_total(client, area):
    """In each set of counts that adds up to a total shown exactly, none or several are hidden:
    3 referrals completed of 10, or 2 consultations in January of 10, are never given away."""
    from webapp.book import reports, vocab
    from webapp.models import Referral

    club = make_club(city="Hạ Long", province="Quảng Ninh")
    member = make_user(club=club)
    case = make_case(club=club, created_by=member, review_status="approved")
    for n in range(10):
        Referral.create(club=club, case=case, created_by=member, service_kind="legal_aid",
                        referred_on=date(YEAR, 3, 1), review_status="approved",
                        status="completed" if n < 3 else "referred")
        make_visit(case, date=date(YEAR, 1 if n < 2 else 3, 5), review_status="approved")
    [row] = reports.area_report([club], YEAR)["rows"]
    statuses = dict(zip(vocab.REFERRAL_STATUSES.codes, [v for _l, v in row["statuses"]]))
    assert row["referrals"] == 10 and statuses["completed"] == "<5" and statuses["referred"] == "*"
    assert row["consultations"] == 10 and row["series"]["consultations"][:3] == ["<5", 0, "*"]
    # The outcomes are those of the ended referrals (completed + declined), not of all of them.
    ended = statuses["completed"], statuses["declined"]
    for total, parts in [(row["referrals"], [v for _l, v in row["statuses"]]),
                         (sum(ended) if all(isinstance(v, int) for v in ended) else "<5",
                          [v for _l, v in row["outcomes"]])] + [
            (row[name], row["series"][name]) for name in ("consultations", "mobilised",
                                                           "referrals")]:
        hidden = [v for v in parts if v in ("<5", "*")]
        assert total == "<5" or len(hidden) != 1, (total, parts)

    login_as(client, area["supervisor"])
    html = client.get(f"/area/?year={YEAR}").get_data(as_text=True)
    assert "*" in CELL.findall(html)


CELL = re.compile(r'<td class="num">([^<]*)</td>')


@pytest.mark.parametrize("url", ["/area/", f"/area/?year={YEAR}", f"/area/months?year={YEAR}",
                                 "/area/months"])
def test_area_pages_show_counts_only_with_small_ones_suppressed(client, area, url):
    login_as(client, area["supervisor"])
    response = client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert_no_secret(html, area)
    cells = CELL.findall(html)
    assert_suppressed(cells)
    if "year=" in url:
        assert "&lt;5" in cells
        assert area["first"].club.name in html
        assert area["second"].club.name not in html  # Cẩm Phả is not Hạ Long
        assert area["elsewhere"].club.name not in html


def test_a_province_supervisor_sees_the_provinces_clubs(client, area):
    login_as(client, area["province"])
    html = client.get(f"/area/?year={YEAR}").get_data(as_text=True)
    assert area["first"].club.name in html and area["second"].club.name in html
    assert area["elsewhere"].club.name not in html
    assert_no_secret(html, area)
    assert_suppressed(CELL.findall(html))


def test_area_consultations_match_a_straight_count(client, area):
    login_as(client, area["province"])
    html = client.get(f"/area/?year={YEAR}").get_data(as_text=True)
    row = re.search(r"<tr><th scope=\"row\">[^<]*</th>(.*?)</tr>", html.split("<tbody>")[1])
    shown = CELL.findall(row.group(1))
    clubs = sorted([area["first"], area["second"]], key=lambda s: s.club.name)
    for seeded, value in zip(clubs, shown):
        count = sum(1 for v, _p in seeded.visits
                    if v.review_status == "approved" and v.date.year == YEAR)
        assert value == (str(count) if count == 0 or count >= 5 else "&lt;5")


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_area_export_is_suppressed_and_audited(client, area, file_format):
    login_as(client, area["province"])
    response = client.post(f"/area/export?year={YEAR}", data={"file_format": file_format})
    assert response.status_code == 200
    if file_format == "csv":
        rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    else:
        rows = [[("" if c is None else str(c)) for c in row] for row in
                load_workbook(io.BytesIO(response.get_data())).active.values]
    text = "\n".join(",".join(row) for row in rows)
    assert_no_secret(text, area)
    values = [row[3] for row in rows[1:]]
    assert_suppressed(values)
    assert "<5" in values
    log = AuditLog.get(AuditLog.action == "export")
    assert log.details["dataset"] == "area" and log.details["names"] is False


@pytest.mark.parametrize("url", ["/desk/dashboard", "/desk/exports", f"/desk/monthly/{YEAR}/3"])
def test_supervisors_never_reach_the_clubs_book(client, area, url):
    login_as(client, area["supervisor"])
    assert client.get(url).status_code == 403
    assert client.post("/desk/exports", data={"dataset": "cases", "file_format": "csv",
                                              "start": "2025-01-01",
                                              "end": "2025-12-31"}).status_code == 403


@pytest.mark.parametrize("role", ["member", "chair", "admin"])
def test_only_supervisors_reach_the_area_view(client, app, role):
    login_as(client, make_user(role=role))
    assert client.get("/area/").status_code == 403
    assert client.get("/area/months").status_code == 403
    assert client.post("/area/export", data={"file_format": "csv"}).status_code == 403


def test_a_supervisor_without_an_area_sees_no_club(client, app):
    make_club()
    login_as(client, make_user(role="supervisor", area=""))
    html = client.get("/area/").get_data(as_text=True)
    assert "CLB Test" not in html


def test_targets_met_follow_the_counts(client, app):
    from webapp.book import reports
    from .factories import make_case, make_visit
    chair = make_user(role="chair")
    case = make_case(club=chair.club, created_by=chair)
    for day in range(1, 101):
        make_visit(case, created_by=chair, date=date(YEAR, 1, 1).fromordinal(
            date(YEAR, 1, 1).toordinal() + day), review_status="approved")
    reports.set_targets(chair.club, YEAR, consultations=100, mobilised_per_member=1,
                        referred_percent=50, by=chair)
    with app.test_request_context():
        report = reports.area_report([chair.club], YEAR)
    row = report["rows"][0]
    assert row["consultations"] == 100
    # One person reached: the referred share is not shown (fewer than 5), nor whether it was met.
    assert row["targets_met"] == dict(consultations=True, mobilised=False, referred=None)
