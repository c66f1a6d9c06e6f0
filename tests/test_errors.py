"""Errors as pages in the user's language for people, and as JSON under /api/."""
import pytest
from flask import abort, jsonify, request
from flask_babel import lazy_gettext as _l

from webapp.i18n import LANG_COOKIE
from webapp.invalid import Invalid
from webapp.permissions import ADMIN, LOGGED_IN, PUBLIC, access

from .conftest import make_test_app
from .factories import make_user, session_for

FUTURE = _l("The date cannot be in the future.")
MESSAGES = {
    400: ("Yêu cầu không hợp lệ.", "The request could not be understood."),
    403: ("Bạn không có quyền truy cập trang này.", "You are not allowed to see this page."),
    404: ("Trang này không tồn tại hoặc bạn không có quyền xem.", "This page does not exist"),
    405: ("Thao tác này không được phép ở đây.", "This action is not allowed here."),
    413: ("Dữ liệu gửi lên quá lớn.", "What you sent is too large."),
    500: ("Máy chủ gặp sự cố.", "Something went wrong on the server."),
}


@pytest.fixture
def error_app(app_config, tmp_path, monkeypatch):
    """The app with test-only routes that fail on purpose (never registered in production)."""
    app_config["MAX_CONTENT_LENGTH"] = 1024
    application = make_test_app(app_config, tmp_path, monkeypatch)

    @access(PUBLIC)
    def boom():
        raise RuntimeError("a bug")

    @access(PUBLIC)
    def bad():
        abort(400)

    @access(LOGGED_IN)
    def echo():
        return jsonify(size=len(request.get_json()["data"]))

    @access(ADMIN)
    def admin_only():
        return jsonify(ok=True)

    @access(PUBLIC)
    def invalid():
        raise Invalid({"on": FUTURE})

    application.add_url_rule("/api/test/admin", "admin_only", admin_only)
    for prefix in ("/test", "/api/test"):
        application.add_url_rule(f"{prefix}/invalid", f"invalid{len(prefix)}", invalid)
        application.add_url_rule(f"{prefix}/boom", f"boom{len(prefix)}", boom)
        application.add_url_rule(f"{prefix}/bad", f"bad{len(prefix)}", bad)
        application.add_url_rule(f"{prefix}/echo", f"echo{len(prefix)}", echo, methods=["POST"])
    with application.app_context():
        yield application


def provoke(app, code, api, client):
    prefix = "/api/test" if api else "/test"
    if code == 400:
        return client.get(f"{prefix}/bad")
    if code == 403:
        return client.get("/api/test/admin" if api else "/admin/clubs")  # asked by a member
    if code == 404:
        return client.get(f"{prefix}/no-such-page")
    if code == 405:
        return client.get(f"{prefix}/echo")
    if code == 413:
        return client.post(f"{prefix}/echo", json={"data": "x" * 4096})
    if code == 500:
        return client.get(f"{prefix}/boom")
    raise AssertionError(code)


@pytest.mark.parametrize("code", sorted(MESSAGES))
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_error_pages_in_the_users_language(error_app, code, lang):
    client = error_app.test_client()
    session_for(client, make_user(role="member", locale=lang))
    response = provoke(error_app, code, api=False, client=client)
    assert response.status_code == code
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert MESSAGES[code][0 if lang == "vi" else 1] in page
    assert f'<html lang="{lang}">' in page
    assert "Traceback" not in page and "a bug" not in page


@pytest.mark.parametrize("code", [400, 404, 405, 413, 500])
def test_error_pages_for_anonymous_follow_the_language_cookie(error_app, code):
    client = error_app.test_client()
    client.set_cookie(LANG_COOKIE, "en")
    if code == 413:
        response = client.post("/login", data={"login": "x" * 4096, "password": "x"})
    else:
        response = provoke(error_app, code, api=False, client=client)
    assert response.status_code == code
    assert MESSAGES[code][1] in response.get_data(as_text=True)


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_errors_under_api_are_json(error_app, code):
    client = error_app.test_client()
    session_for(client, make_user(role="member"))
    response = provoke(error_app, code, api=True, client=client)
    assert response.status_code == code
    assert response.is_json
    body = response.get_json()
    assert body["error"] == code
    assert MESSAGES[code][0] in body["message"]
    assert "a bug" not in response.get_data(as_text=True)


def test_401_under_api_is_json_never_a_redirect(error_app):
    response = error_app.test_client().post("/api/test/echo", json={"data": "x"})
    assert response.status_code == 401
    assert response.get_json() == {"error": 401, "message": "Vui lòng đăng nhập lại."}


def test_a_server_error_is_logged(error_app, caplog):
    error_app.test_client().get("/test/boom")
    assert any("Unhandled error" in r.message and r.exc_info for r in caplog.records)


def test_an_invalid_input_no_view_caught_is_a_400_page_or_json(error_app):
    with error_app.test_request_context("/"):
        vietnamese = str(FUTURE)
    assert vietnamese.startswith("Ngày không được")
    client = error_app.test_client()
    page = client.get("/test/invalid")
    assert page.status_code == 400 and "text/html" in page.content_type
    assert f"<h1>{vietnamese}</h1>" in page.get_data(as_text=True)
    answer = client.get("/api/test/invalid")
    assert answer.status_code == 400
    assert answer.get_json() == {"error": "invalid", "field": "on", "message": vietnamese,
                                 "errors": {"on": vietnamese}}
    client.set_cookie(LANG_COOKIE, "en")
    assert client.get("/api/test/invalid").get_json()["message"] == (
        "The date cannot be in the future.")


def test_invalid_keeps_its_messages_by_field():
    one = Invalid("Choose a date.", field="due_date")
    assert (one.errors, one.field, one.message) == ({"due_date": "Choose a date."}, "due_date",
                                                     "Choose a date.")
    two = Invalid({"date": "Enter the date.", "kind": "Choose the kind."})
    assert (two.field, two.message) == ("date", "Enter the date. Choose the kind.")
    assert Invalid("Refused.").errors == {"": "Refused."}
