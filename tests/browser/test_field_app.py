"""The field app in a real phone browser: offline, flaky, restarted, shared — counted on the server.

Every test asserts the server's rows (one per uuid), not only what the page says (TESTING.md).
"""
import os
import threading
from collections import Counter

import pytest
from werkzeug.serving import make_server

from webapp.clock import local_today
from webapp.db import utcnow
from webapp.models import Case, EntryRevision, LoginSession, Referral, Review, Visit

from ..factories import PASSWORD, make_case, make_club, make_user, make_visit
from .conftest import CHROMIUM, CHROMIUM_ARGS, log_in, submit_login

pytestmark = pytest.mark.browser

# What a phone's storage may hold of a case after logout: nothing that reads as its name.
STORAGE_DUMP = """async () => {
  const out = [];
  const text = (v) => {
    if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) {
      return new TextDecoder("utf-8", {fatal: false}).decode(v instanceof ArrayBuffer ? v : v.buffer);
    }
    if (v && typeof v === "object") return Object.values(v).map(text).join("|");
    return String(v);
  };
  for (const info of await indexedDB.databases()) {
    const db = await new Promise((ok, ko) => { const r = indexedDB.open(info.name); r.onsuccess = () => ok(r.result); r.onerror = ko; });
    for (const name of db.objectStoreNames) {
      const values = await new Promise((ok) => { const r = db.transaction(name).objectStore(name).getAll(); r.onsuccess = () => ok(r.result); });
      values.forEach((v) => out.push(name + ":" + text(v)));
    }
    db.close();
  }
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      out.push(name + " " + request.url + ":" + await (await cache.match(request)).text());
    }
  }
  return out.join("\\n");
}"""


def member_of(club, **fields):
    return make_user(club=club, role="member", device_key=os.urandom(32), **fields)


def no_background_sync(page, server):
    """Deny Background Sync to the app: a test browser is never really offline, so the browser
    would fire it at once and race the test's own network cuts (it has a test of its own)."""
    page.context.new_cdp_session(page).send("Browser.setPermission", {
        "permission": {"name": "background-sync"}, "setting": "denied", "origin": server.url})


def open_app(page, server, user):
    """Log in as `user` and wait until the field app shows their day, its worker in control."""
    no_background_sync(page, server)
    log_in(page, server.url, user.login, PASSWORD)
    page.wait_for_url(f"{server.url}/app/**")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.wait_for_selector("[data-testid=waiting-count]")
    return page


def open_phone_offline(playwright_instance, profile_dir):
    """open_phone, but offline from the first moment."""
    device = dict(playwright_instance.devices["Pixel 5"])
    device.pop("default_browser_type", None)
    context = playwright_instance.chromium.launch_persistent_context(
        str(profile_dir), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
        locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", service_workers="allow", offline=True,
        **device)
    context.set_default_timeout(15000)
    return context


def stop_server(server):
    server.stop()


def start_server(server):
    """Start the stopped live server again on the same address (the phone's origin)."""
    server.server = make_server("127.0.0.1", int(server.url.rsplit(":", 1)[1]), server.app,
                                threaded=True)
    server.thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    server.thread.start()


def go_offline(context):
    context.route("**/*", lambda route: route.abort("internetdisconnected"))
    context.set_offline(True)


def go_online(context):
    context.unroute("**/*")
    context.set_offline(False)


def waiting(page):
    badge = page.locator("#waiting-badge")
    return int(badge.inner_text()) if badge.is_visible() else 0


def fill_visit(page, case_uuid, notes):
    """Open a new visit of the case from its screen and fill it in, not yet saved."""
    page.evaluate(f"location.hash = '#/case/{case_uuid}'")
    page.click("#view a[href^='#/new/visit']")
    page.locator("[data-field=kind] .chip, [data-field=kind] select").first.click()
    if page.locator("select#f-kind").count():
        page.select_option("select#f-kind", index=1)
    page.fill("#f-notes", notes)


def record_visit(page, case_uuid, notes):
    fill_visit(page, case_uuid, notes)
    page.click("form button[type=submit]")
    page.wait_for_url(f"**/app/#/case/{case_uuid}")


def register_case(page, full_name):
    """Register a case on the phone; returns its uuid (made on the phone)."""
    page.evaluate("location.hash = '#/new/case'")
    page.fill("#f-full_name", full_name)
    page.locator("[data-field=sex] .chip").first.click()
    page.locator("[data-field=categories] input").first.check()
    page.locator("[data-field=risk_level] .chip").first.click()
    for n, purpose in enumerate(page.locator("[data-field=consent] fieldset").all()):
        purpose.locator(".chip").nth(0 if n == 0 else 1).click()  # each purpose asked: yes, no, no
    page.click("form button[type=submit]")
    page.wait_for_url("**/app/#/case/*")
    return page.url.rsplit("/", 1)[1]


def sync_until_empty(page, tries=12):
    """Press "sync now" until nothing waits (a flaky network needs a few presses)."""
    for _ in range(tries):
        page.evaluate("location.hash = '#/outbox'")
        button = page.locator("[data-action=sync]").first
        button.wait_for()
        page.wait_for_function("() => !document.querySelector('[data-action=sync]')?.disabled", timeout=20000)
        if waiting(page) == 0:
            return
        page.locator("[data-action=sync]").first.click()
        page.wait_for_function("() => !document.querySelector('[data-action=sync]')?.disabled", timeout=20000)
    assert waiting(page) == 0


def wait_all_sent(page):
    """Until the phone, reading its own outbox, says nothing waits."""
    page.evaluate("location.hash = '#/today'")
    page.wait_for_selector("[data-testid=waiting-count][data-waiting='0']", timeout=30000)


def visits_by_uuid(user):
    return Counter(v.uuid for v in Visit.select().where(Visit.created_by == user))


