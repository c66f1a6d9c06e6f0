"""Starting a new ward (issue 18): the club and its board from one form, all or nothing; members
imported from a spreadsheet, every bad line named and nothing half-imported; a sheet per member
with a fresh one-time setup code and the app's address as a QR code."""
import io
import re
from datetime import timedelta

import openpyxl
import pytest
import zxingcpp

from webapp import accounts
from webapp.book import wards
from webapp.invalid import Invalid
from webapp.models import AuditLog, Club, SetupCode, User

from .factories import login_as, make_club, make_user
from .test_setup_codes import CODE_RE, use_code

WARD = {"name": "CLB Phường Việt Hưng", "code_prefix": "VH", "ward": "Việt Hưng",
        "city": "Hạ Long", "province": "Quảng Ninh"}


def ward_form(**board):
    """The new ward's form: WARD, and the board's rows ("board-0-full_name": …)."""
    data = dict(WARD)
    for i in range(wards.BOARD_ROWS):
        data[f"board-{i}-full_name"] = ""
        data[f"board-{i}-phone"] = ""
    data.update({key.replace("__", "-"): value for key, value in board.items()})
    return data


@pytest.fixture
def admin(app):
    client = app.test_client()
    login_as(client, make_user(role="admin", login="root"))
    return client


def text(response):
    return response.get_data(as_text=True)


# --- The club and its board -------------------------------------------------------------------

def test_one_form_makes_the_club_and_its_board(app, admin):
    response = admin.post("/admin/wards/new", data=ward_form(
        board__0__full_name="Nguyễn Thị Hoa", board__0__phone="0912 345 678",
        board__1__full_name="Trần Văn Nam", board__1__phone="+84 987 654 321"))
    club = Club.get(Club.code_prefix == "VH")
    assert response.status_code == 302 and response.headers["Location"] == f"/admin/wards/{club.id}"
    assert (club.ward, club.city, club.province) == ("Việt Hưng", "Hạ Long", "Quảng Ninh")
    board = {u.login: u for u in User.select().where(User.club == club)}
    assert set(board) == {"vh.chunhiem", "vh.pcn1"}
    chair, vice = board["vh.chunhiem"], board["vh.pcn1"]
    assert (chair.full_name, chair.phone, chair.role) == ("Nguyễn Thị Hoa", "0912345678", "chair")
    assert (vice.full_name, vice.phone, vice.role) == ("Trần Văn Nam", "0987654321", "chair")
    # No one knows a password yet: the holders open their accounts with the sheet's code.
    assert chair.last_login_at is None and not SetupCode.select().exists()
    assert AuditLog.select().where(AuditLog.action == "ward_started").count() == 1
    page = text(admin.get(f"/admin/wards/{club.id}"))
    assert "vh.chunhiem" in page and "2 tài khoản chưa mở" in page


def test_a_bad_board_row_leaves_no_club(app, admin):
    make_user(role="member", phone="0987654321")
    make_club(name="CLB Cũ", code_prefix="VH")
    clubs, users = Club.select().count(), User.select().count()
    response = admin.post("/admin/wards/new", data=ward_form(
        board__0__full_name="Nguyễn Thị Hoa", board__0__phone="0912 345 678",
        board__1__full_name="Trần Văn Nam", board__1__phone="0987.654.321",
        board__2__full_name="", board__2__phone="0912345678",
        board__3__full_name="Lê Thị Mai", board__3__phone="12345"))
    page = text(response)
    assert response.status_code == 200
    assert (Club.select().count(), User.select().count()) == (clubs, users)
    # Every message beside its field, the page scrolled to the first.
    assert "CLB Cũ đã dùng tiền tố VH" in page
    assert 'id="board-1-phone-error">Số điện thoại 0987.654.321 đã thuộc một tài khoản' in page
    assert 'id="board-2-full_name-error">Thiếu họ tên' in page
    assert 'id="board-2-phone-error">Số điện thoại 0912345678 trùng với dòng 1 của ban' in page
    assert 'id="board-3-phone-error">12345 không phải số điện thoại Việt Nam' in page
    assert page.count("autofocus") == 1
    assert re.search(r'<input[^>]*autofocus[^>]*id="code_prefix"|<input[^>]*id="code_prefix"'
                     r'[^>]*autofocus', page)


