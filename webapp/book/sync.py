"""The sync contract v1 (DESIGN.md §4): the entries a phone sends, and the working set it receives.

Every write of an entry — from the phone, and from the desk's forms — goes through `submit_entry`,
so the rules of revisions, duplicates, conflicts and review live here once:

- Every revision sent is in `EntryRevision`; the uuid is unique, so the same entry sent twice at
  once from two connections is stored once (the loser's IntegrityError makes it a duplicate).
- What happens to the main row — submitted, amended, self-approved — is review.py's
  (`receive_new`, `receive_edit`); this module registers how each type's data is applied.
"""
import base64
import json
from datetime import datetime, timedelta, timezone

from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import generate_csrf
from peewee import IntegrityError

from . import activities, cases, fields, holders, notices, referrals, review, scheduling, visits
from ..db import database, utcnow
from .fields import Invalid
from ..models import (
    Activity, Appointment, Attendance, Case, CaseCategory, Consent, EntryRevision, Referral,
    Review, SyncConflict, User, Visit,
)
from ..permissions import FIELD, may_write_case, visible_cases
from .vocab import FIELD_VOCABULARIES

MAX_ENTRIES = 200
MAX_BYTES = 1024 * 1024
RECENT_VISITS = 5
ACTIVITY_DAYS = 90

# entry type → (model, domain module); cases go first so that a batch may refer to its own cases.
KINDS = {
    "case": (Case, cases),
    "visit": (Visit, visits),
    "referral": (Referral, referrals),
    "attendance": (Attendance, activities),
}
ORDER = {"case": 0, "visit": 1, "referral": 1, "attendance": 1}


class Conflict(Exception):
    """The entry cannot be taken without overwriting another version."""

    def __init__(self, row, revision, message):
        super().__init__(message)
        self.row, self.revision, self.message = row, revision, message


def _result(uuid, status, row=None, revision=None, errors=None):
    return {"uuid": uuid, "status": status, "id": row.id if row is not None else None,
            "revision": revision, "errors": {k: str(v) for k, v in (errors or {}).items()}}


def _canonical(data):
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def parse_envelope(entry):
    """Check the entry around its data; returns (uuid, type, revision, base_revision, data, at)."""
    if not isinstance(entry, dict):
        raise Invalid({"entry": _l("Each entry must be an object.")})
    errors = {}
    uuid = entry.get("uuid")
    if not fields.is_uuid(uuid):
        errors["uuid"] = _l("The entry's uuid is missing or not valid.")
    entry_type = entry.get("type")
    if entry_type not in KINDS:
        errors["type"] = _l("Unknown type of entry.")
    revision = entry.get("revision")
    if not _is_int(revision) or revision < 1:
        errors["revision"] = _l("The revision must be a whole number from 1.")
    base = entry.get("base_revision")
    if base is not None and (not _is_int(base) or base < 1):
        errors["base_revision"] = _l("The base revision must be a whole number from 1.")
    data = entry.get("data")
    if not isinstance(data, dict):
        errors["data"] = _l("The entry's data must be an object.")
    at = entry.get("client_created_at")
    if at is not None:
        try:
            at = datetime.fromisoformat(at.replace("Z", "+00:00")) if isinstance(at, str) else None
        except ValueError:
            at = None
        if at is None:
            errors["client_created_at"] = _l("The time the entry was made is not valid.")
        elif at.tzinfo is not None:
            at = at.astimezone(timezone.utc).replace(tzinfo=None)
    if errors:
        raise Invalid(errors)
    return uuid, entry_type, revision, base, data, at


