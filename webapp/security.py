"""HTTP hardening: security headers and a CSP without inline script (but the field app's shell's own,
named by its hash), no caching of pages with data, and no name in an address."""
import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app, redirect, request, url_for
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "worker-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
])


def csp_allowing(scripts=(), styles=()):
    """The pages' policy, also allowing the inline scripts and style sheets whose exact text is
    given (by their SHA-256: nothing else inline runs, an injected one included)."""
    digest = lambda text: "'sha256-" + base64.b64encode(  # noqa: E731
        hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"
    allowed = {"script-src 'self'": scripts, "style-src 'self'": styles}
    return "; ".join(" ".join([part, *map(digest, allowed.get(part, ()))])
                     for part in CSP.split("; "))


# An API answer, a script, a style sheet or an image is never shown as a document: the strictest
# policy is also the shortest (OWASP REST Security), and the headers only documents use are left
# out — a phone pays for the headers of every answer and revalidation on its own mobile data.
# (A worker's script is a document in this sense: the service worker's view sets CSP itself.)
SUBRESOURCE_CSP = "default-src 'none'; frame-ancestors 'none'"
SUBRESOURCE_TYPES = ("application/json", "text/javascript", "application/javascript", "text/css",
                     "image/png", "application/manifest+json")


def set_headers(response, app):
    headers = response.headers
    document = response.mimetype not in SUBRESOURCE_TYPES
    headers.setdefault("Content-Security-Policy", CSP if document else SUBRESOURCE_CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if document:
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if app.config.get("HSTS") and not app.debug and not app.testing:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if response.mimetype in ("text/html", "application/json") and "Cache-Control" not in headers:
        # Pages and API answers may hold personal data: never stored by the browser or a proxy.
        headers["Cache-Control"] = "no-store"
    return response


class DatabaseInteger(IntegerConverter):
    """`<int:…>` in an address, up to the largest id the database holds (64-bit signed): a larger
    number names no record, so it is a 404 like any other unknown id, never a 500."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2 ** 63 - 1)
        super().__init__(map, *args, **kwargs)


def init_app(app):
    app.url_map.converters["int"] = DatabaseInteger  # before the blueprints add their rules
    app.after_request(lambda response: set_headers(response, app))
    proxies = app.config.get("TRUSTED_PROXIES") or 0
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)


# --- Searching by name, with no name in the address -----------------------------------------------
# A search form posts the text; the page it lands on carries it sealed (encrypted and signed with
# the installation's secret key) as `s`, so that a victim's name never sits in the browser's
# history, a bookmark or a proxy's log, while back, reload and the pager still work.

SEARCH_MAX_AGE = 12 * 3600


def _search_box():
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"sotd search|" + secret).digest()))


def seal_search(text):
    return _search_box().encrypt(text.encode("utf-8")).decode("ascii")


def open_search(token):
    """The text sealed in `token`, or "" when there is none, it is not ours, or it is too old."""
    if not token:
        return ""
    try:
        return _search_box().decrypt(token.encode("ascii"), ttl=SEARCH_MAX_AGE).decode("utf-8")
    except (InvalidToken, UnicodeError, ValueError):
        return ""


def search_redirect(endpoint, keep=(), max_length=120):
    """For a search posted (or a `q` in the address): the same page, the text sealed as `s`,
    with the other fields named in `keep`."""
    values = request.form if request.method == "POST" else request.args
    args = {name: values.get(name) for name in keep if values.get(name)}
    text = (values.get("q") or "").strip()[:max_length]
    if text:
        args["s"] = seal_search(text)
    return redirect(url_for(endpoint, **args), 303)


def searched_text():
    """The text of the search this page shows (sealed in `s`)."""
    return open_search(request.args.get("s", ""))
