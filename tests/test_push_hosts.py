"""Push only to push services (issue 15, finding 4): a subscription's endpoint must be https:// on a
host of PUSH_SERVICE_HOSTS, never an IP literal or a name leading to a private, loopback or
link-local address unless the operator lists it; the sender checks again before each post."""
import socket

import pytest
from flask_babel import force_locale

from webapp import push
from webapp.invalid import Invalid
from webapp.models import PushSubscription

from .conftest import make_test_app
from .factories import login_as, make_user
from .push_endpoint import push_endpoint  # noqa: F401 (fixture)
from .test_push import _valid

PUBLIC = {"142.250.66.10"}


def english(message):
    with force_locale("en"):
        return str(message)


@pytest.fixture
def dns(monkeypatch):
    """What each name resolves to: there is no DNS here, and tests must not depend on one."""
    answers = {}

    def resolve(host, port):
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return answers[host]

    monkeypatch.setattr(push, "resolve", resolve)
    return answers


@pytest.mark.parametrize("url", [
    "https://fcm.googleapis.com/fcm/send/abc:APA91b",
    "https://android.googleapis.com/gcm/send/abc",
    "https://updates.push.services.mozilla.com/wpush/v2/gAAAA",
    "https://web.push.apple.com/QGcVQ",
    "https://wns2-par02p.notify.windows.com/w/?token=BQYAAA",
    "https://FCM.googleapis.com./fcm/send/abc",
])
def test_the_push_services_of_the_four_browsers_are_accepted(app, dns, url):
    dns[url.split("/")[2].lower().rstrip(".")] = PUBLIC
    assert push.validate_subscription(_valid(url))[0] == url


@pytest.mark.parametrize("url, says", [
    ("https://127.0.0.1:8443/push/x", "IP address"),
    ("https://169.254.169.254/latest/meta-data/", "IP address"),
    ("https://10.0.0.5/push", "IP address"),
    ("https://[::1]/push", "IP address"),
    ("https://[::ffff:127.0.0.1]/push", "IP address"),
    ("https://push.example.net/abc", "known push service"),
    ("https://fcm.googleapis.com.evil.example/abc", "known push service"),
    ("https://evilfcm.googleapis.com/abc", "known push service"),
    ("https://notify.windows.com/abc", "known push service"),
    ("https://localhost/abc", "known push service"),
    ("https://fcm.googleapis.com@127.0.0.1/abc", "not a push service"),
    ("https://user@fcm.googleapis.com/abc", "not a push service"),
    ("https://fcm.googleapis.com\\@10.0.0.1/abc", "not a push service"),
    ("http://fcm.googleapis.com/fcm/send/abc", "https://"),
])
def test_other_hosts_and_ip_literals_are_refused(app, dns, url, says):
    dns["fcm.googleapis.com"] = PUBLIC
    with pytest.raises(Invalid) as refused:
        push.validate_subscription(_valid(url))
    assert refused.value.field == "endpoint"
    assert says in english(refused.value.errors["endpoint"])


@pytest.mark.parametrize("addresses", [{"127.0.0.1"}, {"10.1.2.3"}, {"169.254.169.254"},
                                       {"192.168.1.1", "142.250.66.10"}, {"::1"}, {"fe80::1"},
                                       {"::ffff:10.0.0.1"}, {"100.64.0.1"}])
def test_a_push_service_name_leading_to_a_private_address_is_refused(app, dns, addresses):
    dns["fcm.googleapis.com"] = addresses
    with pytest.raises(Invalid) as refused:
        push.validate_subscription(_valid())
    assert "private or local" in english(refused.value.errors["endpoint"])


def test_the_operator_may_list_a_host_and_its_private_address(app, dns):
    app.config["PUSH_SERVICE_HOSTS"] = "push.intranet.example, 10.1.2.3, *.push.example.org"
    dns["push.intranet.example"] = {"10.1.2.3"}
    dns["a.push.example.org"] = PUBLIC
    assert push.validate_subscription(_valid("https://push.intranet.example/x"))
    assert push.validate_subscription(_valid("https://a.push.example.org/x"))
    assert push.validate_subscription(_valid("https://10.1.2.3/x"))
    # What the operator listed replaces the defaults.
    with pytest.raises(Invalid):
        push.validate_subscription(_valid())
    dns["push.intranet.example"] = {"10.1.2.4"}
    with pytest.raises(Invalid):
        push.validate_subscription(_valid("https://push.intranet.example/x"))


