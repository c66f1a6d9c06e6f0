"""The board's review desk: the queue of submitted entries, one entry's page, and the decisions."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField

from .. import audit
from ..book import conflicts, entries, review
from ..book.entries import ENTRY_TYPES
from ..invalid import Invalid
from ..models import User
from ..permissions import CHAIR, access, club_record_or_404, gone_if_erased

bp = Blueprint("review", __name__, url_prefix="/desk/review")
# A chair on a phone, after a month without reviewing, may have hundreds waiting: a page at a time.
PER_PAGE = 50
# Every desk page may show an entry's review marks (self-approved, pending amendment, …).
bp.add_app_template_global(review.marks, "review_marks")
bp.add_app_template_global(review.entry_code, "review_code")


class ReturnForm(FlaskForm):
    # Required, but checked by review.return_entry so that the rule and its message live once.
    reason = TextAreaField(_l("Why is it returned? (the member sees this)"))
    # The revision the page showed: a decision is about what the chair saw (review._check_seen).
    revision = HiddenField()


def _seen():
    """The revision the decided page showed; 0 (never waiting) when the form did not say."""
    return request.form.get("revision", 0, type=int)


def _moved(error):
    """The entry's page showing what changed since the revision the chair decided on."""
    flash(error.message, "error")
    row = error.row
    return redirect(url_for("review.entry", entry_type=entries.type_of(row).name, entry_id=row.id,
                            since=error.seen))


# At most this many entries that moved on are shown with their changes after a bulk approval.
MAX_MOVED = 20


def kind_choices():
    return [(code, ENTRY_TYPES.label(code)) for code in ENTRY_TYPES] + [
        ("amendment", _("Amendment"))]


def _entry_or_404(entry_type, entry_id):
    kind = entries.TYPES.get(entry_type)
    if kind is None:
        abort(404)
    row = club_record_or_404(kind.model, entry_id)
    case = kind.case_of(row)
    if case is not None and case.erased_at is not None:  # an erased person's entries leave the review
        gone_if_erased(current_user, case)
        abort(404)
    return row


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
    audit.read("review_queue", [item.case.id for item in shown if item.case is not None])
    return render_template("review/queue.html", items=shown,
                           total=len(items), page=page, has_next=page * PER_PAGE < len(items),
                           filters=filters, members=members, member_id=member_id, kind=kind,
                           kinds=kind_choices(), moved=_moved_since(club),
                           conflict_count=conflicts.open_count(club))


def _refs(values):
    """(entry type, id, revision) of each `type:id:revision` value; malformed values are skipped."""
    refs = []
    for value in values:
        parts = value.split(":")
        if (len(parts) == 3 and parts[0] in entries.TYPES and parts[1].isdigit()
                and parts[2].isdigit()):
            refs.append((parts[0], int(parts[1]), int(parts[2])))
    return refs


def _moved_since(club):
    """The entries a bulk approval left undecided because they changed, each with its changes."""
    moved = []
    for entry_type, entry_id, seen in _refs(request.args.getlist("moved")[:MAX_MOVED]):
        row = review.entry_for_club(entry_type, entry_id, club)
        revision = row and review.pending_revision(row)
        if revision and revision != seen:
            moved.append(dict(entry_type=entry_type, row=row, seen=seen, revision=revision,
                              changes=review.changes_between(row, seen, revision)))
    return moved


@bp.route("/approve", methods=["POST"])
@access(CHAIR)
def approve_many():
    """Approve the entries ticked in the queue."""
    refs = _refs(request.form.getlist("entry"))
    if not refs:
        flash(_("Tick the entries to approve first."), "error")
        return redirect(url_for("review.queue"))
    approved, refused = review.approve_many(current_user.club, refs, current_user)
    if approved:
        flash(ngettext("%(num)d entry approved.", "%(num)d entries approved.", len(approved)),
              "success")
    moved = []
    for row, error in refused:
        flash(_("%(code)s: %(message)s", code=review.entry_code(row), message=error.message),
              "error")
        if isinstance(error, review.Moved):
            moved.append(f"{entries.type_of(row).name}:{row.id}:{error.seen}")
    kept = {k: v for k, v in request.args.items() if k in ("member", "kind")}
    return redirect(url_for("review.queue", moved=moved[:MAX_MOVED], **kept))


@bp.route("/<entry_type>/<int:entry_id>")
@access(CHAIR)
def entry(entry_type, entry_id):
    """One entry in full, with its case, what an amendment changes, and its whole trail."""
    row = _entry_or_404(entry_type, entry_id)
    case = entries.type_of(row).case_of(row)
    if case is not None:  # a screening names no one
        audit.record("case_viewed", case, code=case.code, via="review")
    return _render_entry(entry_type, row, ReturnForm())