class Lookup:
    """The reads an entry needs, which a batch makes once for all its entries (DESIGN.md §4).

    Only absence is taken from the batch's reads: a uuid the server held no entry or revision of
    when the batch began is created without asking again — if another connection stored it
    meanwhile, the unique index refuses it and the entry is taken again with `fresh()` reads. An
    entry the server holds is read again inside its own transaction. The cases and activities the
    entries name are read once per batch, and a case the batch registers is added when stored.
    """

    def __init__(self):
        self.absent = set()        # uuids with neither a main row nor a revision on the server
        self.cases = {}            # case uuid → Case (or None: unknown)
        self.activities = {}       # (club id, activity uuid) → Activity (or None)
        self.no_open_appointment = set()  # case ids with no open appointment for a visit to close

    @classmethod
    def for_batch(cls, user, entries):
        lookup = cls()
        uuids = sorted({e.get("uuid") for e in entries
                        if isinstance(e, dict) and fields.is_uuid(e.get("uuid"))})
        case_uuids, activity_uuids = set(), set()
        for e in entries:
            data = e.get("data") if isinstance(e, dict) else None
            if isinstance(data, dict):
                if fields.is_uuid(data.get("case_uuid")):
                    case_uuids.add(data["case_uuid"])
                if fields.is_uuid(data.get("activity_uuid")):
                    activity_uuids.add(data["activity_uuid"])
        held = set()
        for chunk in _chunks(uuids):
            held.update(r.uuid for r in EntryRevision.select(EntryRevision.uuid)
                        .where(EntryRevision.uuid.in_(chunk)))
            for model, _module in KINDS.values():
                held.update(r.uuid for r in model.select(model.uuid).where(model.uuid.in_(chunk)))
        lookup.absent = set(uuids) - held
        for chunk in _chunks(sorted(case_uuids)):
            lookup.cases.update({c.uuid: c for c in Case.select().where(Case.uuid.in_(chunk))})
        lookup.cases.update({u: None for u in case_uuids if u not in lookup.cases})
        case_ids = {c.id for c in lookup.cases.values() if c is not None}
        if case_ids:
            with_open = {a.case_id for a in Appointment.select(Appointment.case).distinct().where(
                Appointment.case.in_(sorted(case_ids)) & (Appointment.status == "open"))}
            lookup.no_open_appointment = case_ids - with_open
        if activity_uuids:
            found = {a.uuid: a for a in Activity.select().where(
                Activity.uuid.in_(sorted(activity_uuids)) & (Activity.club == user.club_id))}
            lookup.activities = {(user.club_id, u): found.get(u) for u in activity_uuids}
        return lookup

    def is_known(self, uuid):
        """True if the server holds a revision of `uuid` (the entry may since have been removed)."""
        if uuid in self.absent:
            return False
        return EntryRevision.select().where(EntryRevision.uuid == uuid).exists()

    def held(self, uuid):
        """(entry type, main row) of an entry the server holds under `uuid`, or (None, None)."""
        if uuid in self.absent:
            return None, None
        for entry_type, (model, _module) in KINDS.items():
            row = model.get_or_none(model.uuid == uuid)
            if row is not None:
                return entry_type, row
        return None, None

    def case(self, uuid):
        if uuid not in self.cases:
            self.cases[uuid] = Case.get_or_none(Case.uuid == uuid)
        return self.cases[uuid]

    def activity(self, club_id, uuid):
        key = (club_id, uuid)
        if key not in self.activities:
            self.activities[key] = Activity.get_or_none((Activity.uuid == uuid)
                                                        & (Activity.club == club_id))
        return self.activities[key]

    def stored(self, entry_type, row):
        """`row` was just committed under its uuid."""
        self.absent.discard(row.uuid)
        if entry_type == "case":
            self.cases[row.uuid] = row
        elif entry_type == "visit" and row.follow_up_date:
            # Its follow-up date made an appointment, which a later visit may close.
            self.no_open_appointment.discard(row.case_id)

    def fresh(self, uuid):
        """Forget what the batch read of `uuid`: another connection wrote it meanwhile."""
        self.absent.discard(uuid)
        self.cases.pop(uuid, None)


def _chunks(items, size=500):
    items = list(items)
    return [items[i:i + size] for i in range(0, len(items), size)]


def _resolve(user, entry_type, data, lookup=None, at=None):
    """Validate `data` and turn its references into rows the user may write to (or held when the
    entry was made, at `at`)."""
    values = fields.validate(entry_type, data)
    _, module = KINDS[entry_type]
    if entry_type == "case":
        return values
    lookup = lookup or Lookup()
    case = lookup.case(values["case_uuid"])
    if case is None or (user.club_id is not None and case.club_id != user.club_id):
        # Another club's case: as if unknown.
        raise Invalid({"case_uuid": _l("The server does not have this case yet. If it was "
                                       "registered on this phone, it goes first: sync again once "
                                       "it is sent.")})
    if not holders.may_record(user, case, at):
        raise Invalid({"case_uuid": _l("You do not follow this case, and did not when this entry "
                                       "was made. Ask your club's chair to assign it to you, "
                                       "then send the entry again.")})
    if entry_type == "attendance":
        activity = lookup.activity(case.club_id, values["activity_uuid"])
        if activity is None:
            raise Invalid({"activity_uuid": _l("This activity is not one of your club's.")})
        return module.prepare(user, values, case, activity)
    return module.prepare(user, values, case)


def _case_of(entry_type, row):
    return row if entry_type == "case" else row.case


