"""The audit log: one call records who did what to which record, without personal data."""
from flask import has_request_context
from flask_login import current_user

from .models import AuditLog


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
    return AuditLog.create(
        user=user,
        club=club,
        action=action,
        object_type=type(obj).__name__.lower() if obj is not None else "",
        object_id=obj.id if obj is not None else None,
        details=details or None,
    )
