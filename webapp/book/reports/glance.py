"""The chair's home: the month at a glance, and the members whose phones have gone quiet."""
from datetime import datetime, timedelta

from .. import review, scheduling
from ... import accounts
from ...clock import local_today as today_local
from ...db import utcnow
from ...models import User
from .figures import Period, club_figures
from .targets import target_progress, targets_for


QUIET_DAYS = 7


def quiet_members(club, now=None, days=QUIET_DAYS):
    """The club's active members not heard from for `days` days: [(member, last seen or None)],
    the longest silent first. What they recorded since then may still wait on their phones."""
    now = now or utcnow()
    members = list(User.select().where((User.club == club) & (User.role == "member")
                                       & User.is_active).order_by(User.full_name, User.login))
    seen = accounts.last_seen(members)
    quiet = [(member, seen.get(member.id)) for member in members
             if seen.get(member.id) is None or now - seen[member.id] > timedelta(days=days)]
    return sorted(quiet, key=lambda pair: (pair[1] is not None, pair[1] or datetime.min))


def month_at_a_glance(club, today=None, now=None):
    """What the chair's home shows: entries waiting for review, overdue visits, this month's work,
    the year's targets so far, and the members whose phones have been silent for a week."""
    today = today or today_local()
    year, month = Period.year(today.year), Period.month(today.year, today.month)
    to_date = Period(year.start, today)
    figures = club_figures([club.id], to_date)[club.id]
    return dict(
        month=month,
        waiting=review.queue_count(club),
        overdue=scheduling.overdue(club, today).count(),
        this_month=club_figures([club.id], Period(month.start, today))[club.id],
        progress=target_progress(targets_for(club, today.year), figures, year, today),
        quiet=quiet_members(club, now),
        quiet_days=QUIET_DAYS,
    )