def test_the_app_is_installable(live_server, phone):
    member = member_of(make_club())
    page = open_app(phone.new_page(), live_server, member)
    cdp = phone.new_cdp_session(page)
    assert cdp.send("Page.getAppManifest")["errors"] == []
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    # No overflow at a phone's width, the bottom navigation within reach of a thumb.
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    assert page.locator(".bottomnav").is_visible()


def test_offline_entries_survive_reload_and_restart_and_arrive_once(
        live_server, phone, playwright_instance, tmp_path):
    club = make_club()
    member = member_of(club)
    case = make_case(club=club, created_by=member, full_name="Lê Thị Hoa")
    page = open_app(phone.new_page(), live_server, member)
    assert "Xin chào" in page.locator("h1").inner_text()

    go_offline(phone)
    for n in range(3):
        record_visit(page, case.uuid, f"Lượt {n + 1}")
    new_uuid = register_case(page, "Đỗ Văn Mới")
    record_visit(page, new_uuid, "Lượt đầu")
    assert waiting(page) == 5
    assert "Đỗ Văn Mới" in page.locator("h1").inner_text()

    page.reload()  # still offline: the shell comes from the service worker
    page.wait_for_selector("#waiting-badge:not([hidden])")
    assert waiting(page) == 5
    page.goto(f"{live_server.url}/account")  # a desk page without network: the offline page
    assert page.locator("h1").inner_text() == "Không có kết nối"
    phone.close()

    # The network is really gone (the server out of reach), then the phone opens again: its
    # service worker may try Background Sync at once, and must keep everything when that fails.
    stop_server(live_server)
    again = open_phone_offline(playwright_instance, tmp_path / "profile")
    try:
        go_offline(again)
        page = again.new_page()
        no_background_sync(page, live_server)
        page.goto(f"{live_server.url}/app/#/case/{new_uuid}")
        page.wait_for_selector("h1:has-text('Đỗ Văn Mới')")
        assert page.locator(".list__item:has-text('Chưa gửi')").count() == 1
        assert waiting(page) == 5
        assert Visit.select().count() == 0 and Case.select().count() == 1

        start_server(live_server)
        go_online(again)  # the page's `online` event sends the outbox
        wait_all_sent(page)
        page.evaluate(f"location.hash = '#/case/{new_uuid}'")  # now with its code from the server
        page.wait_for_selector("h1:has-text('Đỗ Văn Mới')")
        assert page.locator(".list__item:has-text('Chưa gửi')").count() == 0
    finally:
        again.close()
    visits = visits_by_uuid(member)
    assert sorted(visits.values()) == [1, 1, 1, 1]
    new_case = Case.get(Case.uuid == new_uuid)
    assert new_case.full_name == "Đỗ Văn Mới" and new_case.created_by_id == member.id
    assert Visit.select().where(Visit.case == new_case).count() == 1
    assert Visit.select().where(Visit.case == case).count() == 3
    assert EntryRevision.select().count() == 5


def test_flaky_network_and_a_server_stopped_mid_sync_lose_and_double_nothing(
        live_server, phone):
    club = make_club()
    member = member_of(club)
    case = make_case(club=club, created_by=member)
    page = open_app(phone.new_page(), live_server, member)
    go_offline(phone)
    for n in range(6):
        record_visit(page, case.uuid, f"Lượt {n + 1}")
    assert waiting(page) == 6

    calls = {"n": 0}

    def flaky(route):
        calls["n"] += 1
        n = calls["n"]
        if n % 3 == 1:
            route.abort("connectionreset")  # lost on the way to the server
        elif n % 3 == 2:
            route.fetch()  # the server takes the batch, but its answer is lost
            route.abort("connectionreset")
        else:
            route.fulfill(status=500, body="boom")

    phone.route("**/api/v1/sync", flaky)  # before the network returns: the app syncs at once
    go_online(phone)
    for _ in range(4):
        page.evaluate("location.hash = '#/outbox'")
        page.locator("[data-action=sync]").first.click()
        page.wait_for_function("() => !document.querySelector('[data-action=sync]')?.disabled")
    assert sum(visits_by_uuid(member).values()) == 6  # the second kind of failure delivered them
    assert waiting(page) == 6  # … but the phone never heard so: it keeps them
    phone.unroute("**/api/v1/sync")

    # A server stopped in the middle of a sync, then started again on the same address. Each
    # save syncs at once: the network drops the sync until the server is about to stop.
    def drop(route):
        route.abort("connectionreset")

    phone.route("**/api/v1/sync", drop)
    for n in range(3):
        record_visit(page, case.uuid, f"Sau {n + 1}")
    assert waiting(page) == 9

    stopping = []

    def stop_midway(route):
        if stopping:
            route.abort("connectionrefused")
            return
        route.fetch()  # the server takes the batch, then goes down before answering
        stopping.append(threading.Thread(target=live_server.stop))
        stopping[0].start()
        route.abort("connectionreset")

    phone.route("**/api/v1/sync", stop_midway)  # the last route set is the first asked
    phone.unroute("**/api/v1/sync", drop)
    page.evaluate("location.hash = '#/outbox'")
    page.locator("[data-action=sync]").first.click()
    page.wait_for_function("() => !document.querySelector('[data-action=sync]')?.disabled")
    phone.unroute("**/api/v1/sync")
    assert waiting(page) > 0
    stopping[0].join(timeout=10)
    start_server(live_server)
    sync_until_empty(page)
    visits = visits_by_uuid(member)
    assert len(visits) == 9 and set(visits.values()) == {1}


