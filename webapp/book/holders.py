"""Who held a case when: the history a reassignment leaves, so that nothing its previous holder
recorded before it is trapped on their phone (DESIGN.md §4), and the appointments that follow it."""
from datetime import timedelta

from flask_babel import gettext as _

from .. import accounts, audit
from ..db import database, utcnow
from ..invalid import Invalid
from ..models import AccountEvent, Appointment, BoardTerm, Case, CaseHolder, User
from ..permissions import FIELD, may_write_case


def hand_over(case, member, previous_id=None, at=None):
    """`member` holds `case` from `at` (default now): the previous holder's time ends, and the
    open appointments that were theirs on the case go to `member` with the chair's notes.

    Called wherever a case's assignee is written (registration, an edit, the board's assignment),
    with `previous_id` the assignee before the write; keeping the same holder changes nothing.
    """
    at = at or utcnow()
    member_id = getattr(member, "id", member)
    current = list(CaseHolder.select().where((CaseHolder.case == case.id)
                                             & CaseHolder.until.is_null()))
    if any(h.member_id == member_id for h in current):
        return
    previous = {h.member_id for h in current}
    if (previous_id not in (None, member_id) and previous_id not in previous
            and not CaseHolder.select().where((CaseHolder.case == case.id)
                                              & (CaseHolder.member == previous_id)).exists()):
        # A holder from before the history was kept (or made by hand): they held it until now.
        CaseHolder.create(case=case.id, member=previous_id, since=case.created_at, until=at)
        previous.add(previous_id)
    (CaseHolder.update(until=at)
     .where((CaseHolder.case == case.id) & CaseHolder.until.is_null())
     .execute())
    if member_id is not None:
        CaseHolder.create(case=case.id, member=member_id, since=at)
        if previous:
            moved = (Appointment.update(member=member_id, updated_at=utcnow())
                     .where((Appointment.case == case.id) & (Appointment.status == "open")
                            & Appointment.member.in_(sorted(previous)))
                     .execute())
            if moved:
                audit.record("appointments_moved", case, code=case.code, member_id=member_id,
                             count=moved)


def follower(case, author, board=None):
    """Who is reminded of a visit to `case` that `author` asked for (a visit's follow-up date, a
    referral to follow up): the author while they may write to the case; else whoever follows it
    now (its assignee); else `board`, or the club's first active board member. Nobody is reminded
    of a visit to a person they can no longer see. A user id, or None if the club has no one."""
    if author is not None and author.is_active and may_write_case(author, case):
        return author.id
    if User.active_member(case.club_id, case.assigned_to_id) is not None:
        return case.assigned_to_id
    board = board or (User.select().where((User.club == case.club_id) & (User.role == "chair")
                                          & User.is_active).order_by(User.id).first())
    return board.id if board is not None else None


def leave_board(user, *, by):
    """`user` leaves the club's board and stays a member: from now on they read and record only
    the cases they follow (their phone drops the others at its next sync), and what they recorded
    while on the board still reaches the club (answered_for). Their open appointments on cases
    they no longer follow go to whoever does (the case's assignee), or else to the board member
    who took them off it (or another, if they left by themselves): they are reminded of no visit
    to a person they can no longer see. Raises Invalid if the club would be left without an
    active board member."""
    if user.role != "chair":
        raise Invalid(_("%(name)s is not on the board.", name=user.full_name or user.login))
    if not accounts.may_step_down(user):
        raise Invalid(_("The club must keep at least one board member: make another member a "
                        "board member first."))
    with database.atomic():
        now = utcnow()
        by_role = by.role
        user.role = "member"
        user.save(only=[User.role])
        accounts.end_term(user, now)
        # The rest of the board sees it until one of them acknowledges it; the member is told at
        # their next login, unless they left by themselves.
        AccountEvent.create(club=user.club_id, user=user, purpose=accounts.LEFT_BOARD,
                            role="member", by=by, by_role=by_role, at=now,
                            holder_told_at=now if by.id == user.id else None)
        audit.record("left_board", user, user=by, club=user.club)
        open_ones = (Appointment.select(Appointment, Case)
                     .join(Case, on=(Appointment.case == Case.id))
                     .where((Appointment.member == user.id) & (Appointment.status == "open")))
        for appointment in list(open_ones):
            case = appointment.case
            to = follower(case, user, board=by if by.id != user.id else None)
            if to in (user.id, None):
                continue
            Appointment.update(member=to, updated_at=utcnow()).where(
                Appointment.id == appointment.id).execute()
            audit.record("appointments_moved", case, code=case.code, member_id=to, count=1)