def _write(entry_type, row, values, by):
    """Write checked values to an existing main row (an edit, or an approved amendment)."""
    _, module = KINDS[entry_type]
    if entry_type == "case":
        values = module.prepare(by, values, row)
    module.update(row, values, by)


def _apply_stored(entry_type):
    """How review.py applies an approved amendment: the same checks, as the entry's author."""
    def apply(row, data):
        try:
            values = _resolve(row.created_by, entry_type, data,
                              at=row.client_created_at or row.created_at)
            _write(entry_type, row, values, row.created_by)
        except Invalid as invalid:
            raise review.ReviewError(" ".join(str(m) for m in invalid.errors.values()))
    return apply


for _entry_type in KINDS:
    review.register_apply(_entry_type, _apply_stored(_entry_type))


def _submit(user, uuid, entry_type, revision, base, data, at, lookup):
    model, module = KINDS[entry_type]
    # Revisions first, then rows: both are committed together, so on PostgreSQL (read committed,
    # a snapshot per statement) a revision seen means its row is seen too.
    known = lookup.is_known(uuid)
    held_type, row = lookup.held(uuid)
    if row is None:
        if known:
            raise Invalid({"uuid": _l("This entry was removed from the book.")})
        values = _resolve(user, entry_type, data, lookup, at)
        if entry_type == "case":
            values = module.prepare(user, values)
        elif entry_type == "visit" and values["case"].id in lookup.no_open_appointment:
            values["no_open_appointment"] = True
        row = module.create(user, values, uuid=uuid, revision=revision, client_created_at=at)
        EntryRevision.create(entry_type=entry_type, uuid=uuid, revision=revision, data=data,
                             submitted_by=user)
        review.receive_new(row, user)
        return dict(_result(uuid, "created", row, revision), row=row)

    if held_type != entry_type or row.created_by_id != user.id:
        raise Invalid({"uuid": _l("This entry belongs to someone else.")})
    same = EntryRevision.get_or_none((EntryRevision.uuid == uuid)
                                     & (EntryRevision.revision == revision))
    current = review.current_revision(row)
    if same is not None:
        if _canonical(same.data) == _canonical(data):
            return dict(_result(uuid, "duplicate", row, revision), row=row)
        raise Conflict(row, current, _l("The server holds other data for this revision. "
                                        "Keep one of the two versions."))
    if revision <= current:
        raise Conflict(row, current, _l("The server has a newer version of this entry."))
    if base is None:
        raise Invalid({"base_revision": _l("An edit must name the revision it was made from.")})
    if base != current:
        raise Conflict(row, current, _l("Someone changed this entry meanwhile. "
                                        "Compare the versions and keep one."))
    if revision != base + 1:
        raise Invalid({"revision": _l("An edit's revision must be one more than its base.")})
    if not holders.may_record(user, _case_of(entry_type, row), at):
        raise Invalid({"uuid": _l("You no longer follow this case, so this change cannot be "
                                  "taken. Ask your club's chair to make it, then discard it.")})
    values = _resolve(user, entry_type, data, lookup, at)
    if entry_type == "case":
        stored = review.stored_revision(row, base)
        values = cases.keep_assignment(values, stored.data if stored else None)
    EntryRevision.create(entry_type=entry_type, uuid=uuid, revision=revision, data=data,
                         submitted_by=user)
    review.receive_edit(row, revision, data, user,
                        apply=lambda r, _data: _write(entry_type, r, values, user))
    return dict(_result(uuid, "updated", row, revision), row=row)


def _erased_case(uuid, data, lookup):
    """The erased case an entry belongs to, or None: such an entry answers `gone`, and nothing
    of it is stored anywhere, not even as a conflict or a revision (DESIGN.md §4).

    Read inside the entry's transaction: a case erased while a batch runs keeps its entries out.
    """
    held_type, row = lookup.held(uuid)
    if row is not None:
        case_id = row.id if held_type == "case" else row.case_id
    else:
        case = lookup.case(data["case_uuid"]) if fields.is_uuid(data.get("case_uuid")) else None
        case_id = case.id if case is not None else None
    if case_id is None:
        return None
    return Case.select(Case.id, Case.uuid).where((Case.id == case_id)
                                                 & Case.erased_at.is_null(False)).first()


def _keep_conflict(user, uuid, entry_type, revision, base, data):
    exists = (SyncConflict.select()
              .where((SyncConflict.uuid == uuid) & (SyncConflict.revision == revision)
                     & (SyncConflict.user == user) & SyncConflict.resolved_at.is_null())
              .iterator())
    if any(_canonical(c.data) == _canonical(data) for c in exists):
        return
    SyncConflict.create(entry_type=entry_type, uuid=uuid, revision=revision, base_revision=base,
                        data=data, user=user)


