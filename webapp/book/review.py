"""Review (phê duyệt): the board's decisions on members' entries — every rule of it, once.

The main row of an entry (Case, Visit, …) holds the version that counts: the approved one, or, for
an entry never approved, its latest submitted revision. Every revision the phone sent is in
EntryRevision. An approved entry is locked: an edit of it is an amendment that waits in
EntryRevision (the row's `amendment_revision`/`amendment_status`) and is applied to the main row
only when approved. Each decision is a Review row (read by push and the case timeline) and an
audit row.
"""
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import fn

from . import entries, holders, vocab
from .editors import may_edit
from .. import accounts, audit
from ..db import database, locked, utcnow
from .entries import REFERENCES, TYPES, type_of
from ..invalid import Invalid
from ..models import Case, EntryRevision, Review, User
from ..permissions import FIELD
from .vocab import APPROVED, RETURNED, SELF_APPROVED, SUBMITTED

# What the queue can be filtered by: an entry type, or amendments of any type.
KINDS = (*TYPES, "amendment")

MAX_REASON = 1000


def _apply(row, data, by, base):
    """Write an approved amendment: the same checks as a submitted edit, as the member who sent it
    (who may have held its case only when the entry was made), and, as on the sync path, only
    what it changed against `base` (the data of the approved version it amends)."""
    entries.apply(row, data, by, at=row.client_created_at or row.created_at, base=base)


def not_erased(model, query):
    """`query` of `model`'s entries without those of erased cases: an erased person's entries
    leave the review queue, the returned entries and the desk's review pages."""
    if model is not Case and "case" not in model._meta.fields:
        return query  # a screening names no one
    erased = Case.select(Case.id).where(Case.erased_at.is_null(False))
    if model is Case:
        return query.where(Case.id.not_in(erased))
    if "case" not in model._meta.fields:  # about no one (an activity)
        return query
    return query.where(model.case.not_in(erased))


class Moved(Invalid):
    """The entry moved on since the chair saw revision `seen`: nothing was decided."""

    def __init__(self, row, seen):
        super().__init__(_("This entry changed since you opened it: nothing was decided. "
                           "Read what changed, then decide again."))
        self.row, self.seen = row, seen


# --- state of one entry ------------------------------------------------------------------------

def is_locked(row):
    """An approved entry: an edit of it becomes an amendment, reviewed again."""
    return row.review_status == APPROVED


def current_revision(row):
    """The revision the next edit must be based on: a pending amendment's, else the row's."""
    return row.amendment_revision or row.revision


def has_pending_amendment(row):
    return row.amendment_status == SUBMITTED


def is_pending(row):
    """Waiting for a decision: a submitted entry, a submitted amendment of an approved one, or a
    returned one no one in the field may fix any more (`unclaimed`)."""
    return pending_revision(row) is not None


def pending_revision(row):
    """The revision a decision now would be about, or None if nothing waits."""
    if row.amendment_status == SUBMITTED:
        return row.amendment_revision
    if row.review_status == SUBMITTED:
        return row.revision
    if is_returned(row) and unclaimed(row):
        return returned_revision(row)
    return None


def is_returned(row):
    return row.review_status == RETURNED or row.amendment_status == RETURNED


def returned_revision(row):
    """The revision of `row` that was returned (the entry's, or its amendment's)."""
    return row.amendment_revision if row.amendment_status == RETURNED else row.revision


def fixer(row):
    """Who is asked to fix a returned entry, on their phone's Today (bootstrap `returned`): the
    one who sent the returned revision, while they may still change the entry (editors.may_edit);
    else, for a case's own record, the member who now follows it (what its registrant sent, the
    case given to another since). None when no one recording in the field may: the entry then
    waits for the board, in the review queue (`unclaimed`)."""
    sender_id = (EntryRevision.select(EntryRevision.submitted_by)
                 .where((EntryRevision.uuid == row.uuid)
                        & (EntryRevision.revision == returned_revision(row)))
                 .scalar()) or row.created_by_id
    ids = [sender_id]
    if type_of(row).case_of(row) is row and row.assigned_to_id not in (None, sender_id):
        ids.append(row.assigned_to_id)
    made = row.client_created_at or row.created_at
    users = {u.id: u for u in User.select().where(User.id.in_(ids) & User.is_active
                                                  & User.role.in_(FIELD)
                                                  & (User.club == row.club_id))}
    return next((users[i] for i in ids if i in users and may_edit(users[i], row, made)), None)


