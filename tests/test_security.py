"""HTTP hardening: headers and CSP, cookies, CSRF on every POST, and templates that need no inline
script nor anything from outside the app."""
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from flask import jsonify

from webapp.permissions import LOGGED_IN, PUBLIC, access, allowed, rule_for

from .conftest import make_test_app
from .factories import login_as, make_user, make_world, session_for
from .test_permissions import routes, url_for_rule, users_for

WEBAPP = Path(__file__).resolve().parent.parent / "webapp"
CSRF_MESSAGE = "Biểu mẫu đã hết hạn"  # "The form expired…" in Vietnamese


def csp_of(response):
    policy = {}
    for directive in response.headers["Content-Security-Policy"].split(";"):
        name, *values = directive.split()
        policy[name] = values
    return policy


@pytest.fixture
def production_app(app_config, tmp_path, monkeypatch):
    """The app as it runs in production: not testing, not debug, default cookie settings."""
    app_config.update(TESTING=False)
    del app_config["SESSION_COOKIE_SECURE"]
    application = make_test_app(app_config, tmp_path, monkeypatch)
    with application.app_context():
        yield application


def test_csp_is_strict(client):
    policy = csp_of(client.get("/login"))
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no inline script, no eval
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert not any("unsafe" in value or value in ("*", "http:", "https:")
                   for values in policy.values() for value in values)


@pytest.mark.parametrize("path", ["/login", "/", "/nothing-here", "/api/v1/nothing-here"])
def test_security_headers_on_every_answer(client, path):
    response = client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer",
                                                   "strict-origin-when-cross-origin")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" in response.headers


def test_pages_and_json_are_never_cached(client):
    user = make_user(role="chair")
    login_as(client, user)
    for path in ("/", "/account", "/login", "/api/v1/nothing-here"):
        response = client.get(path)
        assert response.mimetype in ("text/html", "application/json")
        assert response.headers["Cache-Control"] == "no-store", path


def test_static_files_may_be_cached(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    response.close()


def test_no_hsts_when_testing(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_hsts_in_production(production_app):
    response = production_app.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_no_hsts_in_debug(app_config, tmp_path, monkeypatch):
    app_config.update(TESTING=False, DEBUG=True)
    application = make_test_app(app_config, tmp_path, monkeypatch)
    with application.app_context():
        response = application.test_client().get("/login")
    assert "Strict-Transport-Security" not in response.headers


def session_cookie_header(response):
    return next(value for value in response.headers.getlist("Set-Cookie")
                if value.startswith("sotd_session="))


def test_session_cookie_flags_in_production(production_app):
    client = production_app.test_client()
    user = make_user(role="member")
    response = client.post("/login", data={"login": user.login, "password": "correct-horse-9"},
                           base_url="https://localhost")
    assert response.status_code == 302
    cookie = session_cookie_header(response)
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" in cookie
    # A permanent cookie: the session survives the browser being closed, for 30 days at most.
    expires = re.search(r"Expires=([^;]+)", cookie).group(1)
    expiry = datetime.strptime(expires, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=timezone.utc)
    left = expiry - datetime.now(timezone.utc)
    assert timedelta(days=29) < left <= timedelta(days=30, minutes=1)


def test_no_secure_cookie_in_debug(app_config, tmp_path, monkeypatch):
    app_config.update(TESTING=False, DEBUG=True)
    del app_config["SESSION_COOKIE_SECURE"]
    application = make_test_app(app_config, tmp_path, monkeypatch)
    with application.app_context():
        user = make_user(role="member")
        response = login_as(application.test_client(), user)
        cookie = session_cookie_header(response)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_language_cookie_flags(production_app):
    response = production_app.test_client().post("/language", data={"lang": "en"},
                                                 base_url="https://localhost")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


# --- CSRF ---------------------------------------------------------------------------------

def test_every_post_requires_a_csrf_token(csrf_app):
    """Every POST route, asked by a user allowed to use it, is refused without a token."""
    problems = []
    for rule, _method in routes(csrf_app):
        if "POST" not in rule.methods:
            continue
        world = make_world()
        users = users_for(world)
        declared = rule_for(rule.endpoint)
        role = next((r for r in ("admin", "chair", "member", "supervisor")
                     if allowed(users[r], declared)), "anonymous")
        client = csrf_app.test_client()
        if users[role] is not None:
            session_for(client, users[role])
        url = url_for_rule(rule, world)
        if url.startswith("/api/"):
            response = client.post(url, json={})
            ok = response.status_code == 400 and response.is_json
        else:
            response = client.post(url, data={})
            ok = response.status_code == 400 and CSRF_MESSAGE in response.get_data(as_text=True)
        if not ok:
            problems.append(f"POST {url} ({rule.endpoint}) as {role} without a CSRF token: "
                            f"{response.status_code}")
    assert not problems, "\n".join(problems)


def test_a_form_with_its_token_is_accepted(csrf_app):
    client = csrf_app.test_client()
    user = make_user(role="member")
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"login": user.login, "password": "correct-horse-9",
                                           "csrf_token": token})
    assert response.status_code == 302
    assert client.get("/account").status_code == 200
    # A token of another session is refused.
    other = csrf_app.test_client()
    response = other.post("/language", data={"lang": "en", "csrf_token": token})
    assert response.status_code == 400


