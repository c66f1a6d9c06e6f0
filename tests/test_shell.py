"""The field app's shell, service worker and manifest, as the server serves them."""
import base64
import gzip
import hashlib
import json
import re
import subprocess

from webapp import shell

from .factories import login_as, make_case, make_user


def test_member_lands_on_the_field_app_and_chair_keeps_the_desk(client):
    member = make_user(role="member")
    login_as(client, member)
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/app/")
    client.post("/logout")
    chair = make_user(role="chair")
    login_as(client, chair)
    assert client.get("/").status_code == 200
    assert 'href="/app/"' in client.get("/").get_data(as_text=True)


def test_shell_holds_no_personal_data_and_embeds_the_strings(client):
    member = make_user(role="member", full_name="Phạm Thị Riêng")
    case = make_case(created_by=member, full_name="Hoàng Văn Kín")
    login_as(client, member)
    answer = client.get("/app/")
    page = answer.get_data(as_text=True)
    token = client.get("/api/v1/csrf").get_json()["csrf_token"]
    for secret in (member.full_name, member.login, case.full_name, case.club.name, token):
        assert secret not in page
    assert 'name="csrf_token" value=' not in page  # (the bundle's logout form is filled on the phone)
    strings = json.loads(re.search(r'id="ui-strings">(.*?)</script>', page, re.S).group(1))
    assert strings["outbox"] == "Chờ gửi"
    assert 'rel="manifest"' in page
    assert "<script>" not in page  # CSP: no inline script that executes


def test_the_shell_holds_its_style_and_bundled_script_inline_allowed_by_their_hash_alone(client):
    """Nothing to ask for before Today but core.js and app.css (issue 17); the CSP allows the
    exact inline text and nothing else, so an injected script still does not run."""
    login_as(client, make_user(role="member"))
    answer = client.get("/app/")
    page = answer.get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    inline = [body for attrs, body in scripts if "src=" not in attrs and "json" not in attrs]
    styles = re.findall(r"<style>(.*?)</style>", page, re.S)
    assert len(inline) == 1 and len(styles) == 1
    assert inline[0] == (shell.BUNDLE).read_text(encoding="utf-8").strip()
    assert ".bottomnav" in styles[0]
    assert not re.search(r'<link rel="modulepreload"|src="/static/js/(?!core\.js)', page)
    policy = dict(part.split(" ", 1) for part in answer.headers["Content-Security-Policy"].split("; "))
    digest = lambda text: "'sha256-%s'" % base64.b64encode(  # noqa: E731
        hashlib.sha256(text.encode()).digest()).decode()
    assert policy["script-src"] == f"'self' {digest(inline[0])}"
    assert policy["style-src"] == f"'self' {digest(styles[0])}"
    assert policy["object-src"] == "'none'" and policy["base-uri"] == "'none'"
    # Other pages keep the policy without any inline script.
    assert client.get("/app/offline").headers["Content-Security-Policy"].count("sha256") == 0


def test_shell_needs_a_login_and_gives_others_nothing_to_read(client):
    assert client.get("/app/").status_code == 302
    # A member whose role changed still opens the field app, to hand in what waits (issue 13).
    login_as(client, make_user(role="supervisor"))
    assert client.get("/app/").status_code == 200
    working = client.get("/api/v1/bootstrap").get_json()
    assert working["user"]["hand_in_only"] is True and working["cases"] == []


def test_service_worker_precaches_the_versioned_shell_only(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    source = response.get_data(as_text=True)
    version = re.search(r'const VERSION\s*=\s*"([0-9a-f]{12})"', source).group(1)
    precache = json.loads(re.search(r"const PRECACHE\s*=\s*(\[.*?\]);", source).group(1))
    assert "/app/" in precache and "/static/js/core.js" in precache
    assert not [url for url in precache if url.endswith(("app.js", "views.js", "field.css"))]
    assert not [url for url in precache if url.startswith("/api/") or url.startswith("/desk")]
    with client.application.test_request_context():
        assert version == shell.version()
    for url in precache:
        if url != "/app/":
            with client.get(url) as answer:
                assert answer.status_code == 200, url


def test_manifest_makes_the_app_installable(client):
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    manifest = response.get_json()
    assert manifest["start_url"] == "/app/" and manifest["display"] == "standalone"
    assert manifest["lang"] == "vi" and "Sổ Theo Dõi" in manifest["short_name"]
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        with client.get(icon["src"]) as answer:
            body = answer.data
        assert body[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = int.from_bytes(body[16:20], "big"), int.from_bytes(body[20:24], "big")
        assert f"{width}x{height}" == icon["sizes"]


def test_static_text_is_served_gzipped_and_revalidates(client):
    with client.get("/static/js/core.js", headers={"Accept-Encoding": "gzip"}) as answer:
        assert answer.headers["Content-Encoding"] == "gzip"
        assert b"self.sotd" in gzip.decompress(answer.data)
        etag = answer.headers["ETag"]
    with client.get("/static/js/core.js", headers={"Accept-Encoding": "gzip",
                                                   "If-None-Match": etag}) as again:
        assert again.status_code == 304
    with client.get("/static/js/core.js") as plain:
        assert "Content-Encoding" not in plain.headers
    login = client.get("/login", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in login.headers  # pages with a token are never compressed


def test_scripts_and_style_sheets_are_served_minified_and_other_files_as_they_are(client):
    for name, kept in (("js/core.js", b"self.sotd"), ("css/app.css", b".button")):
        source = (shell.STATIC / name).read_bytes()
        with client.get(f"/static/{name}") as answer:
            served = answer.data
        assert kept in served and len(served) < len(source) * 0.85, name
        assert b"/*" not in served and b"\n  " not in served, name  # no comment, no indent
    # Strings and template literals are kept as written: only code is squeezed.
    with client.get("/static/js/views.js") as answer:
        assert "`${c.full_name} · ${c.code}`".encode() in answer.data
    with client.get("/static/icons/icon.svg") as answer:
        assert answer.data == (shell.STATIC / "icons/icon.svg").read_bytes()
    worker = client.get("/sw.js").get_data(as_text=True)
    assert "/*" not in worker and "importScripts(" in worker


def test_the_field_apps_bundle_is_built_from_its_sources(tmp_path):
    """webapp/bundled/field-app.js is what scripts/build-js makes of js/app.js and its imports
    today: run it after changing any of them."""
    fresh = tmp_path / "field-app.js"
    subprocess.run([str(shell.WEBAPP.parent / "scripts" / "build-js"), str(fresh)], check=True)
    assert fresh.read_bytes() == shell.BUNDLE.read_bytes(), "the bundle is stale: run scripts/build-js"