def held(user, case, at):
    """True if `user` held `case` at the moment `at` (naive UTC)."""
    if at is None or case is None:
        return False
    return (CaseHolder.select()
            .where((CaseHolder.case == case.id) & (CaseHolder.member == user.id)
                   & (CaseHolder.since <= at)
                   & (CaseHolder.until.is_null() | (CaseHolder.until > at)))
            .exists())


def answered_for(user, case, at):
    """True if `case` was `user`'s to record on at the moment `at`: they held it, or sat on its
    club's board (accounts.on_board)."""
    return held(user, case, at) or accounts.on_board(user, case.club_id, at)


def may_record(user, case, at):
    """True if an entry `user` made at `at` on `case` may be taken: they may write to the case now,
    or it was theirs when they made the entry (it has passed to someone else since, or they have
    left the board)."""
    if case is None or case.erased_at is not None:
        return False
    if user.hand_in_only or user.role not in FIELD:
        # Handing in what waits (deactivated, or no longer a member): only what they recorded
        # while the case was theirs. An entry their phone made after the deactivation, before
        # it heard of it, is judged as at that moment: it is not lost, and, as everything of a
        # hand-in, it waits for the board's review (review.approves_own).
        if at is not None and user.deactivated_at is not None:
            at = min(at, user.deactivated_at - timedelta(microseconds=1))
        return answered_for(user, case, at)
    if case.club_id != user.club_id:
        return False
    return may_write_case(user, case) or answered_for(user, case, at)


def previous_holders(rows):
    """{row uuid: the author} for the entries in `rows` recorded by someone who held their case
    before and holds it no more (the review page says so)."""
    found = {}
    for row in rows:
        case = row if isinstance(row, Case) else getattr(row, "case", None)
        if case is None or row.created_by_id in (case.assigned_to_id, None):
            continue
        found.setdefault((case.id, row.created_by_id), []).append(row)
    if not found:
        return {}
    ended = set(CaseHolder.select(CaseHolder.case, CaseHolder.member)
                .where(CaseHolder.case.in_(sorted({c for c, _u in found}))
                       & CaseHolder.until.is_null(False))
                .tuples())
    authors = {u.id: u for u in User.select().where(User.id.in_(sorted({u for _c, u in found})))}
    return {row.uuid: authors[user_id]
            for (case_id, user_id), group in found.items() if (case_id, user_id) in ended
            for row in group}


def former_board(rows):
    """{row uuid: the author} for the entries in `rows` recorded on a case its author does not
    follow, by someone who has left the club's board since (the review page says so)."""
    found = {}
    for row in rows:
        case = None if isinstance(row, Case) else getattr(row, "case", None)
        if case is None or row.created_by_id in (case.assigned_to_id, case.created_by_id, None):
            continue
        found.setdefault(row.created_by_id, []).append((case, row))
    if not found:
        return {}
    left = set(BoardTerm.select(BoardTerm.user, BoardTerm.club)
               .where(BoardTerm.user.in_(sorted(found)) & BoardTerm.until.is_null(False))
               .tuples())
    authors = {u.id: u for u in User.select().where(User.id.in_(sorted(found))
                                                    & (User.role != "chair"))}
    return {row.uuid: authors[user_id]
            for user_id, group in found.items() if user_id in authors
            for case, row in group if (user_id, case.club_id) in left}
