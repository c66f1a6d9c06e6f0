"""The book's entry types — what a member records and the phone sends — each in one line here.

An entry type is a model, a domain module, its fields (fields.py) and its place in a batch's
order. Each domain module implements the same protocol:

- `prepare(user, values, lookup, at)`: the rules that need the database, once `values` passed
  the fields' checks and the uuids they refer to were read (`values["case"]`, `values["activity"]`);
  `at`: when the entry was made (an edit: when it was first made; naive UTC, None: now). Returns
  what `create` and `update` store, or raises Invalid.
- `create(user, values, lookup, **entry)`: the new main row (`entry`: uuid, revision,
  client_created_at), with its audit line. A row whose writing reads nothing the batch's other
  entries may change can be stored with `lookup.insert(row, then)`: in a batch, with the batch's
  other new rows in one statement at its end.
- `update(row, values, by)`: write an edit (or an approved amendment) to the main row.
- `data_of(row)`: the row as the `data` of a sync entry.
- optionally `waits_for(row)`: what the row waits for before it may be approved, besides the
  entries it refers to: (the row it waits on, a reason of review.WAITS), or None.
- optionally `kept_data(uuid, data)`: the data the server keeps of an entry about no case (a
  screening) whose person was erased meanwhile: without their notes, the counts kept.
- optionally `short_name(row)`: what the board's lists call an entry about no one (no case code
  to show), without personal data.
- optionally `edit_from(values, base_data)`: an edit's values given the data of the revision it
  was made from (what the edit left unchanged may keep the row's value now).

`sync.py` (the contract) and `review.py` (the board's decisions) ask this registry, never a type's
name. A new entry type is one new module and one line in TYPES.
"""
from dataclasses import dataclass
from types import ModuleType

from flask_babel import lazy_gettext as _l

from . import activities, attendance, cases, fields, holders, referrals, screenings, visits
from ..db import is_postgres
from ..invalid import Invalid
from ..models import (
    Activity, Attendance, Case, EntryRevision, Referral, Screening, SurveyRound, Visit,
)
from .vocab import Vocabulary


@dataclass(frozen=True)
class Reference:
    """What a uuid field of an entry may name (`refers_to`): a row the user may write to."""

    model: type
    refusal: object  # (user, row or None, at) -> None, or the message shown on the field
    # An entry refused as a row the book already had (Invalid.same_as) may stand for that row
    # from then on: `remember(uuid, row)` keeps it, `stand_ins(uuids)` gives {uuid: row} back.
    remember: object = None
    stand_ins: object = None

    def stand_ins_of(self, uuids):
        """{uuid: row} of the uuids (naming no row of `model`) that stand for one."""
        if self.stand_ins is None or not uuids:
            return {}
        found = {}
        for chunk in _chunks(sorted(uuids)):
            found.update(self.stand_ins(chunk))
        return found


def _case_refusal(user, case, at):
    """Why `user` may not record on `case` an entry made at `at`, or None: they may if they may
    write to it now, or held it when they made the entry (holders.py)."""
    if case is None or (user.club_id is not None and case.club_id != user.club_id):
        return _l("The server does not have this case yet. If it was registered on this phone, "
                  "it goes first: sync again once it is sent.")  # another club's: as if unknown
    if not holders.may_record(user, case, at):
        return _l("You do not follow this case, and did not when this entry was made. Ask your "
                  "club's chair to assign it to you, then send the entry again.")
    return None


def _activity_refusal(user, activity, at):
    # A former member (no club now) hands in attendance at their club's activity: the case's
    # club is checked against it (attendance.prepare).
    if activity is None:
        # A proposal refused as one the book already has stands for that activity, in the same
        # batch and later (Lookup.refused): this is one the server never kept.
        return _l("The server does not have this activity. If it was proposed on this phone and "
                  "still waits there, it is sent first, with this entry. If the proposal was "
                  "discarded, open this entry, choose the activity from the club's list and save "
                  "it: it is sent again.")
    if activity.club_id != (user.club_id or activity.club_id):
        return _l("This activity is not one of your club's.")
    return None


# What an entry may refer to, in the order the references are checked.
REFERENCES = {
    "case": Reference(Case, _case_refusal),
    "activity": Reference(Activity, _activity_refusal, remember=activities.remember_twin,
                          stand_ins=activities.twins_of),
    "round": Reference(SurveyRound, screenings.round_refusal),
}


@dataclass(frozen=True)
class EntryType:
    name: str
    label: object  # lazy string
    model: type
    module: ModuleType
    fields: list
    order: int  # a batch takes lower orders first: what others refer to goes first

    @property
    def references(self):
        """The uuid fields of the entry, in the order REFERENCES checks them."""
        return [f for kind in REFERENCES for f in self.fields if f.refers_to == kind]

    def refers_to(self, kind):
        return any(f.refers_to == kind for f in self.fields)

    def case_of(self, row):
        """The case an entry is about (a case is its own); None for an entry about no one (an
        activity)."""
        if self.refers_to("case"):
            return row.case
        return row if self.model is Case else None


