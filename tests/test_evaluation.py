"""The supervisor's evaluation of the pilot: every figure recounted here from the seeded records,
small counts suppressed so that none can be worked out, the XLSX, and who may see it."""
import io
import re
from datetime import date, datetime

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook

from webapp.book import reports
from webapp.book.reports import evaluation as ev
from webapp.invalid import Invalid
from webapp.models import AuditLog, Screening, SurveyRound, Target

from .factories import login_as, make_case, make_club, make_user, make_visit
from .report_data import Seeded, make_referral, seed_year
from .test_area import assert_no_secret, secrets_of
from .test_reports import expected_figures

TODAY = date(2026, 12, 15)
HIDDEN, SMALL = reports.HIDDEN, reports.SMALL


SCREENINGS = {}  # {club id: [screening]}: the survey's records, counted by hand below


def screen(seeded, member, plan):
    """Screenings of a round: plan = [(day, risk level, registered as a case?, review status)];
    a case registered from one is one of the club's cases (counted with them)."""
    club, chair = seeded.club, seeded.chair
    round_ = SurveyRound.create(club=club, name="Khảo sát phường", starts_on=date(2024, 1, 1),
                                ends_on=date(2026, 12, 31), areas=["Tổ 1", "Tổ 2"],
                                created_by=chair)
    for day, level, registered, status in plan:
        case = None
        if registered:
            case = make_case(club=club, created_by=member, review_status="approved")
            seeded.cases.append((case, ["at_risk"]))
        SCREENINGS.setdefault(club.id, []).append(Screening.create(
            club=club, round=round_, area="Tổ 1", screened_on=day, category="at_risk",
            suggested_level=level, risk_level=level, created_by=member, review_status=status,
            registered_case=case, notes="Bí mật sàng lọc"))


def survey_counts(club_id, period):
    """The survey's reach counted by hand: approved screenings dated in the period."""
    rows = [row for row in SCREENINGS.get(club_id, [])
            if row.review_status == "approved" and period.start <= row.screened_on <= period.end]
    return dict(screened=len(rows),
                at_risk=sum(1 for row in rows if row.risk_level in ("medium", "high")),
                registered=sum(1 for row in rows if row.registered_case_id is not None))


def small_club(name="CLB Nhỏ"):
    """One case; 3 consultations in March 2025 and 6 in May (9 in the year), 2 referrals in May,
    one of them completed; entries waiting for review that never count."""
    club = make_club(name=name)
    chair = make_user(role="chair", club=club)
    member = make_user(club=club)
    case = make_case(club=club, created_by=member, review_status="approved",
                     full_name="Trần Thị Kín", phone="0987000111")
    data = Seeded(club=club, chair=chair, members=[chair, member], cases=[(case, ["at_risk"])])
    for day, n in ((date(2025, 3, 10), 3), (date(2025, 5, 12), 6)):
        for _ in range(n):
            data.visits.append((make_visit(case, created_by=member, date=day,
                                           review_status="approved"), set()))
    data.visits.append((make_visit(case, created_by=member, date=date(2025, 3, 11),
                                   review_status="submitted"), set()))
    for status in ("completed", "referred"):
        data.referrals.append(make_referral(case, member, referred_on=date(2025, 5, 20),
                                            status=status, review_status="approved"))
    # The survey: 7 people in June 2025 (2 at risk, 1 registered), 2 in August, one waiting.
    screen(data, member,
           [(date(2025, 6, 3), "high", True, "approved"), (date(2025, 6, 4), "medium", False,
                                                          "approved")]
           + [(date(2025, 6, 5), "low", False, "approved")] * 5
           + [(date(2025, 8, 1), "low", False, "approved")] * 2
           + [(date(2025, 8, 2), "high", False, "submitted")])
    return data


@pytest.fixture
def area(app):
    """Three clubs of Hạ Long (a year of work, a small one, one with nothing) and one elsewhere."""
    SCREENINGS.clear()
    big = seed_year(2025, seed=3, n_cases=30, club=make_club(name="CLB A Hùng Thắng"))
    # A survey over two years: many in the first months, a few later.
    screen(big, big.members[1],
           [(date(2025, 2 + n % 3, 1 + n), ("low", "medium", "high")[n % 3], n % 4 == 0,
             "approved" if n % 7 else "returned") for n in range(24)]
           + [(date(2026, 3, 10), "high", False, "approved")] * 3)
    small = small_club("CLB B Cao Xanh")
    empty = make_club(name="CLB C Tuần Châu")
    elsewhere = seed_year(2025, seed=5, n_cases=8,
                          club=make_club(name="CLB Hải Phòng", city="Hải Phòng",
                                         province="Hải Phòng"))
    supervisor = make_user(role="supervisor", area="Hạ Long", full_name="Cán Bộ Giám Sát")
    return dict(big=big, small=small, empty=empty, elsewhere=elsewhere, supervisor=supervisor)


