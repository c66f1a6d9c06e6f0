"""Who may change an entry the server holds, now: one rule for the sync API (sync.py), the desk's
edits, and whom a returned entry goes back to (review.fixer)."""
from . import holders
from .entries import type_of
from ..permissions import FIELD, may_edit_case, may_write_case


def may_edit(user, row, made=None):
    """Who may change an entry the server holds: a case's own record, as
    permissions.may_edit_case says; an entry about a case (a visit, a referral, an attendance),
    its maker and the board, while they may write to the case — and its maker still, if they
    held the case, or sat on the board, when the entry was made (`made`, holders.py)."""
    case = type_of(row).case_of(row)
    if case is None:  # the club's own record (an activity): its maker and the board
        return may_write_club(user, row) and (user.is_board or row.created_by_id == user.id)
    if case is row:
        return may_edit_case(user, case)
    if row.created_by_id == user.id and holders.answered_for(user, case, made):
        return True
    return may_write_case(user, case) and (user.is_board or row.created_by_id == user.id)


def may_write_club(user, row):
    """True if `user` records in the field for the club `row` belongs to."""
    return user.role in FIELD and user.club_id is not None and row.club_id == user.club_id


def may_write_entry(user, row):
    """True if `user` may read the entry and record on what it is about: its case, or, for an
    entry about no one (an activity), its club."""
    case = type_of(row).case_of(row)
    return may_write_club(user, row) if case is None else may_write_case(user, case)
