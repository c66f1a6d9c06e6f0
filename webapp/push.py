"""Web Push: the installation's VAPID key pair, subscriptions, and sending one message safely.

What is sent and when is `webapp/reminders.py`; this module only knows how to deliver a payload to
one browser subscription and what each answer of a push service means.
"""
import base64
import ipaddress
import json
import logging
import os
import socket
import threading
import time
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

import click
import requests
import urllib3
from cryptography.hazmat.primitives import serialization
from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from . import accounts
from .db import database, utcnow
from .invalid import Invalid
from .models import LoginSession, PushSubscription

log = logging.getLogger(__name__)

KEY_FILE = "vapid_private.pem"
DEFAULT_TTL = 24 * 3600  # a phone offline for a day still gets yesterday's reminder
URGENCIES = ("very-low", "low", "normal", "high")
DEFAULT_RETRY_AFTER = 60  # seconds, when a 429 names no Retry-After


# ---------------------------------------------------------------------------------------------
# The VAPID key pair of this installation


def key_path(instance_path=None):
    return Path(instance_path or current_app.instance_path) / KEY_FILE


def _write_private(path, pem):
    """Write the key with mode 600, atomically: a crash never leaves half a key."""
    tmp = path.with_suffix(".tmp")
    if tmp.exists():
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def ensure_key(instance_path):
    """Make the installation's key pair on first start; later starts keep it."""
    path = key_path(instance_path)
    if not path.exists():
        vapid = Vapid()
        vapid.generate_keys()
        _write_private(path, vapid.private_pem())
    return path


def load_key(instance_path=None):
    return Vapid.from_pem(key_path(instance_path).read_bytes())


def public_key_b64(vapid=None):
    """The public key as the page's `applicationServerKey`: base64url of the uncompressed point."""
    vapid = vapid or load_key()
    raw = vapid.public_key.public_bytes(serialization.Encoding.X962,
                                        serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def rotate_key(instance_path=None):
    """Replace the key pair. Every subscription was made for the old key and can no longer be
    reached, so they are deleted; returns how many."""
    vapid = Vapid()
    vapid.generate_keys()
    with database.atomic():
        dropped = PushSubscription.delete().execute()
        _write_private(key_path(instance_path), vapid.private_pem())
    return dropped


# ---------------------------------------------------------------------------------------------
# Subscriptions as the browser sends them


def _b64url_bytes(value):
    if not isinstance(value, str) or not value:
        return None
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (ValueError, TypeError):
        return None


# The server posts only to push services: a subscription names the address the reminders go to,
# and a member must not be able to point the server at its own network (127.0.0.1, 169.254.169.254,
# an intranet) and learn from the answer what is there.

def service_hosts():
    """The PUSH_SERVICE_HOSTS setting as a list of lower-case names, `*.suffix` patterns and IPs."""
    value = current_app.config["PUSH_SERVICE_HOSTS"]
    entries = value.split(",") if isinstance(value, str) else value
    return [entry.strip().lower().rstrip(".") for entry in entries if entry.strip()]


def _listed(host, entries):
    return any(host == entry or (entry.startswith("*.") and host.endswith(entry[1:]))
               for entry in entries)


def _ip(text):
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    return getattr(address, "ipv4_mapped", None) or address


def _address_allowed(text, entries):
    """Whether the server may post to the address `text`: a public one, or one listed itself."""
    address = _ip(text.split("%", 1)[0])
    return address is not None and (address.is_global or str(address) in entries)


def resolve(host, port):
    """The addresses `host` resolves to now (tests replace this: there is no DNS here)."""
    return {info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)}