def test_a_refusal_while_writing_the_board_undoes_the_club(app, monkeypatch):
    admin = make_user(role="admin")
    real = accounts.create_user
    calls = []

    def refuse_the_second(**kwargs):
        calls.append(kwargs["login"])
        if len(calls) == 2:
            raise Invalid("taken", field="login")
        return real(**kwargs)

    monkeypatch.setattr(accounts, "create_user", refuse_the_second)
    with pytest.raises(Invalid) as refused:
        wards.start_ward(**WARD, by=admin, board=[
            {"full_name": "Nguyễn Thị Hoa", "phone": "0912345678"},
            {"full_name": "Trần Văn Nam", "phone": "0987654321"}])
    assert refused.value.errors == {"board-1-login": "taken"}
    assert not Club.select().where(Club.code_prefix == "VH").exists()
    assert not User.select().where(User.login.in_(calls)).exists()


def test_a_refusal_of_the_form_while_writing_is_shown_and_undone(app, admin, monkeypatch):
    real = accounts.create_user

    def refuse_the_vice_chair(**kwargs):
        if kwargs["login"] == "vh.pcn1":
            raise Invalid("Tên đăng nhập này đã có người dùng.", field="login")
        return real(**kwargs)

    monkeypatch.setattr(accounts, "create_user", refuse_the_vice_chair)
    response = admin.post("/admin/wards/new", data=ward_form(
        board__0__full_name="Nguyễn Thị Hoa", board__0__phone="0912 345 678",
        board__1__full_name="Trần Văn Nam", board__1__phone="0987 654 321"))
    assert response.status_code == 200
    assert 'class="alert alert--error" role="alert">Tên đăng nhập này đã có người dùng.' in text(
        response)
    assert not Club.select().where(Club.code_prefix == "VH").exists()
    assert not User.select().where(User.full_name == "Nguyễn Thị Hoa").exists()


def test_the_chair_is_required(app, admin):
    response = admin.post("/admin/wards/new", data=ward_form(board__1__full_name="Trần Văn Nam",
                                                             board__1__phone="0987654321"))
    assert 'id="board-0-full_name-error">Thiếu họ tên' in text(response)
    assert not Club.select().where(Club.code_prefix == "VH").exists()


# --- Members from a spreadsheet ---------------------------------------------------------------

def csv_file(*lines, heading="Họ tên,Số điện thoại,Vai trò"):
    return ("\n".join((heading,) + lines) + "\n").encode("utf-8")


