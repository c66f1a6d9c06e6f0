"""The sync contract v1 (DESIGN.md §4): the entries a phone sends (the working set it receives
is working_set.py's).

Every write of an entry — from the phone, and from the desk's forms — goes through `submit_entry`,
so the rules of revisions, duplicates, conflicts and review live here once:

- Every revision sent is in `EntryRevision`; the uuid is unique, so the same entry sent twice at
  once from two connections is stored once (the loser's IntegrityError makes it a duplicate).
- What an entry of each type checks and writes is its domain module's, found in the registry
  (entries.py); what happens to the main row — submitted, amended, self-approved — is review.py's
  (`receive_new`, `receive_edit`).
"""
import contextlib
import json
from datetime import datetime, timedelta, timezone

from flask_babel import lazy_gettext as _l
from peewee import IntegrityError

from . import fields, holders, notices, review
from .. import accounts, audit
from ..db import database, new_uuid, utcnow
from .entries import TYPES, Lookup, check, edited, type_of
from ..invalid import Invalid
from ..models import EntryRevision, SyncConflict
from .editors import may_edit, may_write_entry  # the editing rule (editors.py), used here

MAX_ENTRIES = 200
# When an entry may say it was made: after the book began, and not in tomorrow's tomorrow (a
# phone's clock may be a little off, but not years).
EARLIEST_MADE = datetime(2020, 1, 1)
LATEST_AHEAD = timedelta(days=1)
MAX_REVISION = 2 ** 31 - 1  # revisions are stored as 32-bit integers
MAX_BYTES = 1024 * 1024
# How long the phone is told how the board ended a kept copy (`conflict_outcomes`).
OUTCOME_DAYS = 30
RETRY_AFTER = 30  # seconds: how long a phone waits before sending a `retry` entry again
ERASED = {"erased": True}  # what cases.erase leaves of a copy


# One wording for every edit that meets another: the phone then shows the two versions side by side.
CHANGED_MEANWHILE = _l("Someone changed this record meanwhile. Compare the two versions and "
                       "choose what to keep.")
PASSED_ON = _l("You may not change this record now: someone else follows it. Your version is "
               "kept for the club's board to see.")
LEFT_BOARD = _l("You may not change this record now: you have left the club's board since you "
                "made this change. Your version is kept for the club's board to see.")


class KeptAside(Invalid):
    """A desk edit made on a revision that moved on: kept as a conflict (`conflict`), not written."""

    def __init__(self, conflict):
        super().__init__(_l("Someone changed this record while you were editing it: nothing "
                            "was overwritten. Your version is kept: compare the two and choose."),
                         field="entry")
        self.conflict = conflict


class Conflict(Exception):
    """The entry cannot be taken without overwriting another version (or another's record)."""

    def __init__(self, row, revision, message=CHANGED_MEANWHILE, key="revision", compare=True):
        super().__init__(message)
        self.row, self.revision, self.message, self.key = row, revision, message, key
        self.compare = compare  # the answer carries the server's version, to compare with


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
    if entry_type not in TYPES:
        errors["type"] = _l("Unknown type of entry.")
    revision = entry.get("revision")
    if not _is_int(revision) or not 1 <= revision <= MAX_REVISION:
        errors["revision"] = _l("The revision must be a whole number from 1.")
    base = entry.get("base_revision")
    if base is not None and (not _is_int(base) or not 1 <= base <= MAX_REVISION):
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
        else:
            if at.tzinfo is not None:
                at = at.astimezone(timezone.utc).replace(tzinfo=None)
            if not EARLIEST_MADE <= at <= utcnow() + LATEST_AHEAD:
                errors["client_created_at"] = _l(
                    "The phone's clock was wrong when this entry was made (it says %(when)s). "
                    "Set the phone's date and time, then open the entry and send it again.",
                    when=at.strftime("%d/%m/%Y"))
    if errors:
        raise Invalid(errors)
    return uuid, entry_type, revision, base, data, at


