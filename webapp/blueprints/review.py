"""The board's review desk: the queue of submitted entries, one entry's page, and the decisions."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField

from .. import audit
from ..book import entries, review
from ..book.entries import ENTRY_TYPES
from ..invalid import Invalid
from ..models import Case, User
from ..permissions import CHAIR, access, club_record_or_404

bp = Blueprint("review", __name__, url_prefix="/desk/review")
# A chair on a phone, after a month without reviewing, may have hundreds waiting: a page at a time.
PER_PAGE = 50
# Every desk page may show an entry's review marks (self-approved, pending amendment, …).
bp.add_app_template_global(review.marks, "review_marks")


class ReturnForm(FlaskForm):
    # Required, but checked by review.return_entry so that the rule and its message live once.
    reason = TextAreaField(_l("Why is it returned? (the member sees this)"))


def kind_choices():
    return [(code, ENTRY_TYPES.label(code)) for code in ENTRY_TYPES] + [
        ("amendment", _("Amendment"))]


def _entry_or_404(entry_type, entry_id):
    kind = entries.TYPES.get(entry_type)
    if kind is None:
        abort(404)
    return club_record_or_404(kind.model, entry_id)


@bp.route("/")
@access(CHAIR)
def queue():
    """The club's entries waiting for a decision, oldest first, filterable by member and kind."""
    club = current_user.club
    member_id = request.args.get("member", type=int)
    kind = request.args.get("kind") if request.args.get("kind") in review.KINDS else None
    items = review.queue(club, member_id=member_id, kind=kind)
    page = max(request.args.get("page", 1, type=int), 1)
    members = (User.select()
               .where((User.club == club) & User.role.in_(("member", "chair")))
               .order_by(User.full_name))
    filters = {name: value for name, value in (("member", member_id), ("kind", kind)) if value}
    shown = items[(page - 1) * PER_PAGE:page * PER_PAGE]
    audit.read("review_queue", [item.row.id if isinstance(item.row, Case) else item.row.case_id
                                for item in shown])
    return render_template("review/queue.html", items=shown,
                           total=len(items), page=page, has_next=page * PER_PAGE < len(items),
                           filters=filters, members=members, member_id=member_id, kind=kind,
                           kinds=kind_choices())


@bp.route("/approve", methods=["POST"])
@access(CHAIR)
def approve_many():
    """Approve the entries ticked in the queue."""
    refs = []
    for value in request.form.getlist("entry"):
        entry_type, _sep, entry_id = value.partition(":")
        if entry_type in entries.TYPES and entry_id.isdigit():
            refs.append((entry_type, int(entry_id)))
    if not refs:
        flash(_("Tick the entries to approve first."), "error")
        return redirect(url_for("review.queue"))
    approved, refused = review.approve_many(current_user.club, refs, current_user)
    if approved:
        flash(ngettext("%(num)d entry approved.", "%(num)d entries approved.", len(approved)),
              "success")
    for row, message in refused:
        flash(_("%(code)s: %(message)s", code=review.entry_code(row), message=message), "error")
    return redirect(url_for("review.queue", **{k: v for k, v in request.args.items()
                                               if k in ("member", "kind")}))


@bp.route("/<entry_type>/<int:entry_id>")
@access(CHAIR)
def entry(entry_type, entry_id):
    """One entry in full, with its case, what an amendment changes, and its whole trail."""
    row = _entry_or_404(entry_type, entry_id)
    case = entries.type_of(row).case_of(row)
    audit.record("case_viewed", case, code=case.code, via="review")
    return _render_entry(entry_type, row, ReturnForm())


def _render_entry(entry_type, row, form, status=200):
    return render_template("review/entry.html", entry_type=entry_type, row=row, form=form,
                           view=review.entry_view(row)), status


@bp.route("/<entry_type>/<int:entry_id>/approve", methods=["POST"])
@access(CHAIR)
def approve(entry_type, entry_id):
    """Approve the entry, or its pending amendment."""
    row = _entry_or_404(entry_type, entry_id)
    try:
        review.approve(row, current_user)
    except Invalid as error:
        flash(error.message, "error")
        return redirect(url_for("review.entry", entry_type=entry_type, entry_id=entry_id))
    flash(_("Approved."), "success")
    return redirect(url_for("review.queue"))


@bp.route("/<entry_type>/<int:entry_id>/return", methods=["POST"])
@access(CHAIR)
def return_entry(entry_type, entry_id):
    """Return the entry (or its amendment) to the member, with the reason."""
    row = _entry_or_404(entry_type, entry_id)
    form = ReturnForm()
    if form.validate_on_submit():
        try:
            review.return_entry(row, current_user, form.reason.data)
        except Invalid as error:
            form.reason.errors = [error.message]
        else:
            flash(_("Returned to the member with your reason."), "success")
            return redirect(url_for("review.queue"))
    return _render_entry(entry_type, row, form, status=400)
