"""Sync conflicts (DESIGN.md §4): the copies the server kept rather than overwrite a record, and
the board's decision on each — merged field by field into a new revision, or dismissed.

A merge is written as a desk edit (sync.desk_edit), so it takes the record's next revision and
every phone still holding the old one meets a conflict in turn. Nothing is deleted: a dismissed
copy stays readable by the board until the person's case is erased (cases.erase empties it).
"""
from flask_babel import gettext as _

from . import entries, review, sync
from .. import audit
from ..db import database, is_postgres, utcnow
from ..invalid import Invalid
from ..models import SyncConflict, User

MERGED, DISMISSED = "merged", "dismissed"
ERASED = sync.ERASED


def _of_club(club):
    return (SyncConflict.select(SyncConflict, User)
            .join(User, on=(SyncConflict.user == User.id))
            .where((SyncConflict.club == club) & (SyncConflict.data != ERASED)))


def open_conflicts(club):
    """The club's kept copies waiting for the board, oldest first."""
    return list(_of_club(club).where(SyncConflict.resolved_at.is_null())
                .order_by(SyncConflict.received_at, SyncConflict.id))


def resolved_conflicts(club, limit=100):
    """The club's resolved copies, newest decision first (a dismissed copy stays readable)."""
    return list(_of_club(club).where(SyncConflict.resolved_at.is_null(False))
                .order_by(SyncConflict.resolved_at.desc(), SyncConflict.id.desc())
                .limit(limit))


def open_count(club):
    """How many kept copies wait for the board (added to the review badge)."""
    if club is None:
        return 0
    return (SyncConflict.select()
            .where((SyncConflict.club == club) & SyncConflict.resolved_at.is_null()
                   & (SyncConflict.data != ERASED))
            .count())


def conflict_for_club(conflict_id, club):
    """The kept copy with this id in `club`, or None (another club's ids do not exist)."""
    if club is None:
        return None
    return (_of_club(club).where(SyncConflict.id == conflict_id).first())


def entry_of(conflict):
    """The record the copy belongs to, or None if it is no longer in the book."""
    kind = entries.TYPES.get(conflict.entry_type)
    return kind and kind.model.get_or_none(kind.model.uuid == conflict.uuid)


def case_of(row):
    return entries.type_of(row).case_of(row)


def _differences(row, conflict, current):
    # A field the phone did not send is one it left as it was (a case's assigned member).
    return [d for d in review.differences(row, conflict.data, current)
            if d["name"] in conflict.data]


def comparison(conflict):
    """The kept copy beside the record's current version, only the fields that differ.

    {"row", "case", "revision" (current), "fields": [{"name", "label", "before" (the kept
    copy), "after" (current)}], "kept" (every field of the kept copy, for reading)}; None when
    the record is gone."""
    row = entry_of(conflict)
    if row is None:
        return None
    revision = review.current_revision(row)
    current = review.data_of(row, revision)
    return dict(row=row, case=case_of(row), revision=revision,
                fields=_differences(row, conflict, current),
                kept=review.fields_shown(row, conflict.data))


def _locked(conflict):
    """The copy as it is now, locked until the decision is written (two chairs take turns)."""
    query = SyncConflict.select().where(SyncConflict.id == conflict.id)
    if is_postgres():
        query = query.for_update()
    conflict = query.get()
    if conflict.resolved_at is not None:
        by = User.get_or_none(User.id == conflict.resolved_by_id)
        raise Invalid(_("%(name)s already resolved this conflict: nothing more was done.",
                        name=str(by) if by else "—"), field="entry")
    return conflict


def _close(conflict, by, resolution, reason="", revision=None):
    conflict.resolved_at = utcnow()
    conflict.resolved_by = by
    conflict.resolution = resolution
    conflict.reason = reason
    conflict.resolved_revision = revision
    conflict.save()
    audit.record(f"conflict_{resolution}", conflict, user=by, club=conflict.club_id,
                 entry_type=conflict.entry_type, uuid=conflict.uuid, revision=conflict.revision,
                 resolved_revision=revision)


def resolve(conflict, by, take, seen):
    """Merge the kept copy into the record: the fields named in `take` from the copy, the others
    as the current version; the result is the record's next revision (a desk edit by `by`).

    `seen`: the current revision the chair's page showed; if the record moved on, nothing is
    done. Raises Invalid. Returns the new revision.
    """
    with database.atomic():
        conflict = _locked(conflict)
        row = entry_of(conflict)
        if row is None:
            raise Invalid(_("This record is no longer in the book: dismiss the copy."),
                          field="entry")
        current = review.current_revision(row)
        if current != seen:
            raise Invalid(_("The record changed since you opened this page: nothing was "
                            "saved. Compare the versions again."), field="entry")
        data = review.data_of(row, current)
        differing = {d["name"] for d in _differences(row, conflict, data)}
        taken = sorted(set(take) & differing)
        if not taken:
            raise Invalid(_("Choose at least one field of the kept copy, or dismiss the "
                            "copy with a reason."), field="entry")
        merged = dict(data, **{name: conflict.data.get(name) for name in taken})
        row = sync.desk_edit(by, row, merged)  # its rules refuse what they refuse: Invalid
        _close(conflict, by, MERGED, revision=row.revision)
        return row.revision


def dismiss(conflict, by, reason):
    """Set the kept copy aside with a reason (required): the record stays as it is."""
    reason = review.checked_reason(reason, _("Write why the copy is dismissed: the member "
                                             "sees the reason."))
    with database.atomic():
        conflict = _locked(conflict)
        _close(conflict, by, DISMISSED, reason=reason)
