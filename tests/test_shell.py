"""The field app's shell, service worker and manifest, as the server serves them."""
import gzip
import json
import re

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
    page = client.get("/app/").get_data(as_text=True)
    for secret in (member.full_name, member.login, case.full_name, case.club.name, "csrf"):
        assert secret not in page
    strings = json.loads(re.search(r'id="ui-strings">(.*?)</script>', page, re.S).group(1))
    assert strings["outbox"] == "Chờ gửi"
    assert 'type="module"' in page and 'rel="manifest"' in page
    assert "<script>" not in page  # CSP: no inline script that executes


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
    assert "/app/" in precache and "/static/js/app.js" in precache
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
