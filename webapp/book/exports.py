"""Exports of the club's book (CSV, XLSX, and cases in HTCDS field names), and of the area figures.

Codes stand for people by default: a case is its club code, a member their login name. Names and
everything else that identifies someone (phone, address, free-text notes) go out only when the
chair asks for them, and every export is audited with that choice. Files stream, and every text
cell that a spreadsheet would read as a formula (= + - @, tab, carriage return) gets a leading '.
"""
import csv
import io
import tempfile
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from peewee import JOIN

from . import vocab
from .. import audit
from ..clock import local_now
from ..models import (
    Activity, Attendance, Case, CaseCategory, Consent, Referral, Screening, SurveyRound, User, Visit,
)

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 64 * 1024

DATASETS = vocab.Vocabulary("export_dataset", [
    ("book", _l("The whole book (XLSX: one sheet per table)")),
    ("cases", _l("Cases")),
    ("visits", _l("Visits")),
    ("referrals", _l("Referrals")),
    ("attendance", _l("Attendance at activities")),
    ("screenings", _l("Ward survey screenings")),
    ("htcds", _l("Cases in HTCDS field names (IOM)")),
])
FORMATS = vocab.Vocabulary("export_format", [("csv", "CSV"), ("xlsx", "XLSX (Excel)")])


def safe_cell(value):
    """A cell value that no spreadsheet runs as a formula (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


# --- Tables --------------------------------------------------------------------------------

class Table:
    """A named table: translated headers and a generator of rows (values, not yet made safe)."""

    def __init__(self, name, headers, rows):
        self.name = name
        self.headers = [str(h) for h in headers]
        self.rows = rows


def _book_case_ids(club, period):
    """The cases of the period, whatever their review status (the book shows pending ones too)."""
    cid = [club.id]
    worked = (Visit.select(Visit.case).where((Visit.club == club)
                                             & Visit.date.between(period.start, period.end))
              | Referral.select(Referral.case).where(
                  (Referral.club == club)
                  & Referral.referred_on.between(period.start, period.end))
              | (Attendance.select(Attendance.case)
                 .join(Activity, on=(Attendance.activity == Activity.id))
                 .where(Attendance.club.in_(cid)
                        & Activity.date.between(period.start, period.end))))
    since, until = period.utc_bounds()
    return (Case.select(Case.id)
            .where((Case.club == club) & Case.erased_at.is_null()
                   & (Case.id.in_(worked)
                      | ((Case.created_at >= since) & (Case.created_at < until)))))


def _label(vocabulary, code):
    """A coded value as the reader of the file says it, in the user's language."""
    return vocabulary.label(code) if code else ""


def _labels(vocabulary, codes):
    return ", ".join(_label(vocabulary, code) for code in codes or [])


def _who(user_login, user_name, names):
    return (user_name or user_login) if names else user_login


def _local_date(value):
    if isinstance(value, datetime):
        return local_now(value).date()  # stored in naive UTC
    return value


def _categories(case_ids):
    """{case_id: [category, ...]} in one query."""
    result = {}
    query = (CaseCategory.select(CaseCategory.case, CaseCategory.category)
             .where(CaseCategory.case.in_(case_ids)).order_by(CaseCategory.id))
    for case_id, category in query.tuples():
        result.setdefault(case_id, []).append(category)
    return result


def cases_table(club, period, names):
    headers = [_l("Case code"), _l("Registered on"), _l("Sex"), _l("Birth year"),
               _l("Categories"), _l("Risk level"), _l("Status"), _l("Assigned to"),
               _l("Review status")]
    if names:
        headers += [_l("Full name"), _l("Phone"), _l("Address"), _l("Neighbourhood"),
                    _l("How the club met them"), _l("Reason for closing")]
    Assigned = User.alias()

    def rows():
        ids = _book_case_ids(club, period)
        categories = _categories(ids)
        query = (Case.select(Case, Assigned.login.alias("assigned_login"),
                             Assigned.full_name.alias("assigned_name"))
                 .join(Assigned, on=(Case.assigned_to == Assigned.id), join_type=JOIN.LEFT_OUTER)
                 .where(Case.id.in_(ids)).order_by(Case.code).objects())
        for case in query.iterator():
            row = [case.code, _local_date(case.created_at), _label(vocab.SEXES, case.sex),
                   case.birth_year, _labels(vocab.CASE_CATEGORIES, categories.get(case.id)),
                   _label(vocab.RISK_LEVELS, case.risk_level),
                   _label(vocab.CASE_STATUSES, case.status),
                   _who(case.assigned_login, case.assigned_name, names)
                   if case.assigned_login else "",
                   _label(vocab.REVIEW_STATUSES, case.review_status)]
            if names:
                row += [case.full_name, case.phone, case.address, case.neighbourhood,
                        case.met_how, case.closed_reason]
            yield row
    return Table("cases", headers, rows())