class Later:
    """What a batch writes at its end, a statement for many rows, inside its one transaction:
    new visits' main rows (Lookup.insert) and what waits for their ids (Lookup.once_inserted),
    the rows added (Lookup.add: the first revisions of entries new to the server, the members
    present at a visit), and the audit lines. A sync batch then costs little more than inserting
    its rows (issue 17). Nothing reads them before: an entry whose uuid the server may hold (not
    `absent` from the batch's reads) writes them out first.
    """

    def __init__(self):
        self.rows, self.added, self.audit = [], [], []

    def mark(self):
        return len(self.rows), len(self.added), len(self.audit)

    def drop(self, mark):
        """An entry's savepoint was rolled back: so are the rows it left here."""
        for rows, kept in zip((self.rows, self.added, self.audit), mark):
            del rows[kept:]

    def insert(self, row, then):
        self.rows.append((row, [then]))

    def once_inserted(self, row, then):
        next(thens for waiting, thens in reversed(self.rows) if waiting is row).append(then)

    def add(self, model, rows):
        self.added.extend((model, row) for row in rows)

    def write(self):
        while self.rows:  # what runs once a row is in may leave rows of its own
            rows, self.rows = self.rows, []
            _insert_together([row for row, _thens in rows])
            for row, thens in rows:
                for then in thens:
                    then(row)
        models = {}
        for model, row in self.added:
            models.setdefault(model, []).append(row)
        for model, rows in models.items():
            for start in range(0, len(rows), 200):
                model.insert_many(rows[start:start + 200]).execute()
        audit.write(self.audit)
        for written in (self.added, self.audit):
            written.clear()  # in place: audit.deferred keeps appending to this very list


def _insert_together(rows):
    """Insert new model instances, one statement for each model and set of columns, each given its
    id (its uuid says which: the order RETURNING gives is not promised)."""
    groups = {}
    for row in rows:
        groups.setdefault((type(row), tuple(sorted(row.__data__))), []).append(row)
    for (model, columns), group in groups.items():
        fields = [model._meta.fields[name] for name in columns
                  if model._meta.fields[name] is not model._meta.primary_key]
        for start in range(0, len(group), 200):
            chunk = group[start:start + 200]
            ids = dict((model.insert_many([[row.__data__[f.name] for f in fields] for row in chunk],
                                          fields=fields)
                        .returning(model.uuid, model._meta.primary_key).tuples().execute()))
            for row in chunk:
                row._pk = ids[row.uuid]
                row._dirty.clear()  # as Model.save leaves a row it inserted