def test_a_session_expired_offline_logs_in_again_and_sync_completes(live_server, phone):
    club = make_club()
    member = member_of(club)
    case = make_case(club=club, created_by=member)
    page = open_app(phone.new_page(), live_server, member)
    go_offline(phone)
    record_visit(page, case.uuid, "Ghi khi mất sóng")
    LoginSession.update(ended_at=utcnow()).where(LoginSession.user == member).execute()
    go_online(phone)
    page.wait_for_selector("#view a[href^='/login']")
    assert waiting(page) == 1
    assert Visit.select().count() == 0
    page.click("#view a[href^='/login']")
    submit_login(page, member.login, PASSWORD)
    page.wait_for_url(f"{live_server.url}/app/**")
    wait_all_sent(page)
    assert list(visits_by_uuid(member).values()) == [1]


def test_a_rejected_entry_shows_the_reason_and_stays_until_fixed_or_discarded(live_server, phone):
    club = make_club()
    member = member_of(club)
    case = make_case(club=club, created_by=member, consent=("follow",))  # not "refer"
    page = open_app(phone.new_page(), live_server, member)
    for provider in ("Trung tâm Công tác xã hội", "Bệnh viện Bãi Cháy"):
        page.evaluate(f"location.hash = '#/new/referral?case={case.uuid}'")
        page.select_option("#f-service_kind", index=1)
        page.fill("#f-provider", provider)
        page.click("form button[type=submit]")
        page.locator("dialog[open] button").nth(1).click()  # warned of the consent: save anyway
        page.wait_for_selector(".alert--success")  # "saved on the phone", on the case's page
    sync_once(page)
    page.evaluate("location.hash = '#/outbox'")
    rejected = page.locator(".outbox__item[data-state=invalid]")
    assert rejected.count() == 2
    assert "chuyển gửi" in rejected.first.inner_text().lower() or "đồng ý" in rejected.first.inner_text().lower()
    sync_once(page)
    assert page.locator(".outbox__item[data-state=invalid]").count() == 2  # still there
    assert Referral.select().count() == 0

    page.once("dialog", lambda dialog: dialog.accept())
    rejected.first.locator("button.button--danger").click()
    page.wait_for_function("() => document.querySelectorAll('.outbox__item').length === 1")

    # The chair records the consent; the member fixes the entry (sends it again) and it goes.
    from webapp.models import Consent
    Consent.create(case=case, purpose="refer", recorded_by=member)
    page.locator(".outbox__item a[href^='#/fix/']").click()
    page.click("form button[type=submit]")
    page.locator("dialog[open] button").nth(1).click()  # the phone has not heard of it yet
    page.wait_for_selector(".alert--success")
    sync_once(page)
    assert waiting(page) == 0
    assert [r.provider for r in Referral.select()] in (["Bệnh viện Bãi Cháy"], ["Trung tâm Công tác xã hội"])


def sync_once(page):
    page.evaluate("location.hash = '#/outbox'")
    page.wait_for_function("() => !document.querySelector('[data-action=sync]')?.disabled")
    page.locator("[data-action=sync]").first.click()
    page.wait_for_function("() => !document.querySelector('[data-action=sync]')?.disabled")


def test_two_users_on_one_phone_keep_apart(live_server, phone):
    club = make_club()
    first, second = member_of(club), member_of(club)
    case_a = make_case(club=club, created_by=first, full_name="Vũ Thị Riêng Tư")
    case_b = make_case(club=club, created_by=second, full_name="Ngô Văn Khác")
    page = open_app(phone.new_page(), live_server, first)
    go_offline(phone)
    record_visit(page, case_a.uuid, "Của người thứ nhất")
    # Before the network returns, or the app's sync on "online" sends it: it is to stay waiting.
    phone.route("**/api/v1/sync", lambda route: route.abort("connectionreset"))
    go_online(phone)
    page.evaluate("location.hash = '#/more'")
    page.click("button.button--danger")
    page.locator("dialog button").nth(1).click()  # log out now
    page.wait_for_url("**/login")
    phone.unroute("**/api/v1/sync")

    dump = page.evaluate(STORAGE_DUMP)
    assert "Vũ Thị Riêng Tư" not in dump and "Của người thứ nhất" not in dump
    assert case_a.code not in dump

    open_app(page, live_server, second)
    page.wait_for_selector("text=mục của tài khoản khác")
    record_visit(page, case_b.uuid, "Của người thứ hai")
    wait_all_sent(page)
    assert Visit.select().where(Visit.created_by == first).count() == 0
    assert [v.created_by_id for v in Visit.select()] == [second.id]
    assert "Vũ Thị Riêng Tư" not in page.content()

    page.evaluate("location.hash = '#/more'")
    page.click("button.button--danger")
    page.wait_for_url("**/login")
    open_app(page, live_server, first)
    wait_all_sent(page)
    assert Visit.select().where(Visit.created_by == first).count() == 1
    assert Visit.select().where(Visit.created_by == second).count() == 1


def test_a_returned_entry_fixed_on_the_phone_goes_back_as_a_new_revision(live_server, phone):
    club = make_club()
    member = member_of(club)
    chair = make_user(club=club, role="chair")
    case = make_case(club=club, created_by=member)
    visit = make_visit(case, created_by=member, notes="Ngắn quá", review_status="returned",
                       date=local_today())
    EntryRevision.create(entry_type="visit", uuid=visit.uuid, revision=1, submitted_by=member,
                         data={"case_uuid": case.uuid, "date": local_today().isoformat(),
                               "kind": "home_visit", "topics": ["safe_migration"],
                               "notes": "Ngắn quá"})
    Review.create(club=club, entry_type="visit", entry_uuid=visit.uuid, revision=1,
                  decision="returned", reason="Ghi rõ nội dung tư vấn", decided_by=chair)
    page = open_app(phone.new_page(), live_server, member)
    returned = page.locator(".list__item:has-text('Ghi rõ nội dung tư vấn')")
    returned.locator("a").click()
    assert "Ghi rõ nội dung tư vấn" in page.locator("form").inner_text()
    page.fill("#f-notes", "Tư vấn di cư an toàn, cách nhận biết thủ đoạn lừa đảo")
    page.click("form button[type=submit]")
    page.wait_for_selector(".alert--success")
    wait_all_sent(page)
    revisions = [r.revision for r in EntryRevision.select().where(EntryRevision.uuid == visit.uuid)
                 .order_by(EntryRevision.revision)]
    assert revisions == [1, 2]
    assert Visit.select().where(Visit.uuid == visit.uuid).count() == 1
    assert Visit.get_by_id(visit.id).revision == 2


