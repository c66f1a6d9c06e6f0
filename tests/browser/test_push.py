"""Push in a real phone browser: a push delivered to the service worker over CDP shows a
notification without personal data, and tapping it opens the page it is about (TESTING.md)."""
import json
from datetime import timedelta

import pytest

from webapp import clock
from webapp.book import reminders, scheduling

from ..factories import PASSWORD, make_case, make_user, make_visit
from .conftest import log_in

pytestmark = pytest.mark.browser


def open_app(page, server, user):
    log_in(page, server.url, user.login, PASSWORD)
    page.wait_for_url(f"{server.url}/app/**")
    page.evaluate("navigator.serviceWorker.ready")
    return page


def registration_id(page, cdp, origin):
    """The service worker registration of `origin` + "/", from CDP's own events."""
    found = {}
    cdp.on("ServiceWorker.workerRegistrationUpdated",
           lambda event: found.update({r["scopeURL"]: r["registrationId"]
                                       for r in event["registrations"] if not r["isDeleted"]}))
    cdp.send("ServiceWorker.enable")
    for _ in range(300):  # events arrive while Playwright waits; slower on a loaded machine
        if f"{origin}/" in found:
            return found[f"{origin}/"]
        page.wait_for_timeout(50)
    raise AssertionError(f"no service worker registration for {origin}/: {found}")


def deliver(page, phone, server, payload):
    """Push `payload` to the phone's service worker over CDP; returns the notifications shown."""
    phone.grant_permissions(["notifications"], origin=server.url)
    cdp = phone.new_cdp_session(page)
    registration = registration_id(page, cdp, server.url)
    for _ in range(3):  # on a loaded machine CDP may drop a delivery to a worker starting up
        cdp.send("ServiceWorker.deliverPushMessage", {
            "origin": server.url, "registrationId": registration, "data": payload})
        for _ in range(50):  # the worker shows it asynchronously
            shown = page.evaluate("""async () => {
                const registration = await navigator.serviceWorker.ready;
                return (await registration.getNotifications()).map(
                    (n) => ({title: n.title, body: n.body, tag: n.tag, data: n.data}));
            }""")
            if shown:
                return shown
            page.wait_for_timeout(100)
    raise AssertionError("no notification shown")


def test_a_reminder_pushed_to_the_phone_shows_and_opens_its_page(live_server, phone):
    member = make_user(role="member")
    case = make_case(created_by=member, full_name="Nguyễn Thị Lan", address="Tổ 5, Khu 3")
    today = clock.local_today()
    scheduling.create_follow_up(make_visit(case, follow_up_date=today + timedelta(days=1)))
    # The very payload the server sends the evening before.
    evening = clock.local_now().replace(hour=19, minute=30)
    [reminder] = [r for r in reminders.due_for(member, evening) if ":eve:" in r.key]
    payload = reminder.payload()

    page = open_app(phone.new_page(), live_server, member)
    shown = deliver(page, phone, live_server, payload)[0]
    assert shown["title"] == "Thăm lại ngày mai"
    # A lock screen shows no code and no name: the details are in the app (issue 15).
    assert shown["body"] == "Ngày mai có một lượt thăm. Mở ứng dụng để xem chi tiết."
    assert case.code not in json.dumps(shown, ensure_ascii=False)
    assert "Nguyễn" not in json.dumps(shown, ensure_ascii=False)
    assert shown["tag"] == f"appointment-{reminder.key.split(':')[1]}"
    case_page = f"{live_server.url}/app/#/case/{case.uuid}"
    assert shown["data"]["url"] == case_page

    # Tapping it. A headless browser cannot click a notification, and a synthetic click may not
    # open or focus a window (no user activation), so the test records what the worker asks for.
    worker = next(w for w in phone.service_workers if w.url.startswith(live_server.url))
    tap = """async () => {
        const opened = [];
        Object.defineProperty(self.clients, "openWindow",
            {configurable: true, value: async (url) => { opened.push("open " + url); return null; }});
        WindowClient.prototype.focus = async function () { opened.push("focus " + this.url); return this; };
        const [notification] = await self.registration.getNotifications();
        try {
            self.dispatchEvent(new NotificationEvent("notificationclick", {notification}));
        } catch (error) { /* waitUntil refuses untrusted events; the handler still ran */ }
        for (let i = 0; i < 100 && !opened.length; i++) await new Promise((r) => setTimeout(r, 20));
        return {opened, left: (await self.registration.getNotifications()).length};
    }"""
    # The app is open on that page: it is brought forward.
    page.goto(f"{live_server.url}/account")
    page.goto(case_page)
    page.wait_for_function(f"location.href === {json.dumps(case_page)}")
    assert worker.evaluate(tap) == {"opened": [f"focus {case_page}"], "left": 0}
    # The app is elsewhere (or closed): the page opens in a new window, the other is left alone.
    deliver(page, phone, live_server, payload)
    page.goto(f"{live_server.url}/account")
    assert worker.evaluate(tap) == {"opened": [f"open {case_page}"], "left": 0}


