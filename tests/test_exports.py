"""Exports of the club's book: codes by default, names only when chosen and audited, safe cells."""
import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from webapp.book import exports, reports, vocab
from webapp.models import AuditLog, Screening, SurveyRound, VisitMember

from .factories import login_as, make_case, make_user, make_visit
from .report_data import make_activity, make_attendance, make_referral

PERIOD = {"start": "2025-01-01", "end": "2025-12-31"}


@pytest.fixture
def book(app):
    chair = make_user(role="chair", full_name="Trần Chủ Nhiệm")
    member = make_user(club=chair.club, full_name="Lê Thành Viên")
    case = make_case(club=chair.club, created_by=member, full_name="Nguyễn Thị Lan",
                     phone="0912345678", address="Số 7 ngõ Hoa", neighbourhood="Khu 3",
                     met_how="Gặp ở chợ", categories=("victim", "returnee"))
    visit = make_visit(case, created_by=member, date=date(2025, 4, 2), review_status="approved",
                       notes="Ghi chú bí mật", kind="home_visit")
    VisitMember.create(visit=visit, user=chair)
    make_referral(case, member, referred_on=date(2025, 4, 3), provider="Bệnh viện tỉnh",
                  reason="Cần khám sức khoẻ", outcome="service_received",
                  outcome_note="Đã khám xong", status="completed")
    activity = make_activity(chair.club, chair, date(2025, 5, 1))
    make_attendance(activity, case, member)
    survey = SurveyRound.create(club=chair.club, name="Khảo sát quý 2", starts_on=date(2025, 4, 1),
                                ends_on=date(2025, 6, 30), areas=["Tổ 1"], created_by=chair)
    Screening.create(club=chair.club, round=survey, area="Tổ 1", screened_on=date(2025, 4, 5),
                     category="labour_migrant", indicators=["plans_abroad"],
                     suggested_level="medium", risk_level="high", counselled=True,
                     notes="Ghi chú khảo sát", registered_case=case, created_by=member,
                     review_status="approved")
    return dict(chair=chair, member=member, case=case)


def download(client, **form):
    data = dict(PERIOD, **form)
    response = client.post("/desk/exports", data=data)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response


def read_csv(response):
    text = response.get_data().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("dataset", ["cases", "visits", "referrals", "attendance", "screenings",
                                     "htcds"])
def test_csv_exports_use_codes_not_names_by_default(client, book, dataset):
    login_as(client, book["chair"])
    response = download(client, dataset=dataset, file_format="csv")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data().decode("utf-8-sig")
    assert book["case"].code in text
    for secret in ("Nguyễn Thị Lan", "0912345678", "Số 7 ngõ Hoa", "Ghi chú bí mật",
                   "Cần khám sức khoẻ", "Đã khám xong", "Gặp ở chợ", "Trần Chủ Nhiệm", "Lê Thành Viên",
                   "Ghi chú khảo sát"):
        assert secret not in text
    log = AuditLog.get(AuditLog.action == "export")
    assert log.details["names"] is False and log.details["dataset"] == dataset
    assert log.user_id == book["chair"].id and log.club_id == book["chair"].club_id


def test_names_only_when_chosen_and_the_choice_is_audited(client, book):
    login_as(client, book["chair"])
    rows = read_csv(download(client, dataset="cases", file_format="csv", names="y"))
    assert "Nguyễn Thị Lan" in rows[1] and "0912345678" in rows[1]
    assert book["member"].full_name in rows[1]
    visits = read_csv(download(client, dataset="visits", file_format="csv", names="y"))
    assert visits[1][-1] == "Ghi chú bí mật"
    screenings = read_csv(download(client, dataset="screenings", file_format="csv", names="y"))
    assert screenings[1][-1] == "Ghi chú khảo sát" and book["member"].full_name in screenings[1]
    log = AuditLog.select().where(AuditLog.action == "export").order_by(AuditLog.id).first()
    assert log.details["names"] is True
    assert "Nguyễn" not in str(log.details)


