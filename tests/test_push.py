import base64
import json
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from webapp import push
from webapp.invalid import Invalid
from webapp.models import PushSubscription

from .factories import make_user
from .push_endpoint import PushEndpoint, allow_local_push_service, push_endpoint  # noqa: F401


@pytest.fixture
def endpoint(push_endpoint):
    return push_endpoint


def subscribe(user, browser):
    return push.subscribe(user, browser.to_json(), "Mozilla/5.0 (Linux; Android 14) Chrome/130",
                          allow_local_http=True)


def test_key_pair_is_made_on_first_start_with_mode_600(app):
    path = push.key_path()
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    raw = base64.urlsafe_b64decode(push.public_key_b64() + "==")
    assert len(raw) == 65 and raw[0] == 4
    before = path.read_bytes()
    push.ensure_key(app.instance_path)  # a later start keeps it
    assert path.read_bytes() == before


def test_vapid_show_prints_the_public_key(runner):
    result = runner.invoke(args=["vapid", "show"])
    assert result.exit_code == 0
    assert result.output.strip() == push.public_key_b64()


def test_vapid_rotate_replaces_the_key_and_drops_subscriptions(runner, endpoint):
    user = make_user()
    subscribe(user, endpoint.subscription())
    old = push.public_key_b64()
    result = runner.invoke(args=["vapid", "rotate", "--yes"])
    assert result.exit_code == 0, result.output
    assert "1 push subscriptions were dropped" in result.output
    assert push.public_key_b64() != old
    assert result.output.strip().endswith(push.public_key_b64())
    assert PushSubscription.select().count() == 0
    assert stat.S_IMODE(push.key_path().stat().st_mode) == 0o600


def test_vapid_rotate_asks_first(runner, endpoint):
    old = push.public_key_b64()
    result = runner.invoke(args=["vapid", "rotate"], input="n\n")
    assert result.exit_code != 0
    assert "invalid" in result.output
    assert push.public_key_b64() == old


def test_send_encrypts_signs_and_sets_ttl_and_urgency(app, endpoint):
    user = make_user()
    browser = endpoint.subscription()
    subscription = subscribe(user, browser)
    payload = push.payload_json("Visit tomorrow", "TC-2026-001: a visit.", "/app/", "appointment-1")
    assert push.send(subscription, payload, ttl=3600, urgency="high") == push.SENT
    assert endpoint.problems == []
    [message] = endpoint.messages_for(browser)
    assert message.payload == json.loads(payload)
    assert message.headers["ttl"] == "3600"
    assert message.headers["urgency"] == "high"
    assert message.vapid_key == push.public_key_b64()
    assert message.claims["sub"] == app.config["VAPID_SUBJECT"]
    assert PushSubscription.get_by_id(subscription.id).last_success_at is not None


def test_each_message_gets_its_own_claims(app, endpoint):
    # pywebpush writes `aud` into the claims dict: a shared dict would carry the first push
    # service's audience to the second, which would refuse the message.
    other = PushEndpoint().start()
    try:
        user = make_user()
        first, second = endpoint.subscription(), other.subscription()
        for browser in (first, second):
            assert push.send(subscribe(user, browser), "{}") == push.SENT
        assert endpoint.problems == [] and other.problems == []
        assert endpoint.messages_for(first)[0].claims["aud"] == endpoint.origin
        assert other.messages_for(second)[0].claims["aud"] == other.origin
    finally:
        other.stop()
    assert push.vapid_claims() is not push.vapid_claims()


@pytest.mark.parametrize("status", [404, 410])
def test_gone_subscription_is_deleted(app, endpoint, status):
    subscription = subscribe(make_user(), endpoint.subscription(status))
    assert push.send(subscription, "{}") == push.GONE
    assert PushSubscription.get_or_none(PushSubscription.id == subscription.id) is None


@pytest.mark.parametrize("status, outcome", [(413, push.FAILED), (400, push.FAILED),
                                             (403, push.FAILED), (500, push.RETRY),
                                             (503, push.RETRY)])
def test_other_errors_keep_the_subscription(app, endpoint, status, outcome):
    subscription = subscribe(make_user(), endpoint.subscription(status))
    assert push.send(subscription, "{}") == outcome
    assert PushSubscription.get_or_none(PushSubscription.id == subscription.id) is not None


