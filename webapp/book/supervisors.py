"""A supervisor's area (the city or province whose clubs' figures they follow), set by an admin
from the account's page: no last save wins (overtaken.py)."""
from flask_babel import lazy_gettext as _l

from . import overtaken
from .. import audit
from ..db import database, locked
from ..invalid import Invalid
from ..models import User


def area_values(account):
    """What the area form shows of the account, in the shape its save is given."""
    return {"area": account.area or ""}


def _overtaken_message(name):
    # Who saved, when known: overtaken.Overtaken's own message; else it was another admin.
    if name:
        return None
    return _l("Another administrator saved this area meanwhile: nothing was overwritten. What "
              "they saved is shown above what you typed; keep what you want of it in the form, "
              "then save again.")


def set_area(account, area, by, seen=None):
    """Set a supervisor's area; True if written.

    `seen`: the mark of what the form was opened on. If another admin saved the area since and
    this sends another one, nothing is written (overtaken.Overtaken); the same area sent twice (a
    double tap, a retry) is taken once: False, no second audit line."""
    area = (area or "").strip()
    if account.role != "supervisor":
        raise Invalid(_l("Only a supervisor has an area."), field="area")
    if not area:
        raise Invalid(_l("Enter a city or province."), field="area")
    with database.atomic():
        account = locked(account)
        if overtaken.check(seen, area_values(account), {"area": area},
                           by=lambda: audit.last_by(account, "account_area_changed"),
                           message=_overtaken_message):
            return False
        account.area = area
        account.save(only=[User.area])
        audit.record("account_area_changed", account, user=by, club=None)
    return True