def visits_table(club, period, names):
    headers = [_l("Case code"), _l("Date"), _l("Kind"), _l("Topics"), _l("Needs found"),
               _l("Follow-up date"), _l("Recorded by"), _l("Review status")]
    if names:
        headers += [_l("Notes")]

    def rows():
        query = (Visit.select(Visit, Case.code.alias("case_code"), User.login.alias("by_login"),
                              User.full_name.alias("by_name"))
                 .join(Case, on=(Visit.case == Case.id))
                 .switch(Visit).join(User, on=(Visit.created_by == User.id))
                 .where((Visit.club == club) & Visit.date.between(period.start, period.end))
                 .order_by(Visit.date, Visit.id).objects())
        for visit in query.iterator():
            row = [visit.case_code, visit.date, _label(vocab.VISIT_KINDS, visit.kind),
                   _labels(vocab.VISIT_TOPICS, visit.topics),
                   _labels(vocab.SERVICE_KINDS, visit.needs), visit.follow_up_date,
                   _who(visit.by_login, visit.by_name, names),
                   _label(vocab.REVIEW_STATUSES, visit.review_status)]
            if names:
                row.append(visit.notes)
            yield row
    return Table("visits", headers, rows())


def referrals_table(club, period, names):
    headers = [_l("Case code"), _l("Referred on"), _l("Service"), _l("Provider"), _l("Status"),
               _l("Status changed on"), _l("Outcome"), _l("Recorded by"), _l("Review status")]
    if names:
        headers += [_l("Reason"), _l("Note on the outcome")]

    def rows():
        query = (Referral.select(Referral, Case.code.alias("case_code"),
                                 User.login.alias("by_login"), User.full_name.alias("by_name"))
                 .join(Case, on=(Referral.case == Case.id))
                 .switch(Referral).join(User, on=(Referral.created_by == User.id))
                 .where((Referral.club == club)
                        & Referral.referred_on.between(period.start, period.end))
                 .order_by(Referral.referred_on, Referral.id).objects())
        for referral in query.iterator():
            row = [referral.case_code, referral.referred_on,
                   _label(vocab.SERVICE_KINDS, referral.service_kind), referral.provider,
                   _label(vocab.REFERRAL_STATUSES, referral.status), referral.status_changed_on,
                   _label(vocab.REFERRAL_OUTCOMES, referral.outcome),
                   _who(referral.by_login, referral.by_name, names),
                   _label(vocab.REVIEW_STATUSES, referral.review_status)]
            if names:
                row += [referral.reason, referral.outcome_note]
            yield row
    return Table("referrals", headers, rows())


def attendance_table(club, period, names):
    headers = [_l("Activity date"), _l("Activity"), _l("Activity kind"), _l("Case code"),
               _l("Brought by"), _l("Review status")]

    def rows():
        query = (Attendance.select(Attendance.review_status, Activity.date, Activity.title,
                                   Activity.kind, Case.code, User.login, User.full_name)
                 .join(Activity, on=(Attendance.activity == Activity.id))
                 .switch(Attendance).join(Case, on=(Attendance.case == Case.id))
                 .switch(Attendance)
                 .join(User, on=(Attendance.brought_by == User.id), join_type=JOIN.LEFT_OUTER)
                 .where((Attendance.club == club)
                        & Activity.date.between(period.start, period.end))
                 .order_by(Activity.date, Attendance.id).tuples())
        for status, day, title, kind, code, login, full_name in query.iterator():
            yield [day, title, _label(vocab.ACTIVITY_KINDS, kind), code,
                   _who(login, full_name, names) if login else "",
                   _label(vocab.REVIEW_STATUSES, status)]
    return Table("attendance", headers, rows())