def _submit(user, uuid, kind, revision, base, data, at, lookup):
    # A row and its revision are committed together, so on PostgreSQL (read committed, a snapshot
    # per statement) a revision seen means its row is seen too.
    known = lookup.is_known(uuid)
    held_kind, row = lookup.held(uuid)
    if row is None:
        if known:
            raise Invalid({"uuid": _l("This entry was removed from the book.")})
        values = check(user, kind, data, lookup, at)
        try:
            row = kind.module.create(user, values, lookup, uuid=uuid, revision=revision,
                                     client_created_at=at)
        except notices.AlreadyRecorded as taken:  # nothing of this uuid is stored
            notices.tell(taken.row, taken.message)
            return dict(_result(uuid, "duplicate", taken.row, taken.row.revision), row=taken.row)
        lookup.add(EntryRevision, [dict(entry_type=kind.name, uuid=uuid, revision=revision,
                                        data=data, submitted_by=user, submitted_at=utcnow())])
        lookup.once_inserted(row, lambda row: review.receive_new(row, user, at))
        return dict(_result(uuid, "created", row, revision), row=row)

    if held_kind is not kind:
        raise Invalid({"uuid": _l("This entry belongs to someone else.")})
    same = EntryRevision.get_or_none((EntryRevision.uuid == uuid)
                                     & (EntryRevision.revision == revision))
    if (same is not None and same.submitted_by_id == user.id
            and _canonical(same.data) == _canonical(data)):
        return dict(_result(uuid, "duplicate", row, revision), row=row)
    current = review.current_revision(row)
    # An edit (a returned visit fixed, say) is its maker's if they held the case when the entry
    # was first made: a reassignment since never traps the fix on their phone.
    made = row.client_created_at or row.created_at
    if not may_edit(user, row, made):
        # An edit by someone who made the entry or changed it before, or who made this edit
        # while the record was theirs to change — a case's own record while they followed it
        # (passed to another member since), anything of the club while they sat on its board
        # (left since) — is kept for the board to see; any other uuid is simply not theirs.
        if accounts.on_board(user, row.club_id, at):
            message = LEFT_BOARD
        elif _has_held(user, row) or (kind.case_of(row) is row and holders.held(user, row, at)):
            message = PASSED_ON
        else:
            raise Invalid({"uuid": _l("This entry belongs to someone else.")})
        # No server version with it: taken from it, the next edit would meet the same refusal.
        raise Conflict(row, current, message, key="entry", compare=False)
    # Revisions of one record are one sequence, whoever writes them (phone, desk, a chair in the
    # field app): a revision already taken, or an older base, is someone else's change.
    if same is not None or revision <= current:
        raise Conflict(row, current)
    if base is None:
        raise Invalid({"base_revision": _l("An edit must name the revision it was made from.")})
    if base != current:
        raise Conflict(row, current)
    if revision != base + 1:
        raise Invalid({"revision": _l("An edit's revision must be one more than its base.")})
    # What the edit left as it was in its base keeps its value now (entries.edited).
    stored = review.stored_revision(row, base)
    values = edited(kind, check(user, kind, data, lookup, made), stored.data if stored else None)
    EntryRevision.create(entry_type=kind.name, uuid=uuid, revision=revision, data=data,
                         submitted_by=user)
    review.receive_edit(row, revision, data, user, at,
                        apply=lambda r, _data: kind.module.update(r, values, user))
    return dict(_result(uuid, "updated", row, revision), row=row)


def kept_data(kind, uuid, data):
    """What the server keeps of `data`: of an entry about a person erased meanwhile (a screening,
    which names no case), nothing that names them (the type's `kept_data`)."""
    kept = getattr(kind.module, "kept_data", None)
    return kept(uuid, data) if kept is not None else data


def _erased_case(uuid, kind, data, lookup):
    """The erased case an entry belongs to, or None: such an entry answers `gone`, and nothing
    of it is stored anywhere, not even as a conflict or a revision (DESIGN.md §4).

    Asked inside the entry's transaction, or of what the batch's transaction keeps
    (Lookup.keep_cases): a case erased while a batch runs keeps its entries out.
    """
    held_kind, row = lookup.held(uuid)
    if row is not None:
        case = held_kind.case_of(row)
    else:
        case = next((lookup.get("case", data[f.name]) for f in kind.references
                     if f.refers_to == "case" and fields.is_uuid(data.get(f.name))), None)
    if case is None or not lookup.erased(case):
        return None
    return case


def _has_held(user, row):
    """True if `user` made the entry or sent a revision of it."""
    return row.created_by_id == user.id or (
        EntryRevision.select()
        .where((EntryRevision.uuid == row.uuid) & (EntryRevision.submitted_by == user))
        .exists())


def server_version(user, row):
    """The version the server holds — what the next edit must be based on — for a conflict's
    answer, or None when `user` may not read the record — nor anything at all in a session that
    only hands in what waits on a phone (accounts.may_hand_in): the copy is kept for the board."""
    if user.hand_in_only or not may_write_entry(user, row):
        return None
    revision = review.current_revision(row)
    return {"revision": revision, "data": review.data_of(row, revision)}


def _keep_conflict(user, uuid, entry_type, revision, base, data):
    # Kept once, even once resolved: a phone sending the same copy again until it hears the
    # board's outcome (conflict_outcomes) does not open it again.
    exists = (SyncConflict.select()
              .where((SyncConflict.uuid == uuid) & (SyncConflict.revision == revision)
                     & (SyncConflict.user == user))
              .iterator())
    for kept in exists:
        if _canonical(kept.data) == _canonical(data):
            return kept
    return SyncConflict.create(entry_type=entry_type, uuid=uuid, revision=revision,
                               base_revision=base, data=data, user=user, club=user.club_id)