def test_background_sync_sends_the_outbox_from_the_service_worker(live_server, phone):
    club = make_club()
    member = member_of(club)
    case = make_case(club=club, created_by=member)
    page = open_app(phone.new_page(), live_server, member)
    go_offline(phone)
    record_visit(page, case.uuid, "Gửi bằng Background Sync")
    assert waiting(page) == 1
    # No page of the app runs any more: only the service worker can send it.
    page.goto("about:blank")
    go_online(phone)
    cdp = phone.new_cdp_session(page)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated",
           lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    page.wait_for_timeout(200)
    registration = next(r for r in registrations if r["scopeURL"] == live_server.url + "/")
    cdp.send("ServiceWorker.dispatchSyncEvent", {
        "origin": live_server.url, "registrationId": registration["registrationId"],
        "tag": "sotd-outbox", "lastChance": False})
    for _ in range(100):
        if Visit.select().count():
            break
        page.wait_for_timeout(100)
    assert list(visits_by_uuid(member).values()) == [1]
    page.goto(f"{live_server.url}/app/#/outbox")
    page.wait_for_selector("[data-testid=waiting-count][data-waiting='0']")


# How many keys and working sets the phone holds (any user's).
HELD = """async () => {
  const db = await new Promise((ok, ko) => { const r = indexedDB.open("sotd"); r.onsuccess = () => ok(r.result); r.onerror = ko; });
  const count = (name) => new Promise((ok) => { const r = db.transaction(name).objectStore(name).count(); r.onsuccess = () => ok(r.result); });
  const held = { keys: await count("keys"), working: await count("working"), outbox: await count("outbox") };
  db.close();
  return held;
}"""


def test_logging_out_on_the_desk_account_page_clears_the_phone_as_the_app_does(live_server, phone):
    club = make_club()
    member = member_of(club)
    case = make_case(club=club, created_by=member, full_name="Đặng Thị Kín Đáo")
    page = open_app(phone.new_page(), live_server, member)
    # The working set and its summary (what the first screen is drawn from).
    assert page.evaluate(HELD) == {"keys": 1, "working": 2, "outbox": 0}
    phone.route("**/api/v1/sync", lambda route: route.abort("connectionreset"))  # it stays waiting
    record_visit(page, case.uuid, "Ghi ở sân nhà hàng xóm")

    page.goto(f"{live_server.url}/account")
    page.click("#logout-form button[type=submit]")
    dialog = page.locator("dialog[open]")
    assert "1" in dialog.inner_text()  # one entry waits
    dialog.locator("button").nth(2).click()  # cancel: still logged in, nothing forgotten
    assert page.evaluate(HELD)["keys"] == 1
    page.click("#logout-form button[type=submit]")
    page.locator("dialog[open] button").nth(1).click()  # log out now
    page.wait_for_url("**/login")
    phone.unroute("**/api/v1/sync")

    assert page.evaluate(HELD) == {"keys": 0, "working": 0, "outbox": 1}
    dump = page.evaluate(STORAGE_DUMP)
    assert case.full_name not in dump and "Ghi ở sân" not in dump and case.code not in dump
    assert LoginSession.select().where((LoginSession.user == member)
                                       & LoginSession.ended_at.is_null()).count() == 0
    assert Visit.select().count() == 0

    open_app(page, live_server, member)  # the same user: the key comes back, the entry goes
    wait_all_sent(page)
    assert list(visits_by_uuid(member).values()) == [1]


def test_send_then_log_out_from_the_desk_account_page(live_server, phone):
    club = make_club()
    member = member_of(club)
    case = make_case(club=club, created_by=member)
    page = open_app(phone.new_page(), live_server, member)
    phone.route("**/api/v1/sync", lambda route: route.abort("connectionreset"))
    record_visit(page, case.uuid, "Gửi rồi mới đăng xuất")
    page.goto(f"{live_server.url}/account")  # the app, and its retry timer, are gone
    phone.unroute("**/api/v1/sync")
    page.click("#logout-form button[type=submit]")
    page.locator("dialog[open] button").first.click()  # send, then log out
    page.wait_for_url("**/login")
    assert list(visits_by_uuid(member).values()) == [1]
    assert page.evaluate(HELD) == {"keys": 0, "working": 0, "outbox": 0}


@pytest.mark.parametrize("form", ["/login", "/login/setup"])
def test_the_login_form_leaves_no_key_on_the_phone(live_server, phone, form):
    """A session ended elsewhere (expired, or logged out on another device): the login form, shown
    by the service worker's page, clears what the phone held for the app — and so does the form
    for a setup code, where another person may open their account on this phone (its address
    typed, not reached from the login form), and then the field app."""
    club = make_club()
    member = member_of(club)
    make_case(club=club, created_by=member, full_name="Lý Thị Bảo Mật")
    page = open_app(phone.new_page(), live_server, member)
    LoginSession.update(ended_at=utcnow()).where(LoginSession.user == member).execute()
    assert page.evaluate(HELD)["keys"] == 1
    page.goto(f"{live_server.url}{form}")
    for _ in range(50):
        if page.evaluate(HELD) == {"keys": 0, "working": 0, "outbox": 0}:
            break
        page.wait_for_timeout(100)
    assert page.evaluate(HELD) == {"keys": 0, "working": 0, "outbox": 0}