def check_endpoint(endpoint, allow_local_http=False, must_resolve=False):
    """Raise Invalid unless `endpoint` is an https:// address on a push service host of
    PUSH_SERVICE_HOSTS whose addresses are public, or listed themselves.

    A name that does not resolve now (the server may be offline) is refused only if
    `must_resolve`: the sender checks again, against the addresses of the moment, before each post.
    """
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > 2000:
        raise Invalid(_l("The endpoint is missing or too long."), field="endpoint")
    parts = urlsplit(endpoint)
    try:
        host, port = (parts.hostname or "").rstrip("."), parts.port
    except ValueError:
        host, port = "", None
    entries = service_hosts()
    local = (parts.scheme == "http" and host in ("127.0.0.1", "localhost") and allow_local_http)
    if not host or not (parts.scheme == "https" or local):
        raise Invalid(_l("The endpoint must be an https:// address."), field="endpoint")
    if "@" in parts.netloc or "\\" in endpoint or any(ord(c) <= 32 for c in endpoint):
        raise Invalid(_l("The endpoint is not a push service's address."), field="endpoint")
    literal = _ip(host)
    if literal is not None:
        if str(literal) not in entries:
            raise Invalid(_l("The endpoint must name a push service, not an IP address."),
                          field="endpoint")
        return endpoint
    if not _listed(host, entries):
        raise Invalid(_l("The endpoint is not on a known push service (Google, Mozilla, Apple "
                         "or Microsoft)."), field="endpoint")
    try:
        addresses = resolve(host, port or (443 if parts.scheme == "https" else 80))
    except (OSError, UnicodeError):
        if must_resolve:
            raise Invalid(_l("The push service cannot be reached now."), field="endpoint")
        return endpoint
    if not all(_address_allowed(text, entries) for text in addresses):
        raise Invalid(_l("The push service's name leads to a private or local address."),
                          field="endpoint")
    return endpoint


def validate_subscription(payload, allow_local_http=False):
    """Check `PushSubscription.toJSON()`; returns (endpoint, p256dh, auth) or raises
    Invalid."""
    if not isinstance(payload, dict):
        raise Invalid(_l("Send the subscription as a JSON object."))
    endpoint = check_endpoint(payload.get("endpoint"), allow_local_http)
    keys = payload.get("keys")
    if not isinstance(keys, dict):
        raise Invalid(_l("The subscription keys are missing."), field="keys")
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    raw = _b64url_bytes(p256dh)
    if raw is None or len(raw) != 65 or raw[0] != 4:
        raise Invalid(_l("The p256dh key must be a 65-byte P-256 point."), field="keys.p256dh")
    raw = _b64url_bytes(auth)
    if raw is None or len(raw) != 16:
        raise Invalid(_l("The auth secret must be 16 bytes."), field="keys.auth")
    expiration = payload.get("expirationTime")
    if expiration is not None and not isinstance(expiration, (int, float)):
        raise Invalid(_l("The expiration time must be a number or null."), field="expirationTime")
    return endpoint, p256dh, auth


def device_label(user_agent):
    """A short name for the device, from its User-Agent, to tell one's devices apart."""
    ua = user_agent or ""
    for needle, name in (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"),
                         ("Windows", "Windows"), ("Macintosh", "Mac"), ("Linux", "Linux")):
        if needle in ua:
            platform = name
            break
    else:
        platform = ""
    for needle, name in (("Edg/", "Edge"), ("SamsungBrowser", "Samsung Internet"),
                         ("Firefox/", "Firefox"), ("CriOS", "Chrome"), ("Chrome/", "Chrome"),
                         ("Safari/", "Safari")):
        if needle in ua:
            browser = name
            break
    else:
        browser = ""
    return " · ".join(p for p in (platform, browser) if p)[:120]


# A browser's subscription is of one account, and is sent to only while the session that
# registered it lasts (`while_logged_in`): on a phone members share, a member's reminders stop
# when their session there ends — a logout, a new password, a deactivation, its 30 days, or
# opening the app after a week unused (not the week itself: nobody else has logged in) — and none
# of theirs comes to whoever logs in on it next. The browser keeps its subscription, and a cookie
# naming it (BROWSER_COOKIE): its member logging in there again gets their reminders again with
# nothing to turn on (`logged_in`); another account logging in there ends the first one's.

BROWSER_COOKIE = "sotd_push"
BROWSER_COOKIE_DAYS = 400  # the longest a browser keeps a cookie: it outlives every session
RESUMED, DROPPED = "resumed", "dropped"


def _signer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="sotd push browser")


def browser_cookie(subscription):
    """The cookie value that names `subscription` in the browser that made it."""
    return _signer().dumps(subscription.id)


def of_browser(cookie):
    """The subscription a browser's cookie names, or None (none, forged, or gone since)."""
    if not cookie:
        return None
    try:
        subscription_id = _signer().loads(cookie)
    except BadSignature:
        return None
    return (PushSubscription.get_or_none(PushSubscription.id == subscription_id)
            if isinstance(subscription_id, int) else None)