TYPES = {t.name: t for t in (
    EntryType("screening", _l("Screening"), Screening, screenings, fields.SCREENING, order=-1),
    EntryType("case", _l("New case"), Case, cases, fields.CASE, order=0),
    EntryType("activity", _l("Proposed activity"), Activity, activities, fields.ACTIVITY, order=0),
    EntryType("visit", _l("Visit"), Visit, visits, fields.VISIT, order=1),
    EntryType("referral", _l("Referral"), Referral, referrals, fields.REFERRAL, order=1),
    EntryType("attendance", _l("Attendance"), Attendance, attendance, fields.ATTENDANCE, order=1),
)}
# Their names, as the desk and the field app show them.
ENTRY_TYPES = Vocabulary("entry_type", [(t.name, t.label) for t in TYPES.values()])


def type_of(row):
    """The entry type of a main row."""
    for kind in TYPES.values():
        if isinstance(row, kind.model):
            return kind
    raise TypeError(f"not an entry: {row!r}")


def data_of(row):
    """The entry's data as the phone sends it, made from the main row."""
    return type_of(row).module.data_of(row)


def api_schema():
    """The document served at /api/v1/schema: one schema per entry type, in `$defs`."""
    return fields.api_schema({name: kind.fields for name, kind in TYPES.items()})


# --- Checking an entry's data, and writing it ------------------------------------------------

def check(user, kind, data, lookup=None, at=None):
    """Validate `data` of an entry of `kind` (made at `at`, naive UTC) and turn its references
    into rows the user may write to; returns what the type's `create`/`update` store. Raises
    Invalid."""
    values = fields.validate(kind.fields, data)
    lookup = lookup or Lookup()
    for f in kind.references:
        row = lookup.get(f.refers_to, values[f.name])
        refusal = REFERENCES[f.refers_to].refusal(user, row, at)
        if refusal is not None:
            raise Invalid({f.name: refusal})
        values[f.refers_to] = row
    return kind.module.prepare(user, values, lookup, at=at)


def edited(kind, values, base_data):
    """An edit's values, given the data of the revision it was made from (`base_data`; None when
    unknown): the type's `edit_from`, if it has one — what the edit left as it was there keeps
    the value the row holds now (the board records some things without a new revision)."""
    edit_from = getattr(kind.module, "edit_from", None)
    return values if edit_from is None else edit_from(values, base_data)


def apply(row, data, by, at=None, base=None):
    """Check `data` again as `by` and write it to the entry's main row (an approved amendment).
    `base`: the data of the version `data` was made from — only what it changed against it is
    written over what the row holds now (`edited`). Raises Invalid."""
    kind = type_of(row)
    kind.module.update(row, edited(kind, check(by, kind, data, at=at), base), by)


