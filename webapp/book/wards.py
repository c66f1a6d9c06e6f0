"""Starting a new ward's club: the club and its board from one form, its members imported from a
spreadsheet, and a sheet per member with their login and a one-time setup code.

Every rule a person's row must keep is here, so the form, the import and the tests read the same
checks. Accounts made here cannot be opened by anyone yet: their holders open them with the setup
code printed on their sheet (the admin never knows a working password)."""
import csv
import io
import re
import zipfile
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from openpyxl import load_workbook
from peewee import fn

from .. import accounts, audit
from ..db import database
from ..invalid import Invalid
from ..models import FIELD_ROLES, User
from . import exports, kinds
from .cases import folded

BOARD_ROWS = 4  # the chair and up to three vice-chairs on the form
MAX_FILE_BYTES = 1024 * 1024
MAX_ROWS = 500
NAME_MAX = 120

_PHONE = kinds.Phone("phone", _l("Phone number"), required=True)

# What a column's heading may say (read without case or accents), and what a role cell may say.
COLUMNS = {
    "full_name": ("ho ten", "ho va ten", "ten", "ho ten thanh vien", "name", "full name"),
    "phone": ("so dien thoai", "dien thoai", "sdt", "so dt", "dt", "phone", "phone number"),
    "role": ("vai tro", "chuc vu", "role"),
}
ROLE_WORDS = {
    "member": ("", "thanh vien", "tv", "cong tac vien", "ctv", "hoi vien", "member"),
    "chair": ("chu nhiem", "pho chu nhiem", "ban chu nhiem", "uy vien ban chu nhiem", "cn", "pcn",
              "chair", "vice-chair", "vice chair", "board"),
}
ROLE_HINT = _l("Role: “thành viên” (or blank) for a member; “chủ nhiệm” or “phó chủ nhiệm” for "
               "a board member.")


def check_person(full_name, phone, seen):
    """(the person's clean values, {field: message}) for one row of a form or a file.

    `seen` maps the numbers of the rows before to their label (a line, a row of the form): the
    same number twice is refused, as is one that an account already holds.
    """
    errors = {}
    full_name = " ".join((full_name or "").split())
    if not full_name:
        errors["full_name"] = _l("The name is missing.")
    elif len(full_name) > NAME_MAX:
        errors["full_name"] = _l("The name must have at most 120 characters.")
    typed = (phone or "").strip()
    number = None
    if not typed:
        errors["phone"] = _l("The phone number is missing.")
    elif not re.fullmatch(_PHONE.pattern, typed):
        errors["phone"] = _l("%(phone)s is not a Vietnamese phone number (e.g. 0912 345 678).",
                             phone=typed[:30])
    else:
        number = accounts.normalise_phone(typed)
        if number in seen:
            errors["phone"] = _l("The phone number %(phone)s is also on %(where)s.",
                                 phone=typed, where=seen[number])
        elif accounts.phone_holder(number) is not None:
            errors["phone"] = _l("The phone number %(phone)s already belongs to an account.",
                                 phone=typed)
    return {"full_name": full_name, "phone": number}, errors


def role_of(text):
    """The role code a cell names, or None when it names none we know."""
    word = folded(str(text or "")).replace("_", " ").strip(" .")
    for role, words in ROLE_WORDS.items():
        if word in words:
            return role
    return None


# --- Logins ------------------------------------------------------------------------------------
# Made as the pilot's were: the club's code prefix, a dot, then "chunhiem" for the chair, "pcn1",
# "pcn2"… for the other board members and "tv1", "tv2"… for members, skipping logins taken.

def _taken_logins(club):
    prefix = club.code_prefix.lower() + "."
    return {login for (login,) in (User.select(fn.LOWER(User.login))
                                   .where(fn.LOWER(User.login).startswith(prefix)).tuples())}


def _new_login(club, role, taken, first_chair=False):
    base = club.code_prefix.lower() + "."
    if first_chair and base + "chunhiem" not in taken:
        login = base + "chunhiem"
    else:
        stem = base + ("pcn" if role == "chair" else "tv")
        n = 1
        while f"{stem}{n}" in taken:
            n += 1
        login = f"{stem}{n}"
    taken.add(login)
    return login


