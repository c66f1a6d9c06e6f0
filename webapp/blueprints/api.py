"""The sync API v1 (DESIGN.md §4): sync, bootstrap, a CSRF token and the schema of the entries."""
import base64
import json

from flask import Blueprint, current_app, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from .. import accounts, audit
from ..book import entries, sync, working_set
from ..extensions import csrf
from ..permissions import LOGGED_IN, access

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _error(status, error, message):
    response = jsonify(error=error, message=message)
    response.status_code = status
    return response


@bp.route("/sync", methods=["POST"])
@access(LOGGED_IN)  # a former member hands in what waits (working_set.hand_in_set); others get invalid
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
    accounts.note_sync(user, payload.get("waiting"), results)
    answer = {"results": results, "server_time": sync.server_time()}
    if working_set.hands_in_only(user):
        answer["hand_in_only"] = True
    return jsonify(answer)


@bp.route("/bootstrap")
@access(LOGGED_IN)
def bootstrap():
    """The user's working set, whole or what changed since `?since=<cursor>` (no secret in it)."""
    user = current_user._get_current_object()
    if working_set.hands_in_only(user):
        # nothing to read, so no read to audit
        return jsonify(dict(working_set.hand_in_set(user), server_time=sync.server_time()))
    answer = working_set.answer(user, request.args.get("since"))
    # The cases whose data this answer shows (a delta: only those sent).
    audit.read("bootstrap", [c["id"] for c in answer["cases"]]
               + [a["case_id"] for a in answer["appointments"]])
    return jsonify(dict(answer, server_time=sync.server_time()))


@bp.route("/csrf")
@access(LOGGED_IN)
def csrf_token():
    """A CSRF token for the next POST, with whose session it is and the key of their phone.

    The secrets of the API come only from here, never compressed (BREACH): the compressed
    answers carry text other people wrote."""
    user = current_user._get_current_object()
    answer = {"csrf_token": generate_csrf(), "user": user.id}
    if user.device_key:  # a hand-in-only account too needs it, to open what waits
        answer["device_key"] = base64.b64encode(user.device_key).decode()
    response = jsonify(answer)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/schema")
@access(LOGGED_IN)
def schema():
    """JSON Schema (draft 2020-12) of each entry type's data, with labels and messages."""
    return jsonify(entries.api_schema())