def unclaimed(row):
    """A returned entry no one in the field may fix any more (its author deactivated, say): the
    board decides it at the desk."""
    return fixer(row) is None


# What an entry may wait for before the board may approve it, each said once: the queue's badge,
# what the chair can do about it, and the entry page's sentence (also why approval is refused).
WAITS = {
    "case": (_l("Waits for its case to be approved"), _l("Approve the case first."),
             _l("This entry waits for its case to be approved. It is kept: approve the case "
                "first, then this entry.")),
    "activity": (_l("Waits for its activity to be approved"), _l("Approve the activity first."),
                 _l("This entry waits for its activity, proposed by a member, to be approved. It "
                    "is kept: approve the activity first, then this entry.")),
    # A referral: the person's consent to be referred (referrals.waits_for).
    "consent_in_review": (
        _l("Waits for the person's consent, in the case's amendment"),
        _l("Approve the case's amendment first."),
        _l("The person's consent to be referred is recorded in an amendment of the case that "
           "waits for review: approve the case first (its amendment), then this referral.")),
    "consent": (
        _l("Waits for the person's consent to be referred"),
        _l("Record their consent on the case, or return the referral."),
        _l("This person has not agreed to be referred to services (their consent was returned "
           "or withdrawn): the referral cannot be approved. Once their consent is recorded on "
           "the case, approve it; otherwise return the referral.")),
}


@dataclass(frozen=True)
class Waiting:
    """What an entry waits for before it may be approved: the row it waits `on` (its case or
    activity) and the `reason`, a key of WAITS."""

    on: object
    reason: str

    @property
    def badge(self):
        return str(WAITS[self.reason][0])

    @property
    def todo(self):
        return str(WAITS[self.reason][1])

    @property
    def explained(self):
        return str(WAITS[self.reason][2])


def waiting(row):
    """What `row` waits for before it may be approved (a Waiting), or None: an entry it refers to
    that is not approved yet (its case, or activity), else what its type waits for besides
    (`waits_for`: a referral, the person's consent)."""
    kind = type_of(row)
    for f in kind.references:
        target = getattr(row, f.refers_to)
        # A survey round is the board's own: nothing to wait for.
        if target is not None and getattr(target, "review_status", APPROVED) != APPROVED:
            return Waiting(target, f.refers_to)
    waits_for = getattr(kind.module, "waits_for", None)
    found = waits_for(row) if waits_for is not None else None
    return Waiting(*found) if found is not None else None


def waiting_for(row):
    """The row `row` waits on before it may be approved (its case, or activity), or None."""
    found = waiting(row)
    return found.on if found is not None else None


def stored_revision(row, revision):
    """The EntryRevision the phone sent for one revision of `row`, or None (made another way)."""
    return (EntryRevision.select()
            .where((EntryRevision.uuid == row.uuid) & (EntryRevision.revision == revision))
            .first())


# --- the sync API's path: new entries and edits ------------------------------------------------

def approves_own(user, at):
    """True if what `user` made at `at` (naive UTC) is approved on submit: a board member's entry.
    They sat on the club's board when they made it (its terms, accounts.on_board, judged at the
    moment holders.may_record judges by: the time the phone says the entry or edit was made,
    bounded by sync.parse_envelope; None, an entry that says nothing, is judged as made now, as
    at the desk), and sit on it still, active, the one deciding on submit. So what a member
    recorded before a setup code made them a board member waits for the board's review, as what
    a board member recorded and sends after leaving the board does (the review page says it was
    recorded on the board: holders.former_board). A board member the club has deactivated may
    still hand in what waits on their phone (accounts.may_hand_in), but nobody active approved
    it: it waits for the board."""
    return (user.is_board and user.is_active and not user.hand_in_only
            and accounts.on_board(user, user.club_id, at or utcnow()))


