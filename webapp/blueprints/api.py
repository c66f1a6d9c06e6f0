"""The sync API v1 (DESIGN.md §4): sync, bootstrap, a CSRF token and the schema of the entries."""
import json

from flask import Blueprint, current_app, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from .. import audit
from ..book import entries, sync
from ..extensions import csrf
from ..permissions import FIELD, LOGGED_IN, access

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _error(status, error, message):
    response = jsonify(error=error, message=message)
    response.status_code = status
    return response


@bp.route("/sync", methods=["POST"])
@access(*FIELD)
@csrf.exempt  # checked below, once the login is known: a logged-out phone gets 401, not 400
def sync_entries():
    """Take a batch of entries; answer each one's status."""
    if current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()
    if (request.content_length or 0) > sync.MAX_BYTES:
        return _error(413, "too_large", _("Send at most 1 MB at a time."))
    body = request.get_data()
    if len(body) > sync.MAX_BYTES:
        return _error(413, "too_large", _("Send at most 1 MB at a time."))
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: JSON nested deeper than Python follows
        payload = None
    entries = payload.get("entries") if isinstance(payload, dict) else None
    if not isinstance(entries, list):
        return _error(400, "bad_json", _("The body must be JSON: {\"entries\": [...]}."))
    if len(entries) > sync.MAX_ENTRIES:
        return _error(413, "too_many", _("Send at most %(n)d entries at a time.",
                                         n=sync.MAX_ENTRIES))
    user = current_user._get_current_object()
    results = sync.submit_batch(user, entries)
    return jsonify(results=results, server_time=sync.server_time())


@bp.route("/bootstrap")
@access(*FIELD)
def bootstrap():
    """The user's working set for the field app, with a fresh CSRF token."""
    working_set = sync.working_set(current_user._get_current_object())
    audit.read("bootstrap", [c["id"] for c in working_set["cases"]]
               + [a["case_id"] for a in working_set["appointments"]])
    return jsonify(working_set)


@bp.route("/csrf")
@access(LOGGED_IN)
def csrf_token():
    """A CSRF token for the next POST."""
    return jsonify(csrf_token=generate_csrf())


@bp.route("/schema")
@access(LOGGED_IN)
def schema():
    """JSON Schema (draft 2020-12) of each entry type's data, with labels and messages."""
    return jsonify(entries.api_schema())