def set_browser_cookie(response, subscription):
    response.set_cookie(BROWSER_COOKIE, browser_cookie(subscription),
                        max_age=BROWSER_COOKIE_DAYS * 86400, httponly=True, samesite="Strict",
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


def logged_in(user, cookie):
    """`user` has just logged in (accounts.start_session) on the browser of `cookie`: its
    subscription follows the new session if it is theirs (RESUMED), and goes if it is another
    account's (DROPPED). None when the browser names no subscription."""
    subscription = of_browser(cookie)
    if subscription is None:
        return None
    with database.atomic():
        if subscription.user_id != user.id:
            PushSubscription.delete().where(PushSubscription.id == subscription.id).execute()
            return DROPPED
        (PushSubscription.update(login_session=user.session_id)
         .where(PushSubscription.id == subscription.id).execute())
    return RESUMED


def while_logged_in(query):
    """`query` of subscriptions narrowed to those whose session lasts: the only ones sent to."""
    return (query.join(LoginSession, on=(PushSubscription.login_session == LoginSession.id))
            .where(accounts.session_lasts(idle_ends=False)))


def for_this_browser(user, cookie):
    """Whether this browser's subscription (its cookie) is `user`'s, in the session of now."""
    subscription = of_browser(cookie)
    return bool(subscription and subscription.user_id == user.id and user.session_id is not None
                and subscription.login_session_id == user.session_id)


def subscribe(user, payload, user_agent="", allow_local_http=False):
    """Store (or move to `user`) the subscription, bound to `user`'s session of now (the
    session they were loaded with); returns it."""
    endpoint, p256dh, auth = validate_subscription(payload, allow_local_http)
    session = user.session_id
    with database.atomic():
        subscription = PushSubscription.get_or_none(PushSubscription.endpoint == endpoint)
        if subscription is None:
            subscription = PushSubscription.create(user=user, login_session=session,
                                                   endpoint=endpoint, p256dh=p256dh,
                                                   auth=auth, device_label=device_label(user_agent))
        else:
            # The same browser, subscribed again (or by another user who logged in on it):
            # the newest owner, session and keys win, and it counts as new for "sent since".
            subscription.user = user
            subscription.login_session = session
            subscription.p256dh, subscription.auth = p256dh, auth
            subscription.device_label = device_label(user_agent)
            subscription.created_at = utcnow()
            subscription.save()
    return subscription


def unsubscribe(user, endpoint):
    """Delete `user`'s subscription with that endpoint; returns whether there was one."""
    with database.atomic():
        return bool(PushSubscription.delete()
                    .where(PushSubscription.user == user, PushSubscription.endpoint == endpoint)
                    .execute())


# ---------------------------------------------------------------------------------------------
# Sending

SENT, GONE, RETRY, FAILED, BACKED_OFF = "sent", "gone", "retry", "failed", "backed_off"

_backoff = {}  # push service origin -> monotonic time before which nothing is sent to it
_backoff_lock = threading.Lock()


def origin_of(endpoint):
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


def backed_off(endpoint, now=None):
    """Whether the push service of `endpoint` asked us (429) to wait and the wait is not over."""
    with _backoff_lock:
        until = _backoff.get(origin_of(endpoint))
    return until is not None and (now if now is not None else time.monotonic()) < until


def reset_backoff():
    with _backoff_lock:
        _backoff.clear()


def retry_after_seconds(value):
    """Retry-After as seconds: a number of seconds, or an HTTP date."""
    if not value:
        return DEFAULT_RETRY_AFTER
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0, int((when - datetime.now(timezone.utc)).total_seconds()))


def _back_off(endpoint, seconds):
    with _backoff_lock:
        _backoff[origin_of(endpoint)] = time.monotonic() + seconds


def vapid_claims():
    """A fresh claims dict for each message: pywebpush writes `aud` and `exp` into the one it gets."""
    return {"sub": current_app.config["VAPID_SUBJECT"],
            "exp": int(time.time()) + 12 * 3600}


def payload_json(title, body, url, tag=None):
    """The message a notification shows: never a name, a case code or any personal detail
    (lock screens)."""
    data = {"title": title, "body": body, "url": url}
    if tag:
        data["tag"] = tag
    return json.dumps(data, ensure_ascii=False)


class _CheckedPeer:
    """A connection that checks the address it actually reached, not only the one the name led to
    a moment before: a name that resolves to a public address for the check and to an inner one
    for the post (DNS rebinding) is refused before anything is sent."""

    entries = ()

    def _new_conn(self):
        sock = super()._new_conn()
        if not _address_allowed(sock.getpeername()[0], self.entries):
            sock.close()
            raise urllib3.exceptions.NewConnectionError(
                self, "the push service's name led to a private or local address")
        return sock