def test_a_new_version_is_offered_and_replaces_the_old_caches(live_server, phone):
    member = member_of(make_club())
    page = open_app(phone.new_page(), live_server, member)
    old = page.evaluate("() => caches.keys()")
    assert len(old) == 1 and old[0].startswith("sotd-shell-")
    live_server.app.extensions["shell_version"] = "new-version"  # as after a deployment
    page.evaluate("() => navigator.serviceWorker.getRegistration().then((r) => r.update())")
    button = page.locator("#banner [data-action=reload]")
    button.wait_for()  # "update available — reload"
    # The new version is ready beside the old, which still serves until the member says so.
    assert sorted(page.evaluate("() => caches.keys()")) == sorted(old + ["sotd-shell-new-version"])
    with page.expect_navigation():
        button.click()
    page.wait_for_selector("[data-testid=waiting-count]")
    for _ in range(50):  # the old version's cache goes when the new worker activates
        if page.evaluate("() => caches.keys()") == ["sotd-shell-new-version"]:
            break
        page.wait_for_timeout(100)
    assert page.evaluate("() => caches.keys()") == ["sotd-shell-new-version"]
    assert page.locator("#banner [data-action=reload]").count() == 0


def test_my_cases_are_found_by_name_without_accents_or_by_code_and_no_name_enters_the_address(
        live_server, phone):
    club = make_club()
    member = member_of(club)
    hoa = make_case(club=club, created_by=member, full_name="Đặng Thị Hoà")
    make_case(club=club, created_by=member, full_name="Phạm Văn Long")
    page = open_app(phone.new_page(), live_server, member)
    page.evaluate("location.hash = '#/cases'")
    assert page.locator("#case-list li").count() == 2
    page.locator("input[type=search]").press_sequentially("dang thi hoa")  # typed without accents
    page.wait_for_function("() => document.querySelectorAll('#case-list li').length === 1")
    assert "Đặng Thị Hoà" in page.locator("#case-list").inner_text()
    assert page.url.endswith("#/cases")  # nothing of the name in the address, nor in history
    page.locator("input[type=search]").fill(hoa.code.lower())
    page.locator("input[type=search]").dispatch_event("input")
    page.wait_for_function("() => document.querySelectorAll('#case-list li').length === 1")
    assert hoa.code in page.locator("#case-list").inner_text()
    assert "Long" not in page.locator("#case-list").inner_text()


def test_a_referral_and_attendance_recorded_offline_arrive_once(live_server, phone):
    from webapp.models import Activity, Attendance

    club = make_club()
    member = member_of(club)
    chair = make_user(club=club, role="chair")
    case = make_case(club=club, created_by=member, consent=("follow", "refer"))
    activity = Activity.create(club=club, created_by=chair, kind="awareness", date=local_today(),
                               title="Truyền thông di cư an toàn", review_status="approved")
    page = open_app(phone.new_page(), live_server, member)
    go_offline(phone)

    page.evaluate(f"location.hash = '#/new/referral?case={case.uuid}'")
    page.select_option("#f-service_kind", index=1)
    page.fill("#f-provider", "Trung tâm Trợ giúp pháp lý")
    page.click("form button[type=submit]")
    page.wait_for_url(f"**/app/#/case/{case.uuid}")

    page.evaluate("location.hash = '#/new/attendance'")
    page.select_option("#f-activity_uuid", activity.uuid)
    page.select_option("#f-case_uuid", case.uuid)
    page.click("form button[type=submit]")
    page.wait_for_url(f"**/app/#/case/{case.uuid}")
    assert waiting(page) == 2

    go_online(phone)
    wait_all_sent(page)
    [referral] = Referral.select().where(Referral.case == case)
    assert referral.provider == "Trung tâm Trợ giúp pháp lý" and referral.created_by_id == member.id
    [attendance] = Attendance.select().where(Attendance.case == case)
    assert attendance.activity_id == activity.id and attendance.brought_by_id == member.id
    assert EntryRevision.select().count() == 2


def test_an_entry_edited_while_it_is_being_sent_goes_next_as_a_new_revision(
        live_server, phone, monkeypatch):
    """The server takes the copy that was on its way; the member's edit made meanwhile is not lost,
    nor sent as other data for the same revision (a conflict): it is the revision after it."""
    from webapp.book import sync as sync_module
    from webapp.models import SyncConflict

    club = make_club()
    member = member_of(club)
    case = make_case(club=club, created_by=member)
    page = open_app(phone.new_page(), live_server, member)
    go_offline(phone)
    record_visit(page, case.uuid, "Bản đầu")

    edited, taking = threading.Event(), threading.Event()
    original = sync_module.submit_batch

    def held(user, entries):
        taking.set()
        assert edited.wait(20)  # the server holds the batch until the member has edited it
        return original(user, entries)

    monkeypatch.setattr(sync_module, "submit_batch", held)
    go_online(phone)  # the app sends the outbox at once
    assert taking.wait(20)
    page.evaluate("location.hash = '#/outbox'")
    page.locator(".outbox__item a[href^='#/fix/']").click()
    page.fill("#f-notes", "Bản đã sửa")
    page.click("form button[type=submit]")
    page.wait_for_url(f"**/app/#/case/{case.uuid}")
    edited.set()

    page.evaluate("location.hash = '#/outbox'")
    page.wait_for_function("() => !document.querySelector('[data-action=sync]')?.disabled")
    assert waiting(page) == 1  # the edit, as revision 2
    assert Visit.get(Visit.case == case).notes == "Bản đầu"
    monkeypatch.setattr(sync_module, "submit_batch", original)
    sync_until_empty(page)
    [visit] = Visit.select().where(Visit.case == case)
    assert visit.revision == 2 and visit.notes == "Bản đã sửa"
    assert [r.revision for r in EntryRevision.select().order_by(EntryRevision.revision)] == [1, 2]
    assert SyncConflict.select().count() == 0