def submit_entry(user, entry, lookup=None):
    """Take one entry; returns its result. Each entry is its own transaction, committed here.

    `lookup`: the reads a batch shared (Lookup.for_batch); by default this entry's own.
    """
    lookup = lookup or Lookup()
    sent_uuid = entry.get("uuid") if isinstance(entry, dict) else None
    sent_uuid = sent_uuid if isinstance(sent_uuid, str) else None
    try:
        uuid, entry_type, revision, base, data, at = parse_envelope(entry)
    except Invalid as invalid:
        return _result(sent_uuid, "invalid", errors=invalid.errors)
    if user.club_id is None and entry_type == "case":
        # Once a member, now a supervisor or admin: what they recorded on cases they held goes
        # in (holders.may_record), but a person they registered has no club to go to.
        return _result(uuid, "invalid", errors={"entry": _l(
            "This account no longer belongs to a club, so it cannot register a person. Ask the "
            "club's chair to register them, then discard this entry.")})
    for _attempt in range(3):
        try:
            with database.atomic():
                erased = _erased_case(uuid, data, lookup)
                if erased is not None:
                    return dict(_result(uuid, "gone"), case_uuid=erased.uuid)
                try:
                    result = _submit(user, uuid, entry_type, revision, base, data, at, lookup)
                except Conflict as conflict:
                    _keep_conflict(user, uuid, entry_type, revision, base, data)
                    return _result(uuid, "conflict", conflict.row, conflict.revision,
                                   {"revision": conflict.message})
                stored = result.pop("row")
            lookup.stored(entry_type, stored)
            if notices.of(stored):
                result["notice"] = notices.of(stored)
            return result
        except Invalid as invalid:
            return _result(uuid, "invalid", errors=invalid.errors)
        except IntegrityError:
            # Another connection stored the same uuid (or took the same code) a moment ago:
            # look again, and this entry is then a duplicate, a conflict or simply the next one.
            lookup.fresh(uuid)
            continue
    return _result(uuid, "invalid", errors={"entry": _l("The server was busy. Send it again.")})


def new_entry(entry_type, data):
    """A first revision made at the desk, as the phone would send it."""
    return {"uuid": fields.new_uuid(), "type": entry_type, "revision": 1, "data": data,
            "client_created_at": utcnow().isoformat() + "Z"}


def desk_edit(user, entry_type, row, data):
    """A board member changes an entry of their club at the desk (whoever made it).

    The change is a new revision, approved on submit; a phone still holding the older revision
    then meets a conflict, never a silent overwrite. Refused while an amendment waits for review.
    Raises Invalid.
    """
    if user.role != "chair" or not may_write_case(user, _case_of(entry_type, row)):
        raise Invalid({"entry": _l("You may not change this entry.")})
    if review.has_pending_amendment(row):
        raise Invalid({"entry": _l("An amendment of this entry waits for review: decide on it "
                                   "first.")})
    with database.atomic():
        values = _resolve(user, entry_type, data)
        revision = review.current_revision(row) + 1
        EntryRevision.create(entry_type=entry_type, uuid=row.uuid, revision=revision, data=data,
                             submitted_by=user)
        _write(entry_type, row, values, user)
        model = type(row)
        row.revision = revision
        row.review_status = "approved"
        row.amendment_revision = row.amendment_status = None
        row.updated_at = utcnow()
        row.save(only=[model.revision, model.review_status, model.amendment_revision,
                       model.amendment_status, model.updated_at])
        Review.create(club=row.club, entry_type=entry_type, entry_uuid=row.uuid,
                             revision=revision, decision="self_approved", decided_by=user)
    return row


def submit_batch(user, entries):
    """Take a batch in an order where cases come first; the answer keeps the order sent."""
    results = [None] * len(entries)
    order = sorted(range(len(entries)),
                   key=lambda i: ORDER.get(entries[i].get("type") if isinstance(entries[i], dict)
                                           else None, 1))
    lookup = Lookup.for_batch(user, entries)
    for i in order:
        results[i] = submit_entry(user, entries[i], lookup)
    return results


def server_time():
    return utcnow().isoformat(timespec="seconds") + "Z"


# --- The working set ----------------------------------------------------------------------------

def _iso(value):
    return value.isoformat() if value is not None else None


def _grouped(query, key):
    groups = {}
    for row in query:
        groups.setdefault(key(row), []).append(row)
    return groups


def hands_in_only(user):
    """True for an account that may only send what waits on its phone: deactivated (a hand-in
    session, accounts.py), or whose role is no longer one that records in the field."""
    return user.hand_in_only or user.role not in FIELD


