"""The audit log: one call records who did what to which record, without personal data."""
import contextlib
import contextvars

from flask import has_request_context
from flask_login import current_user
from peewee import Value

from .db import utcnow
from .models import AuditLog

# A list the lines go to instead of the database, while a sync batch writes them at its end.
_deferred = contextvars.ContextVar("audit_deferred", default=None)


@contextlib.contextmanager
def deferred(lines):
    """Within: `record` appends its line to `lines` (the caller writes them with `write`)."""
    token = _deferred.set(lines)
    try:
        yield lines
    finally:
        _deferred.reset(token)


def write(lines):
    """Insert deferred lines, a few hundred a statement."""
    for start in range(0, len(lines), 200):
        AuditLog.insert_many(lines[start:start + 200]).execute()


def record(action, obj=None, *, user=None, club=None, **details):
    """Log `action` on `obj` (a model instance) by `user` (default: the current user).

    Details must hold ids, codes and vocabulary codes only: never names, notes or phone numbers.
    """
    if user is None and has_request_context() and current_user.is_authenticated:
        user = current_user._get_current_object()
    if club is None:
        # The ids, not the rows: reading `obj.club` would load a Club for every entry logged.
        club = getattr(obj, "club_id", None) if obj is not None else None
        if club is None and user is not None:
            club = user.club_id
    line = dict(
        user=user,
        club=club,
        action=action,
        object_type=type(obj).__name__.lower() if obj is not None else "",
        object_id=obj.id if obj is not None else None,
        details=details or None,
    )
    lines = _deferred.get()
    if lines is not None:
        lines.append(dict(line, at=utcnow()))
        return None
    return AuditLog.create(**line)


READ = "personal_data_read"


def read(view, case_ids, obj=None):
    """Log that the current user was shown personal data of these cases on `view` (a page, a
    form, a sync's working set): one row per showing, holding the cases' ids, never their data.

    A page showing one case also names it as its object, so that `readers_of` finds it quickly.
    """
    ids = sorted({int(i) for i in case_ids if i is not None})
    return record(READ, obj, view=view, case_ids=ids)


def readers_of(case_id, club_id, limit=50):
    """The last rows that show who read the case `case_id` of `club_id`, newest first."""
    # `details` is JSON text written by JSONTextField (", " between items): the id is a whole
    # item of the case_ids list, the only list a READ row holds.
    in_list = None
    for pattern in (f"%[{int(case_id)}]%", f"%[{int(case_id)}, %", f"%, {int(case_id)}, %",
                    f"%, {int(case_id)}]%"):
        # converter=False: the pattern is text to match, not a document to encode as JSON.
        match = AuditLog.details ** Value(pattern, converter=False)
        in_list = match if in_list is None else in_list | match
    named = (AuditLog.object_type == "case") & (AuditLog.object_id == case_id)
    return list(AuditLog.select()
                .where((AuditLog.club == club_id)
                       & AuditLog.action.in_([READ, "case_viewed", "data_request_shown",
                                              "consent_printed"])
                       & (named | in_list))
                .order_by(AuditLog.at.desc(), AuditLog.id.desc())
                .limit(limit))


def last_by(obj, *actions):
    """Who last did one of `actions` to `obj` (e.g. saved it), or None: for records that keep no
    `updated_by` of their own."""
    line = (AuditLog.select(AuditLog.user)
            .where((AuditLog.object_type == type(obj).__name__.lower())
                   & (AuditLog.object_id == obj.id) & AuditLog.action.in_(actions))
            .order_by(AuditLog.id.desc())
            .first())
    return line.user if line is not None and line.user_id is not None else None