def test_a_listed_name_that_does_not_resolve_now_is_not_refused_for_that(app, dns):
    assert push.validate_subscription(_valid())  # offline server: fcm.googleapis.com unknown


def test_the_setting_comes_from_the_environment(app_config, tmp_path, monkeypatch, dns):
    monkeypatch.setenv("SOTHEODOI_PUSH_SERVICE_HOSTS", "push.example.net,*.push.example.org")
    application = make_test_app(app_config, tmp_path, monkeypatch)
    with application.app_context():
        assert push.service_hosts() == ["push.example.net", "*.push.example.org"]
        assert push.validate_subscription(_valid("https://push.example.net/abc"))
        with pytest.raises(Invalid):
            push.validate_subscription(_valid())


def test_the_api_refuses_an_internal_endpoint_with_a_clear_message(client, dns):
    login_as(client, make_user())
    response = client.post("/api/v1/push/subscriptions",
                           json=_valid("https://169.254.169.254/latest/meta-data/"))
    assert response.status_code == 400
    assert response.get_json()["field"] == "endpoint"
    assert response.get_json()["message"] == ("Địa chỉ nhận thông báo phải là của một dịch vụ "
                                              "thông báo đẩy, không phải một địa chỉ IP.")
    assert PushSubscription.select().count() == 0


def test_the_sender_checks_again_against_what_the_name_resolves_to_then(app, dns, monkeypatch):
    dns["fcm.googleapis.com"] = PUBLIC
    subscription = push.subscribe(make_user(), _valid(), "")
    posts = []
    monkeypatch.setattr(push, "webpush", lambda **kwargs: posts.append(kwargs))
    assert push.send(subscription, "{}") == push.SENT and len(posts) == 1
    dns["fcm.googleapis.com"] = {"127.0.0.1"}  # the name now leads inside
    assert push.send(subscription, "{}") == push.FAILED
    del dns["fcm.googleapis.com"]  # or nowhere
    assert push.send(subscription, "{}") == push.FAILED
    assert len(posts) == 1
    assert PushSubscription.select().count() == 1  # kept: a 404 from inside tells nothing


def test_the_sender_checks_again_against_todays_setting(app, push_endpoint):
    subscription = push.subscribe(make_user(), push_endpoint.subscription().to_json(), "",
                                  allow_local_http=True)
    assert push.send(subscription, "{}") == push.SENT
    app.config["PUSH_SERVICE_HOSTS"] = "fcm.googleapis.com"
    assert push.send(subscription, "{}") == push.FAILED
    assert push_endpoint.requests == 1


def test_a_redirect_from_a_push_service_is_not_followed(app, push_endpoint):
    target = push_endpoint.subscription()
    browser = push_endpoint.subscription((307, {"Location": target.endpoint}))
    subscription = push.subscribe(make_user(), browser.to_json(), "", allow_local_http=True)
    assert push.send(subscription, "{}") == push.RETRY
    assert push_endpoint.requests == 1 and push_endpoint.messages == []


def test_a_name_that_leads_inside_only_when_the_post_connects_is_refused(app, dns, push_endpoint):
    # DNS rebinding: the check sees a public address, the post's own lookup an inner one. The
    # connection checks the address it reached, so nothing is sent there.
    app.config["PUSH_SERVICE_HOSTS"] = "localhost"
    browser = push_endpoint.subscription()
    payload = browser.to_json()
    payload["endpoint"] = payload["endpoint"].replace("127.0.0.1", "localhost")
    dns["localhost"] = PUBLIC  # what check_endpoint is told; the post resolves it to 127.0.0.1
    subscription = push.subscribe(make_user(), payload, "", allow_local_http=True)
    assert push.send(subscription, "{}") == push.RETRY
    assert push_endpoint.requests == 0 and push_endpoint.messages == []
    app.config["PUSH_SERVICE_HOSTS"] = "localhost,127.0.0.1"  # the operator lists it: it goes out
    push.send(subscription, "{}")  # (the local service refuses its VAPID audience, "localhost")
    assert push_endpoint.requests == 1