def xlsx_file(*rows, heading=("Họ và tên", "SĐT", "Chức vụ")):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(heading))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, club, data, filename):
    return client.post(f"/admin/wards/{club.id}/import",
                       data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


BAD_LINES = csv_file(
    "Nguyễn Văn An,0912 345 678,thành viên",
    ",0912 345 679,thành viên",
    "Trần Thị Bình,12345,Thành viên",
    "Lê Văn Cường,0912.345.678,tv",
    "Phạm Thị Dung,0977 111 222,",
    "Hoàng Văn Em,0987 654 321,thủ quỹ",
    "Đỗ Thị Gấm,,phó chủ nhiệm",
)


@pytest.mark.parametrize("line, reason", [
    (3, "Thiếu họ tên."),
    (4, "12345 không phải số điện thoại Việt Nam (ví dụ 0912 345 678)."),
    (5, "Số điện thoại 0912.345.678 trùng với dòng 2."),
    (6, "Số điện thoại 0977 111 222 đã thuộc một tài khoản."),
    (7, "Không có vai trò “thủ quỹ”."),
    (8, "Thiếu số điện thoại."),
])
def test_each_bad_row_is_named_with_its_line_and_reason(app, line, reason):
    make_user(role="member", phone="+84977111222")
    rows = {row.line: row for row in wards.check_rows(wards.read_file(BAD_LINES))}
    assert [str(p) for p in rows[line].problems] == [reason]
    assert rows[2].problems == [] and rows[2].role == "member"
    assert rows[8].role == "chair"


def test_a_file_with_bad_rows_imports_nothing_and_shows_them_all(app, admin):
    make_user(role="member", phone="0977111222")
    club = make_club(code_prefix="VH")
    users = User.select().count()
    page = text(upload(admin, club, BAD_LINES, "thanh-vien.csv"))
    assert "6 dòng có lỗi: chưa nhập gì" in page
    for line in (3, 4, 5, 6, 7, 8):
        assert f"<strong>Dòng {line}</strong>" in page
    assert "Dòng 2</strong>" not in page
    assert 'name="preview"' not in page  # no way to import until the file is fixed
    assert User.select().count() == users


def test_an_xlsx_file_is_previewed_then_imported(app, admin):
    club = make_club(code_prefix="VH")
    make_user(club=club, role="chair", login="vh.chunhiem")
    data = xlsx_file(("Nguyễn Văn An", 912345678, "Thành viên"),  # the 0 Excel dropped
                     ("Trần Thị Bình", "0987-654-321", None),
                     (None, None, None),
                     ("Lê Văn Cường", "+84 345 678 901", "Phó chủ nhiệm"))
    page = text(upload(admin, club, data, "ds.xlsx"))
    assert "3 thành viên, không có lỗi" in page
    assert User.select().where(User.club == club).count() == 1  # a preview writes nothing
    preview = re.search(r'name="preview" value="([^"]+)"', page).group(1)
    response = admin.post(f"/admin/wards/{club.id}/import", data={"preview": preview})
    assert response.status_code == 302
    made = {u.login: (u.full_name, u.phone, u.role) for u in
            User.select().where((User.club == club) & (User.login != "vh.chunhiem"))}
    assert made == {"vh.tv1": ("Nguyễn Văn An", "0912345678", "member"),
                    "vh.tv2": ("Trần Thị Bình", "0987654321", "member"),
                    "vh.pcn1": ("Lê Văn Cường", "0345678901", "chair")}
    assert AuditLog.select().where(AuditLog.action == "members_imported").count() == 1


def test_a_row_gone_bad_after_the_preview_imports_nothing(app, admin):
    club = make_club(code_prefix="VH")
    page = text(upload(admin, club, csv_file("Nguyễn Văn An,0912345678,thành viên",
                                             "Trần Thị Bình,0987654321,thành viên"), "a.csv"))
    preview = re.search(r'name="preview" value="([^"]+)"', page).group(1)
    make_user(role="member", phone="0987654321")  # meanwhile, someone holds a number
    page = text(admin.post(f"/admin/wards/{club.id}/import", data={"preview": preview}))
    assert "1 dòng có lỗi: chưa nhập gì" in page
    assert "<strong>Dòng 3</strong>" in page
    assert not User.select().where(User.club == club).exists()


def test_a_tampered_preview_is_refused(app, admin):
    club = make_club(code_prefix="VH")
    response = admin.post(f"/admin/wards/{club.id}/import", data={"preview": "[[2,\"x\"]]"})
    assert "Bản xem trước đã quá cũ" in text(response)
    assert not User.select().where(User.club == club).exists()


@pytest.mark.parametrize("data, message", [
    (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "Tệp này không phải bảng tính"),
    (b"PK\x03\x04not really a workbook", "Tệp này không phải bảng tính"),
    (b"", "Tệp trống"),
    (b"a" * 1001, "Tệp quá lớn"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "tệp Excel cũ (.xls)"),
    ("Tên,Ngày sinh\nAn,1990\n".encode(), "Dòng đầu phải ghi tên các cột"),
    (csv_file(), "Tệp không có thành viên nào"),
])
def test_a_file_that_is_no_members_list_gets_a_clear_error(app, admin, monkeypatch, data,
                                                           message):
    monkeypatch.setattr(wards, "MAX_FILE_BYTES", 1000)  # a small upload stays in memory
    club = make_club(code_prefix="VH")
    page = text(upload(admin, club, data, "thanh-vien.xlsx"))
    assert 'id="file-error"' in page and message in page
    assert not User.select().where(User.club == club).exists()


def test_the_empty_spreadsheet_offered_reads_as_a_members_list(app, admin):
    response = admin.post("/admin/wards/members.xlsx")
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_data()
    with pytest.raises(Invalid, match="không có thành viên nào"):  # its columns are known
        wards.read_file(data)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    sheet.append(["Nguyễn Văn An", "0912 345 678", "thành viên"])
    out = io.BytesIO()
    sheet.parent.save(out)
    assert [(r.line, r.full_name) for r in wards.read_file(out.getvalue())] == [
        (2, "Nguyễn Văn An")]


def test_a_semicolon_csv_from_excel_is_read(app):
    # Excel saved the number as a number: its leading 0 is gone.
    rows = wards.read_file("\ufeffHọ tên;Số điện thoại\nNguyễn Văn An;912345678\n".encode())
    assert [(r.line, r.full_name, r.phone, r.role_text) for r in rows] == [
        (2, "Nguyễn Văn An", "0912345678", "")]


# --- The sheets ---------------------------------------------------------------------------------

def qr_text(svg):
    """Decode a QR code drawn as segno's SVG path (rows of horizontal strokes) with zxing."""
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
    grid = [[255] * size for _ in range(size)]
    x = y = 0.0
    for command, a, b in re.findall(r"([Mmh])\s*(-?[\d.]+)(?:[ ,]?(-?[\d.]+))?",
                                    re.search(r' d="([^"]+)"', svg).group(1)):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:
            for column in range(int(x), int(x + float(a))):
                grid[int(y)][column] = 0
            x += float(a)
    scale = 4
    pixels = b"".join(bytes(v for v in row for _ in range(scale)) * scale for row in grid)
    image = memoryview(pixels).cast("B", shape=[size * scale, size * scale])
    return [found.text for found in zxingcpp.read_barcodes(image)]


@pytest.fixture
def new_ward(app):
    by = make_user(role="admin")
    club, board = wards.start_ward(**WARD, by=by, board=[
        {"full_name": "Nguyễn Thị Hoa", "phone": "0912345678"}])
    return club, board[0]


def print_sheets(admin, club, *users, layout="1", days=None):
    data = {"user": [str(u.id) for u in users], "layout": layout}
    if days is not None:
        data["days"] = days
    return admin.post(f"/admin/wards/{club.id}/sheets", data=data)


def test_a_sheet_carries_a_fresh_code_that_opens_the_account_once(app, admin, new_ward):
    club, chair = new_ward
    first = CODE_RE.findall(text(print_sheets(admin, club, chair)))
    response = print_sheets(admin, club, chair, layout="4")
    page = text(response)
    assert response.headers["Cache-Control"] == "no-store"
    codes = CODE_RE.findall(page)
    assert len(codes) == len(first) == 1 and codes != first
    assert "CLB Phường Việt Hưng" in page and "Nguyễn Thị Hoa" in page and "vh.chunhiem" in page
    assert 'class="bottomnav' not in page and 'class="topbar' not in page
    # Neither code is kept readable, in the database or the audit log.
    stored = str(list(SetupCode.select().dicts())) + str(list(AuditLog.select().dicts()))
    for code in first + codes:
        assert code not in stored and code.replace("-", "") not in stored
    assert AuditLog.select().where(AuditLog.action == "setup_sheets_issued").count() == 2
    # The earlier sheet's code no longer works; the new one opens the account, once.
    assert "sai, đã dùng hoặc đã hết hạn" in text(use_code(app.test_client(), chair.login,
                                                           first[0]))
    assert use_code(app.test_client(), chair.login, codes[0]).status_code == 302
    assert login_as(app.test_client(), chair, password="my-own-pass-1").status_code == 302
    assert "sai, đã dùng hoặc đã hết hạn" in text(use_code(app.test_client(), chair.login,
                                                           codes[0], "other-pass-12"))
    # An opened account gets no sheet any more: its holder knows their password.
    assert not CODE_RE.findall(text(print_sheets(admin, club, chair)))
    assert "Mọi tài khoản của câu lạc bộ đã được mở" in text(admin.get(
        f"/admin/wards/{club.id}/sheets"))


def test_sheets_printed_for_a_meeting_next_week_still_work_then(app, admin, new_ward):
    club, chair = new_ward
    page = text(print_sheets(admin, club, chair))  # one day, unless chosen
    row = SetupCode.get(SetupCode.user == chair.id, SetupCode.used_at.is_null())
    assert row.expires_at - row.created_at == timedelta(days=1)
    page = text(print_sheets(admin, club, chair, days="7"))
    row = SetupCode.get(SetupCode.user == chair.id, SetupCode.used_at.is_null())
    assert row.expires_at - row.created_at == timedelta(days=7)
    assert f"một lần, đến {row.expires_at + timedelta(hours=7):%d/%m/%Y %H:%M}" in page
    assert AuditLog.select().order_by(AuditLog.id.desc()).get().details["days"] == 7
    # Six days later, at the meeting, the member opens their account with it.
    [code] = CODE_RE.findall(page)
    SetupCode.update(created_at=row.created_at - timedelta(days=6),
                     expires_at=row.expires_at - timedelta(days=6)).execute()
    assert use_code(app.test_client(), chair.login, code).status_code == 302


@pytest.mark.parametrize("days", ["30", "0", "một tuần"])
def test_no_sheet_code_works_longer_than_a_week(app, admin, new_ward, days):
    club, chair = new_ward
    page = text(print_sheets(admin, club, chair, days=days))
    assert not CODE_RE.findall(page) and "Mã dùng được trong" in page
    assert SetupCode.select().where(SetupCode.user == chair.id,
                                    SetupCode.used_at.is_null()).count() == 0
    with pytest.raises(ValueError):
        wards.issue_sheets(club, [chair], by=chair, days=30)
    with pytest.raises(ValueError):
        accounts.issue_setup_code(chair, by=chair, purpose="reset", hours=8 * 24)


def test_the_qr_code_is_inline_svg_of_the_apps_address(app, admin, new_ward):
    club, chair = new_ward
    page = text(print_sheets(admin, club, chair))
    svg = re.search(r'<svg viewBox[^>]*class="sheet__qr".*?</svg>', page, re.S).group(0)
    assert qr_text(svg) == ["http://localhost/app/"]
    assert "http://localhost/app/" in page
    assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing loaded from elsewhere
    app.config["PUBLIC_BASE_URL"] = "https://so.quangninh.gov.vn/"
    svg = re.search(r'<svg viewBox[^>]*class="sheet__qr".*?</svg>',
                    text(print_sheets(admin, club, chair)), re.S).group(0)
    assert qr_text(svg) == ["https://so.quangninh.gov.vn/app/"]


def test_sheets_go_only_to_the_clubs_unopened_accounts(app, admin, new_ward):
    club, chair = new_ward
    stranger = make_user(role="member")  # another club's account, its id slipped in
    page = text(print_sheets(admin, club, chair, stranger))
    assert len(CODE_RE.findall(page)) == 1 and stranger.login not in page
    assert not SetupCode.select().where(SetupCode.user == stranger).exists()


@pytest.mark.parametrize("role", ["chair", "member", "supervisor"])
def test_only_the_admin_starts_a_ward(app, new_ward, role):
    club, _chair = new_ward
    client = app.test_client()
    login_as(client, make_user(role=role, club=club if role != "supervisor" else None))
    for url in ("/admin/wards/new", f"/admin/wards/{club.id}",
                f"/admin/wards/{club.id}/import", f"/admin/wards/{club.id}/sheets"):
        assert client.get(url).status_code == 403
    assert client.post(f"/admin/wards/{club.id}/sheets", data={"user": "1"}).status_code == 403
    assert not SetupCode.select().exists()