def screenings_table(club, period, names):
    """The survey's screenings of the period: they name no one; their short notes go only with
    names, as every free text does."""
    headers = [_l("Survey round"), _l("Area"), _l("Date"), _l("Kind of person"),
               _l("Risk indicators answered yes"), _l("Suggested level"), _l("Risk level"),
               _l("Counselled"), _l("Registered as case"), _l("Recorded by"), _l("Review status")]
    if names:
        headers += [_l("Notes")]

    def rows():
        query = (Screening.select(Screening, SurveyRound.name.alias("round_name"),
                                  Case.code.alias("case_code"), User.login.alias("by_login"),
                                  User.full_name.alias("by_name"))
                 .join(SurveyRound, on=(Screening.round == SurveyRound.id))
                 .switch(Screening)
                 .join(Case, on=(Screening.registered_case == Case.id), join_type=JOIN.LEFT_OUTER)
                 .switch(Screening).join(User, on=(Screening.created_by == User.id))
                 .where((Screening.club == club)
                        & Screening.screened_on.between(period.start, period.end))
                 .order_by(Screening.screened_on, Screening.id).objects())
        for screening in query.iterator():
            row = [screening.round_name, screening.area, screening.screened_on,
                   _label(vocab.CASE_CATEGORIES, screening.category),
                   _labels(vocab.RISK_INDICATORS, screening.indicators),
                   _label(vocab.RISK_LEVELS, screening.suggested_level),
                   _label(vocab.RISK_LEVELS, screening.risk_level), screening.counselled,
                   screening.case_code or "", _who(screening.by_login, screening.by_name, names),
                   _label(vocab.REVIEW_STATUSES, screening.review_status)]
            if names:
                row.append(screening.notes)
            yield row
    return Table("screenings", headers, rows())


# HTCDS: IOM's Human Trafficking Case Data Standard, field names as in "HTCDS Field Reference.md"
# of github.com/UNMigration/HTCDS at commit 38195b927cfde98924b94b1fb159e24ecde68855 (the
# markdown field reference, all fields "DRAFT"). Its revision history says release 1.0 (Sept.
# 2021) later changed the gender values to IOM's standard and replaced the single consent
# question with a consent section; those newer names live only in the .ods spreadsheets, which
# were not readable here, so this export follows the markdown reference and says so.
# Only fields we hold are filled; columns prefixed sotd_ are ours, not HTCDS's.
# - prs_FirstName / prs_MiddleName / prs_SecondName: a Vietnamese full name is written family
#   name first, given name last: "Nguyễn Thị Lan" -> SecondName "Nguyễn", MiddleName "Thị",
#   FirstName "Lan". Only with names.
# - prs_Birthdate is a full date; we hold a birth year only, so it stays out (sotd_BirthYear).
# - prs_Gender picklist Male/Female/Transgender/NonConforming/Unknown: our "other" is a
#   person who is neither, i.e. NonConforming; nothing recorded is Unknown.
# - prs_MobilePhone, prs_MailingStreet (address and neighbourhood): only with names.
#   prs_MailingCity/State/Country: the club's city, province and "VN" (ISO 3166).
# - vic_AgreementToManagePersonalData (checkbox): consent "follow" given and not withdrawn.
# - cas_Status picklist Active/FollowUp/Closed/ClosedReferred: the same four as ours.
# - cas_ReferredOrganisation, cas_OutgoingReferralDate, cas_ReasonForOutgoingReferral,
#   cas_OutgoingReferralDetails: the case's referrals ("There may be multiple referred
#   organisations"), joined with " | " in date order. Our referrals send a person to a service,
#   hence the reason "AdditionalServicesRequired"; the details (our free-text reason) only with
#   names. cas_ReasonForCaseClosure: our closing reason, free text, only with names.
HTCDS_COMMIT = "38195b927cfde98924b94b1fb159e24ecde68855"
HTCDS_GENDER = {"female": "Female", "male": "Male", "other": "Transgender/NonConforming"}
HTCDS_STATUS = {"active": "Active", "follow_up": "FollowUp", "closed": "Closed",
                "closed_referred": "ClosedReferred"}


def split_vietnamese_name(full_name):
    """(first/given, middle, second/family) of a name written family name first."""
    parts = (full_name or "").split()
    if not parts:
        return "", "", ""
    if len(parts) == 1:
        return parts[0], "", ""
    return parts[-1], " ".join(parts[1:-1]), parts[0]


