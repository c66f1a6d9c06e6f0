"""Starting a new ward (admin): the club and its board from one form, its members from a
spreadsheet, and a printed sheet per member with their login and a one-time setup code."""
import segno
from flask import (Blueprint, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeTimedSerializer
from playhouse.flask_utils import get_object_or_404
from wtforms import FieldList, FileField, Form, FormField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length
from wtforms.widgets import TelInput

from ..book import wards
from ..downloads import download
from ..invalid import Invalid
from ..models import FIELD_ROLES, Club, User
from ..permissions import ADMIN, access
from .admin import ClubForm

bp = Blueprint("wards", __name__, url_prefix="/admin/wards")

PREVIEW_MAX_AGE = 3600  # seconds a preview may wait for "Import"


class BoardRowForm(Form):
    full_name = StringField(_l("Full name"), validators=[Length(max=120)])
    phone = StringField(_l("Phone number"), widget=TelInput(), validators=[Length(max=20)])


class WardForm(ClubForm):
    board = FieldList(FormField(BoardRowForm), min_entries=wards.BOARD_ROWS,
                      max_entries=wards.BOARD_ROWS)


class ImportForm(FlaskForm):
    file = FileField(_l("The members' spreadsheet (.xlsx or .csv)"))


class SheetsForm(FlaskForm):
    layout = RadioField(_l("Sheets on each A4 page"), default="1",
                        choices=[SelectChoice("1", _l("One a page")),
                                 SelectChoice("4", _l("Four a page, to cut"))])
    days = RadioField(_l("The codes work for"), default="1",
                      choices=[SelectChoice(str(days), label)
                               for days, label in wards.SHEET_DAYS.items()])


def _show_errors(form, error):
    """Put each message of an Invalid beside its field (`board-1-phone` is a row's field)."""
    for key, message in error.errors.items():
        target = getattr(form, key, None)
        if key.startswith("board-"):
            _board, index, name = key.split("-", 2)
            target = form.board.entries[int(index)].form._fields.get(name)
        if target is not None:
            target.errors = list(target.errors) + [message]
        else:
            form.form_errors.append(message)


@bp.route("/new", methods=["GET", "POST"])
@access(ADMIN)
def new():
    """One form for a new ward: the club and its board."""
    form = WardForm()
    if form.validate_on_submit():
        try:
            club, board = wards.start_ward(
                name=form.name.data, code_prefix=form.code_prefix.data, ward=form.ward.data,
                city=form.city.data, province=form.province.data,
                board=[row.data for row in form.board.entries], by=current_user)
        except Invalid as error:
            _show_errors(form, error)
        else:
            flash(ngettext("%(club)s and its board (%(num)d account) are created. Import its "
                           "members, then print their sheets.",
                           "%(club)s and its board (%(num)d accounts) are created. Import its "
                           "members, then print their sheets.", len(board), club=club.name),
                  "success")
            return redirect(url_for("wards.club", club_id=club.id))
    return render_template("wards/new.html", form=form)


@bp.route("/<int:club_id>")
@access(ADMIN)
def club(club_id):
    """A new ward's club: its accounts, and the next steps."""
    club = get_object_or_404(Club.select(), Club.id == club_id)
    members = list(User.select()
                   .where((User.club == club) & User.role.in_(FIELD_ROLES))
                   .order_by(User.role, User.login))
    return render_template("wards/club.html", club=club, members=members,
                           waiting=len(wards.unopened(club)))


def _preview_signer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="sotd members import")


@bp.route("/<int:club_id>/import", methods=["GET", "POST"])
@access(ADMIN)
def import_members(club_id):
    """Members from a spreadsheet: the file is checked and shown first; "Import" writes all or
    nothing."""
    club = get_object_or_404(Club.select(), Club.id == club_id)
    form = ImportForm()
    rows = None
    if form.validate_on_submit():
        try:
            if "preview" in request.form:
                data = _preview_signer().loads(request.form["preview"], max_age=PREVIEW_MAX_AGE)
                made = wards.import_members(club, wards.rows_from_data(data), by=current_user)
                flash(ngettext("%(num)d member imported.", "%(num)d members imported.",
                               len(made)), "success")
                return redirect(url_for("wards.club", club_id=club.id))
            upload = request.files.get("file")
            if upload is None or not upload.filename:
                raise Invalid(_("Choose the file to import."), field="file")
            try:
                data = upload.read(wards.MAX_FILE_BYTES + 1)
            finally:
                upload.close()  # a large upload is a temporary file
            rows = wards.check_rows(wards.read_file(data))
        except BadSignature:
            form.file.errors = [_("The preview is too old: send the file again.")]
        except Invalid as error:
            form.file.errors = [error.message]
            if "preview" in request.form:
                rows = wards.rows_from_data(_preview_signer().loads(request.form["preview"]))
    bad = [row for row in rows or [] if row.problems]
    preview = (_preview_signer().dumps([row.data() for row in rows])
               if rows and not bad else None)
    return render_template("wards/import.html", club=club, form=form, rows=rows, bad=bad,
                           preview=preview, role_hint=wards.ROLE_HINT)


@bp.route("/members.xlsx", methods=["POST"])
@access(ADMIN)
def template():
    """An empty members' spreadsheet, its columns named, to fill in and import (posted, as the
    desk's other downloads are)."""
    return download("thanh-vien.xlsx",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    wards.template_chunks())


def app_address():
    """The field app's address, as a member types it or scans it."""
    base = (current_app.config.get("PUBLIC_BASE_URL") or request.host_url).rstrip("/")
    return base + url_for("shell.app")


@bp.route("/<int:club_id>/sheets", methods=["GET", "POST"])
@access(ADMIN)
def sheets(club_id):
    """Choose whose sheets to print; the answer to the POST is the sheets, with fresh codes."""
    club = get_object_or_404(Club.select(), Club.id == club_id)
    form = SheetsForm()
    waiting = wards.unopened(club)
    if form.validate_on_submit():
        chosen = set(request.form.getlist("user", type=int))
        issued = wards.issue_sheets(club, [u for u in waiting if u.id in chosen],
                                    by=current_user, days=int(form.days.data))
        if issued:
            address = app_address()
            qr = segno.make(address, error="m").svg_inline(
                omitsize=True, border=4, svgclass="sheet__qr", lineclass=None,
                title=_("QR code of %(address)s", address=address))
            return render_template("wards/sheets.html", club=club, issued=issued,
                                   address=address, qr=qr, layout=form.layout.data)
        flash(_("Choose at least one member."), "error")
    return render_template("wards/choose.html", club=club, form=form, waiting=waiting)