def test_429_stops_sending_to_that_push_service_until_retry_after(app, endpoint):
    user = make_user()
    limited = subscribe(user, endpoint.subscription((429, {"Retry-After": "120"})))
    same_service = subscribe(user, endpoint.subscription())
    assert push.send(limited, "{}") == push.RETRY
    assert push.backed_off(limited.endpoint)
    requests_before = endpoint.requests
    assert push.send(same_service, "{}") == push.BACKED_OFF
    assert endpoint.requests == requests_before  # nothing sent while waiting
    push.reset_backoff()
    assert push.send(same_service, "{}") == push.SENT


@pytest.mark.parametrize("header, expected", [("120", 120), ("", push.DEFAULT_RETRY_AFTER),
                                              (None, push.DEFAULT_RETRY_AFTER),
                                              ("Wed, 21 Oct 2015 07:28:00 GMT", 0),
                                              ("soon", push.DEFAULT_RETRY_AFTER)])
def test_retry_after_values(header, expected):
    assert push.retry_after_seconds(header) == expected


def test_a_timeout_is_a_retry(app, monkeypatch):
    allow_local_push_service(monkeypatch)
    slow = PushEndpoint(delay=1.0).start()
    app.config["PUSH_TIMEOUT_SECONDS"] = 0.2
    try:
        subscription = subscribe(make_user(), slow.subscription())
        assert push.send(subscription, "{}") == push.RETRY
    finally:
        slow.stop()


def test_unknown_urgency_is_refused(app, endpoint):
    subscription = subscribe(make_user(), endpoint.subscription())
    with pytest.raises(ValueError):
        push.send(subscription, "{}", urgency="urgent")


def _valid(endpoint_url="https://fcm.googleapis.com/fcm/send/abc"):
    public = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {"endpoint": endpoint_url, "expirationTime": None,
            "keys": {"p256dh": base64.urlsafe_b64encode(public).decode().rstrip("="),
                     "auth": base64.urlsafe_b64encode(bytes(16)).decode().rstrip("=")}}


@pytest.mark.parametrize("change, field", [
    (lambda s: s.update(endpoint="http://push.example.net/abc"), "endpoint"),
    (lambda s: s.update(endpoint="ftp://push.example.net/abc"), "endpoint"),
    (lambda s: s.update(endpoint=""), "endpoint"),
    (lambda s: s.update(endpoint="https://x/" + "a" * 2000), "endpoint"),
    (lambda s: s.pop("keys"), "keys"),
    (lambda s: s["keys"].update(p256dh="AAAA"), "keys.p256dh"),
    (lambda s: s["keys"].update(p256dh="not base64 !!"), "keys.p256dh"),
    (lambda s: s["keys"].update(auth="AAAA"), "keys.auth"),
    (lambda s: s["keys"].pop("auth"), "keys.auth"),
    (lambda s: s.update(expirationTime="tomorrow"), "expirationTime"),
])
def test_invalid_subscriptions_are_refused(app, change, field):
    subscription = _valid()
    change(subscription)
    with pytest.raises(Invalid) as error:
        push.validate_subscription(subscription)
    assert error.value.field == field


def test_local_http_endpoint_only_when_allowed(app, monkeypatch):
    allow_local_push_service(monkeypatch)
    local = _valid("http://127.0.0.1:9999/push/x")
    with pytest.raises(Invalid):
        push.validate_subscription(local)
    assert push.validate_subscription(local, allow_local_http=True)[0] == local["endpoint"]
    assert push.validate_subscription(_valid())[0] == "https://fcm.googleapis.com/fcm/send/abc"


def test_subscribing_again_moves_the_device_to_the_new_user(app, endpoint):
    browser = endpoint.subscription()
    first, second = make_user(), make_user()
    subscribe(first, browser)
    subscription = subscribe(second, browser)
    assert PushSubscription.select().count() == 1
    assert subscription.user_id == second.id
    assert subscription.device_label == "Android · Chrome"
    assert push.unsubscribe(first, browser.endpoint) is False
    assert push.unsubscribe(second, browser.endpoint) is True