class Lookup:
    """The reads an entry needs, which a batch makes once for all its entries (DESIGN.md §4).

    Only absence is taken from the batch's reads: a uuid the server held no entry or revision of
    when the batch began is created without asking again — if another connection stored it
    meanwhile, the unique index refuses it and the entry is taken again with `fresh()` reads. An
    entry the server holds is read again inside its own transaction. The rows the entries refer to
    (REFERENCES) are read once per batch, and one the batch stores (a case) is added when stored.
    `memo` keeps what a type's module reads once per batch (see visits.create).
    """

    def __init__(self):
        self.absent = set()  # uuids with neither a main row nor a revision on the server
        self.rows = {}       # (kind of reference, uuid) → row (or None: unknown)
        self.memo = {}
        self.kept = {}       # case id → erased (True/False), read by keep_cases
        self.later = None    # within a batch's transaction, what it writes at its end (sync.Later)

    @classmethod
    def for_batch(cls, entries):
        lookup = cls()
        uuids = sorted({e.get("uuid") for e in entries
                        if isinstance(e, dict) and fields.is_uuid(e.get("uuid"))})
        named = {kind: set() for kind in REFERENCES}
        for e in entries:
            kind = TYPES.get(e.get("type")) if isinstance(e, dict) else None
            data = e.get("data") if kind is not None else None
            if isinstance(data, dict):
                for f in kind.references:
                    if fields.is_uuid(data.get(f.name)):
                        named[f.refers_to].add(data[f.name])
        held = set()
        for chunk in _chunks(uuids):
            held.update(r.uuid for r in EntryRevision.select(EntryRevision.uuid)
                        .where(EntryRevision.uuid.in_(chunk)))
            for kind in TYPES.values():
                model = kind.model
                held.update(r.uuid for r in model.select(model.uuid).where(model.uuid.in_(chunk)))
        lookup.absent = set(uuids) - held
        for name, wanted in named.items():
            reference = REFERENCES[name]
            model = reference.model
            for chunk in _chunks(sorted(wanted)):
                lookup.rows.update({(name, row.uuid): row
                                    for row in model.select().where(model.uuid.in_(chunk))})
            unknown = {uuid for uuid in wanted if (name, uuid) not in lookup.rows}
            stand_ins = reference.stand_ins_of(unknown)
            lookup.rows.update({(name, uuid): stand_ins.get(uuid) for uuid in unknown})
        return lookup

    def keep_cases(self):
        """Inside a batch's transaction: which of the cases the batch read are erased, asked once
        and kept so until the batch commits — on SQLite the transaction holds the write lock from
        its start (IMMEDIATE), on PostgreSQL the rows are locked FOR SHARE, so an erasure waits
        for the batch (cases.erase writes the case's row first). `erased(case)` then answers
        from it; entries of an erased case are then never stored (DESIGN.md §4)."""
        ids = sorted({row.id for row in self.read("case")} - set(self.kept))
        for chunk in _chunks(ids):
            query = Case.select(Case.id, Case.erased_at).where(Case.id.in_(chunk))
            if is_postgres():
                query = query.for_update("FOR SHARE")
            self.kept.update({row.id: row.erased_at is not None for row in query})

    def erased(self, case):
        """True if `case` is erased now: from keep_cases when it read it, else asked now."""
        if case.id in self.kept:
            return self.kept[case.id]
        return Case.select().where((Case.id == case.id) & Case.erased_at.is_null(False)).exists()

    def is_known(self, uuid):
        """True if the server holds a revision of `uuid` (the entry may since have been removed)."""
        if uuid in self.absent:
            return False
        return EntryRevision.select().where(EntryRevision.uuid == uuid).exists()

    def held(self, uuid):
        """(entry type, main row) of an entry the server holds under `uuid`, or (None, None)."""
        if uuid in self.absent:
            return None, None
        for kind in TYPES.values():
            row = kind.model.get_or_none(kind.model.uuid == uuid)
            if row is not None:
                return kind, row
        return None, None

    def get(self, name, uuid):
        """The row of REFERENCES[name] under `uuid`, or None."""
        key = (name, uuid)
        if key not in self.rows:
            reference = REFERENCES[name]
            row = reference.model.get_or_none(reference.model.uuid == uuid)
            self.rows[key] = row if row is not None else reference.stand_ins_of({uuid}).get(uuid)
        return self.rows[key]

    def read(self, name):
        """The rows of REFERENCES[name] the batch has read so far."""
        return [row for (kind, _uuid), row in self.rows.items() if kind == name and row]

    def insert(self, row, then):
        """Insert `row`, a new entry's main row, then call `then(row)` (its id known): at once,
        or with the batch's other new rows in one statement at its end, inside its transaction."""
        if self.later is None:
            row.save()
            then(row)
        else:
            self.later.insert(row, then)

    def add(self, model, rows):
        """Insert `rows` (dicts) of `model`: at once, or in a batch with the others at its end."""
        if self.later is None:
            if rows:
                model.insert_many(rows).execute()
        else:
            self.later.add(model, rows)

    def once_inserted(self, row, then):
        """Call `then(row)` once `row` has its id: now, or when the batch inserts it."""
        if row.id is None and self.later is not None:
            self.later.once_inserted(row, then)
        else:
            then(row)

    def stored(self, kind, row):
        """`row`, an entry of `kind`, was just committed under its uuid."""
        self.absent.discard(row.uuid)
        if kind.name in REFERENCES:
            self.rows[(kind.name, row.uuid)] = row

    def refused(self, kind, uuid, invalid):
        """The entry `uuid` of `kind` was refused as one the book already has (`same_as`, an
        activity proposed twice): what refers to it goes to that one — in this batch, and in
        later ones (the reference's `remember`, written now: the refused entry's own writes were
        rolled back)."""
        same = getattr(invalid, "same_as", None)
        if same is not None and kind.name in REFERENCES:
            self.rows[(kind.name, uuid)] = same
            if REFERENCES[kind.name].remember is not None:
                REFERENCES[kind.name].remember(uuid, same)

    def fresh(self, uuid):
        """Forget what the batch read of `uuid`: another connection wrote it meanwhile."""
        self.absent.discard(uuid)
        for name in REFERENCES:
            self.rows.pop((name, uuid), None)


def _chunks(items, size=500):
    items = list(items)
    return [items[i:i + size] for i in range(0, len(items), size)]