def _create_accounts(club, people, by, keys):
    """Create the club's accounts for `people` ({full_name, phone, role}); an account refused
    raises Invalid keyed by `keys[i]` + the field, so the caller's transaction leaves nothing."""
    taken = _taken_logins(club)
    has_chair = accounts.club_has_chair(club)
    made = []
    for key, person in zip(keys, people):
        first_chair = person["role"] == "chair" and not has_chair
        has_chair = has_chair or person["role"] == "chair"
        try:
            made.append(accounts.create_unopened_account(
                login=_new_login(club, person["role"], taken, first_chair), role=person["role"],
                club=club, full_name=person["full_name"], phone=person["phone"], by=by))
        except Invalid as error:
            raise Invalid({f"{key}{name}": message for name, message in error.errors.items()})
    return made


# --- The club and its board, from one form ------------------------------------------------------

def start_ward(*, name, code_prefix, ward, city, province, board, by):
    """Create a club and its board at once; returns (club, the board's accounts).

    `board` is the form's rows ({full_name, phone}), the chair's first; a blank row is left out.
    Raises Invalid with every message keyed by its field (`board-<i>-phone`, …); nothing is
    written unless the club and every board member pass.
    """
    errors, people, keys, seen = {}, [], [], {}
    for i, row in enumerate(board):
        if i and not (row.get("full_name") or "").strip() and not (row.get("phone") or "").strip():
            continue
        person, row_errors = check_person(row.get("full_name"), row.get("phone"), seen)
        key = f"board-{i}-"
        errors.update({key + name_: message for name_, message in row_errors.items()})
        if person["phone"]:
            seen.setdefault(person["phone"], _l("row %(n)d of the board", n=i + 1))
        people.append(dict(person, role="chair"))
        keys.append(key)
    with database.atomic():
        try:
            club = accounts.create_club(name=name, code_prefix=code_prefix, ward=ward, city=city,
                                        province=province, by=by)
        except Invalid as error:
            raise Invalid({**error.errors, **errors})
        if errors:
            raise Invalid(errors)
        board_accounts = _create_accounts(club, people, by, keys)
        audit.record("ward_started", club, user=by, club=club,
                     board=[user.id for user in board_accounts])
    return club, board_accounts


# --- Members from a spreadsheet ---------------------------------------------------------------

@dataclass
class Row:
    """One line of the file: what it says, and what is wrong with it (empty: it will be imported)."""

    line: int
    full_name: str
    phone: str
    role_text: str
    role: str = None
    problems: list = field(default_factory=list)

    def data(self):
        return [self.line, self.full_name, self.phone, self.role_text]


def _cell(value):
    """A cell as text. A phone number typed into a spreadsheet often loses its leading 0 (the cell
    became a number): 912345678 is read as 0912345678."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if text.isdigit() and (len(text) == 9 and text[0] in "35789"
                           or len(text) == 10 and text[0] == "2"):
        text = "0" + text  # also in a CSV that Excel saved from such a cell
    return text


def _not_a_spreadsheet():
    return Invalid(_l("This file is not a spreadsheet. Send an Excel file (.xlsx) or a CSV file "
                      "(.csv)."), field="file")


def _xlsx_rows(data):
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError):
        raise _not_a_spreadsheet() from None
    try:
        sheet = book.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell(v) for v in values]
    finally:
        book.close()


def _csv_rows(data):
    if b"\0" in data:
        raise _not_a_spreadsheet()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1258", errors="replace")  # "CSV" saved by an older Excel in Vietnam
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    for number, values in enumerate(csv.reader(io.StringIO(text), dialect), start=1):
        yield number, [_cell(v) for v in values]


def read_file(data):
    """The rows of a members' file (XLSX or CSV) as [Row], the heading's line aside. Raises
    Invalid(field="file") for a file that is not a spreadsheet, too big, empty or without the
    columns it needs."""
    if not data:
        raise Invalid(_l("The file is empty."), field="file")
    if len(data) > MAX_FILE_BYTES:
        raise Invalid(_l("The file is too big: at most 1 MB."), field="file")
    if data.startswith(b"\xd0\xcf\x11\xe0"):  # the old .xls format
        raise Invalid(_l("This is an old Excel file (.xls). Save it as .xlsx or .csv and send it "
                         "again."), field="file")
    rows = _xlsx_rows(data) if data.startswith(b"PK\x03\x04") else _csv_rows(data)
    columns, found = None, []
    try:
        for number, values in rows:
            if not any(values):
                continue
            if columns is None:
                columns = _columns(values)
                continue
            if len(found) == MAX_ROWS:
                raise Invalid(_l("The file has more than %(n)d members: split it in several "
                                 "files.", n=MAX_ROWS), field="file")

            def value(name):
                at = columns.get(name)
                return values[at] if at is not None and at < len(values) else ""
            found.append(Row(number, value("full_name"), value("phone"), value("role")))
    except csv.Error:
        raise _not_a_spreadsheet() from None
    if not found:
        raise Invalid(_l("The file has no member in it: the first line names the columns, each "
                         "line below is a member."), field="file")
    return found


def _columns(heading):
    columns = {}
    for at, text in enumerate(heading):
        word = folded(text).strip(" .:*")
        for name, words in COLUMNS.items():
            if word in words and name not in columns:
                columns[name] = at
    if "full_name" not in columns or "phone" not in columns:
        raise Invalid(_l("The first line must name the columns: Họ tên, Số điện thoại, Vai trò."),
                      field="file")
    return columns


HEADINGS = ("Họ tên", "Số điện thoại", "Vai trò")  # as the file's first line names them


def template_chunks():
    """An empty members' spreadsheet with its first line, for the admin to fill in."""
    return exports.xlsx_chunks([exports.Table("Thành viên", HEADINGS, [])])


