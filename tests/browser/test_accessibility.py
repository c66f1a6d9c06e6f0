"""axe-core on every page each role reaches, in Vietnamese, on a 360 px phone.

The pages before logging in (the login with its error too); the field app's screens for a member and for a chair (Today, My cases, a case,
Record, each form, Outbox, More); every desk page of the chair, the supervisor's area and evaluation
pages and the admin's pages (the same URL map walk as test_desk_360). A page fails on any violation
of a WCAG 2 A/AA rule (2.0, 2.1 and 2.2) whose impact is serious or critical, or of axe's landmark
and heading rules; each is printed with its rule, the element and the page. Tap targets are held to 44 px or spaced (see TAP_44).
"""
import os

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from axe_playwright_python.sync_playwright import Axe

from webapp.models import User

from ..factories import PASSWORD
from .conftest import CHROMIUM, CHROMIUM_ARGS, log_in, submit_login
from .test_desk_360 import WIDTH, desk_pages, seed

pytestmark = pytest.mark.browser

WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
RULES = {"runOnly": {"type": "tag", "values": WCAG + ["best-practice"]},
         "resultTypes": ["violations"]}
BLOCKING = ("serious", "critical")


def blocks(rule):
    """A WCAG A/AA rule of serious or critical impact; and, whatever their impact, the rules of
    landmarks and headings (best practice), by which a screen reader finds its way on a page."""
    if rule["id"].startswith("landmark") or rule["id"] in ("region", "page-has-heading-one"):
        return True
    return rule["impact"] in BLOCKING and any(tag in WCAG for tag in rule["tags"])

# WCAG 2.2's target-size (2.5.8) asks 24 px; the project's own bar is a 44 px target, or one whose
# 44 px circle touches no other target (a thumb on a cheap phone): set on the rule itself, as the
# rule's own options would win over the checks'.
TAP_44 = (';axe.configure({checks: [{id: "target-size", options: {minSize: 44}},'
          ' {id: "target-offset", options: {minOffset: 44}}],'
          ' rules: [{id: "target-size", any: ["target-size", "target-offset"]}]});')
PUBLIC_PAGES = ["/login", "/login/setup", "/app/offline"]


def field_screens(case_uuid):
    """The field app's screens, by their hash routes."""
    return ["#/today", "#/cases", f"#/case/{case_uuid}", "#/record",
            f"#/new/visit?case={case_uuid}", "#/new/case", f"#/new/referral?case={case_uuid}",
            "#/new/attendance", "#/new/activity", f"#/consent/{case_uuid}", "#/outbox", "#/more"]


def violations(axe, page, where):
    """Each serious or critical violation on the page as it is drawn now, one line per element."""
    found = []
    for rule in axe.run(page, options=RULES).response["violations"]:
        if not blocks(rule):
            continue
        for node in rule["nodes"]:
            found.append(f"{rule['id']} ({rule['impact']}) {' '.join(map(str, node['target']))}"
                         f" on {where}: {node['failureSummary'].splitlines()[-1].strip()}")
    return found


def drawn(page, route):
    """Open a field app screen and wait until the view has drawn it (the loading line gone)."""
    page.evaluate(f"location.hash = {route!r}")
    page.wait_for_function("() => !document.querySelector('#view > p.muted:only-child')"
                           " && document.querySelector('#view').children.length")
    page.wait_for_timeout(150)  # the screen's own late parts (counts, banner) settle


def test_every_page_of_every_role_passes_axe_in_vietnamese(live_server, playwright_instance):
    world, users, entries = seed()
    User.update(locale="vi").where(User.id.in_([u.id for u in users.values()])).execute()
    for role in ("member", "chair"):  # they open the field app, which needs their device key
        User.update(device_key=os.urandom(32)).where(User.id == users[role].id).execute()
    case_uuid = entries["case"].uuid
    axe = Axe(AXE_SCRIPT + TAP_44)
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                  args=CHROMIUM_ARGS)
    problems, visited = [], set()
    try:
        for role, user in users.items():
            context = browser.new_context(
                viewport={"width": WIDTH, "height": 740}, device_scale_factor=1, is_mobile=True,
                has_touch=True, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
            context.set_default_timeout(15000)
            page = context.new_page()
            if role == "member":  # the pages before logging in, once; the login's error too
                for url in PUBLIC_PAGES:
                    page.goto(live_server.url + url)
                    problems += violations(axe, page, url)
                    visited.add(url)
                page.goto(live_server.url + "/login")
                submit_login(page, user.login, "not the password")
                page.wait_for_selector(".alert")
                problems += violations(axe, page, "/login with a wrong password")
            log_in(page, live_server.url, user.login, PASSWORD)
            page.wait_for_load_state()
            if role in ("member", "chair"):
                page.goto(live_server.url + "/app/")
                page.wait_for_selector("[data-testid=waiting-count]")
                for route in field_screens(case_uuid):
                    drawn(page, route)
                    problems += violations(axe, page, f"{role} /app/{route}")
                    visited.add(f"/app/{route.split('?')[0]}")
            for url in desk_pages(live_server.app, world, entries, user):
                response = page.goto(live_server.url + url)
                if page.url.startswith(live_server.url + "/app/"):
                    continue  # a member's home: the field app, above
                if response is None or response.status >= 400:
                    problems.append(f"{role} {url}: answered {response and response.status}")
                    continue
                problems += violations(axe, page, f"{role} {url}")
                visited.add(url)
            context.close()
    finally:
        browser.close()
    assert len(visited) > 40, sorted(visited)  # guards against checking nothing
    assert {"/login", "/app/#/today", "/app/#/outbox", "/app/#/more", "/desk/review/"} <= visited
    assert any(url.startswith("/area") for url in visited), sorted(visited)
    assert any(url.startswith("/admin") for url in visited), sorted(visited)
    print("\n".join(problems))
    assert not problems, f"{len(problems)} accessibility violations:\n" + "\n".join(problems)