def submit_entry(user, entry, lookup=None):
    """Take one entry; returns its result. Each entry is its own transaction, committed here.

    `lookup`: the reads a batch shared (Lookup.for_batch); by default this entry's own. Within a
    batch's transaction (`lookup.later`, the rows it writes at its end), each entry is a savepoint.
    """
    lookup = lookup or Lookup()
    later = lookup.later
    sent_uuid = entry.get("uuid") if isinstance(entry, dict) else None
    sent_uuid = sent_uuid if isinstance(sent_uuid, str) else None
    try:
        uuid, entry_type, revision, base, data, at = parse_envelope(entry)
    except Invalid as invalid:
        return _result(sent_uuid, "invalid", errors=invalid.errors)
    kind = TYPES[entry_type]
    if user.club_id is None and not kind.refers_to("case"):
        # Once a member, now a supervisor or admin: what they recorded on cases they held goes
        # in (holders.may_record), but a person they registered (an activity they proposed) has
        # no club to go to.
        refusal = getattr(kind.module, "no_club_refusal", None)
        return _result(uuid, "invalid", errors={"entry": refusal() if refusal else _l(
            "This account no longer belongs to a club, so it cannot register a person. Ask the "
            "club's chair to register them, then discard this entry.")})
    if later is not None and uuid not in lookup.absent:
        later.write()  # this entry reads what the server holds of its uuid
    for _attempt in range(3):
        mark = later.mark() if later is not None else None
        try:
            with database.atomic():
                erased = _erased_case(uuid, kind, data, lookup)
                if erased is not None:
                    return dict(_result(uuid, "gone"), case_uuid=erased.uuid)
                data = kept_data(kind, uuid, data)
                try:
                    result = _submit(user, uuid, kind, revision, base, data, at, lookup)
                except Conflict as conflict:
                    _keep_conflict(user, uuid, entry_type, revision, base, data)
                    result = _result(uuid, "conflict", conflict.row, conflict.revision,
                                     {conflict.key: conflict.message})
                    server = conflict.compare and server_version(user, conflict.row)
                    if server:
                        result["server"] = server
                    return result
                stored = result.pop("row")
            lookup.stored(kind, stored)
            lookup.once_inserted(stored, lambda row: result.update(id=row.id))  # a batch's end
            if notices.of(stored):
                result["notice"] = notices.of(stored)
            return result
        except Invalid as invalid:
            if later is not None:
                later.drop(mark)
            lookup.refused(kind, uuid, invalid)
            return _result(uuid, "invalid", errors=invalid.errors)
        except IntegrityError:
            # Another connection stored the same uuid (or took the same code) a moment ago:
            # look again, and this entry is then a duplicate, a conflict or simply the next one.
            if later is not None:
                later.drop(mark)
                later.write()
            lookup.fresh(uuid)
            continue
    # Three clashes in a row: the club's book is very busy this moment (many phones of the club
    # sending at once). Nothing of this entry was written; it is not refused either: `retry` asks
    # the phone to keep it waiting and send it again by itself, after `retry_after` seconds (an
    # older phone, which knows no `retry`, keeps it waiting too). The desk shows the message.
    return dict(_result(uuid, "retry", errors={"entry": _l(
        "The club's book was busy this moment, so this was not saved yet. Save it again.")}),
        retry_after=RETRY_AFTER)


def new_entry(entry_type, data, uuid=None):
    """A first revision made at the desk, as the phone would send it."""
    return {"uuid": uuid or new_uuid(), "type": entry_type, "revision": 1, "data": data,
            "client_created_at": utcnow().isoformat() + "Z"}