def check_rows(rows):
    """Check every row (all of them: the admin sees every bad row at once); returns the rows, each
    with its `problems` and its `role`."""
    seen = {}
    for row in rows:
        person, errors = check_person(row.full_name, row.phone, seen)
        row.full_name = person["full_name"] or row.full_name
        row.problems = list(errors.values())
        row.role = role_of(row.role_text)
        if row.role is None:
            row.problems.append(_l("Unknown role “%(role)s”.", role=row.role_text[:40]))
        if person["phone"]:
            seen.setdefault(person["phone"], _l("line %(n)d", n=row.line))
    return rows


def rows_from_data(data):
    """The rows a preview carried ([line, name, phone, role] each), checked again."""
    return check_rows([Row(int(line), str(name), str(phone), str(role))
                       for line, name, phone, role in data])


def import_members(club, rows, *, by):
    """Create an account for every row, or none: raises Invalid if any row is bad (checked again
    now, inside the transaction). Returns the accounts made."""
    with database.atomic():
        rows = check_rows(rows)
        bad = [row for row in rows if row.problems]
        if bad:
            raise Invalid(lazy_ngettext("%(num)d line has mistakes: nothing was imported.",
                                        "%(num)d lines have mistakes: nothing was imported.",
                                        len(bad)), field="file")
        people = [{"full_name": row.full_name, "phone": accounts.normalise_phone(row.phone), "role": row.role}
                  for row in rows]
        made = _create_accounts(club, people, by, [f"line-{row.line}-" for row in rows])
        audit.record("members_imported", club, user=by, club=club, accounts=len(made))
    return made


# --- A sheet per member -------------------------------------------------------------------------

def unopened(club):
    """The club's active accounts whose holder has not logged in yet: who needs a sheet."""
    return list(User.select()
                .where((User.club == club) & User.role.in_(FIELD_ROLES) & User.is_active
                       & User.last_login_at.is_null())
                .order_by(User.role, User.login))


# How long the codes on printed sheets work, in days: up to a meeting next week.
SHEET_DAYS = {1: _l("1 day"), 3: _l("3 days"), 7: _l("7 days: for a meeting next week")}


def issue_sheets(club, users, *, by, days=1):
    """A fresh setup code for each account (its older codes stop working), to print once on its
    sheet, working for `days` (SHEET_DAYS); returns [(user, issued code row)]. Only accounts not
    yet opened get one."""
    if days not in SHEET_DAYS:
        raise ValueError(days)
    wanted = {user.id for user in users}
    users = [user for user in unopened(club) if user.id in wanted]
    with database.atomic():
        issued = [(user, accounts.issue_setup_code(user, by=by, purpose="new_account",
                                                   hours=24 * days))
                  for user in users]
        audit.record("setup_sheets_issued", club, user=by, club=club,
                     accounts=[user.id for user in users], days=days)
    return issued