def receive_new(row, user, at):
    """A new entry, made at `at`, was stored: it waits for review, unless a board member made it
    (self-approved: approves_own)."""
    if row.review_status != SUBMITTED:
        row.review_status = SUBMITTED
        row.save(only=[type(row).review_status])
    if approves_own(user, at) and waiting_for(row) is None:
        _decide(row, row.revision, SELF_APPROVED, user)


def receive_edit(row, revision, data, user, at, apply=None):
    """An accepted edit (`revision` on the current base) of an existing entry, by its maker, made
    at `at` (the edit's own moment, not the entry's: approves_own).

    A locked (approved) entry keeps its approved version on the main row: the edit becomes an
    amendment that waits for review. Otherwise the edit replaces the row's data and is reviewed
    again (a returned entry fixed and resubmitted). A board member's edit is approved at once —
    so it is refused while an amendment waits (refuse_over_pending_amendment), as at the desk.
    The EntryRevision row is the caller's to write (written before, and undone with the caller's
    transaction when this raises Invalid).
    """
    model = type(row)
    own = approves_own(user, at)
    if is_locked(row):
        if own:  # approved on submit: never over an amendment nobody decided
            refuse_over_pending_amendment(row)
        row.amendment_revision = revision
        row.amendment_status = SUBMITTED
        row.updated_at = utcnow()
        row.save(only=[model.amendment_revision, model.amendment_status, model.updated_at])
        if own:
            _approve_amendment(row, user, SELF_APPROVED)
        return
    if apply is None:
        _apply(row, data, user, base=None)
    else:
        apply(row, data)
    row.revision = revision
    row.review_status = SUBMITTED
    row.amendment_revision = None
    row.amendment_status = None
    row.updated_at = utcnow()
    row.save()
    if own and waiting_for(row) is None:
        _decide(row, revision, SELF_APPROVED, user)


# --- decisions -----------------------------------------------------------------------------------

def _record(row, revision, decision, user, reason="", amendment=False):
    entry_type = type_of(row).name
    review = Review.create(club=row.club, entry_type=entry_type, entry_uuid=row.uuid,
                           revision=revision, decision=decision, reason=reason, decided_by=user)
    details = dict(entry_type=entry_type, uuid=row.uuid, revision=revision, review_id=review.id)
    if amendment:
        details["amendment"] = True
    audit.record(f"review_{decision}", row, user=user, **details)
    return review


def _decide(row, revision, decision, user, reason=""):
    """A decision on a submitted entry (not an amendment): the row's status follows it."""
    row.review_status = RETURNED if decision == RETURNED else APPROVED
    row.save(only=[type(row).review_status])
    return _record(row, revision, decision, user, reason)


def refuse_over_pending_amendment(row):
    """A board member's change is approved on submit, at the desk and in the field app alike:
    while an amendment of `row` waits for review it would pass over it with no decision, so it
    is refused until the board decides on the amendment. Raises Invalid."""
    if has_pending_amendment(row):
        raise Invalid({"entry": _("An amendment of this entry waits for review: decide on it "
                                  "first.")})


def _approve_amendment(row, user, decision):
    """Write the pending amendment to the main row: what it changed against the approved version
    (what the chair's page shows, `amendment_changes`), as the member who sent it. What it left
    as it was keeps what the board recorded meanwhile without a revision — a consent withdrawn,
    the case given to another — as a phone's edit does on the sync path (entries.edited)."""
    revision = row.amendment_revision
    stored = stored_revision(row, revision)
    if stored is None:
        raise Invalid(_("The amended version of this entry cannot be found."), field="entry")
    _apply(row, stored.data, stored.submitted_by, base=data_of(row, row.revision))
    row.revision = revision
    row.amendment_revision = None
    row.amendment_status = None
    row.updated_at = utcnow()
    row.save()
    return _record(row, revision, decision, user, amendment=True)


