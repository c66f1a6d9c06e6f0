"""The audit log: one call records who did what to which record, without personal data."""
import contextlib
import contextvars

from flask import has_request_context
from flask_login import current_user

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
