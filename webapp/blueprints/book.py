"""The desk's book (chairs): cases and their timeline, consent, referrals, activities and
data-subject requests. Views stay thin: the rules are in cases, referrals, activities and sync."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from playhouse.flask_utils import PaginatedQuery
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from .. import audit
from ..book import activities, cases, consent, overtaken, providers, referrals, review, sync
from ..book.entry_forms import ActivityForm, AttendanceForm, CaseForm, ReferralForm, VisitForm
from ..invalid import Invalid
from ..models import Activity, Attendance, Case, Referral, User
from ..permissions import CHAIR, access, case_or_404, club_record_or_404, visible_cases
from ..security import search_redirect, searched_text
from ..book.vocab import (
    CASE_CATEGORIES, CASE_STATUSES, CONSENT_PURPOSES, REFERRAL_STATUSES,
    RISK_LEVELS,
)

bp = Blueprint("book", __name__, url_prefix="/desk")
PER_PAGE = 30


class AssignForm(FlaskForm):
    member = SelectField(_l("Member who follows the case"), validate_choice=False)
    # whom the case was assigned to when the page was drawn (cases.assigned_mark)
    seen = HiddenField()


class CloseForm(FlaskForm):
    reason = TextAreaField(_l("Reason for closing"), validators=[Optional()])
    referred = BooleanField(_l("Closed because the person was referred to a service"))


class ConsentForm(FlaskForm):
    purpose = SelectField(_l("Purpose"), validate_choice=False)
    given = SelectField(_l("Answer"), validate_choice=False)


class ReferralStatusForm(FlaskForm):
    status = SelectField(_l("New status"), validate_choice=False)
    outcome = SelectField(_l("Outcome"), validate_choice=False)
    note = TextAreaField(_l("Note on the outcome"), validators=[Optional()])


class EraseForm(FlaskForm):
    confirm = StringField(_l("Type the case's code to confirm"),
                          validators=[DataRequired(_l("Type the case's code to confirm.")),
                                      Length(max=24)])


def _members():
    return list(User.active_members(current_user.club_id).order_by(User.full_name))


def _case(case_id):
    return case_or_404(current_user, case_id)


def _through_sync(form, write):
    """`write()` — the sync path's write of the form's entry — and what it returned; the
    conflict's page when it was kept aside (the record moved on meanwhile: kept there to merge);
    None when the form now shows why it was refused."""
    try:
        return write()
    except sync.KeptAside as kept:
        flash(kept.message, "error")
        return redirect(url_for("review.conflict", sync_conflict_id=kept.conflict.id))
    except Invalid as invalid:
        form.show_errors(invalid.errors)
        return None


def _submit(form, entry_type):
    """Send a new entry's desk form through the sync path under the form's uuid (sync.desk_entry):
    True once stored — now, or by the same form sent a moment ago —; else as _through_sync."""
    result = _through_sync(form, lambda: sync.desk_entry(
        current_user._get_current_object(), entry_type, form.entry_data(), form.entry_uuid.data))
    if not isinstance(result, dict):
        return result
    if result.get("notice"):
        flash(result["notice"], "warning")
        if result["status"] == "duplicate":
            return None  # in the book already under another uuid (notices.AlreadyRecorded)
    if result["status"] in ("created", "duplicate", "updated"):
        form.created_id = result["id"]
        return True
    form.show_errors(result["errors"])
    return None


# --- The club's book ------------------------------------------------------------------------------

READ_VIEWS = {
    "case_viewed": _l("The case's page"), "review": _l("Review"),
    "data_request_shown": _l("Everything held (data request)"), "book_list": _l("The book's list"),
    "case_edit": _l("Edit form"), "visit_form": _l("Visit form"),
    "referral_form": _l("Referral form"), "agenda": _l("Agenda"),
    "attendance": _l("An activity's attendance"), "review_queue": _l("Review queue"),
    "bootstrap": _l("Field app (sync)"), "requests_list": _l("Data requests: search"),
    "appointment": _l("A planned visit"), "consent_printed": _l("Consent form"),
}


def read_view(row):
    """Where an audit row of a read showed the case (the case page's "who read this case")."""
    details = row.details or {}
    view = details.get("view") or details.get("via") or row.action
    return READ_VIEWS.get(view, view)


CASE_FILTERS = ("category", "status", "risk", "member")


@bp.route("/cases/", methods=["GET", "POST"])
@access(CHAIR)
def cases_list():
    """The club's cases, searched by name or code and filtered (the name never in the address)."""
    if request.method == "POST" or "q" in request.args:
        return search_redirect("book.cases_list", keep=CASE_FILTERS)
    args = request.args
    text = searched_text()
    query = cases.search(visible_cases(current_user), text=text,
                         category=args.get("category", ""), status=args.get("status", ""),
                         risk=args.get("risk", ""), member=args.get("member", type=int))
    page = PaginatedQuery(query.order_by(Case.code), PER_PAGE, check_bounds=False)
    filters = {k: v for k, v in args.items() if k != "page"}
    rows = list(page.get_object_list())
    audit.read("book_list", [c.id for c in rows])
    return render_template("book/cases.html", page=page, rows=rows,
                           members=_members(), args=args, q=text, filters=filters,
                           per_page=PER_PAGE, categories=CASE_CATEGORIES,
                           statuses=CASE_STATUSES, risks=RISK_LEVELS)


@bp.route("/cases/new", methods=["GET", "POST"])
@access(CHAIR)
def case_new():
    """Register a case: its code is given on the server."""
    form = CaseForm(members=_members())
    done = form.validate_on_submit() and _submit(form, "case")
    if done is True:
        flash(_("The case is registered."), "success")
        return redirect(url_for("book.case_page", case_id=form.created_id))
    if done:
        return done
    return render_template("book/case_form.html", form=form, case=None)


@bp.route("/cases/<int:case_id>")
@access(CHAIR)
def case_page(case_id):
    """A case and its whole timeline (each view is audited)."""
    case = _case(case_id)
    audit.record("case_viewed", case, code=case.code)
    assign = AssignForm(member=str(case.assigned_to_id or ""), seen=cases.assigned_mark(case))
    assign.member.choices = [(str(m.id), m.full_name or m.login) for m in _members()]
    return render_template("book/case.html", case=case, timeline=cases.timeline(case),
                           readers=audit.readers_of(case.id, case.club_id), read_view=read_view,
                           categories=cases.categories_of(case), consent=consent.consent_of(case),
                           assign=assign, close=CloseForm(), consent_form=_consent_form(),
                           status_form=_status_form(), referral_result=referrals.result_of)


def _desk_edit(row, form, base):
    """The board's edit of an entry from its desk form, opened on revision `base` (sync.desk_edit):
    True once saved; else as _through_sync."""
    done = _through_sync(form, lambda: sync.desk_edit(current_user._get_current_object(), row,
                                                      form.entry_data(), base=base))
    return True if done is row else done


@bp.route("/cases/<int:case_id>/edit", methods=["GET", "POST"])
@access(CHAIR)
def case_edit(case_id):
    """Correct a case's record: a new revision, approved on submit."""
    case = _case(case_id)
    form = CaseForm(members=_members())
    # The revision the form was opened on: an edit of one that moved on is kept, not written.
    base = request.form.get("base_revision", type=int) or review.current_revision(case)
    if request.method == "GET":
        form.fill(cases.data_of(case))
    if form.validate_on_submit():
        done = _desk_edit(case, form, base)
        if done is True:
            if request.args.get("request"):
                audit.record("data_request_corrected", case, code=case.code)
            flash(_("The case is saved."), "success")
            return redirect(url_for("book.case_page", case_id=case.id))
        if done is not None:
            return done
    audit.read("case_edit", [case.id], case)
    return render_template("book/case_form.html", form=form, case=case, base_revision=base)


@bp.route("/cases/<int:case_id>/assign", methods=["POST"])
@access(CHAIR)
def case_assign(case_id):
    """Give the case to a member to follow."""
    case = _case(case_id)
    form = AssignForm()
    if form.validate_on_submit():
        try:
            member = int(form.member.data or 0)
            cases.assign(case, member, current_user._get_current_object(), seen=form.seen.data)
        except overtaken.Overtaken as other:
            flash(str(other.message), "error")
        except (Invalid, ValueError):
            flash(_("Choose a member of the club."), "error")
        else:
            flash(_("The case is assigned."), "success")
    return redirect(url_for("book.case_page", case_id=case.id))


@bp.route("/cases/<int:case_id>/close", methods=["POST"])
@access(CHAIR)
def case_close(case_id):
    """Close a case with a reason."""
    case = _case(case_id)
    form = CloseForm()
    if form.validate_on_submit():
        try:
            cases.close(case, form.reason.data, current_user._get_current_object(),
                        referred=form.referred.data)
        except Invalid as invalid:
            for message in invalid.errors.values():
                flash(str(message), "error")
        else:
            flash(_("The case is closed."), "success")
    return redirect(url_for("book.case_page", case_id=case.id))


@bp.route("/cases/<int:case_id>/reopen", methods=["POST"])
@access(CHAIR)
def case_reopen(case_id):
    """Reopen a closed case."""
    case = _case(case_id)
    if FlaskForm().validate_on_submit():
        try:
            cases.reopen(case, current_user._get_current_object())
        except Invalid as invalid:
            for message in invalid.errors.values():
                flash(str(message), "error")
        else:
            flash(_("The case is open again."), "success")
    return redirect(url_for("book.case_page", case_id=case.id))


def _consent_form():
    form = ConsentForm()
    form.purpose.choices = CONSENT_PURPOSES.choices()
    form.given.choices = [("1", _("Agrees")), ("0", _("Does not agree / withdraws"))]
    return form


@bp.route("/cases/<int:case_id>/consent", methods=["GET", "POST"])
@access(CHAIR)
def case_consent(case_id):
    """The person's consent per purpose: a printable page, and recording or withdrawing it."""
    case = _case(case_id)
    form = _consent_form()
    if request.method == "POST":
        if form.validate_on_submit() and form.purpose.data in CONSENT_PURPOSES:
            consent.set_consent(case, form.purpose.data, form.given.data == "1",
                              current_user._get_current_object())
            flash(_("The consent is recorded."), "success")
        else:
            flash(_("Choose the purpose and the person's answer."), "error")
        return redirect(url_for("book.case_page", case_id=case.id))
    audit.record("consent_printed", case, code=case.code)
    rows = cases.everything_held(case)["consents"]
    return render_template("book/consent.html", case=case, consent=consent.consent_of(case),
                           rows=rows)


# --- Visits and referrals recorded at the desk -------------------------------------------------

@bp.route("/cases/<int:case_id>/visits/new", methods=["GET", "POST"])
@access(CHAIR)
def visit_new(case_id):
    """Record a visit to the case."""
    case = _case(case_id)
    form = VisitForm(members=_members(), extra={"case_uuid": case.uuid})
    done = form.validate_on_submit() and _submit(form, "visit")
    if done is True:
        flash(_("The visit is recorded."), "success")
        return redirect(url_for("book.case_page", case_id=case.id))
    if done:
        return done
    audit.read("visit_form", [case.id], case)
    return render_template("book/entry_form.html", form=form, case=case,
                           title=_("Record a visit"))


@bp.route("/cases/<int:case_id>/referrals/new", methods=["GET", "POST"])
@access(CHAIR)
def referral_new(case_id):
    """Refer the case to a service (needs the person's consent to be referred)."""
    case = _case(case_id)
    form = ReferralForm(extra={"case_uuid": case.uuid})
    listed = {p.uuid: p.name for p in providers.visible(current_user)}
    form.provider_uuid.choices = [("", _("— none fits: type it in below —"))] + list(listed.items())
    if form.is_submitted() and not (form.provider.data or "").strip():
        form.provider.data = listed.get(form.provider_uuid.data, "")  # picked: its name
    done = form.validate_on_submit() and _submit(form, "referral")
    if done is True:
        flash(_("The referral is recorded."), "success")
        return redirect(url_for("book.case_page", case_id=case.id))
    if done:
        return done
    audit.read("referral_form", [case.id], case)
    return render_template("book/entry_form.html", form=form, case=case,
                           title=_("Refer to a service"))


def _status_form():
    form = ReferralStatusForm()
    form.status.choices = [(c, label) for c, label in REFERRAL_STATUSES.choices() if c != "referred"]
    form.outcome.choices = [("", _("— choose —"))] + [
        (code, _("%(result)s: %(outcome)s", result=result, outcome=label))
        for result, outcomes in referrals.outcome_choices() for code, label in outcomes]
    return form


@bp.route("/referrals/<int:referral_id>/status", methods=["POST"])
@access(CHAIR)
def referral_status(referral_id):
    """Move a referral on: accepted, completed or declined, with the outcome."""
    referral = club_record_or_404(Referral, referral_id)
    case = _case(referral.case_id)
    form = _status_form()
    if form.validate_on_submit():
        try:
            referrals.set_status(referral, form.status.data, form.outcome.data, form.note.data,
                                 current_user._get_current_object())
        except Invalid as invalid:
            for message in invalid.errors.values():
                flash(str(message), "error")
        else:
            flash(_("The referral is updated."), "success")
    return redirect(url_for("book.case_page", case_id=case.id))


# --- Activities and attendance -------------------------------------------------------------------

@bp.route("/activities/", methods=["GET", "POST"])
@access(CHAIR)
def activities_list():
    """The club's activities, and a form to record one."""
    form = ActivityForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        done = _through_sync(form, lambda: activities.record_at_desk(
            form.values, user, form.entry_uuid.data,
            edit=lambda activity: sync.desk_edit(user, activity, form.entry_data(), base=1)))
        if isinstance(done, Activity):
            flash(_("The activity is recorded."), "success")
            return redirect(url_for("book.activity_page", activity_id=done.id))
        if done is not None:
            return done
    rows = (Activity.select()
            .where(Activity.club == current_user.club_id)
            .order_by(Activity.date.desc(), Activity.id.desc()))
    page = PaginatedQuery(rows, PER_PAGE, check_bounds=False)
    return render_template("book/activities.html", rows=list(page.get_object_list()), page=page,
                           form=form)


def _attendance_form(activity, formdata=None):
    case_choices = [(c.uuid, f"{c.code} · {c.full_name}")
                    for c in visible_cases(current_user).order_by(Case.code)]
    kwargs = {} if formdata is None else {"formdata": formdata}
    return AttendanceForm(members=_members(), case_choices=case_choices,
                          extra={"activity_uuid": activity.uuid}, **kwargs)


@bp.route("/activities/<int:activity_id>", methods=["GET", "POST"])
@access(CHAIR)
def activity_page(activity_id):
    """An activity, who came, who brought each, and a form to add someone."""
    activity = club_record_or_404(Activity, activity_id)
    form = _attendance_form(activity)
    done = form.validate_on_submit() and _submit(form, "attendance")
    if done is True:
        flash(_("The attendance is recorded."), "success")
        return redirect(url_for("book.activity_page", activity_id=activity.id))
    if done:
        return done
    attendances = (Attendance.select()
                   .join(Case)
                   .where((Attendance.activity == activity) & Case.erased_at.is_null())
                   .order_by(Case.code))
    audit.read("attendance", [a.case_id for a in attendances], activity)
    return render_template("book/activity.html", activity=activity, attendances=attendances,
                           form=form)


@bp.route("/activities/<int:activity_id>/edit", methods=["GET", "POST"])
@access(CHAIR)
def activity_edit(activity_id):
    """Change an activity's details: a new revision, approved on submit (a member's proposal too,
    so that a phone still holding the older revision meets a conflict)."""
    activity = club_record_or_404(Activity, activity_id)
    form = ActivityForm()
    base = request.form.get("base_revision", type=int) or review.current_revision(activity)
    if request.method == "GET":
        form.fill(activities.data_of(activity))
    if form.validate_on_submit():
        done = _desk_edit(activity, form, base)
        if done is True:
            flash(_("The activity is saved."), "success")
            return redirect(url_for("book.activity_page", activity_id=activity.id))
        if done is not None:
            return done
    return render_template("book/entry_form.html", form=form, case=None,
                           title=_("Change the activity"), base_revision=base)


# --- Data-subject requests -----------------------------------------------------------------------

@bp.route("/requests/", methods=["GET", "POST"])
@access(CHAIR)
def requests_list():
    """Find the person who asks to see, correct or erase what the club holds on them."""
    if request.method == "POST" or "q" in request.args:
        return search_redirect("book.requests_list")
    text = searched_text()
    rows = (list(cases.search(visible_cases(current_user), text=text).order_by(Case.code)
                 .limit(50)) if text.strip() else [])
    if rows:
        audit.read("requests_list", [c.id for c in rows])
    return render_template("book/requests.html", rows=rows, q=text)


@bp.route("/requests/<int:case_id>")
@access(CHAIR)
def request_page(case_id):
    """Everything held on one person, as a printable page (audited)."""
    case = _case(case_id)
    audit.record("data_request_shown", case, code=case.code)
    return render_template("book/request.html", held=cases.everything_held(case), case=case,
                           erase=EraseForm())


@bp.route("/requests/<int:case_id>/erase", methods=["POST"])
@access(CHAIR)
def request_erase(case_id):
    """Erase a person's data on their request: personal fields removed, counts kept."""
    case = _case(case_id)
    form = EraseForm()
    if form.validate_on_submit() and form.confirm.data.strip().upper() == (case.code or "").upper():
        cases.erase(case, current_user._get_current_object())
        flash(_("The person's data is erased. The club's counts keep the case as %(code)s.",
                code=case.code), "success")
        return redirect(url_for("book.requests_list"))
    if form.is_submitted() and not form.errors:
        form.confirm.errors = [_("The code does not match: nothing was erased.")]
    return render_template("book/request.html", held=cases.everything_held(case), case=case,
                           erase=form), 400