def desk_approved(row, revision, by):
    """A board member's desk edit, already written to the main row as `revision`: approved on
    submit, with its decision and audit line."""
    model = type(row)
    row.revision = revision
    row.review_status = APPROVED
    row.amendment_revision = row.amendment_status = None
    row.updated_at = utcnow()
    row.save(only=[model.revision, model.review_status, model.amendment_revision,
                   model.amendment_status, model.updated_at])
    return _record(row, revision, SELF_APPROVED, by)


def _check_seen(row, seen):
    """Refuse a decision on a revision that is no longer the one waiting (`seen`: the revision the
    chair's page showed; None for the board's own decisions made by the system)."""
    if seen is None:
        return
    waiting = pending_revision(row)
    if waiting == seen:
        return
    if waiting is None:
        decision = (Review.select(Review, User).join(User)
                    .where((Review.entry_uuid == row.uuid) & (Review.revision >= seen))
                    .order_by(Review.id.desc())
                    .first())
        if decision is not None:
            raise Invalid(_("%(name)s already decided on this entry (%(decision)s): nothing "
                            "more was decided.", name=str(decision.decided_by),
                            decision=vocab.REVIEW_DECISIONS.label(decision.decision)),
                          field="entry")
        raise Invalid(_("This entry is not waiting for review."), field="entry")
    raise Moved(row, seen)


def approve(row, by, seen=None):
    """Approve what waits on `row` (the entry, or its amendment); refused while its case waits.

    `seen`: the revision the chair's page showed; if the entry has moved on, nothing is decided.
    """
    with database.atomic():
        row = locked(row)  # as it is now: two chairs deciding at once take turns
        _check_seen(row, seen)
        revision = pending_revision(row)  # a returned one too, once no one may fix it (unclaimed)
        if revision is None:
            raise Invalid(_("This entry is not waiting for review."), field="entry")
        if revision == row.amendment_revision:
            return _approve_amendment(row, by, APPROVED)
        waits = waiting(row)
        if waits is not None:
            raise Invalid(waits.explained, field="entry")
        return _decide(row, row.revision, APPROVED, by)