# Counts the puts into the outbox (window.outboxPuts): how many times the phone wrote an entry.
OUTBOX_PUTS = """() => {
  window.outboxPuts = 0;
  const open = IDBDatabase.prototype.transaction;
  IDBDatabase.prototype.transaction = function (names, mode, options) {
    const t = open.call(this, names, mode, options);
    if (mode === "readwrite" && [].concat(names).includes("outbox")) {
      const store = t.objectStore("outbox");
      const put = store.put;
      store.put = function (...args) {
        window.outboxPuts += 1;
        return put.apply(this, args);
      };
    }
    return t;
  };
}"""


def test_save_tapped_twice_keeps_and_sends_the_entry_once(live_server, phone):
    club = make_club()
    member = member_of(club)
    case = make_case(club=club, created_by=member)
    page = open_app(phone.new_page(), live_server, member)
    go_offline(phone)
    page.evaluate(OUTBOX_PUTS)
    fill_visit(page, case.uuid, "Bấm Lưu hai lần")
    page.dblclick("form button[type=submit]")  # a thumb that taps twice
    page.wait_for_url(f"**/app/#/case/{case.uuid}")
    page.wait_for_selector("text=Đã lưu trên điện thoại")
    assert page.evaluate("window.outboxPuts") == 1 and waiting(page) == 1
    go_online(phone)
    wait_all_sent(page)
    assert [(v.notes, v.revision) for v in Visit.select()] == [("Bấm Lưu hai lần", 1)]
    assert EntryRevision.select().count() == 1


# The same copy of the entry `uuid` saved again on the phone (Save tapped again, a slow phone)
# at the worst moment: the server's answer is in, and the app has read the copy it is about to
# delete. The app reads it with the next decryption bound to the entry once the answer is in.
RESAVED_WHILE_ANSWERED = """(uuid) => {
  window.resaved = 0;
  const fetch0 = window.fetch;
  window.fetch = async function (input, init) {
    const response = await fetch0.call(this, input, init);
    if (String(input.url || input).includes("/api/v1/sync")) window.answered = true;
    return response;
  };
  const decrypt0 = SubtleCrypto.prototype.decrypt;
  SubtleCrypto.prototype.decrypt = async function (params, key, data) {
    const plain = await decrypt0.call(this, params, key, data);
    const bound = params.additionalData ? new TextDecoder().decode(params.additionalData) : "";
    if (window.answered && !window.resaved && bound.endsWith(":" + uuid)) {
      window.resaved += 1;
      const body = JSON.parse(new TextDecoder().decode(plain));
      await self.sotd.save(await self.sotd.currentUser(), Object.assign({ uuid }, body), "waiting");
    }
    return plain;
  };
}"""


def test_the_same_copy_saved_again_while_its_answer_comes_is_not_sent_as_an_edit(
        live_server, phone):
    """The server took the copy; the one saved again meanwhile holds the same revision and data.
    It leaves the phone with it: no second revision that changes nothing waits for the chair."""
    club = make_club()
    member = member_of(club)
    case = make_case(club=club, created_by=member)
    page = open_app(phone.new_page(), live_server, member)
    go_offline(phone)
    record_visit(page, case.uuid, "Lưu lại đúng lúc gửi")
    [entry] = page.evaluate("async () => (await self.sotd.snapshot()).entries")
    page.evaluate(RESAVED_WHILE_ANSWERED, entry["uuid"])
    go_online(phone)
    wait_all_sent(page)
    assert page.evaluate("window.resaved") == 1  # it was saved again at that moment
    sync_once(page)
    assert waiting(page) == 0
    assert [(v.notes, v.revision) for v in Visit.select()] == [("Lưu lại đúng lúc gửi", 1)]
    assert EntryRevision.select().count() == 1


def test_a_visit_refused_for_want_of_its_case_goes_by_itself_once_the_case_is_in(
        live_server, phone):
    """The server answers "sync again once the case is sent": the phone does so, unasked."""
    import json

    club = make_club()
    member = member_of(club)
    page = open_app(phone.new_page(), live_server, member)
    go_offline(phone)
    case_uuid = register_case(page, "Trịnh Thị Sau")
    record_visit(page, case_uuid, "Thăm trước khi hồ sơ tới")

    def without_cases(route):  # this once, the case does not reach the server
        body = json.loads(route.request.post_data)
        body["entries"] = [e for e in body["entries"] if e["type"] != "case"]
        route.continue_(post_data=json.dumps(body))

    phone.route("**/api/v1/sync", without_cases)
    go_online(phone)
    page.evaluate("location.hash = '#/outbox'")
    page.wait_for_selector(".outbox__item[data-state=invalid]")  # the visit: case unknown
    phone.unroute("**/api/v1/sync", without_cases)
    assert Visit.select().count() == 0 and Case.select().count() == 0

    sync_once(page)  # one press: the case goes, then the visit that waited for it
    assert waiting(page) == 0
    case = Case.get(Case.uuid == case_uuid)
    assert [v.notes for v in Visit.select().where(Visit.case == case)] == ["Thăm trước khi hồ sơ tới"]


def test_a_logout_made_offline_ends_the_session_as_soon_as_there_is_a_network(
        live_server, phone):
    """Whoever picks the phone up next, online, opens no page under the member's session."""
    club = make_club()
    member = member_of(club)
    live = LoginSession.select().where((LoginSession.user == member)
                                       & LoginSession.ended_at.is_null())

    def log_out_offline(page):
        go_offline(phone)
        page.evaluate("location.hash = '#/more'")
        page.click("button.button--danger")  # nothing waits: no question
        page.wait_for_selector("text=Dữ liệu của bạn đã được xóa khỏi điện thoại")
        assert page.evaluate(HELD)["keys"] == 0
        assert live.count() == 1  # the server could not be told yet

    # The app is still open when the network returns: it ends the session and shows the login.
    page = open_app(phone.new_page(), live_server, member)
    log_out_offline(page)
    with page.expect_navigation(url="**/login**"):
        go_online(phone)
    assert live.count() == 0
    assert page.evaluate(HELD)["keys"] == 0  # nothing was fetched again under that session

    # The app is closed; the next page opened online is a desk page: the service worker ends it.
    open_app(page, live_server, member)
    log_out_offline(page)
    page.goto("about:blank")
    go_online(phone)
    page.goto(f"{live_server.url}/account")
    page.wait_for_url("**/login**")
    assert live.count() == 0