def hand_in_set(user):
    """The working set of an account that only hands in: nothing to read, the key to send with."""
    club = user.club if user.club_id is not None else None
    return {
        "user": {"id": user.id, "login": user.login, "full_name": user.full_name,
                 "role": user.role, "club": {"id": club.id, "name": club.name} if club else None,
                 "hand_in_only": True},
        "csrf_token": generate_csrf(),
        "device_key": base64.b64encode(user.device_key).decode() if user.device_key else None,
        "server_time": server_time(),
        "vocabularies": {v.name: [{"code": code, "label": label} for code, label in v.choices()]
                         for v in FIELD_VOCABULARIES},
        "members": [], "cases": [], "appointments": [], "activities": [], "returned": [],
        "full": True,
    }


def working_set(user):
    """What the field app needs, for `user` only (bootstrap, DESIGN.md §3 and §4)."""
    club = user.club
    case_rows = list(visible_cases(user).order_by(Case.code))
    ids = [c.id for c in case_rows] or [0]
    categories = _grouped(CaseCategory.select().where(CaseCategory.case.in_(ids)),
                          lambda r: r.case_id)
    consents = _grouped(Consent.select().where(Consent.case.in_(ids) & Consent.given
                                               & Consent.withdrawn_at.is_null()),
                        lambda r: r.case_id)
    recent = _grouped(Visit.select().where(Visit.case.in_(ids))
                      .order_by(Visit.date.desc(), Visit.id.desc()), lambda r: r.case_id)
    case_referrals = _grouped(Referral.select().where(Referral.case.in_(ids))
                              .order_by(Referral.referred_on.desc()), lambda r: r.case_id)
    open_appointments = _grouped(Appointment.select()
                                 .where(Appointment.case.in_(ids) & (Appointment.status == "open"))
                                 .order_by(Appointment.due_date, Appointment.id),
                                 lambda r: r.case_id)
    cases_out = []
    for c in case_rows:
        given = {row.purpose for row in consents.get(c.id, [])}
        upcoming = open_appointments.get(c.id, [])
        cases_out.append({
            "id": c.id, "uuid": c.uuid, "code": c.code, "full_name": c.full_name, "sex": c.sex,
            "birth_year": c.birth_year, "address": c.address, "neighbourhood": c.neighbourhood,
            "phone": c.phone,
            "categories": sorted(r.category for r in categories.get(c.id, [])),
            "risk_level": c.risk_level, "status": c.status, "assigned_to": c.assigned_to_id,
            "consent": {p: p in given for p in ("follow", "refer", "share")},
            "review_status": c.review_status, "revision": review.current_revision(c),
            "recent_visits": [{"uuid": v.uuid, "date": _iso(v.date), "kind": v.kind,
                               "topics": list(v.topics), "review_status": v.review_status}
                              for v in recent.get(c.id, [])[:RECENT_VISITS]],
            "referrals": [{"uuid": r.uuid, "service_kind": r.service_kind, "status": r.status,
                           "referred_on": _iso(r.referred_on)}
                          for r in case_referrals.get(c.id, [])],
            "next_appointment": ({"id": upcoming[0].id, "due_date": _iso(upcoming[0].due_date)}
                                 if upcoming else None),
        })
    appointments = scheduling.working_set_appointments(user)
    since = fields.local_today() - timedelta(days=ACTIVITY_DAYS)
    activity_rows = (Activity.select()
                     .where((Activity.club == user.club_id) & (Activity.date >= since))
                     .order_by(Activity.date.desc()))
    members = (User.select()
               .where((User.club == user.club_id) & User.role.in_(FIELD) & User.is_active)
               .order_by(User.full_name))
    return {
        "user": {"id": user.id, "login": user.login, "full_name": user.full_name,
                 "role": user.role, "club": {"id": club.id, "name": club.name} if club else None,
                 "hand_in_only": False},
        "csrf_token": generate_csrf(),
        "device_key": base64.b64encode(user.device_key).decode() if user.device_key else None,
        "server_time": server_time(),
        "vocabularies": {v.name: [{"code": code, "label": label} for code, label in v.choices()]
                         for v in FIELD_VOCABULARIES},
        "members": [{"id": m.id, "full_name": m.full_name or m.login} for m in members],
        "cases": cases_out,
        "appointments": appointments,
        "activities": [{"uuid": a.uuid, "title": a.title, "date": _iso(a.date), "kind": a.kind}
                       for a in activity_rows],
        "returned": review.returned_for(user),
    }