def evaluate(app, supervisor, start=None, end=None, today=TODAY):
    clubs = reports.area_clubs(supervisor)
    with app.test_request_context(), force_locale("vi"):
        chosen = reports.choose_period(clubs, today, start, end)
        return reports.pilot_evaluation(clubs, chosen, today)


def counts(seeded, period):
    """Straight counts over the seeded records (tests.test_reports), as ints."""
    found = expected_figures(seeded, period.start, period.end)
    return dict(**survey_counts(seeded.club.id, period),
                consultations=int(found["consultations-done"]),
                mobilised=int(found["mobilised-done"]), referrals=int(found["referrals"]),
                completed=int(found["referral-status-completed"]),
                statuses=[int(found[f"referral-status-{s}"])
                          for s in reports.REFERRAL_STATUSES.codes],
                cases=int(found["period-cases"]), referred=int(found["referred-cases"]))


def expected_share(cases, referred):
    """The referred share as shown: not for fewer than 5 people, nor where 1 to 4 of them were
    referred or not referred (beside the people reached, it would give that count away)."""
    if cases < 5 or 1 <= referred <= 4 or 1 <= cases - referred <= 4:
        return None
    return round(100 * referred / cases)


def as_shown_on_the_area_page(seeded, year, name):
    """A year's months of one figure as the area's month-by-month page suppresses them."""
    months = [counts(seeded, m)[name] for m in reports.Period.year(year).months()]
    if name != "completed":  # months of the area page, or (the survey) parts of its year's figure
        return reports.suppress_parts(months, sum(months))
    # Completed referrals: parts of the year's figure, which the area page shows among statuses.
    year_counts = counts(seeded, reports.Period.year(year))
    statuses = reports.suppress_parts(year_counts["statuses"], year_counts["referrals"])
    if statuses[reports.REFERRAL_STATUSES.codes.index("completed")] == HIDDEN:
        return [HIDDEN if n else 0 for n in months]
    return reports.suppress_parts(months, sum(months))


def year_total_as_shown(seeded, year, name):
    year_counts = counts(seeded, reports.Period.year(year))
    if name == "completed":
        statuses = reports.suppress_parts(year_counts["statuses"], year_counts["referrals"])
        return statuses[reports.REFERRAL_STATUSES.codes.index("completed")]
    return reports.suppress(year_counts[name])


def expected_total(seeded, period, name):
    """The period's total as it may be shown: exact (suppressed) when the area pages already pin
    it down, year by year; else what they show of the one year or month holding all of it."""
    exact_years, other = True, []
    for year in range(period.start.year, period.end.year + 1):
        shown = as_shown_on_the_area_page(seeded, year, name)
        inside = [m.start.month - 1 for m in period.months() if m.start.year == year]
        outside = [shown[i] for i in range(12) if i not in inside]
        inner = [shown[i] for i in inside]
        total = year_total_as_shown(seeded, year, name)
        if all(isinstance(v, int) for v in inner) or (
                isinstance(total, int) and all(isinstance(v, int) for v in outside)):
            other.append(sum(counts(seeded, m)[name] for m in period.months()
                             if m.start.year == year))
            continue
        exact_years = False
        if set(outside) <= {0}:
            other.append(total)          # the portion is the whole year's figure
        elif [v for v in inner if v in (SMALL, HIDDEN)] == [v for v in inner if v != 0] and \
                len([v for v in inner if v != 0]) == 1:
            other.append(next(v for v in inner if v != 0))  # one month, the others 0
        else:
            other.append(None)
    if exact_years:
        return reports.suppress(counts(seeded, period)[name])
    inexact = [v for v in other if not isinstance(v, int)]
    if len(inexact) == 1 and inexact[0] is not None and not any(
            v for v in other if isinstance(v, int)):
        return inexact[0]
    return HIDDEN