def test_a_push_without_data_still_shows_a_notification(live_server, phone):
    member = make_user(role="member")
    page = open_app(phone.new_page(), live_server, member)
    shown = deliver(page, phone, live_server, "")[0]
    assert shown["title"] == "Sổ Theo Dõi"
    assert shown["data"]["url"] == f"{live_server.url}/app/"


def test_a_payload_cannot_send_the_user_off_site(live_server, phone):
    member = make_user(role="member")
    page = open_app(phone.new_page(), live_server, member)
    shown = deliver(page, phone, live_server, json.dumps(
        {"title": "x", "body": "y", "url": "https://evil.example/"}))[0]
    assert shown["data"]["url"] == f"{live_server.url}/app/"


def test_the_notifications_page_offers_one_switch_at_a_time(live_server, phone):
    """'Bật' and 'Tắt' are never shown together: the hidden attribute wins over the button style."""
    member = make_user(role="member")
    page = open_app(phone.new_page(), live_server, member)
    page.goto(f"{live_server.url}/account/notifications")
    page.wait_for_function("!document.getElementById('push-on').hidden || "
                           "!document.getElementById('push-off').hidden")
    shown = page.evaluate("""() => ['push-on', 'push-off'].filter((id) => {
        const el = document.getElementById(id);
        return el.getBoundingClientRect().height > 0;
    })""")
    assert shown == ['push-on'], shown


# This browser's subscription, as a real push service would give it (Chromium here cannot reach
# one): what the page's PushManager answers, and whether unsubscribe() was called.
FAKE_SUBSCRIPTION = """(() => {
  const endpoint = "https://fcm.googleapis.com/fcm/send/this-phone";
  PushManager.prototype.getSubscription = async function () {
    if (localStorage.getItem("unsubscribed")) return null;
    return { endpoint, unsubscribe: async () => { localStorage.setItem("unsubscribed", "1"); return true; } };
  };
})()"""


def test_logging_out_ends_the_phones_push_subscription_there_and_on_the_server(live_server, phone):
    """A phone nobody is logged in on (lent, shared) gets no one's reminders: logging out from
    the field app ends the browser's subscription and the server forgets it."""
    from webapp.models import PushSubscription

    member = make_user(role="member")
    kept = make_user(role="member", club=member.club)
    for user, endpoint in ((member, "https://fcm.googleapis.com/fcm/send/this-phone"),
                           (kept, "https://fcm.googleapis.com/fcm/send/another-phone")):
        PushSubscription.create(user=user, endpoint=endpoint, p256dh="k" * 87, auth="a" * 22)
    phone.add_init_script(FAKE_SUBSCRIPTION)
    page = open_app(phone.new_page(), live_server, member)
    page.goto(f"{live_server.url}/app/#/more")
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url("**/login")
    assert page.evaluate("localStorage.getItem('unsubscribed')") == "1"
    assert [s.user_id for s in PushSubscription.select()] == [kept.id]


def test_on_a_shared_phone_the_notifications_page_is_the_logged_in_members(live_server, phone):
    """The browser keeps the subscription A made on it when A's session there ends without a
    logout (an expiry, a new password set elsewhere): A logging in again finds notifications on,
    with nothing to turn on; B logging in after A's session ended again finds A's gone from the
    server, and B's page offers to turn notifications on (not off, as if B's were on)."""
    from webapp import accounts
    from webapp.models import PushSubscription

    first = make_user(role="member")
    second = make_user(role="member", club=first.club)
    phone.add_init_script(FAKE_SUBSCRIPTION)

    def switch(page):
        page.goto(f"{live_server.url}/account/notifications")
        page.wait_for_function("!document.getElementById('push-on').hidden || "
                               "!document.getElementById('push-off').hidden")
        return "on" if page.locator("#push-off").is_visible() else "off"

    page = open_app(phone.new_page(), live_server, first)
    page.goto(f"{live_server.url}/account/notifications")
    # A turns notifications on: what push.js sends, with the browser's subscription.
    status = page.evaluate("""async () => (await fetch("/api/v1/push/subscriptions", {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json",
                  "X-CSRFToken": document.getElementById("push-panel").dataset.csrf},
        body: JSON.stringify({endpoint: "https://fcm.googleapis.com/fcm/send/this-phone",
            keys: {p256dh: "BA" + "A".repeat(85), auth: "A".repeat(22)}})})).status""")
    assert status == 201
    assert switch(page) == "on"
    accounts.end_sessions(first)  # A's session on the phone ends without a logout

    open_app(page, live_server, first)  # A again
    assert switch(page) == "on"
    assert [s.user_id for s in PushSubscription.select()] == [first.id]
    accounts.end_sessions(first)  # and again
    open_app(page, live_server, second)
    assert switch(page) == "off"
    assert PushSubscription.select().count() == 0  # A's went at B's login