def checked_reason(reason, missing):
    """The board's reason for a decision, trimmed: required (`missing` says why), at most
    MAX_REASON characters. Raises Invalid on the field "reason"."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(missing, field="reason")
    if len(reason) > MAX_REASON:
        raise Invalid(_("The reason must have at most %(n)d characters.", n=MAX_REASON),
                      field="reason")
    return reason


def return_entry(row, by, reason, seen=None):
    """Return what waits on `row` to its maker with a reason (required), to fix and resubmit.

    `seen`: as for approve."""
    reason = checked_reason(reason, _("Write why the entry is returned: the member needs the "
                                      "reason to fix it."))
    with database.atomic():
        row = locked(row)  # as it is now: two chairs deciding at once take turns
        _check_seen(row, seen)
        if is_returned(row):  # unclaimed: returned already, and no one may fix it
            raise Invalid(_("No one can fix this entry on a phone any more, so it cannot be "
                            "returned: approve it if it will do."), field="entry")
        if row.amendment_status == SUBMITTED:
            row.amendment_status = RETURNED
            row.save(only=[type(row).amendment_status])
            return _record(row, row.amendment_revision, RETURNED, by, reason, amendment=True)
        if row.review_status != SUBMITTED:
            raise Invalid(_("This entry is not waiting for review."), field="entry")
        return _decide(row, row.revision, RETURNED, by, reason=reason)


def approve_many(club, refs, by):
    """Approve several entries of `club` at once; `refs` are (entry_type, id, seen revision).

    Each is decided on its own (one refusal does not block the others); a case is approved before
    the entries that wait for it. Returns (approved rows, [(row, error)] refused: a Moved error
    for an entry that changed since the queue showed it); ids of another club or unknown are
    ignored.
    """
    rows = []
    for entry_type, entry_id, seen in refs:
        row = entry_for_club(entry_type, entry_id, club)
        if row is not None:
            rows.append((row, seen))
    rows.sort(key=lambda pair: type_of(pair[0]).order)
    approved, refused = [], []
    for row, seen in rows:
        try:
            approve(row, by, seen=seen)
        except Invalid as error:
            refused.append((row, error))
        else:
            approved.append(row)
    return approved, refused


# --- the queue -----------------------------------------------------------------------------------

@dataclass
class QueueItem:
    entry_type: str
    row: object
    revision: int
    is_amendment: bool
    submitted_at: datetime
    submitted_by: User
    waiting: object  # a Waiting, or None
    previous_holder: object = None  # the author, if the case has since passed to another
    former_board: object = None  # the author, if they recorded it on the board and left it since
    unclaimed: bool = False  # returned, and no one may fix it any more (its author left, say)

    @property
    def case(self):
        return type_of(self.row).case_of(self.row)

    @property
    def waiting_for(self):
        return self.waiting.on if self.waiting is not None else None


def _pending_rows(club, member_id=None, kind=None):
    for entry_type, t in TYPES.items():
        if kind in TYPES and kind != entry_type:
            continue
        model = t.model
        # A returned entry waits for the board too once no one may fix it (`unclaimed`, below).
        if kind == "amendment":
            condition = model.amendment_status.in_((SUBMITTED, RETURNED))
        else:
            condition = (model.review_status.in_((SUBMITTED, RETURNED))
                         | model.amendment_status.in_((SUBMITTED, RETURNED)))
        # The case (and activity) each item shows: read with it.
        targets = [REFERENCES[f.refers_to].model for f in t.references]
        query = model.select(model, *targets)
        for f, target in zip(t.references, targets):
            query = query.switch(model).join(target, on=(getattr(model, f.refers_to) == target.id))
        query = query.where((model.club == club) & condition)
        if member_id:
            query = query.where(model.created_by == member_id)
        for row in not_erased(model, query):
            if is_pending(row):
                yield entry_type, row


def queue(club, member_id=None, kind=None):
    """Everything of `club` that waits for a decision, oldest submission first."""
    pending = list(_pending_rows(club, member_id, kind))
    uuids = [row.uuid for _type, row in pending]
    revisions = {}
    if uuids:
        for rev in (EntryRevision.select(EntryRevision, User)
                    .join(User)
                    .where(EntryRevision.uuid.in_(uuids))):
            revisions[(rev.uuid, rev.revision)] = rev
    users = {u.id: u for u in User.select().where(User.club == club)} if pending else {}
    items = []
    for entry_type, row in pending:
        revision = pending_revision(row)
        rev = revisions.get((row.uuid, revision))
        items.append(QueueItem(
            entry_type=entry_type, row=row, revision=revision,
            is_amendment=row.amendment_status == SUBMITTED,
            submitted_at=rev.submitted_at if rev else row.updated_at,
            submitted_by=(rev.submitted_by if rev
                          else users.get(row.created_by_id) or row.created_by),
            waiting=waiting(row),
            unclaimed=is_returned(row),
        ))
    previous = holders.previous_holders([item.row for item in items])
    board = holders.former_board([item.row for item in items])
    for item in items:
        item.previous_holder = previous.get(item.row.uuid)
        item.former_board = board.get(item.row.uuid)
    items.sort(key=lambda item: (item.submitted_at, item.row.id))
    return items


def queue_count(club):
    """How many entries of `club` wait for a decision (the navigation's badge)."""
    total = 0
    for model in (t.model for t in TYPES.values()):
        total += not_erased(model, model.select()
                            .where((model.club == club)
                                   & ((model.review_status == SUBMITTED)
                                      | (model.amendment_status == SUBMITTED)))).count()
        # Returned ones are few: those no one may fix any more wait for the board too.
        total += sum(1 for row in not_erased(model, model.select().where(
            (model.club == club) & ((model.review_status == RETURNED)
                                    | (model.amendment_status == RETURNED))))
            if unclaimed(row))
    return total


# --- what the member gets back, and the trail -------------------------------------------------

def returned_rows(user):
    """(entry type, row) of each returned entry `user` is asked to fix (`fixer`)."""
    sent_by_user = EntryRevision.select(EntryRevision.uuid).where(EntryRevision.submitted_by == user)
    for entry_type, model in ((name, t.model) for name, t in TYPES.items()):
        theirs = (model.created_by == user) | model.uuid.in_(sent_by_user)
        if model is Case:  # a case's own record passed on to them since it was returned
            theirs |= model.assigned_to == user
        rows = not_erased(model, model.select()
                          .where(theirs & ((model.review_status == RETURNED)
                                           | (model.amendment_status == RETURNED))))
        for row in rows:
            who = fixer(row)
            if who is not None and who.id == user.id:
                yield entry_type, row


def returned_for(user):
    """The user's returned entries, for the field app's Today screen (bootstrap's `returned`):
    those they are asked to fix (`fixer`), each with the code of its case."""
    result = []
    for entry_type, row in returned_rows(user):
        revision = returned_revision(row)
        decision = (Review.select()
                    .where((Review.entry_uuid == row.uuid) & (Review.revision == revision)
                           & (Review.decision == RETURNED))
                    .order_by(Review.decided_at.desc(), Review.id.desc())
                    .first())
        stored = stored_revision(row, revision)
        case = type_of(row).case_of(row)
        result.append({
            "uuid": row.uuid,
            "type": entry_type,
            "revision": revision,
            "data": stored.data if stored else {},
            "reason": decision.reason if decision else "",
            "returned_at": decision.decided_at.isoformat() + "Z" if decision else None,
            # What the phone shows of a case it may no longer hold (passed on since): its code.
            "case_code": case.code if case is not None else None,
        })
    result.sort(key=lambda item: item["returned_at"] or "")
    return result


def trail(row):
    """The entry's whole history, oldest first: each revision submitted, each decision and why.

    Each step is a dict: kind ("submitted" or a decision code), revision, by (User), at, reason.
    """
    steps = []
    for rev in (EntryRevision.select(EntryRevision, User).join(User)
                .where(EntryRevision.uuid == row.uuid)):
        steps.append(dict(kind=SUBMITTED, revision=rev.revision, by=rev.submitted_by,
                          at=rev.submitted_at, reason="", order=0))
    for review in (Review.select(Review, User).join(User)
                   .where((Review.entry_uuid == row.uuid) & (Review.club == row.club))):
        steps.append(dict(kind=review.decision, revision=review.revision, by=review.decided_by,
                          at=review.decided_at, reason=review.reason, order=1))
    steps.sort(key=lambda step: (step["revision"], step["order"], step["at"]))
    return steps


def dependants_waiting(row):
    """How many entries of other types refer to `row`, a case (they wait while it is not
    approved)."""
    name = type_of(row).name
    return sum(t.model.select().where(getattr(t.model, name) == row).count()
               for t in TYPES.values() if t.refers_to(name))


def entry_for_club(entry_type, entry_id, club):
    """The entry of that type and id in `club`, or None (another club's ids do not exist)."""
    kind = TYPES.get(entry_type)
    if kind is None or club is None:
        return None
    return not_erased(kind.model, kind.model.select().where(
        (kind.model.id == entry_id) & (kind.model.club == club))).first()



# --- showing an entry: its fields, an amendment's changes ------------------------------------

def data_of(row, revision):
    """The data of one revision of `row`: as the phone sent it, else as the main row holds it."""
    stored = stored_revision(row, revision)
    if stored is not None:
        return stored.data
    # An entry made elsewhere (the demo, an import): its data as the main row holds it.
    return entries.data_of(row) if revision == row.revision else {}


def _fields(row):
    """The field definitions of the entry's type, in the order the forms show them."""
    # Fields the desk never draws and that refer to nothing (an appointment's id) say nothing here.
    return [f for f in type_of(row).fields if f.desk or f.refers_to]


def fields_shown(row, data):
    """[(label, shown value)] of an entry's data, in the order of its fields."""
    return [(str(f.label), f.show(data.get(f.name), row.club))
            for f in _fields(row) if data.get(f.name) not in (None, "", [], {})]


def amendment_changes(row):
    """What a pending (or returned) amendment changes against the approved version, field by field:
    [(label, approved value, amended value)]."""
    if not row.amendment_revision:
        return []
    return changes_between(row, row.revision, row.amendment_revision)


def changes_between(row, old_revision, new_revision):
    """What changed from one revision of `row` to another, field by field:
    [(label, value before, value after)]."""
    return [(d["label"], d["before"], d["after"])
            for d in differences(row, data_of(row, old_revision), data_of(row, new_revision))]


def differences(row, before, after):
    """The fields whose value differs between two versions of `row`'s data, in the forms' order:
    [{"name", "label", "before", "after"}], values as the chair reads them."""
    found = []
    for f in _fields(row):
        old, new = before.get(f.name), after.get(f.name)
        if _comparable(old) != _comparable(new):
            found.append({"name": f.name, "label": str(f.label),
                          "before": f.show(old, row.club), "after": f.show(new, row.club)})
    return found


def _comparable(value):
    if isinstance(value, list):
        return sorted(map(str, value))
    return None if value in ("", [], {}) else value


def returned_before(row, revision):
    """The latest revision of `row` before `revision` that was returned to its maker, or None."""
    return (Review.select(fn.MAX(Review.revision))
            .where((Review.entry_uuid == row.uuid) & (Review.club == row.club)
                   & (Review.decision == RETURNED) & (Review.revision < revision))
            .scalar())


def entry_code(row):
    """A short name of an entry for messages: its case's code, or for an entry about no one what
    its type calls it (`short_name`: a screening's area and day); no personal data."""
    kind = type_of(row)
    case = kind.case_of(row)
    if case is not None:
        return case.code or f"#{row.id}"
    short_name = getattr(kind.module, "short_name", None)
    return short_name(row) if short_name else f"#{row.id}"


def entry_view(row):
    """Everything the entry's review page shows."""
    kind = type_of(row)
    revision = pending_revision(row) or returned_revision(row)
    # A returned entry sent again: what the member changed since (as an amendment shows its own).
    returned = returned_before(row, revision) if is_pending(row) else None
    return dict(
        entry_type=kind.name,
        case=kind.case_of(row),
        revision=revision,
        pending=is_pending(row),
        is_amendment=row.amendment_revision is not None,
        fields=fields_shown(row, data_of(row, revision)),
        changes=amendment_changes(row),
        returned_revision=returned,
        since_returned=changes_between(row, returned, revision) if returned else [],
        waiting=waiting(row),
        dependants=dependants_waiting(row),
        trail=trail(row),
        previous_holder=holders.previous_holders([row]).get(row.uuid),
        former_board=holders.former_board([row]).get(row.uuid),
        unclaimed=is_returned(row) and unclaimed(row),
    )


def marks(row):
    """The review marks the desk shows beside an entry: [(code, label)], e.g. self-approved,
    pending amendment. Codes: submitted, returned, approved, self_approved, amendment_submitted,
    amendment_returned."""
    result = []
    if row.review_status == APPROVED:
        decision = (Review.select(Review.decision)
                    .where((Review.entry_uuid == row.uuid) & (Review.revision == row.revision)
                           & Review.decision.in_((APPROVED, SELF_APPROVED)))
                    .order_by(Review.id.desc())
                    .scalar())
        if decision == SELF_APPROVED:
            result.append((SELF_APPROVED, vocab.REVIEW_DECISIONS.label(SELF_APPROVED)))
        else:
            result.append((APPROVED, vocab.REVIEW_STATUSES.label(APPROVED)))
    else:
        result.append((row.review_status, vocab.REVIEW_STATUSES.label(row.review_status)))
    if row.amendment_status == SUBMITTED:
        result.append(("amendment_submitted", _("Pending amendment")))
    elif row.amendment_status == RETURNED:
        result.append(("amendment_returned", _("Amendment returned")))
    return result