def _render_entry(entry_type, row, form, status=200, since=None):
    view = review.entry_view(row)
    form.revision.data = view["revision"]
    # After a decision refused because the entry moved on: what changed since the chair's page.
    since = since or request.args.get("since", type=int)
    moved = (review.changes_between(row, since, view["revision"])
             if view["pending"] and since and since != view["revision"] else None)
    return render_template("review/entry.html", entry_type=entry_type, row=row, form=form,
                           view=view, since=since, moved=moved), status


@bp.route("/<entry_type>/<int:entry_id>/approve", methods=["POST"])
@access(CHAIR)
def approve(entry_type, entry_id):
    """Approve the entry, or its pending amendment."""
    row = _entry_or_404(entry_type, entry_id)
    try:
        review.approve(row, current_user, seen=_seen())
    except review.Moved as moved:
        return _moved(moved)
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
            review.return_entry(row, current_user, form.reason.data, seen=_seen())
        except review.Moved as moved:
            # Shown at once, with the reason the chair wrote kept in its box.
            flash(moved.message, "error")
            return _render_entry(entry_type, row, form, status=409, since=moved.seen)
        except Invalid as error:
            if not review.is_pending(_entry_or_404(entry_type, entry_id)):
                # Decided meanwhile (another board member): there is no form left to fix.
                flash(error.message, "error")
                return redirect(url_for("review.entry", entry_type=entry_type,
                                        entry_id=entry_id))
            form.reason.errors = [error.message]
        else:
            flash(_("Returned to the member with your reason."), "success")
            return redirect(url_for("review.queue"))
    return _render_entry(entry_type, row, form, status=400)


# --- Sync conflicts: the copies kept instead of overwriting, side by side with the record --------

class DismissForm(FlaskForm):
    # Required, but checked by conflicts.dismiss so that the rule and its message live once.
    reason = TextAreaField(_l("Why is the copy dismissed? (the member sees this)"))


def _conflict_or_404(sync_conflict_id):
    conflict = conflicts.conflict_for_club(sync_conflict_id, current_user.club)
    if conflict is None:
        abort(404)
    return conflict


@bp.route("/conflicts/")
@access(CHAIR)
def conflicts_list():
    """The copies kept by sync conflicts: those waiting, or (state=resolved) those decided."""
    resolved = request.args.get("state") == "resolved"
    club = current_user.club
    rows = conflicts.resolved_conflicts(club) if resolved else conflicts.open_conflicts(club)
    return render_template("review/conflicts.html", rows=rows, resolved=resolved,
                           entries={c.id: conflicts.entry_of(c) for c in rows},
                           open_count=conflicts.open_count(club))


@bp.route("/conflicts/<int:sync_conflict_id>")
@access(CHAIR)
def conflict(sync_conflict_id):
    """One kept copy beside the current version of its record, field by field."""
    return _render_conflict(_conflict_or_404(sync_conflict_id), DismissForm())


def _render_conflict(conflict, form, status=200):
    view = conflicts.comparison(conflict)
    if view and view["case"] is not None:
        audit.record("case_viewed", view["case"], code=view["case"].code, via="conflict")
    return render_template("review/conflict.html", conflict=conflict, view=view, form=form,
                           resolved_by=(User.get_or_none(User.id == conflict.resolved_by_id)
                                        if conflict.resolved_by_id else None)), status


@bp.route("/conflicts/<int:sync_conflict_id>/resolve", methods=["POST"])
@access(CHAIR)
def conflict_resolve(sync_conflict_id):
    """Merge the fields ticked from the kept copy into the record's next revision."""
    conflict = _conflict_or_404(sync_conflict_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    take = [name[len("take-"):] for name, value in request.form.items()
            if name.startswith("take-") and value == "kept"]
    try:
        revision = conflicts.resolve(conflict, current_user._get_current_object(), take,
                                     seen=_seen())
    except Invalid as error:
        flash(error.message, "error")
        return _render_conflict(conflict, DismissForm(formdata=None), status=409)
    flash(_("Merged into revision %(n)d of the record.", n=revision), "success")
    return redirect(url_for("review.conflicts_list"))


@bp.route("/conflicts/<int:sync_conflict_id>/dismiss", methods=["POST"])
@access(CHAIR)
def conflict_dismiss(sync_conflict_id):
    """Set the kept copy aside with a reason; the record stays as it is."""
    conflict = _conflict_or_404(sync_conflict_id)
    form = DismissForm()
    if form.validate_on_submit():
        try:
            conflicts.dismiss(conflict, current_user._get_current_object(), form.reason.data)
        except Invalid as error:
            form.reason.errors = [error.message]
        else:
            flash(_("The copy is dismissed; the member sees your reason."), "success")
            return redirect(url_for("review.conflicts_list"))
    return _render_conflict(conflicts.conflict_for_club(conflict.id, current_user.club), form,
                            status=400)