def desk_entry(user, entry_type, data, uuid):
    """A new entry from a desk form, under the uuid the form was drawn with (as a phone's entry
    is under the uuid it was first saved with): the same form sent again — a double tap, a page
    the browser sends again after a lost answer — is the same entry, answered `duplicate`.

    Sent again with changes (back to the form, a field changed, saved again), it is the board's
    edit of what the first sending stored, made on its first revision (desk_edit): written if
    nothing changed the record since, else kept aside for the board to compare (KeptAside).
    Returns submit_entry's result; raises Invalid or KeptAside.
    """
    held_kind, row = Lookup().held(uuid) if fields.is_uuid(uuid) else (None, None)
    if row is None:
        return submit_entry(user, new_entry(entry_type, data, uuid))
    if held_kind is not TYPES.get(entry_type) or not may_write_entry(user, row):
        raise Invalid({"uuid": _l("This entry belongs to someone else.")})
    first = review.stored_revision(row, 1)
    if (first is not None and first.submitted_by_id == user.id
            and _canonical(first.data) == _canonical(kept_data(held_kind, uuid, data))):
        return _result(uuid, "duplicate", row, review.current_revision(row))
    desk_edit(user, row, data, base=1)
    return _result(uuid, "updated", row, review.current_revision(row))


def desk_edit(user, row, data, base=None):
    """A board member changes an entry of their club at the desk (whoever made it).

    The change is a new revision, approved on submit (review.desk_approved); a phone still holding
    the older revision then meets a conflict, never a silent overwrite. Refused while an amendment
    waits for review. Raises Invalid.

    `base`: the revision the desk's form was opened on. If the record moved on meanwhile, the
    edit is kept as a conflict for the board to merge (KeptAside), like a phone's.
    """
    kind = type_of(row)
    data = kept_data(kind, row.uuid, data)
    if not user.is_board or not may_write_entry(user, row):
        raise Invalid({"entry": _l("You may not change this entry.")})
    review.refuse_over_pending_amendment(row)
    if base is not None and base != review.current_revision(row):
        with database.atomic():
            kept = _keep_conflict(user, row.uuid, kind.name, base + 1, base, data)
        raise KeptAside(kept)
    with database.atomic():
        # Checked as of when the entry was made, as a phone's edit is (_submit): a member present
        # at a visit who has left the club since is kept by the board's edit too.
        values = check(user, kind, data, at=row.client_created_at or row.created_at)
        revision = review.current_revision(row) + 1
        EntryRevision.create(entry_type=kind.name, uuid=row.uuid, revision=revision, data=data,
                             submitted_by=user)
        kind.module.update(row, values, user)
        review.desk_approved(row, revision, user)
    return row


def _order(entry):
    kind = TYPES.get(entry.get("type")) if isinstance(entry, dict) else None
    return kind.order if kind is not None else max(t.order for t in TYPES.values())


def submit_batch(user, entries):
    """Take a batch in an order where cases come first; the answer keeps the order sent.

    One transaction, a savepoint per entry: one invalid entry never blocks the others, and what
    the answer calls created or updated is committed when this returns. The entries others refer
    to (new cases) go first, each committed on its own: a new case takes its club's turn for the
    next code (cases.next_code), which the club's other phones must not wait a whole batch for.
    """
    try:
        return _take(user, entries, Later())
    except IntegrityError:
        # A row written at the end (a visit, a revision) met one another connection stored
        # meanwhile: nothing of the batch stayed; take it again, each row at once.
        return _take(user, entries, None)


def _take(user, entries, later):
    results = [None] * len(entries)
    order = sorted(range(len(entries)), key=lambda i: _order(entries[i]))
    lookup = Lookup.for_batch(entries)
    last = max(t.order for t in TYPES.values())
    for i in order:
        if _order(entries[i]) < last:  # what others refer to: a screening, then a case
            results[i] = submit_entry(user, entries[i], lookup)
    with database.atomic():
        lookup.keep_cases()
        lookup.later = later
        with audit.deferred(later.audit) if later is not None else contextlib.nullcontext():
            for i in order:
                if results[i] is None:
                    results[i] = submit_entry(user, entries[i], lookup)
            if later is not None:
                later.write()
    return results


def server_time():
    return utcnow().isoformat(timespec="seconds") + "Z"