def test_after_a_long_form_the_next_screen_opens_at_its_top_with_the_saved_notice(
        live_server, phone):
    club = make_club()
    member = member_of(club)
    case = make_case(club=club, created_by=member)
    page = open_app(phone.new_page(), live_server, member)
    record_visit(page, case.uuid, "Ghi ở cuối một biểu mẫu dài")  # submitted from its bottom
    notice = page.locator(".alert--success")
    notice.wait_for()
    assert page.evaluate("scrollY") == 0
    assert notice.bounding_box()["y"] < page.viewport_size["height"]


# The phone's storage refuses the next writes of the outbox as Chromium does when it is full:
# the put's request succeeds, then its transaction aborts with QuotaExceededError at commit.
STORAGE_FULL = """() => {
  window.storageFull = true;
  const open = IDBDatabase.prototype.transaction;
  IDBDatabase.prototype.transaction = function (names, mode, options) {
    const t = open.call(this, names, mode, options);
    if (window.storageFull && mode === "readwrite" && [].concat(names).includes("outbox")) {
      const store = t.objectStore("outbox");
      const put = store.put;
      store.put = function (...args) {
        const request = put.apply(this, args);
        request.addEventListener("success", () => {
          Object.defineProperty(t, "error", { value: new DOMException("The quota has been exceeded.", "QuotaExceededError") });
          t.abort();
        });
        return request;
      };
    }
    return t;
  };
}"""


def test_an_entry_the_full_phone_could_not_keep_is_said_unsaved_and_stays_on_the_form(
        live_server, phone):
    club = make_club()
    member = member_of(club)
    case = make_case(club=club, created_by=member, full_name="Trần Thị Nhớ")
    page = open_app(phone.new_page(), live_server, member)
    go_offline(phone)
    page.evaluate(STORAGE_FULL)
    fill_visit(page, case.uuid, "Ghi lúc bộ nhớ đầy")
    form_url = page.url
    page.click("form button[type=submit]")
    # Not said saved: the reason and what to do, on the form, which keeps what was filled in.
    page.wait_for_selector("form .alert--error:has-text('Bộ nhớ điện thoại đã đầy')")
    assert page.url == form_url
    assert page.input_value("#f-notes") == "Ghi lúc bộ nhớ đầy"
    assert "Đã lưu" not in page.inner_text("body")
    assert page.evaluate(HELD)["outbox"] == 0 and waiting(page) == 0
    if os.environ.get("SOTD_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["SOTD_SCREENSHOTS"], "field-storage-full.png"),
                        full_page=True)

    # Room made on the phone: Save again keeps it, once, and it goes out once.
    page.evaluate("window.storageFull = false")
    page.click("form button[type=submit]")
    page.wait_for_url(f"**/app/#/case/{case.uuid}")
    page.wait_for_selector("text=Đã lưu trên điện thoại")
    assert page.evaluate(HELD)["outbox"] == 1 and waiting(page) == 1
    go_online(phone)
    wait_all_sent(page)
    assert [(v.notes, v.created_by_id) for v in Visit.select()] == [("Ghi lúc bộ nhớ đầy", member.id)]


def held_working(page, n):
    """Until the phone's store of working sets holds `n` records."""
    for _ in range(50):
        if page.evaluate(HELD)["working"] == n:
            return
        page.wait_for_timeout(100)
    assert page.evaluate(HELD)["working"] == n


def test_a_form_half_filled_in_when_the_tab_closed_is_there_when_the_app_opens_again(
        live_server, phone):
    club = make_club()
    member = member_of(club)
    case = make_case(club=club, created_by=member, full_name="Phạm Thị Dở")
    page = open_app(phone.new_page(), live_server, member)
    go_offline(phone)
    shots = os.environ.get("SOTD_SCREENSHOTS")
    # Cancelled: nothing of it is kept.
    page.evaluate(f"location.hash = '#/case/{case.uuid}'")
    page.click("a[href^='#/new/visit']")
    page.fill("#f-notes", "Bỏ dở")
    held_working(page, 3)  # the working set, its summary and the form as filled in so far
    page.click("form .form-actions button[type=button]")
    page.wait_for_url(f"**/app/#/case/{case.uuid}")
    held_working(page, 2)

    # Half filled in, then the tab is closed (a call came in, and the phone took the memory).
    fill_visit(page, case.uuid, "Điền dở thì có điện thoại")
    form_url = page.url
    held_working(page, 3)
    assert "Điền dở thì có điện thoại" not in page.evaluate(STORAGE_DUMP)  # sealed, as the book
    page.close()
    page = phone.new_page()
    no_background_sync(page, live_server)
    page.goto(form_url)
    page.wait_for_selector("[data-testid=draft-restored]")
    assert page.input_value("#f-notes") == "Điền dở thì có điện thoại"
    assert page.locator("[data-field=kind] :checked").count() == 1
    if shots:
        page.screenshot(path=os.path.join(shots, "field-draft-restored.png"))

    # Opened from the home screen instead: Today says what waits, and leads back to it.
    page.close()
    page = phone.new_page()
    no_background_sync(page, live_server)
    page.goto(f"{live_server.url}/app/")
    page.wait_for_selector("[data-testid=draft] a")
    if shots:
        page.screenshot(path=os.path.join(shots, "field-draft-waits.png"))
    page.click("[data-testid=draft] a")
    page.wait_for_selector("[data-testid=draft-restored]")
    assert page.input_value("#f-notes") == "Điền dở thì có điện thoại"
    page.click("form button[type=submit]")
    page.wait_for_url(f"**/app/#/case/{case.uuid}")
    assert page.evaluate(HELD) == {"keys": 1, "working": 2, "outbox": 1}
    assert page.locator("[data-testid=draft]").count() == 0
    go_online(phone)
    wait_all_sent(page)
    assert [(v.notes, v.created_by_id) for v in Visit.select()] == [
        ("Điền dở thì có điện thoại", member.id)]


