"""A push service on 127.0.0.1 for the tests: it holds the browser's half of each subscription,
decrypts every message it receives (aes128gcm) and checks its VAPID header, as a real one would."""
import base64
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from flask import current_app, has_app_context

from webapp.config import DEFAULTS
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Message:
    token: str
    headers: dict
    payload: dict
    claims: dict
    vapid_key: str


@dataclass
class Browser:
    """The browser's half of one subscription: its key pair and auth secret."""

    token: str
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes
    endpoint: str
    answers: list = field(default_factory=list)  # (status, headers) to answer next, in order

    def to_json(self):
        """What `PushSubscription.toJSON()` gives the page."""
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": self.endpoint, "expirationTime": None,
                "keys": {"p256dh": b64url(public), "auth": b64url(self.auth_secret)}}


class PushEndpoint:
    """Start with `PushEndpoint().start()`; `subscription()` makes a browser; `messages` holds what
    arrived and decrypted; `problems` what a real push service would have refused."""

    def __init__(self, delay=0.0):
        self.browsers = {}
        self.messages = []
        self.problems = []
        self.requests = 0
        self.delay = delay
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def subscription(self, *answers):
        """A new browser subscription; `answers` are statuses (or (status, headers)) to reply."""
        token = b64url(bytes(12) + len(self.browsers).to_bytes(4, "big"))
        browser = Browser(token=token, private_key=ec.generate_private_key(ec.SECP256R1()),
                          auth_secret=bytes(range(16)),
                          endpoint=f"{self.origin}/push/{token}",
                          answers=[a if isinstance(a, tuple) else (a, {}) for a in answers])
        self.browsers[token] = browser
        return browser

    def messages_for(self, browser):
        return [m for m in self.messages if m.token == browser.token]

    # -------------------------------------------------------------------------------------

    def _handler(self):
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if endpoint.delay:
                    time.sleep(endpoint.delay)
                status, headers = endpoint.receive(self.path, dict(self.headers), body)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

        return Handler

    def receive(self, path, headers, body):
        headers = {k.lower(): v for k, v in headers.items()}
        token = path.rsplit("/", 1)[-1]
        with self.lock:
            self.requests += 1
            browser = self.browsers.get(token)
            if browser is None:
                return 404, {}
            if browser.answers:
                status, extra = browser.answers.pop(0)
                if status >= 300:
                    return status, extra
        try:
            claims, key = self.check_vapid(headers.get("authorization", ""))
            if headers.get("content-encoding") != "aes128gcm":
                raise AssertionError("content-encoding is not aes128gcm")
            plain = http_ece.decrypt(body, private_key=browser.private_key,
                                     auth_secret=browser.auth_secret, version="aes128gcm")
            payload = json.loads(plain)
        except Exception as error:  # a real push service refuses what it cannot read
            with self.lock:
                self.problems.append(f"{type(error).__name__}: {error}")
            return 400, {}
        with self.lock:
            self.messages.append(Message(token, headers, payload, claims, key))
        return 201, {}

    def check_vapid(self, authorization):
        """Check `vapid t=<JWT>,k=<key>` (RFC 8292); returns (claims, key)."""
        scheme, _, params = authorization.partition(" ")
        if scheme.lower() != "vapid":
            raise AssertionError(f"authorization scheme {scheme!r}")
        parts = dict(p.strip().split("=", 1) for p in params.split(","))
        token, key = parts["t"], parts["k"]
        header_b64, claims_b64, signature_b64 = token.split(".")
        header = json.loads(unb64url(header_b64))
        if header.get("alg") != "ES256":
            raise AssertionError(f"JWT alg {header.get('alg')}")
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
        signature = unb64url(signature_b64)
        der = encode_dss_signature(int.from_bytes(signature[:32], "big"),
                                   int.from_bytes(signature[32:], "big"))
        try:
            public.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            raise AssertionError("VAPID signature does not verify") from None
        claims = json.loads(unb64url(claims_b64))
        if claims.get("aud") != self.origin:
            raise AssertionError(f"aud {claims.get('aud')!r} is not {self.origin!r}")
        now = time.time()
        if not now < claims.get("exp", 0) <= now + 24 * 3600:
            raise AssertionError("exp not within 24 hours")
        if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
            raise AssertionError("sub is not a mailto: or https: URL")
        return claims, key


LOCAL_PUSH_HOSTS = DEFAULTS["PUSH_SERVICE_HOSTS"] + ",127.0.0.1"


def allow_local_push_service(monkeypatch):
    """List 127.0.0.1 in PUSH_SERVICE_HOSTS, as an operator would for a push service of their own:
    for the app of this test (made before or after) and for servers it starts."""
    monkeypatch.setenv("SOTHEODOI_PUSH_SERVICE_HOSTS", LOCAL_PUSH_HOSTS)
    if has_app_context():
        current_app.config["PUSH_SERVICE_HOSTS"] = LOCAL_PUSH_HOSTS


@pytest.fixture
def push_endpoint(monkeypatch):
    """A local push service for one test; the push module's 429 back-off starts clean."""
    from webapp import push

    allow_local_push_service(monkeypatch)
    server = PushEndpoint().start()
    push.reset_backoff()
    yield server
    server.stop()
    push.reset_backoff()
