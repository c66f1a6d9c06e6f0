"""Activities (hoạt động tuyên truyền, tập huấn, hội thảo): an awareness event, training or
workshop of the club. The chair records one at the desk (approved at once); a member proposes one
from the field, an entry of the book that waits for the chair's review like any other, and once
approved is an activity the club records attendance at (attendance.py)."""
from flask_babel import lazy_gettext as _l

from .. import audit
from ..db import database, utcnow
from ..i18n import format_date
from ..invalid import Invalid
from ..models import Activity, SameActivity
from .vocab import APPROVED

FIELDS = ("title", "kind", "date", "place", "attendee_count")
# How far back an activity is kept on the phones (the working set), hence proposed from one.
RECENT_DAYS = 90


def save_activity(values, by, activity=None, uuid=None):
    """Record an activity of the chair's club (under `uuid`, its desk form's), or change one."""
    with database.atomic():
        if activity is None:
            activity = Activity(club=by.club_id, created_by=by, review_status=APPROVED)
            if uuid:
                activity.uuid = uuid
        _write(activity, values)
        audit.record("activity_saved", activity, user=by, kind=activity.kind)
    return activity


def record_at_desk(values, by, uuid, edit):
    """The chair's new activity from the desk form drawn with `uuid`: one activity, however often
    the form is sent (as sync.desk_entry for the book's other entries, screenings.save_round,
    providers.save). Sent again as it was — a double tap, the browser sending the page again
    after a lost answer — it is the activity the first sending recorded, and nothing is written.
    Sent again with changes (back to the form, a field changed, saved again), it is the board's
    edit of that activity made on its first revision: `edit(activity)`, which is sync.desk_edit
    (not imported here: the sync path reads the entry registry, which holds this module) — the
    next revision, or, if the activity moved on meanwhile, kept aside for the board to compare
    (it raises KeptAside, or Invalid). Returns the activity."""
    activity = Activity.get_or_none((Activity.uuid == uuid) & (Activity.club == by.club_id))
    if activity is None:
        return save_activity(values, by, uuid=uuid)
    if not _as_saved(activity, values):
        edit(activity)
    return activity


def _as_saved(activity, values):
    """True if `values` are what `activity` holds (its form sent again as it was)."""
    kept = dict(values, attendee_count=values["attendee_count"] or 0)  # as _write stores them
    return all(getattr(activity, name) == kept[name] for name in FIELDS)


def _write(activity, values):
    for name in FIELDS:
        setattr(activity, name, values[name])
    if activity.attendee_count is None:
        activity.attendee_count = 0
    activity.updated_at = utcnow()
    activity.save()


def same_as(club_id, title, day, but=None):
    """The club's activity with this title (ignoring case and spacing) on this day, or
    None: what a proposal would record twice."""
    # Compared here, not in SQL: SQLite's LOWER folds only ASCII, and titles are Vietnamese.
    wanted = " ".join(title.split()).casefold()
    query = Activity.select().where((Activity.club == club_id) & (Activity.date == day))
    if but is not None:
        query = query.where(Activity.id != but)
    return next((a for a in query if " ".join(a.title.split()).casefold() == wanted), None)


# --- The entry a member sends (entries.py) ------------------------------------------------------

def _check_twin(club_id, values, but=None):
    twin = same_as(club_id, values["title"], values["date"], but=but)
    if twin is not None:
        error = Invalid({"title": _l("“%(title)s” on %(date)s is already in the club's book: "
                                   "attendance recorded at this proposal goes to it. Discard "
                                   "this entry, or change the title or the date if it is "
                                   "another activity.",
                                   title=twin.title, date=twin.date.strftime("%d/%m/%Y"))})
        # What refers to the proposal goes to that activity: in the same batch, and later
        # (remember_twin, twins_of).
        error.same_as = twin
        raise error


def remember_twin(uuid, twin):
    """The proposal `uuid` was refused as `twin` (nothing of it stored): its uuid stands for
    `twin` from now on. Attendance recorded at the proposal may come in a later sync — recorded
    after the refusal at the proposal the phone still showed, or left waiting when the member
    discarded the proposal as its reason says — and then goes to `twin`, never refused for an
    activity the server does not have. (An edit of a proposal the book holds refused so: that
    proposal stands for itself.)"""
    if not Activity.select().where(Activity.uuid == uuid).exists():
        SameActivity.insert(uuid=uuid, activity=twin).on_conflict_ignore().execute()


def twins_of(uuids):
    """{uuid: activity} of the refused proposals among `uuids` (remember_twin). A proposal fixed
    and taken since is an activity under its own uuid, which is asked first (entries.Lookup)."""
    query = (SameActivity.select(SameActivity, Activity)
             .join(Activity)
             .where(SameActivity.uuid.in_(list(uuids))))
    return {row.uuid: row.activity for row in query}


def prepare(user, values, lookup, at=None):
    """Nothing more than the fields' own rules: a proposal of any past day goes to the chair's
    review. The phones keep only RECENT_DAYS of activities, but one recorded on a phone that
    stayed offline for weeks, or copied from the paper book, is the club's all the same; refusing
    it would leave the member nothing to do but discard it. Its review still reaches the phone
    (a returned entry is not bound to that window: review.returned_for)."""
    return values


def create(user, values, lookup, **entry):
    _check_twin(user.club_id, values)  # not one the club's book already has
    activity = Activity(club=user.club_id, created_by=user, **entry)
    _write(activity, values)
    audit.record("activity_proposed", activity, user=user, kind=activity.kind)
    return activity


def update(activity, values, by):
    _check_twin(activity.club_id, values, but=activity.id)
    _write(activity, values)
    audit.record("activity_saved", activity, user=by, kind=activity.kind)
    return activity


def short_name(activity):
    """Its title and day (the club's event, not a person)."""
    return f"{activity.title} · {format_date(activity.date)}"


def data_of(activity):
    return {"title": activity.title, "kind": activity.kind, "date": activity.date.isoformat(),
            "place": activity.place, "attendee_count": activity.attendee_count}


def no_club_refusal():
    return _l("This account no longer belongs to a club, so it cannot propose an activity. "
              "Tell the club's chair about it, then discard this entry.")
