"""Who may use what: every endpoint declares a rule, the rules hold for every role, and another
club's records answer 404 whatever the id.

These tests walk the app's URL map, so they cover every endpoint added later without changes.
A route whose URL parameters are record ids should name them `<model>_id` (e.g. `case_id`):
`factories.record_id` then fills them with a record of the right club.
"""

from werkzeug.routing import IntegerConverter

from webapp import permissions
from webapp.clock import local_today
from webapp.models import Case, Club, Visit
from webapp.permissions import ALL_ROLES, allowed, rule_for

from .factories import make_user, make_world, record_id, session_for

ROLES = ("anonymous",) + ALL_ROLES


def routes(app):
    """(rule, method) for every URL rule: GET where it answers GET, else its first other method."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        yield rule, "GET" if "GET" in methods else methods[0]


def url_for_rule(rule, world, cross_club_ids=False):
    """The rule's URL with its parameters filled from `world` (ids of its records), else 1."""
    values = {}
    for name, converter in rule._converters.items():
        found = record_id(world, name) if name.endswith("_id") or name == "id" else None
        if found is not None:
            values[name] = found
        elif name == "filename":
            values[name] = "css/app.css"
        elif name == "year":
            values[name] = local_today().year
        elif name == "month":
            values[name] = local_today().month
        elif isinstance(converter, IntegerConverter):
            values[name] = 1
        else:
            values[name] = "1"
    return rule.build(values, append_unknown=False)[1]


def request(app, user, method, url):
    client = app.test_client()
    if user is not None:
        session_for(client, user)
    kwargs = {"json": {}} if url.startswith("/api/") and method != "GET" else {}
    response = client.open(url, method=method, **kwargs)
    response.get_data()
    response.close()  # static files are streamed from an open file
    return response


def is_login_redirect(response):
    return response.status_code in (301, 302, 303) and "/login" in response.headers.get("Location", "")


def denial(response, declared):
    """How a response denies access, or None when it does not."""
    if response.status_code == 403:
        return "403"
    if response.status_code == 401:
        return "401"
    if is_login_redirect(response) and permissions.PUBLIC not in declared:
        return "login redirect"  # a public page may send to /login (logging out does)
    return None


def users_for(world):
    supervisor = make_user(role="supervisor", area=world.club.city)
    admin = make_user(role="admin")
    return {"anonymous": None, "member": world.member, "chair": world.chair,
            "supervisor": supervisor, "admin": admin}


def test_every_endpoint_declares_an_access_rule(app):
    missing = sorted(rule.endpoint for rule in app.url_map.iter_rules()
                     if rule_for(rule.endpoint) is None)
    assert not missing, f"Endpoints without @access(...): {missing}"


def test_rules_name_known_roles_only(app):
    known = {permissions.PUBLIC, permissions.LOGGED_IN, *ALL_ROLES}
    wrong = {rule.endpoint: sorted(rule_for(rule.endpoint) - known)
             for rule in app.url_map.iter_rules()
             if rule_for(rule.endpoint) and rule_for(rule.endpoint) - known}
    assert not wrong


def test_an_endpoint_without_a_rule_is_refused(app_config, tmp_path, monkeypatch):
    from .conftest import make_test_app

    application = make_test_app(app_config, tmp_path, monkeypatch)
    application.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    with application.app_context():
        admin = make_user(role="admin")
        assert request(application, None, "GET", "/forgotten").status_code == 403
        assert request(application, admin, "GET", "/forgotten").status_code == 403


def test_role_by_endpoint_matrix(app):
    """Each role is denied exactly where the endpoint's rule denies it, and served elsewhere."""
    problems = []
    for rule, method in routes(app):
        declared = rule_for(rule.endpoint)
        # A POST that was let through may have changed state (a club deactivated ends its users'
        # sessions): the next role then gets a fresh club, so each answer is about its own role.
        world = None
        for role in ROLES:
            if world is None:
                world = make_world()
                users = users_for(world)
            user = users[role]
            url = url_for_rule(rule, world)
            response = request(app, user, method, url)
            denied = denial(response, declared)
            may = allowed(user, declared) if user is not None else permissions.PUBLIC in declared
            if method != "GET" and not denied:
                world = None
            where = f"{method} {url} ({rule.endpoint}) as {role}: {response.status_code}"
            if response.status_code >= 500:
                problems.append(f"{where} server error")
            elif may and denied:
                problems.append(f"{where} denied ({denied}) but the rule allows it")
            elif not may and role == "anonymous":
                expected = "401" if url.startswith("/api/") else "login redirect"
                if denied != expected:
                    problems.append(f"{where} expected {expected}")
            elif not may and denied != "403":
                problems.append(f"{where} expected 403")
    assert not problems, "\n".join(problems)


def test_an_api_endpoint_answers_401_json_when_not_logged_in(app):
    app_rules = [rule for rule, _ in routes(app) if rule.rule.startswith("/api/")]
    for rule in app_rules:
        if permissions.PUBLIC in rule_for(rule.endpoint):
            continue
        response = request(app, None, "GET" if "GET" in rule.methods else "POST",
                           url_for_rule(rule, make_world()))
        assert response.status_code == 401 and response.is_json, rule.rule
    # Whatever routes exist, an unknown /api/ path answers JSON too.
    response = request(app, None, "GET", "/api/v1/nothing-here")
    assert response.status_code == 404 and response.is_json


def id_routes(app):
    """Routes with a record id among their parameters."""
    for rule, method in routes(app):
        if any(name.endswith("_id") or name == "id" for name in rule.arguments):
            yield rule, method


def test_id_routes_are_probed(app):
    # Guards the cross-club test against probing nothing.
    assert {rule.endpoint for rule, _ in id_routes(app)} >= {
        "members.set_active", "admin.user", "admin.club_active"}


def test_another_clubs_records_answer_404_whatever_the_id(app):
    """A chair or member of club A asking for club B's records gets 404 (403 if the role may not
    use the route at all), never the record."""
    club_b = make_world()  # first, so that a parameter filled with 1 also points into club B
    club_a = make_world()
    problems = []
    for rule, method in id_routes(app):
        declared = rule_for(rule.endpoint)
        url = url_for_rule(rule, club_b)
        for user in (club_a.chair, club_a.member):
            response = request(app, user, method, url)
            expected = 404 if allowed(user, declared) else 403
            if response.status_code != expected:
                problems.append(f"{method} {url} ({rule.endpoint}) as {user.role} of another "
                                f"club: {response.status_code}, expected {expected}")
    assert not problems, "\n".join(problems)
    # Club B is untouched: nothing was deactivated by club A's POSTs.
    assert Club.get_by_id(club_b.club.id).is_active
    assert all(u.is_active for u in club_b.club.users)


def test_club_record_or_404(app):
    world, other = make_world(), make_world()
    with app.test_request_context():
        assert permissions.club_record_or_404(Case, world.case.id, world.chair) == world.case
        assert permissions.club_record_or_404(Visit, world.visit.id, world.member) == world.visit
        for user, record in ((other.chair, world.case), (make_user(role="admin"), world.case),
                             (make_user(role="supervisor"), world.visit)):
            try:
                permissions.club_record_or_404(type(record), record.id, user)
            except Exception as error:  # noqa: BLE001 - abort raises an HTTPException
                assert getattr(error, "code", None) == 404
            else:
                raise AssertionError(f"{user.role} reached another club's record")
