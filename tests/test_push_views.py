import re

from flask import g

from webapp import push
from webapp.models import AuditLog, PushSubscription, User

from .factories import PASSWORD, login_as, make_user
from .push_endpoint import push_endpoint  # noqa: F401 (fixture)


def test_public_key_for_logged_in_users(client):
    assert client.get("/api/v1/push/key").status_code == 401
    login_as(client, make_user())
    assert client.get("/api/v1/push/key").get_json() == {"public_key": push.public_key_b64()}


def test_subscribe_takes_to_json_as_is_and_delete_removes_it(client, push_endpoint):
    user = make_user()
    login_as(client, user)
    body = push_endpoint.subscription().to_json()
    response = client.post("/api/v1/push/subscriptions", json=body,
                           headers={"User-Agent": "Mozilla/5.0 (iPhone) Safari/604.1"})
    assert response.status_code == 201
    subscription = PushSubscription.get()
    assert (subscription.user_id, subscription.endpoint) == (user.id, body["endpoint"])
    assert subscription.p256dh == body["keys"]["p256dh"] and subscription.auth == body["keys"]["auth"]
    assert subscription.device_label == "iPhone · Safari"
    # The same browser again: still one row.
    assert client.post("/api/v1/push/subscriptions", json=body).status_code == 201
    assert PushSubscription.select().count() == 1
    response = client.delete("/api/v1/push/subscriptions", json={"endpoint": body["endpoint"]})
    assert response.status_code == 200 and PushSubscription.select().count() == 0
    assert client.delete("/api/v1/push/subscriptions",
                         json={"endpoint": body["endpoint"]}).status_code == 404
    actions = [a.action for a in AuditLog.select().order_by(AuditLog.id)]
    assert actions.count("push_subscribe") == 2 and actions.count("push_unsubscribe") == 1


def test_invalid_subscription_gets_a_clear_json_error(client, push_endpoint):
    login_as(client, make_user())
    body = push_endpoint.subscription().to_json()
    body["keys"]["auth"] = "c2hvcnQ"
    response = client.post("/api/v1/push/subscriptions", json=body)
    assert response.status_code == 400
    data = response.get_json()
    assert data["field"] == "keys.auth"
    assert data["message"] == "Mã bí mật auth phải dài 16 byte."
    response = client.post("/api/v1/push/subscriptions", data="not json",
                           content_type="application/json")
    assert response.status_code == 400 and response.get_json()["error"] == "invalid"


def test_plain_http_endpoints_are_refused_outside_testing(client, push_endpoint, app):
    login_as(client, make_user())
    app.testing = False
    try:
        response = client.post("/api/v1/push/subscriptions",
                               json=push_endpoint.subscription().to_json())
    finally:
        app.testing = True
    assert response.status_code == 400 and response.get_json()["field"] == "endpoint"


def test_supervisors_and_admins_do_not_subscribe(client, push_endpoint):
    login_as(client, make_user(role="supervisor"))
    response = client.post("/api/v1/push/subscriptions", json=push_endpoint.subscription().to_json())
    assert response.status_code == 403


def test_subscribing_needs_the_csrf_token(csrf_app, push_endpoint):
    client = csrf_app.test_client()
    login_as_csrf(client, make_user())
    # The fixture's app context outlives each test request, and Flask-WTF caches the token in
    # `g`: drop it so that this page makes a token for the logged-in session, as a browser's would.
    g.pop("csrf_token", None)
    page = client.get("/account/notifications").get_data(as_text=True)
    token = re.search(r'data-csrf="([^"]+)"', page).group(1)
    body = push_endpoint.subscription().to_json()
    assert client.post("/api/v1/push/subscriptions", json=body).status_code == 400
    assert PushSubscription.select().count() == 0
    response = client.post("/api/v1/push/subscriptions", json=body,
                           headers={"X-CSRFToken": token})
    assert response.status_code == 201, response.get_json()
    assert client.delete("/api/v1/push/subscriptions", json={"endpoint": body["endpoint"]},
                         headers={"X-CSRFToken": token}).status_code == 200


def login_as_csrf(client, user):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/login", data={"login": user.login, "password": PASSWORD, "csrf_token": token})


