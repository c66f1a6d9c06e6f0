"""Who may do what: the access rule every endpoint declares, and which records each user may see.

Every view carries `@access(...)`; one before-request hook enforces it, and a test walks the URL
map so that no endpoint is left without a rule. Record-level scoping lives here too, so the desk,
the sync API and the reports ask the same question the same way.
"""
from flask import abort, current_app, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .models import FIELD_ROLES

PUBLIC = "public"
LOGGED_IN = "logged_in"
MEMBER, CHAIR, SUPERVISOR, ADMIN = "member", "chair", "supervisor", "admin"
FIELD = FIELD_ROLES  # people who record entries in the field: (MEMBER, CHAIR)
ALL_ROLES = (MEMBER, CHAIR, SUPERVISOR, ADMIN)

# Endpoints a user who must change their password may still reach.
PASSWORD_CHANGE_ENDPOINTS = {"auth.change_password", "auth.logout", "auth.language", "static",
                             "shell.service_worker"}


# What a hand-in-only session (a deactivated member sending what waits, accounts.py) may reach;
# any other page leads to the field app, which says the account is no longer active.
HAND_IN_ENDPOINTS = {"api.sync_entries", "api.bootstrap", "api.csrf_token", "api.schema",
                     "shell.app", "shell.offline", "shell.service_worker", "shell.manifest",
                     "auth.logout", "auth.language", "static"}


def access(*rule):
    """Declare who may use a view: PUBLIC, LOGGED_IN, or one or more roles."""
    if not rule:
        raise ValueError("access() needs PUBLIC, LOGGED_IN or roles")

    def decorate(view):
        view.access_rule = frozenset(rule)
        return view

    return decorate


def rule_for(endpoint):
    """The declared rule of an endpoint, or None (a bug the URL-map test catches)."""
    if endpoint == "static":
        return frozenset({PUBLIC})
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "access_rule", None)


def allowed(user, rule):
    if rule is None:
        return False
    if PUBLIC in rule:
        return True
    if not user.is_authenticated:
        return False
    return LOGGED_IN in rule or user.role in rule


def wants_json():
    return request.path.startswith("/api/")


def _unauthenticated():
    if wants_json():
        response = jsonify(error=401, message=_("Please log in again."))
        response.status_code = 401
        return response
    return redirect(url_for("auth.login", next=request.full_path if request.query_string
                            else request.path))


def enforce():
    """Before each request: deny what the endpoint's rule does not allow."""
    if request.endpoint is None:
        return None  # routing will answer 404 or 405
    rule = rule_for(request.endpoint)
    if rule is None:
        current_app.logger.error("Endpoint %s declares no access rule", request.endpoint)
        abort(403)
    if PUBLIC in rule:
        return None
    if not current_user.is_authenticated:
        return _unauthenticated()
    if current_user.hand_in_only:
        if request.endpoint not in HAND_IN_ENDPOINTS:
            if wants_json():
                abort(403)
            return redirect(url_for("shell.app"))
    elif current_user.must_change_password and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS:
        if wants_json():
            abort(403)
        return redirect(url_for("auth.change_password"))
    if not allowed(current_user, rule):
        abort(403)
    return None


def club_of(user):
    """The club whose records a member or board member works on; None for others."""
    return user.club if user.role in FIELD else None


def init_app(app):
    app.before_request(enforce)


# --- The club's book: which cases each user may read and write ----------------------------------
# A member reads and writes the cases assigned to them and those they registered; a board member
# the whole club; supervisors and admins no case at all (DESIGN.md §5).

def visible_cases(user):
    """The cases `user` may read and write, as a query (erased records are gone from the book)."""
    from .models import Case

    if user.role not in FIELD or user.club_id is None:
        return Case.select().where(Case.id.is_null())
    query = Case.select().where((Case.club == user.club_id) & Case.erased_at.is_null())
    if user.role == MEMBER:
        query = query.where((Case.assigned_to == user.id) | (Case.created_by == user.id))
    return query


def may_write_case(user, case):
    """True if `user` may read the case and record entries on it."""
    if case is None or user.role not in FIELD or case.club_id != user.club_id:
        return False
    if case.erased_at is not None:
        return False
    return user.is_board or user.id in (case.assigned_to_id, case.created_by_id)


def may_edit_case(user, case):
    """True if `user` may change the case's own record, from the phone or the desk: the board, the
    member it is assigned to, and the member who registered it until it is assigned to another."""
    if not may_write_case(user, case):
        return False
    if user.role == CHAIR or case.assigned_to_id == user.id:
        return True
    return case.created_by_id == user.id and case.assigned_to_id is None


def case_or_404(user, case_id):
    """The case with this id if `user` may see it; otherwise 404, whatever the id (410 to the
    club's board for one of its cases erased since: see gone_if_erased)."""
    case = visible_cases(user).where(visible_cases(user).model.id == case_id).first()
    if case is None:
        from .models import Case

        gone_if_erased(user, Case.get_or_none(Case.id == case_id))
        abort(404)
    return case


def gone_if_erased(user, case):
    """410 if `case` is one of `user`'s club's, erased at the person's request, and `user` on its
    board: a page opened before (another tab) says so, by the code the counts keep, instead of
    'does not exist'. Nothing else of the person is left to show."""
    if (case is not None and case.erased_at is not None and user.is_board
            and case.club_id == user.club_id):
        abort(410, description=_("This person's data was erased at their request (%(code)s): "
                                 "nothing more is kept or recorded about them.", code=case.code))


def club_record_or_404(model, record_id, user=None):
    """The record of `model` with this id in the club of `user` (default: the current user),
    else 404: another club's ids do not exist, nor does any club's for those outside the clubs."""
    user = user or current_user
    if user.role not in FIELD:
        abort(404)
    record = model.get_or_none((model.id == record_id) & (model.club == user.club_id))
    if record is None:
        abort(404)
    return record
