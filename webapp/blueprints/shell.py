"""The field app: the app-shell page, its service worker, its manifest and the offline page."""
import gzip

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from .. import security, shell
from ..permissions import LOGGED_IN, PUBLIC, access

bp = Blueprint("shell", __name__)


@bp.route("/app/")
@access(LOGGED_IN)  # holds no data; a former member's phone opens it to hand in what waits
def app():
    """The app shell: the same page for everyone, filled on the phone from IndexedDB."""
    inline = shell.inline()
    page = render_template("shell/app.html", strings=shell.ui_strings(), version=shell.version(),
                           inline=inline)
    response = Response(page, mimetype="text/html")
    response.headers["Content-Security-Policy"] = inline.csp
    return _revalidated(response)


@bp.route("/app/offline")
@access(PUBLIC)
def offline():
    """What the service worker shows for a desk page when there is no network."""
    return render_template("shell/offline.html")


@bp.route("/sw.js")
@access(PUBLIC)
def service_worker():
    """The service worker at the root scope, with its version and precache list filled in."""
    source = (shell.STATIC / "sw.js").read_text(encoding="utf-8")
    source = (source
              .replace('"__VERSION__"', f'"{shell.version()}"')
              .replace('["__PRECACHE__"]', _js_list(shell.precache_urls()))
              .replace('["__IMPORTS__"]', _js_list(shell.optional_worker_scripts())))
    response = Response(shell.minify("sw.js", source), mimetype="text/javascript")
    response.same_for_everyone = True
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Content-Security-Policy"] = security.CSP  # the worker's own policy
    return response


@bp.route("/manifest.webmanifest")
@access(PUBLIC)
def manifest():
    """The web app manifest, so that the phone can install the book like an app."""
    response = jsonify(shell.manifest())
    response.mimetype = "application/manifest+json"
    response.same_for_everyone = True
    return _revalidated(response)


@bp.record_once
def _serve_static_minified(state):
    state.app.view_functions["static"] = static_file
    state.app.session_interface = shell.SessionInterface()


def static_file(filename):
    """A static file (Flask's own view), its scripts and style sheets minified."""
    body = shell.minified(filename)
    if body is None:
        response = current_app.send_static_file(filename)
        _read_and_close(response)
    else:
        mimetype = "text/javascript" if filename.endswith(".js") else "text/css"
        response = Response(body, mimetype=mimetype)
        response.headers["Cache-Control"] = "no-cache"  # as Flask sends static files
        response.add_etag()
        response = response.make_conditional(request)
    response.same_for_everyone = True
    return response


def _read_and_close(response):
    """Read a static file's body now and close the file: werkzeug's server skips closing an
    answer whose client dropped the connection (a page left while its icon loads), and the file
    would stay open until the garbage collector finds it. The files are small."""
    wrapped = response.response
    if not hasattr(wrapped, "close"):
        return
    if response.status_code == 200:
        response.direct_passthrough = False
        response.make_sequence()
    wrapped.close()


def _revalidated(response):
    """A page or file without personal data or token, fetched by the page and again by the
    service worker (and the browser, for the manifest): kept, and revalidated for a 304."""
    response.headers["Cache-Control"] = "private, no-cache"
    response.add_etag()
    return response.make_conditional(request)


def _js_list(items):
    return current_app.json.dumps(list(items))


@bp.after_app_request
def compress(response):
    """Gzip the shell and its static files (they hold no secret, so compression leaks nothing)."""
    if (response.status_code != 200 or "Content-Encoding" in response.headers
            or not shell.compressible(request.path, response.mimetype)
            or "gzip" not in request.headers.get("Accept-Encoding", "")):
        return response
    response.direct_passthrough = False
    body = response.get_data()
    if len(body) < 512:
        return response
    response.set_data(gzip.compress(body, compresslevel=6, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    etag, weak = response.get_etag()
    if etag:
        response.set_etag(etag, weak=True)  # same content, another encoding
    return response