DRAFTS = "async () => self.sotd.drafts(await self.sotd.currentUser())"


def test_two_forms_half_filled_in_are_both_kept_and_offered_one_after_the_other(live_server, phone):
    club = make_club()
    member = member_of(club)
    first = make_case(club=club, created_by=member, full_name="Người Một")
    second = make_case(club=club, created_by=member, full_name="Người Hai")
    page = open_app(phone.new_page(), live_server, member)
    go_offline(phone)
    fill_visit(page, first.uuid, "Điền dở về người một")
    page.evaluate("location.hash = '#/today'")  # left: kept, and Today says so
    page.wait_for_selector("[data-testid=draft]:has-text('một mục đang điền dở')")
    fill_visit(page, second.uuid, "Điền dở về người hai")  # another form before going back
    page.evaluate("location.hash = '#/today'")
    page.wait_for_selector("[data-testid=draft]:has-text('2 mục đang điền dở')")
    assert sorted(d["data"]["notes"] for d in page.evaluate(DRAFTS)) == [
        "Điền dở về người hai", "Điền dở về người một"]
    # The latest first; once it is saved, the other one is offered.
    page.click("[data-testid=draft] a")
    page.wait_for_selector("[data-testid=draft-restored]")
    assert page.input_value("#f-notes") == "Điền dở về người hai"
    page.click("form button[type=submit]")
    page.wait_for_url(f"**/app/#/case/{second.uuid}")
    page.wait_for_selector("[data-testid=draft]:has-text('một mục đang điền dở')")
    page.click("[data-testid=draft] a")
    page.wait_for_selector("[data-testid=draft-restored]")
    assert page.input_value("#f-notes") == "Điền dở về người một"
    page.click("form button[type=submit]")
    page.wait_for_url(f"**/app/#/case/{first.uuid}")
    assert page.evaluate(DRAFTS) == [] and waiting(page) == 2


def test_a_logout_in_another_window_leaves_nothing_of_the_user_in_the_app_window(
        live_server, phone):
    club = make_club()
    first, second = member_of(club), member_of(club)
    case = make_case(club=club, created_by=first, full_name="Vũ Thị Riêng Tư")
    page = open_app(phone.new_page(), live_server, first)
    fill_visit(page, case.uuid, "Ghi chú của người thứ nhất")
    for _ in range(40):  # kept on the phone 300 ms after the last keystroke
        if page.evaluate(DRAFTS):
            break
        page.wait_for_timeout(100)
    assert len(page.evaluate(DRAFTS)) == 1
    # The same phone, another window (a browser tab beside the installed app): the desk's
    # account page, where the first member logs out and throws the half-filled form away.
    other = phone.new_page()
    other.goto(f"{live_server.url}/account")
    other.click("#logout-form button[type=submit]")
    other.locator("dialog[open] button").nth(1).click()
    other.wait_for_url("**/login**")
    # The app's window starts again as the phone now is: logged out, nothing of them shown.
    page.wait_for_url("**/login**")
    assert "Vũ Thị Riêng Tư" not in page.inner_text("body")
    # The second member logs in in the other window: the first one's window holds nothing of
    # theirs, and what the second one keeps is theirs alone.
    open_app(other, live_server, second)
    page.goto(f"{live_server.url}/app/")
    page.wait_for_selector("[data-testid=waiting-count]")
    assert "Vũ Thị Riêng Tư" not in page.inner_text("body")
    assert page.evaluate(DRAFTS) == []
    assert "Ghi chú của người thứ nhất" not in page.evaluate(STORAGE_DUMP)


def test_a_form_half_filled_in_when_the_session_ends_is_there_after_logging_in_again(
        live_server, phone):
    club = make_club()
    member = member_of(club)
    case = make_case(club=club, created_by=member, full_name="Hồ Thị Chờ")
    page = open_app(phone.new_page(), live_server, member)
    go_offline(phone)
    fill_visit(page, case.uuid, "Điền dở lúc hết phiên")
    page.evaluate("location.hash = '#/today'")  # left half filled in: kept
    page.wait_for_selector("[data-testid=draft]")
    LoginSession.update(ended_at=utcnow()).where(LoginSession.user == member).execute()
    go_online(phone)
    page.wait_for_selector("#view a[href^='/login']")
    page.click("#view a[href^='/login']")  # the key and working set left at that sync
    page.wait_for_selector("input[name=login]")
    assert page.evaluate(HELD) == {"keys": 0, "working": 1, "outbox": 0}  # the draft, sealed
    assert "Điền dở lúc hết phiên" not in page.evaluate(STORAGE_DUMP)
    submit_login(page, member.login, PASSWORD)
    page.wait_for_url(f"{live_server.url}/app/**")
    page.wait_for_selector("[data-testid=draft] a")  # the key is back: so is the form
    page.click("[data-testid=draft] a")
    page.wait_for_selector("[data-testid=draft-restored]")
    assert page.input_value("#f-notes") == "Điền dở lúc hết phiên"
    page.click("form button[type=submit]")
    page.wait_for_url(f"**/app/#/case/{case.uuid}")
    wait_all_sent(page)
    assert [(v.notes, v.created_by_id) for v in Visit.select()] == [("Điền dở lúc hết phiên", member.id)]