def test_json_posts_under_api_need_the_csrf_header(app_config, tmp_path, monkeypatch):
    app_config["WTF_CSRF_ENABLED"] = True
    application = make_test_app(app_config, tmp_path, monkeypatch)

    @access(LOGGED_IN)
    def echo():
        return jsonify(ok=True)

    application.add_url_rule("/api/test/echo", "test_echo", echo, methods=["POST"])
    with application.app_context():
        client = application.test_client()
        session_for(client, make_user(role="member"))
        page = client.get("/account").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        missing = client.post("/api/test/echo", json={"a": 1})
        assert missing.status_code == 400 and missing.is_json
        wrong = client.post("/api/test/echo", json={"a": 1}, headers={"X-CSRFToken": "x" + token})
        assert wrong.status_code == 400 and wrong.is_json
        right = client.post("/api/test/echo", json={"a": 1}, headers={"X-CSRFToken": token})
        assert right.status_code == 200 and right.get_json() == {"ok": True}


def test_nothing_public_but_login_language_logout_and_static(app):
    """Public endpoints are few and known: adding one is a decision, made here."""
    public = {rule.endpoint for rule in app.url_map.iter_rules()
              if PUBLIC in rule_for(rule.endpoint)}
    known = {"static", "auth.login", "auth.logout", "auth.language", "auth.setup",
             # other features' public endpoints (the field app's shell and worker files)
             "shell.service_worker", "shell.manifest", "shell.index", "shell.offline",
             "api.csrf"}
    assert public <= known, f"Unexpected public endpoints: {sorted(public - known)}"


# --- Templates and static files -----------------------------------------------------------

TEMPLATE_PROBLEMS = [
    # A JSON data block (the field app's strings) is not executed, so the CSP allows it.
    (re.compile(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", re.I),
     "inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event handler attribute"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"<style", re.I), "inline <style>"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
    (re.compile(r"(?:src|href|action|content)\s*=\s*[\"']?(?:https?:)?//", re.I), "external URL"),
    (re.compile(r"(?:https?:)?//(?!www\.w3\.org/)[a-z0-9.-]+\.[a-z]{2,}", re.I), "external URL"),
]


def static_and_template_files():
    yield from sorted((WEBAPP / "templates").rglob("*.html"))
    yield from sorted((WEBAPP / "static").rglob("*.css"))
    yield from sorted((WEBAPP / "static").rglob("*.svg"))


def test_templates_have_no_inline_script_handlers_or_external_urls():
    problems = []
    for path in static_and_template_files():
        text = path.read_text(encoding="utf-8")
        for pattern, what in TEMPLATE_PROBLEMS:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                problems.append(f"{path.relative_to(WEBAPP)}:{line}: {what}: {match.group(0)!r}")
    assert not problems, "\n".join(problems)


def test_the_template_check_catches_what_it_should():
    bad = ['<script>alert(1)</script>', '<button onclick="x()">', '<p style="color:red">',
           '<link href="https://fonts.example.com/a.css">', '<img src="//cdn.example.org/x.png">']
    for snippet in bad:
        assert any(p.search(snippet) for p, _ in TEMPLATE_PROBLEMS), snippet
    assert not any(p.search('<script type="module" src="/static/js/app.js"></script>')
                   for p, _ in TEMPLATE_PROBLEMS)