def test_settings_page_explains_and_lists_devices(client, push_endpoint):
    user = make_user()
    other = make_user()
    mine = push.subscribe(user, push_endpoint.subscription().to_json(), "Android Chrome/1",
                          allow_local_http=True)
    theirs = push.subscribe(other, push_endpoint.subscription().to_json(), "",
                            allow_local_http=True)
    login_as(client, user)
    assert "/account/notifications" in client.get("/account").get_data(as_text=True)
    page = client.get("/account/notifications").get_data(as_text=True)
    assert "không bao giờ ghi tên hay mã hồ sơ" in page  # what is sent, and what never is
    assert "iPhone" in page
    assert 'id="push-on"' in page and "js/push-settings.js" in page
    assert "Android · Chrome" in page
    # Another user's device does not exist for this one.
    assert client.post(f"/account/notifications/devices/{theirs.id}/delete").status_code == 404
    assert PushSubscription.get_or_none(PushSubscription.id == theirs.id) is not None
    client.post(f"/account/notifications/devices/{mine.id}/delete")
    assert PushSubscription.get_or_none(PushSubscription.id == mine.id) is None


def test_reminder_hour(client):
    user = make_user()
    login_as(client, user)
    assert client.post("/account/notifications/hour",
                       data={"reminder_hour": "6"}).status_code == 302
    assert User.get_by_id(user.id).reminder_hour == 6
    client.post("/account/notifications/hour", data={"reminder_hour": "3"})
    assert User.get_by_id(user.id).reminder_hour == 6
    assert client.get("/account/notifications/hour").status_code == 405


def test_logging_out_forgets_this_phones_push_subscription_and_no_other(client, push_endpoint):
    """logout.js ends the browser's subscription and names it with the logout: no reminder goes
    to a phone nobody is logged in on. Another account's subscription is not the logout's to end."""
    user, other = make_user(), make_user()
    elsewhere = client.application.test_client()  # the other's own phone
    login_as(elsewhere, other)
    theirs = push_endpoint.subscription().to_json()
    assert elsewhere.post("/api/v1/push/subscriptions", json=theirs).status_code == 201
    login_as(client, user)
    mine = push_endpoint.subscription().to_json()
    assert client.post("/api/v1/push/subscriptions", json=mine).status_code == 201
    client.post("/logout", data={"push_endpoint": theirs["endpoint"]})
    assert {s.endpoint for s in PushSubscription.select()} == {theirs["endpoint"], mine["endpoint"]}
    login_as(client, user)
    client.post("/logout", data={"push_endpoint": mine["endpoint"]})
    assert [s.user_id for s in PushSubscription.select()] == [other.id]


def test_a_login_on_a_shared_phone_resumes_its_members_reminders_and_ends_anothers(
        client, push_endpoint):
    """The phone (one test client: one browser, its cookies) keeps its subscription when A's
    session ends without a logout: A logging in again takes it back, with nothing to turn on;
    B logging in there ends it, and B's notifications page offers to turn them on."""
    from webapp.db import utcnow
    from webapp.models import LoginSession

    first, second = make_user(), make_user()
    login_as(client, first)
    body = push_endpoint.subscription().to_json()
    assert client.post("/api/v1/push/subscriptions", json=body).status_code == 201
    assert 'data-on' in client.get("/account/notifications").get_data(as_text=True)
    LoginSession.update(ended_at=utcnow()).execute()  # expired, or ended elsewhere
    assert client.get("/account/notifications").status_code == 302  # the login form
    login_as(client, first)
    subscription = PushSubscription.get()
    assert subscription.login_session.user_id == first.id
    assert subscription.login_session.ended_at is None
    page = client.get("/account/notifications").get_data(as_text=True)
    assert 'data-on' in page and "cho tới khi anh/chị đăng nhập lại" not in page
    LoginSession.update(ended_at=utcnow()).execute()
    login_as(client, second)
    assert PushSubscription.select().count() == 0
    page = client.get("/account/notifications").get_data(as_text=True)
    assert 'data-on' not in page and "Chưa có thiết bị nào nhận thông báo." in page
    # B turns them on: the browser's subscription is B's now.
    assert client.post("/api/v1/push/subscriptions", json=body).status_code == 201
    assert [s.user_id for s in PushSubscription.select()] == [second.id]
    assert 'data-on' in client.get("/account/notifications").get_data(as_text=True)


def test_a_device_whose_session_ended_is_listed_as_getting_nothing(client, push_endpoint):
    from webapp.db import utcnow
    from webapp.models import LoginSession

    user = make_user()
    phone = client.application.test_client()
    login_as(phone, user)
    assert phone.post("/api/v1/push/subscriptions",
                      json=push_endpoint.subscription().to_json()).status_code == 201
    LoginSession.update(ended_at=utcnow()).execute()
    login_as(client, user)
    page = client.get("/account/notifications").get_data(as_text=True)
    assert "Không gửi thông báo tới máy này cho tới khi anh/chị đăng nhập lại" in page
    assert 'data-on' not in page  # this browser (the desk) has no subscription of its own