def htcds_table(club, period, names):
    headers = ["sotd_CaseCode", "sotd_BirthYear", "sotd_Categories", "prs_Gender",
               "prs_MailingCity", "prs_MailingState", "prs_MailingCountry",
               "vic_AgreementToManagePersonalData", "cas_Status", "cas_ReferredOrganisation",
               "cas_OutgoingReferralDate", "cas_ReasonForOutgoingReferral"]
    if names:
        headers += ["prs_FirstName", "prs_MiddleName", "prs_SecondName", "prs_MobilePhone",
                    "prs_MailingStreet", "cas_OutgoingReferralDetails", "cas_ReasonForCaseClosure"]

    def rows():
        ids = _book_case_ids(club, period)
        categories = _categories(ids)
        agreed = {case_id for (case_id,) in (
            Consent.select(Consent.case)
            .where(Consent.case.in_(ids) & (Consent.purpose == "follow") & Consent.given
                   & Consent.withdrawn_at.is_null()).tuples())}
        referrals = {}
        for case_id, provider, day, reason in (
                Referral.select(Referral.case, Referral.provider, Referral.referred_on,
                                Referral.reason)
                .where(Referral.case.in_(ids)).order_by(Referral.referred_on, Referral.id)
                .tuples()):
            referrals.setdefault(case_id, []).append((provider, day, reason))
        for case in Case.select().where(Case.id.in_(ids)).order_by(Case.code).iterator():
            made = referrals.get(case.id, [])
            row = [case.code, case.birth_year, " ".join(categories.get(case.id, [])),
                   HTCDS_GENDER.get(case.sex, "Unknown"), club.city, club.province, "VN",
                   case.id in agreed, HTCDS_STATUS.get(case.status, case.status),
                   " | ".join(p for p, _d, _r in made), " | ".join(d.isoformat() for _p, d, _r
                                                                  in made),
                   " | ".join("AdditionalServicesRequired" for _ in made)]
            if names:
                first, middle, second = split_vietnamese_name(case.full_name)
                street = ", ".join(part for part in (case.address, case.neighbourhood) if part)
                row += [first, middle, second, case.phone, street,
                        " | ".join(r for _p, _d, r in made), case.closed_reason]
            yield row
    return Table("htcds_cases", headers, rows())


TABLES = {"cases": cases_table, "visits": visits_table, "referrals": referrals_table,
          "attendance": attendance_table, "screenings": screenings_table, "htcds": htcds_table}


def book_tables(club, dataset, period, names):
    if dataset == "book":
        return [TABLES[name](club, period, names)
                for name in ("cases", "visits", "referrals", "attendance", "screenings")]
    return [TABLES[dataset](club, period, names)]


# --- Writers -------------------------------------------------------------------------------