def test_the_default_period_runs_from_the_areas_first_record_to_this_month(app, area):
    data = evaluate(app, area["supervisor"])
    first = min([v.date for v, _p in area["big"].visits if v.review_status == "approved"]
                + [r.referred_on for r in area["big"].referrals if r.review_status == "approved"])
    assert data["pilot_start"] == first.replace(day=1) == data["period"].start
    assert data["source"] == "data"
    assert data["period"].end == date(2026, 12, 31)
    clubs = reports.area_clubs(area["supervisor"])
    # The installation's setting wins over the data.
    assert reports.choose_period(clubs, TODAY, configured="2025-03").period.start == \
        date(2025, 3, 1)
    assert reports.choose_period(clubs, TODAY, configured="2025-03").source == "setting"
    # A survey that began earlier than any other work starts the pilot.
    screen(area["small"], area["small"].members[1],
           [(date(2023, 11, 20), "low", False, "approved")])
    assert ev.pilot_start(clubs, TODAY) == (date(2023, 11, 1), "data")
    # Records from long ago: the default reaches back 60 months at most, so it stays valid.
    make_visit(area["small"].cases[0][0], date=date(2015, 4, 2), review_status="approved")
    assert ev.pilot_start(clubs, TODAY) == (date(2022, 1, 1), "data")
    assert ev.months_between(date(2022, 1, 1), TODAY) == ev.MAX_MONTHS


def test_every_month_of_every_club_is_recounted(app, area):
    data = evaluate(app, area["supervisor"])
    seeded = {area["big"].club.name: area["big"], area["small"].club.name: area["small"]}
    assert [row["club"] for row in data["rows"]] == sorted(
        [area["big"].club.name, area["small"].club.name, area["empty"].name])
    assert area["elsewhere"].club.name not in [row["club"] for row in data["rows"]]
    checked = 0
    for row in data["rows"]:
        assert len(row["months"]) == len(data["months"])
        for line in row["months"]:
            month = line["month"]
            if row["club"] not in seeded:  # the club with no data: zeros, and nothing to share
                assert [line[k] for k in ev.COUNTS] == [0] * len(ev.COUNTS)
                assert line["share"] is None and line["per_member"] is None
                continue
            s = seeded[row["club"]]
            for name in ev.COUNTS:
                expected = as_shown_on_the_area_page(s, month.start.year, name)
                assert line[name] == expected[month.start.month - 1], (row["club"], month, name)
            found = counts(s, month)
            active = sum(1 for m in s.members if m.is_active)
            share = expected_share(found["cases"], found["referred"])
            assert line["share"] == share
            if isinstance(line["mobilised"], int):
                assert line["per_member"] == round(found["mobilised"] / active, 1)
            else:
                assert line["per_member"] == HIDDEN
            assert line["consultations_target"] == pytest.approx(
                120 / 12 * (15 / 31 if month.start == date(2026, 12, 1) else 1))
            checked += 1
        if row["club"] in seeded:
            for name in ev.COUNTS:
                assert row["total"][name] == expected_total(seeded[row["club"]], data["period"],
                                                            name), (row["club"], name)
    big = next(r for r in data["rows"] if r["club"] == area["big"].club.name)
    # The period is whole years, each of whose consultations the area page shows exactly.
    assert big["total"]["consultations"] == counts(area["big"], data["period"])["consultations"]
    assert checked > 40
    small = next(r for r in data["rows"] if r["club"] == area["small"].club.name)
    march, may = (next(line for line in small["months"] if line["month"].start == day)
                  for day in (date(2025, 3, 1), date(2025, 5, 1)))
    assert march["consultations"] == SMALL and may["consultations"] == HIDDEN
    assert small["total"]["consultations"] == 9  # 3 + 6: "<5" and "*" stay unknown
    # Two referrals, one completed, all in May: each total is that one month, as it is shown.
    assert small["total"]["completed"] == SMALL and small["total"]["referrals"] == SMALL
    # The survey: June's 7 shown, August's 2 hidden, so June is hidden too (9 in the year).
    june, august = (next(line for line in small["months"] if line["month"].start == day)
                    for day in (date(2025, 6, 1), date(2025, 8, 1)))
    assert (june["screened"], august["screened"]) == (HIDDEN, SMALL)
    assert small["total"]["screened"] == 9 and small["total"]["at_risk"] == SMALL
    assert june["registered"] == SMALL and small["total"]["registered"] == SMALL