class _PushServicesOnly(requests.adapters.HTTPAdapter):
    """Connections only to the addresses a push service may have (see check_endpoint)."""

    def __init__(self, entries):
        self.entries = tuple(entries)
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        pools = {}
        for scheme, pool in self.poolmanager.pool_classes_by_scheme.items():
            connection = type("Checked" + pool.ConnectionCls.__name__,
                              (_CheckedPeer, pool.ConnectionCls), {"entries": self.entries})
            pools[scheme] = type("Checked" + pool.__name__, (pool,), {"ConnectionCls": connection})
        self.poolmanager.pool_classes_by_scheme = pools


def new_session():
    """The HTTP session messages go out on: it follows no redirect (a push service answers, it
    never sends the server on elsewhere), and connects only to a public address or one listed in
    PUSH_SERVICE_HOSTS."""
    session = requests.Session()
    session.max_redirects = 0
    adapter = _PushServicesOnly(service_hosts())
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def send(subscription, payload, *, ttl=DEFAULT_TTL, urgency="normal", vapid=None, session=None):
    """Send one payload to one subscription; returns SENT, GONE, RETRY, FAILED or BACKED_OFF.

    Never raises for a push service's answer: one bad subscription must not stop the others.
    Logs carry the subscription id and status only.
    """
    if urgency not in URGENCIES:
        raise ValueError(f"urgency must be one of {URGENCIES}")
    if backed_off(subscription.endpoint):
        return BACKED_OFF
    config = current_app.config
    try:
        # Again before each post, against what the name resolves to now and today's setting.
        check_endpoint(subscription.endpoint, current_app.testing or current_app.debug,
                       must_resolve=True)
    except Invalid as refused:
        log.warning("push to subscription %s not sent: %s", subscription.id, refused.message)
        return FAILED
    session = session or new_session()
    try:
        webpush(
            subscription_info={"endpoint": subscription.endpoint,
                               "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}},
            data=payload,
            vapid_private_key=vapid or load_key(),
            vapid_claims=vapid_claims(),
            ttl=ttl,
            headers={"Urgency": urgency},
            timeout=config["PUSH_TIMEOUT_SECONDS"],
            requests_session=session,
        )
    except WebPushException as error:
        return _failed(subscription, error.response)
    except requests.RequestException as error:
        log.warning("push to subscription %s failed: %s", subscription.id, type(error).__name__)
        return RETRY
    with database.atomic():
        (PushSubscription.update(last_success_at=utcnow())
         .where(PushSubscription.id == subscription.id).execute())
    return SENT


def _failed(subscription, response):
    status = getattr(response, "status_code", None)
    if status in (404, 410):
        # The browser unsubscribed or the subscription expired: it will never work again.
        with database.atomic():
            PushSubscription.delete().where(PushSubscription.id == subscription.id).execute()
        log.info("push subscription %s is gone (%s): deleted", subscription.id, status)
        return GONE
    if status == 429:
        seconds = retry_after_seconds(response.headers.get("Retry-After"))
        _back_off(subscription.endpoint, seconds)
        log.warning("push service %s asks to wait %s s (429)", origin_of(subscription.endpoint),
                    seconds)
        return RETRY
    if status is None or status >= 500:
        log.warning("push to subscription %s failed with %s: will retry", subscription.id, status)
        return RETRY
    # 400, 401, 403 (wrong VAPID key), 413 (payload too large): retrying the same message
    # would fail the same way, but the subscription may work for other messages.
    log.error("push to subscription %s refused with %s", subscription.id, status)
    return FAILED


# ---------------------------------------------------------------------------------------------
# Commands

@click.group("vapid", help="The installation's Web Push (VAPID) key pair.")
def vapid_cli():
    pass


@vapid_cli.command("show")
def show_command():
    """Print the public key (the page's applicationServerKey, base64url)."""
    click.echo(public_key_b64())


@vapid_cli.command("rotate")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def rotate_command(yes):
    """Replace the key pair; every device must turn notifications on again."""
    count = PushSubscription.select().count()
    if not yes:
        click.confirm(f"Replacing the key makes all {count} push subscriptions invalid: they will "
                      "be deleted and each device must turn notifications on again. Go on?",
                      abort=True)
    dropped = rotate_key()
    click.echo(f"New VAPID key made. {dropped} push subscriptions were dropped; each user must "
               "turn notifications on again in their account.")
    click.echo(public_key_b64())


def init_app(app):
    ensure_key(app.instance_path)
    app.cli.add_command(vapid_cli)