def _text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def csv_chunks(table):
    """The table as UTF-8 CSV (with a BOM, so that Excel reads Vietnamese), in chunks."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([safe_cell(h) for h in table.headers])
    for row in table.rows:
        writer.writerow([safe_cell(_text(v)) for v in row])
        if buffer.tell() > CHUNK:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def xlsx_chunks(tables):
    """The tables as one XLSX workbook (one sheet each), written to a temporary file, in chunks."""
    workbook = Workbook(write_only=True)
    for table in tables:
        sheet = workbook.create_sheet(table.name[:31])
        sheet.append([safe_cell(h) for h in table.headers])
        for row in table.rows:
            sheet.append([safe_cell(v) if not isinstance(v, bool) else int(v) for v in row])
    with tempfile.TemporaryFile() as handle:
        workbook.save(handle)
        handle.seek(0)
        while chunk := handle.read(CHUNK):
            yield chunk


def export_book(club, dataset, file_format, period, names, by):
    """Audit the export, then return (filename, mimetype, chunk generator)."""
    audit.record("export", None, user=by, club=club, dataset=dataset, format=file_format,
                 names=bool(names), start=period.start.isoformat(), end=period.end.isoformat())
    tables = book_tables(club, dataset, period, names)
    stem = f"{club.code_prefix}-{dataset}-{period.start.isoformat()}-{period.end.isoformat()}"
    return _package(stem, file_format, tables)


def _package(stem, file_format, tables):
    if file_format == "csv":
        return f"{stem}.csv", "text/csv; charset=utf-8", csv_chunks(tables[0])
    return (f"{stem}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            xlsx_chunks(tables))


class Sheet(Table):
    """A table laid out for people: a title, sections each with a heading and its column
    headers, and column widths. `rows` holds (style, values) pairs: style "title", "section",
    "header" or "" (a row of figures)."""

    def __init__(self, name, title, widths, rows):
        super().__init__(name, [], rows)
        self.title = title
        self.widths = widths


def _section(title, headers, rows):
    yield "", []
    yield "section", [str(title)]
    yield "header", [str(h) for h in headers]
    for row in rows:
        yield "", [c if isinstance(c, (int, float, date)) else str(c) for c in row]


def _percent(referred, cases):
    return f"{round(100 * referred / cases)}%" if cases else "0%"


def monthly_sheet(data):
    """The month's figures of the monthly meeting as one sheet (codes, no case content)."""
    f, ytd, targets = data["figures"], data["year_to_date"], data["targets"]
    title = _l("%(club)s: monthly meeting, %(month)02d/%(year)d", club=data["club"].name,
               month=data["month"], year=data["year"])

    def rows():
        yield "title", [str(title)]
        yield from _section(_l("Results against the year's targets"),
                            [_l("Figure"), _l("This month"), _l("Year to date"),
                             _l("Target for the year")], [
            [_l("Consultations"), f["consultations"], ytd["consultations"],
             targets.consultations],
            [_l("People mobilised"), f["mobilised"], ytd["mobilised"],
             data["progress"]["mobilised"]["target"]],
            [_l("Share of cases referred to a service"),
             _percent(f["referred_cases"], f["cases"]),
             _percent(ytd["referred_cases"], ytd["cases"]), f"{targets.referred_percent}%"],
            [_l("Referrals"), f["referrals"], ytd["referrals"], ""],
            [_l("Cases referred"), f["referred_cases"], ytd["referred_cases"], ""],
            [_l("Cases of the period"), f["cases"], ytd["cases"], ""],
            [_l("New cases"), f["new_cases"], ytd["new_cases"], ""],
        ])
        yield from _section(_l("Visits by kind"), [_l("Kind"), _l("This month")],
                            [[label, n] for _c, label, n in data["visit_kinds"]])
        yield from _section(_l("Referrals by status"), [_l("Status"), _l("This month")],
                            [[label, n] for _c, label, n in data["referral_statuses"]])
        yield from _section(_l("Members"), [_l("Member"), _l("Visits"), _l("Consultations"),
                                            _l("People mobilised"), _l("Referrals")],
                            [[row["member"].full_name or row["member"].login, row["visits"],
                              row["consultations"], row["mobilised"], row["referrals"]]
                             for row in data["members"]])
        yield from _section(_l("Tasks for next month"),
                            [_l("Date"), _l("Member"), _l("Case code"), _l("Task")],
                            [[task.due_date, task.member.full_name or task.member.login,
                              task.case.code, task.note] for task in data["tasks"]])
    return Sheet(f"{data['year']}-{data['month']:02d}", title, [40, 16, 16, 20, 14], rows())


def monthly_csv_chunks(sheet):
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    for _style, values in sheet.rows:
        if values:  # blank rows only space out the workbook
            writer.writerow([safe_cell(_text(v)) for v in values])
    yield buffer.getvalue().encode("utf-8")