def test_the_area_column_adds_only_what_every_club_shows(app, area):
    data = evaluate(app, area["supervisor"])
    totals = [row["total"] for row in data["rows"]]
    for name in ev.COUNTS:
        values = [t[name] for t in totals]
        expected = sum(values) if all(isinstance(v, int) for v in values) else HIDDEN
        assert data["total"][name] == expected
    assert data["total"]["referrals"] == HIDDEN  # the small club's 2 referrals are "<5"
    assert data["total"]["consultations_target"] == pytest.approx(
        sum(t["consultations_target"] for t in totals))


@pytest.mark.parametrize("start, end, expected", [
    ("2025-05", "2025-05", HIDDEN),  # May alone (6) would give March's 3 away: 9 - 6
    ("2025-03", "2025-05", 9),       # every other month of 2025 is 0, so the year's 9 says it
    ("2025-01", "2025-12", 9),
    ("2025-03", "2025-03", SMALL),   # what the area page already shows: "<5"
])
def test_a_chosen_periods_total_never_gives_a_small_month_away(app, area, start, end, expected):
    data = evaluate(app, area["supervisor"], start, end)
    small = next(r for r in data["rows"] if r["club"] == area["small"].club.name)
    assert small["total"]["consultations"] == expected


def test_targets_are_pro_rated_over_the_months(app, area):
    Target.create(club=area["big"].club, year=2026, consultations=150, mobilised_per_member=3,
                  referred_percent=60)
    data = evaluate(app, area["supervisor"], "2025-07", "2026-12")
    big = next(r for r in data["rows"] if r["club"] == area["big"].club.name)
    # 6 months of 2025 at the default 120, 11 of 2026 at 150, and 15 of December's 31 days.
    assert big["total"]["consultations_target"] == pytest.approx(
        120 / 12 * 6 + 150 / 12 * (11 + 15 / 31))
    assert big["total"]["per_member_target"] == pytest.approx(2 / 12 * 6 + 3 / 12 * (11 + 15 / 31))
    assert big["total"]["share_target"] == round((50 * 6 + 60 * 12) / 18)  # a share: each month alike
    december = big["months"][-1]
    assert december["consultations_target"] == pytest.approx(150 / 12 * 15 / 31)
    assert december["share_target"] == 60
    whole = counts(area["big"], data["period"])
    assert big["total"]["consultations_met"] == (
        whole["consultations"] >= big["total"]["consultations_target"])
    share = round(100 * whole["referred"] / whole["cases"])
    assert big["total"]["share"] == expected_share(whole["cases"], whole["referred"])
    # "Met" only where the share is shown: beside a hidden one it would tell what the share hides.
    assert big["total"]["share_met"] == (
        None if big["total"]["share"] is None else share >= big["total"]["share_target"])


@pytest.mark.parametrize("start, end, field, message", [
    ("2025-13", None, "start", "Hãy chọn tháng bắt đầu"),
    ("tháng ba", None, "start", "Hãy chọn tháng bắt đầu"),
    (None, "2027-01", "end", "không thể kết thúc sau tháng này (12/2026)"),
    ("2026-06", "2026-05", "start", "Tháng bắt đầu không được sau tháng kết thúc"),
    ("2020-01", "2026-12", "start", "tối đa 60 tháng"),
    ("1999-12", "2000-01", "start", "Hãy chọn tháng bắt đầu"),
])
def test_a_bad_period_is_refused_with_a_clear_message(app, area, start, end, field, message):
    clubs = reports.area_clubs(area["supervisor"])
    with app.test_request_context(), force_locale("vi"):
        with pytest.raises(Invalid) as error:
            reports.choose_period(clubs, TODAY, start, end)
        assert message in str(error.value.errors[field])


@pytest.mark.parametrize("text, expected", [
    ("2025-03", date(2025, 3, 1)), ("03/2025", date(2025, 3, 1)), (" 3/2025 ", date(2025, 3, 1)),
    ("2025-13", None), ("2025", None), ("", None), (None, None), ("03-2025-01", None),
])
def test_a_month_is_read_as_the_picker_sends_it_or_as_typed(text, expected):
    assert ev.parse_month(text) == expected


def test_month_share_counts_the_days_gone_by():
    month = reports.Period.month(2026, 12)
    assert ev.month_share(month, date(2026, 12, 1)) == pytest.approx(1 / 31)
    assert ev.month_share(month, date(2026, 12, 31)) == pytest.approx(1)
    assert ev.month_share(month, date(2027, 1, 1)) == 1
    assert ev.month_share(month, date(2026, 11, 30)) == 0


CELL = re.compile(r'<td class="num[^"]*"[^>]*>([^<]*)</td>')