def test_the_book_as_xlsx_opens_with_openpyxl(client, book):
    login_as(client, book["chair"])
    response = download(client, dataset="book", file_format="xlsx")
    assert response.mimetype.endswith("spreadsheetml.sheet")
    workbook = load_workbook(io.BytesIO(response.get_data()))
    assert workbook.sheetnames == ["cases", "visits", "referrals", "attendance", "screenings"]
    cases = list(workbook["cases"].values)
    assert cases[1][0] == book["case"].code
    assert cases[1][4] == f"{vocab.CASE_CATEGORIES.label('victim')}, " \
                          f"{vocab.CASE_CATEGORIES.label('returnee')}"
    visits = list(workbook["visits"].values)
    assert visits[1][0] == book["case"].code
    assert visits[1][2] == vocab.VISIT_KINDS.label("home_visit") == "Thăm hộ gia đình"
    assert visits[1][1].date() == date(2025, 4, 2)
    assert len(list(workbook["attendance"].values)) == 2
    header, screening = list(workbook["screenings"].values)
    assert header[0] == "Đợt khảo sát" and len(header) == 11  # no notes without names
    assert screening[:4] == ("Khảo sát quý 2", "Tổ 1", screening[2],
                             vocab.CASE_CATEGORIES.label("labour_migrant"))
    assert screening[2].date() == date(2025, 4, 5)
    assert screening[5:9] == (vocab.RISK_LEVELS.label("medium"), vocab.RISK_LEVELS.label("high"),
                              1, book["case"].code)
    assert "Nguyễn Thị Lan" not in str(cases)


@pytest.mark.parametrize("value", ["=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0",
                                   "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1"])
def test_formula_like_cells_are_defused(client, app, value):
    chair = make_user(role="chair")
    case = make_case(club=chair.club, created_by=chair, full_name=value, address=value)
    make_referral(case, chair, provider=value, referred_on=date(2025, 2, 1))
    login_as(client, chair)
    rows = read_csv(download(client, dataset="referrals", file_format="csv", names="y"))
    assert rows[1][3] == "'" + value
    rows = read_csv(download(client, dataset="cases", file_format="csv", names="y"))
    assert rows[1][9] == "'" + value
    workbook = load_workbook(io.BytesIO(download(client, dataset="book", file_format="xlsx",
                                                 names="y").get_data()))
    cell = workbook["referrals"]["D2"]
    assert cell.data_type == "s" and cell.value.startswith("'")  # XML turns \r into \n


@pytest.mark.parametrize("value, safe", [("=1+1", "'=1+1"), ("plain", "plain"), (-3, -3),
                                         ("", ""), (None, None), ("a=b", "a=b")])
def test_safe_cell(value, safe):
    assert exports.safe_cell(value) == safe


def test_htcds_field_names_and_values(client, book):
    login_as(client, book["chair"])
    rows = read_csv(download(client, dataset="htcds", file_format="csv"))
    header, row = rows[0], dict(zip(rows[0], rows[1]))
    htcds = [name for name in header if not name.startswith("sotd_")]
    assert all(name.split("_", 1)[0] in ("prs", "vic", "cas") for name in htcds)
    assert "prs_FirstName" not in header and "prs_MobilePhone" not in header
    assert row["prs_Gender"] == "Female" and row["cas_Status"] == "Active"
    assert row["prs_MailingCountry"] == "VN" and row["vic_AgreementToManagePersonalData"] == "1"
    assert row["cas_ReferredOrganisation"] == "Bệnh viện tỉnh"
    assert row["cas_OutgoingReferralDate"] == "2025-04-03"
    assert row["sotd_CaseCode"] == book["case"].code
    named = read_csv(download(client, dataset="htcds", file_format="csv", names="y"))
    row = dict(zip(named[0], named[1]))
    assert (row["prs_FirstName"], row["prs_MiddleName"], row["prs_SecondName"]) == (
        "Lan", "Thị", "Nguyễn")
    assert row["prs_MobilePhone"] == "0912345678"
    assert row["cas_OutgoingReferralDetails"] == "Cần khám sức khoẻ"


@pytest.mark.parametrize("name, parts", [("Nguyễn Thị Lan", ("Lan", "Thị", "Nguyễn")),
                                         ("Lan", ("Lan", "", "")), ("", ("", "", "")),
                                         ("Tôn Nữ Thị Hà", ("Hà", "Nữ Thị", "Tôn"))])
def test_split_vietnamese_name(name, parts):
    assert exports.split_vietnamese_name(name) == parts


def test_exports_hold_only_the_period_and_the_club(client, book):
    other = make_user(role="chair")
    other_case = make_case(club=other.club, created_by=other)
    make_visit(other_case, date=date(2025, 4, 2), review_status="approved")
    make_visit(book["case"], created_by=book["member"], date=date(2024, 12, 31),
               review_status="approved")
    login_as(client, book["chair"])
    rows = read_csv(download(client, dataset="visits", file_format="csv"))
    assert len(rows) == 2 and rows[1][1] == "2025-04-02"
    text = download(client, dataset="cases", file_format="csv").get_data().decode("utf-8-sig")
    assert other_case.code not in text