def monthly_xlsx_chunks(sheet):
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(sheet.name[:31])
    for i, width in enumerate(sheet.widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    fonts = {"title": Font(bold=True, size=14), "section": Font(bold=True, size=12),
             "header": Font(bold=True)}
    for style, values in sheet.rows:
        cells = []
        for value in values:
            cell = WriteOnlyCell(ws, value=safe_cell(value))
            if style in fonts:
                cell.font = fonts[style]
            cells.append(cell)
        ws.append(cells)
    with tempfile.TemporaryFile() as handle:
        workbook.save(handle)
        handle.seek(0)
        while chunk := handle.read(CHUNK):
            yield chunk


def export_monthly(data, file_format, by):
    audit.record("export", None, user=by, club=data["club"], dataset="monthly",
                 format=file_format, names=False, year=data["year"], month=data["month"])
    stem = f"{data['club'].code_prefix}-monthly-{data['year']}-{data['month']:02d}"
    sheet = monthly_sheet(data)
    if file_format == "csv":
        return f"{stem}.csv", "text/csv; charset=utf-8", monthly_csv_chunks(sheet)
    return (f"{stem}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            monthly_xlsx_chunks(sheet))


def area_table(report):
    """The area figures (already suppressed by reports.area_report) as one long table."""
    def rows():
        year = report["year"]
        for row in report["rows"]:
            club = row["club"]
            for key, label in (("consultations", _l("Consultations")),
                               ("cases", _l("People reached")),
                               ("referrals", _l("Referrals")),
                               ("mobilised", _l("People mobilised"))):
                yield [club, year, str(label), row[key]]
            for label, value in row["categories"]:
                yield [club, year, f"{_l('People reached')}: {label}", value]
            for label, value in row["statuses"] + row["outcomes"]:
                yield [club, year, f"{_l('Referrals')}: {label}", value]
            for key, label in (("survey_screened", _l("People screened")),
                               ("survey_at_risk", _l("At risk (medium or high)")),
                               ("survey_registered", _l("Registered as cases")),
                               ("survey_counselled", _l("Counselled"))):
                yield [club, year, str(label), row[key]]
            for label, value in row["survey_categories"]:
                yield [club, year, f"{_l('People screened')}: {label}", value]
            for key, label in (("consultations", _l("Consultations target met")),
                               ("mobilised", _l("Mobilisation target met")),
                               ("referred", _l("Referred share target met"))):
                met = row["targets_met"][key]  # None: not shown (area.count_met, share_met)
                yield [club, year, str(label), str(_l("Not shown") if met is None
                                                   else _l("yes") if met else _l("no"))]
            for key, label in (("consultations", _l("Consultations")),
                               ("mobilised", _l("People mobilised")),
                               ("referrals", _l("Referrals")),
                               ("survey_screened", _l("People screened")),
                               ("survey_at_risk", _l("At risk (medium or high)")),
                               ("survey_registered", _l("Registered as cases"))):
                for month, value in zip(report["months"], row["series"][key]):
                    yield [club, month.start.strftime("%Y-%m"), str(label), value]
    return Table("area", [_l("Club"), _l("Period"), _l("Figure"), _l("Value")], rows())


def export_area(user, report, file_format):
    audit.record("export", None, user=user, dataset="area", format=file_format, names=False,
                 year=report["year"])
    return _package(f"area-{report['year']}", file_format, [area_table(report)])


def evaluation_sheet(data, area):
    """The pilot's evaluation (already suppressed by reports.evaluation) as one sheet laid out like
    the monthly meeting's: the clubs side by side over the period, then each club's months."""
    from .reports import evaluation as ev  # the module: its lines and how a value reads

    period = data["period"]
    span = f"{period.start.strftime('%m/%Y')} – {period.end.strftime('%m/%Y')}"
    title = _l("Pilot evaluation: clubs of %(area)s, %(period)s", area=area, period=span)
    clubs = [row["club"] for row in data["rows"]]

    def rows():
        yield "title", [str(title)]
        yield "", [str(_l("Approved entries only; counts of people and entries, no names."))]
        yield from _section(_l("The clubs side by side over the period"),
                            [_l("Figure"), *clubs, _l("All clubs")],
                            [[label, *[ev.display(v, kind, numbers=True) for v in values],
                              ev.display(total, kind, numbers=True)]
                             for _key, label, kind, values, total in ev.side_by_side(data)])
        headers = [_l("Month")] + [label for _k, label, _kind in ev.MONTH_COLUMNS]
        for row in data["rows"]:
            lines = [[line["month"].start.strftime("%m/%Y"),
                      *[ev.display(line[key], kind, numbers=True)
                        for key, _label, kind in ev.MONTH_COLUMNS]] for line in row["months"]]
            lines.append([_l("Whole period"),
                          *[ev.display(row["total"][key], kind, numbers=True)
                            for key, _label, kind in ev.MONTH_COLUMNS]])
            yield from _section(_l("%(club)s: month by month", club=row["club"]), headers, lines)
        yield from _section(_l("How the figures are counted"), [_l("Figure"), _l("How")],
                            [[label, text] for label, text in ev.NOTES])
    widths = [34] + [16] * max(len(ev.MONTH_COLUMNS), len(clubs) + 1)
    return Sheet(f"{period.start:%Y-%m}-{period.end:%Y-%m}", title, widths, rows())


def export_evaluation(user, data):
    """Audit the export, then return (filename, mimetype, chunks) of the evaluation's XLSX."""
    period = data["period"]
    audit.record("export", None, user=user, dataset="evaluation", format="xlsx", names=False,
                 start=period.start.isoformat(), end=period.end.isoformat())
    return (f"evaluation-{period.start:%Y-%m}-{period.end:%Y-%m}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            monthly_xlsx_chunks(evaluation_sheet(data, user.area)))