def figures_of(html):
    return dict(re.findall(r'data-figure="([^"]+)">([^<]*)<', html))


def test_the_page_shows_counts_only_suppressed(client, area):
    login_as(client, area["supervisor"])
    response = client.get("/area/evaluation/?start=2024-01&end=2025-12")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for key in ("big", "elsewhere"):
        for secret in secrets_of(area[key]):
            assert secret not in html, secret
    assert "Trần Thị Kín" not in html and "0987000111" not in html
    assert "Bí mật sàng lọc" not in html and "Tổ 1" not in html  # no screening's content
    assert figures_of(html)["screened-2"] == "9"  # the small club's survey
    assert area["elsewhere"].club.name not in html
    assert area["small"].club.name in html and area["empty"].name in html
    cells = CELL.findall(html)
    assert "&lt;5" in cells and "*" in cells
    # No count from 1 to 4 anywhere (a target or a ratio may be small: they carry a decimal or
    # are targets, so check the counts' columns only).
    figures = dict(re.findall(r'data-figure="([^"]+)">([^<]*)<', html))
    for key, value in figures.items():
        if key.rsplit("-", 1)[-1] in ev.COUNTS or key.split("-")[-1] in ev.COUNTS:
            assert value not in {"1", "2", "3", "4"}, (key, value)
    assert figures["consultations-2"] == "9"  # the small club (second by name)
    assert "Đánh giá thí điểm" in html and "@page" not in html


def test_a_bad_period_on_the_page_says_why(client, area):
    login_as(client, area["supervisor"])
    response = client.get("/area/evaluation/?start=2026-06&end=2026-01")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Tháng bắt đầu không được sau tháng kết thúc." in html
    assert 'aria-invalid="true"' in html


def test_only_the_supervisor_reaches_it(client, area):
    for user in (area["big"].chair, area["big"].members[1], make_user(role="admin")):
        login_as(client, user)
        assert client.get("/area/evaluation/").status_code == 403
        assert client.post("/area/evaluation/export", data={}).status_code == 403
        client.post("/logout")
    # Another area's supervisor sees their own clubs only.
    other = make_user(role="supervisor", area="Hải Phòng")
    login_as(client, other)
    html = client.get("/area/evaluation/").get_data(as_text=True)
    assert area["elsewhere"].club.name in html
    for name in (area["big"].club.name, area["small"].club.name, area["empty"].name):
        assert name not in html


def test_the_xlsx_holds_the_pages_figures(app, client, area):
    login_as(client, area["supervisor"])
    response = client.post("/area/evaluation/export", data={"start": "2024-01", "end": "2025-12"})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith('evaluation-2024-01-2025-12.xlsx"')
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Đánh giá thí điểm: các CLB của Hạ Long, 01/2024 – 12/2025"
    assert sheet["A1"].font.bold
    texts = [row[0] for row in rows if row and row[0]]
    assert "So sánh các CLB trong cả giai đoạn" in texts
    assert "Cách tính" in [row[1] for row in rows if row and len(row) > 1]
    data = evaluate(app, area["supervisor"], "2024-01", "2025-12", today=reports.today_local())
    header = rows[texts.index("So sánh các CLB trong cả giai đoạn") + 2:][0]
    assert header[:5] == ("Chỉ số", *[row["club"] for row in data["rows"]], "Cả địa bàn")
    for row in data["rows"]:
        heading = f"{row['club']}: theo từng tháng"
        at = next(i for i, r in enumerate(rows) if r[0] == heading)
        assert rows[at + 1][:3] == ("Tháng", "Lượt tư vấn", "Chỉ tiêu tư vấn")
        lines = rows[at + 2:at + 2 + len(row["months"]) + 1]
        for line, month in zip(lines, row["months"]):
            assert line[0] == month["month"].start.strftime("%m/%Y")
            for (key, _label, kind), cell in zip(ev.MONTH_COLUMNS, line[1:]):
                with app.test_request_context(), force_locale("vi"):
                    assert cell == ev.display(month[key], kind, numbers=True), (key, line)
                if kind == "count":
                    assert cell not in (1, 2, 3, 4)
        assert lines[-1][0] == "Cả giai đoạn"
    assert sheet.column_dimensions["A"].width == 34
    export = AuditLog.select().where(AuditLog.action == "export").order_by(AuditLog.id.desc()).get()
    assert export.details["dataset"] == "evaluation"
    assert export.details["start"] == "2024-01-01" and export.details["end"] == "2025-12-31"
    # A bad period is refused, and nothing is audited for it.
    before = AuditLog.select().count()
    assert client.post("/area/evaluation/export",
                       data={"start": "2026-06", "end": "2026-01"}).status_code == 400
    assert AuditLog.select().count() == before