@pytest.fixture
def english(app):
    chair = make_user(role="chair", locale="en")
    return chair


@pytest.mark.parametrize("change, message", [
    ({"start": "2025-12-31", "end": "2025-01-01"}, "The last day must not be before the first."),
    ({"start": ""}, "Enter the first day."),
    ({"end": "31/12/2025"}, "Not a valid date value."),
    ({"dataset": "book", "file_format": "csv"},
     "The whole book is a workbook: choose XLSX, or one table for CSV."),
    ({"dataset": "everything"}, "Not a valid choice."),
])
def test_bad_export_requests_get_a_clear_message(client, english, change, message):
    login_as(client, english)
    data = dict(PERIOD, dataset="cases", file_format="csv")
    data.update(change)
    response = client.post("/desk/exports", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert AuditLog.select().where(AuditLog.action == "export").count() == 0


def test_monthly_export_as_csv_and_xlsx(client, book):
    login_as(client, book["chair"])
    response = client.post("/desk/monthly/2025/4/export", data={"export-file_format": "csv"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    consultations = next(r for r in rows[1:] if r[0] in ("Consultations", "Lượt tư vấn"))
    assert consultations[1] == "1"
    response = client.post("/desk/monthly/2025/4/export", data={"export-file_format": "xlsx"})
    workbook = load_workbook(io.BytesIO(response.get_data()))
    assert workbook.sheetnames == ["2025-04"]
    assert "Nguyễn Thị Lan" not in response.get_data(as_text=False).decode("latin-1")
    assert AuditLog.select().where(AuditLog.action == "export").count() == 2


CODES = ("female", "victim", "returnee", "at_risk", "home_visit", "approved", "completed",
         "service_received", "legal_support", "medical_care", "awareness", "medium", "active",
         "labour_migrant", "plans_abroad", "high")


@pytest.mark.parametrize("locale, labels", [
    ("vi", None),
    ("en", {"cases": ["Female", "Trafficking victim, Returned irregular migrant", "Active",
                      "Approved"],
            "visits": ["Home visit"],
            "referrals": ["Medical care", "Completed", "Received the service"],
            "attendance": ["Awareness session"],
            "screenings": ["Planning to work abroad", "Medium", "High"]}),
])
def test_exports_speak_labels_not_codes(client, book, locale, labels):
    """A ward hands its files to the city: every coded value in the reader's language."""
    book["chair"].locale = locale
    book["chair"].save()
    login_as(client, book["chair"])
    workbook = load_workbook(io.BytesIO(download(client, dataset="book",
                                                 file_format="xlsx").get_data()))
    for sheet in ("cases", "visits", "referrals", "attendance", "screenings"):
        values = [v for row in list(workbook[sheet].values)[1:] for v in row
                  if isinstance(v, str)]
        assert values, sheet
        for code in CODES:
            assert code not in values, (sheet, code)
        for label in (labels or {}).get(sheet, []):
            assert label in values, (sheet, label, values)
    if locale == "vi":
        cases = list(workbook["cases"].values)[1]
        assert vocab.SEXES.label("female") in cases and "Nữ" in cases


def test_the_monthly_workbook_is_laid_out_for_the_meeting(client, book):
    """Title, section headings, column headers, widths, members by name, all three targets."""
    login_as(client, book["chair"])
    response = client.post("/desk/monthly/2025/4/export", data={"export-file_format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.get_data()))["2025-04"]
    rows = [[c for c in row if c is not None] for row in sheet.values]
    assert book["chair"].club.name in rows[0][0] and "04/2025" in rows[0][0]
    assert sheet["A1"].font.bold
    assert sheet.column_dimensions["A"].width >= 30
    flat = [c for row in rows for c in row]
    for heading in ("Thành viên", "Nhiệm vụ tháng tới", "Kết quả so với chỉ tiêu năm"):
        assert heading in flat, heading
    headers = next(row for row in rows if "Từ đầu năm" in row)
    assert sheet.cell(row=rows.index(headers) + 1, column=1).font.bold
    assert book["member"].full_name in flat and book["member"].login not in flat
    targets = reports.targets_for(book["chair"].club, 2025)
    by_label = {row[0]: row for row in rows if row}
    assert by_label["Lượt tư vấn"][1:] == [1, 1, targets.consultations]
    assert by_label["Tỉ lệ đối tượng được chuyển gửi dịch vụ"][-1] == f"{targets.referred_percent}%"
    assert by_label["Số người được vận động"][-1] == targets.mobilised_per_member * 2
    assert "Nguyễn Thị Lan" not in flat