def _derivable(vectors, target):
    """Whether `target` is a combination of `vectors` (exact arithmetic, Gaussian elimination):
    what a reader can work out by adding and subtracting the totals they were shown."""
    from fractions import Fraction

    def rank(rows):
        rows = [[Fraction(x) for x in row] for row in rows]
        r = 0
        for col in range(len(rows[0]) if rows else 0):
            pivot = next((i for i in range(r, len(rows)) if rows[i][col]), None)
            if pivot is None:
                continue
            rows[r], rows[pivot] = rows[pivot], rows[r]
            for i in range(len(rows)):
                if i != r and rows[i][col]:
                    factor = rows[i][col] / rows[r][col]
                    rows[i] = [a - factor * b for a, b in zip(rows[i], rows[r])]
            r += 1
        return r

    return rank(vectors) == rank(vectors + [target])


def test_no_choice_of_periods_gives_a_small_month_away(app):
    """Every period of 18 months chosen, with the area's pages of both years: no month shown as
    <5 or * is the sum or difference of what was shown exactly."""
    by_month = {date(2025, m + 1, 1): n for m, n in enumerate([3, 0, 6, 2, 0, 7, 1, 0, 0, 5, 0, 4])}
    by_month.update({date(2026, 1, 1): 2, date(2026, 2, 1): 6})
    club = make_club(name="CLB Thử")
    member = make_user(club=club)
    case = make_case(club=club, created_by=member, review_status="approved")
    for day, n in by_month.items():
        for _ in range(n):
            make_visit(case, created_by=member, date=day.replace(day=9), review_status="approved")
    supervisor = make_user(role="supervisor", area="Hạ Long")
    today = date(2026, 6, 15)
    months = [date(2025, m, 1) for m in range(1, 13)] + [date(2026, m, 1) for m in range(1, 7)]

    def vector(chosen):
        return [1 if m in chosen else 0 for m in months]

    published, hidden = [], set()
    for year in (2025, 2026):
        [row] = reports.area_report([club], year)["rows"]
        in_year = [m for m in months if m.year == year]
        if isinstance(row["consultations"], int):
            # The year's total; months after June 2026 hold nothing, as the page shows.
            published.append(vector(in_year))
        for m, value in zip(in_year, row["series"]["consultations"]):
            if isinstance(value, int):
                published.append(vector([m]))
            else:
                hidden.add(m)
    assert hidden, "the data must have small months"
    for i, start in enumerate(months):
        for end in months[i:]:
            data = evaluate(app, supervisor, f"{start:%Y-%m}", f"{end:%Y-%m}", today=today)
            [row] = data["rows"]
            for line in row["months"]:  # every month as the area page shows it
                assert (line["month"].start in hidden) == (
                    not isinstance(line["consultations"], int))
            if isinstance(row["total"]["consultations"], int):
                published.append(vector([m for m in months if start <= m <= end]))
    for m in sorted(hidden):
        assert not _derivable(published, vector([m])), m


def test_target_met_is_not_shown_beside_a_hidden_share(app):
    """With a 90% target and 10 people reached, "met" says 9 or 10 were referred; the share is
    hidden only where 1 to 4 were referred or not, so "met" beside it says exactly 1 was not."""
    club = make_club(city="Hạ Long", province="Quảng Ninh")
    supervisor = make_user(role="supervisor", area="Hạ Long")
    member = make_user(club=club)
    Target.create(club=club, year=2025, consultations=120, mobilised_per_member=2,
                  referred_percent=90)
    people = [make_case(club=club, created_by=member, consent=("follow", "refer"),
                        created_at=datetime(2025, 3, 1, 3)) for _ in range(10)]
    for person in people[:9]:
        make_referral(person, member, referred_on=date(2025, 6, 1))
    data = evaluate(app, supervisor, "2025-01", "2025-12")
    total = data["rows"][0]["total"]
    assert total["share"] is None and total["share_target"] == 90
    assert total["share_met"] is None, total["share_met"]
    assert data["total"]["met"]["share"] == 0  # no club is counted as having met it
    assert all(month["share_met"] is None for month in data["rows"][0]["months"]
               if month["share"] is None)
    with app.test_request_context(), force_locale("vi"):
        assert ev.display(total["share_met"], "met") == "—"
