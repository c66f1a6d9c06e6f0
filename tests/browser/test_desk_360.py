"""Every desk page of every role on a 360 px phone, in Vietnamese and in English.

The pages come from the app's URL map (every GET page a role may open, the field app aside), with
ids of real seeded records, so a page added later is measured without changes here. A page fails
when it is wider than the screen, when a cell of text is squeezed under 48 px, when a link, button
or field is smaller than a 44 x 44 px target, or when the bottom bar changes between pages or
wraps a label. The per-member tables (dashboard, monthly meeting) stack as cards: a row per
member, no sideways scroll inside their box.
"""
import os
from datetime import timedelta
from types import SimpleNamespace

import pytest

from webapp.book import cases
from webapp.clock import local_today
from webapp.models import Provider, SyncConflict, User, Visit
from webapp.permissions import PUBLIC, allowed, rule_for

from ..factories import PASSWORD, make_case, make_user, make_visit, make_world
from ..report_data import make_appointment, seed_year
from ..test_permissions import url_for_rule
from .conftest import CHROMIUM, CHROMIUM_ARGS, log_in

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("SOTD_SCREENSHOTS")  # a folder: save each page's screenshot there
WIDTH = 360
NOT_DESK = ("/api/", "/static/", "/app/", "/sw.js", "/manifest.webmanifest", "/login", "/logout",
            "/language")

# What the page says about itself: its width, squeezed text cells, small targets, the bottom bar.
MEASURE = """(width) => {
  const describe = (el) => `${el.tagName.toLowerCase()} "${(el.textContent || el.name || el.type
      || "").trim().replace(/\\s+/g, " ").slice(0, 40)}"`;
  const shown = (rect) => rect.width > 0 && rect.height > 0 && rect.right > 0;
  const result = {width: document.scrollingElement.scrollWidth, squeezed: [], small: [], bar: [],
                  wrapped: []};
  for (const el of document.querySelectorAll("td, th, dd")) {
    const rect = el.getBoundingClientRect();
    if (el.textContent.trim() && shown(rect) && rect.width < 48) {
      result.squeezed.push(`${describe(el)} ${Math.round(rect.width)} px wide`);
    }
  }
  for (const el of document.querySelectorAll("a[href], button, input, select, textarea, summary")) {
    if (el.type === "hidden") continue;
    // A check box is tapped on its label as well: the larger of the two is the target.
    const rects = [el, ...(el.labels || [])].map((node) => node.getBoundingClientRect())
      .filter(shown);
    if (!rects.length) continue;
    const best = rects.reduce((a, b) => (a.width * a.height >= b.width * b.height ? a : b));
    if (best.width < 44 || best.height < 44) {
      result.small.push(`${describe(el)} ${Math.round(best.width)}x${Math.round(best.height)}`);
    }
  }
  // Tables that stack as cards on a phone: each row a block, nothing hidden to the right.
  result.cards = [];
  for (const table of document.querySelectorAll("table.table--cards")) {
    const box = table.closest(".table-wrap") || table;
    const rows = [...table.querySelectorAll("tbody tr")];
    result.cards.push({heading: (table.closest("section")?.querySelector("h2")?.id) || "",
      stacked: rows.every((tr) => getComputedStyle(tr).display === "block"),
      scrolls: box.scrollWidth > box.clientWidth + 1, rows: rows.length});
  }
  for (const item of document.querySelectorAll(".bottomnav__item")) {
    const label = item.querySelector("span:not(.bottomnav__count)");
    result.bar.push(`${item.getAttribute("href")} ${label.textContent.trim()}`);
    if (label.scrollWidth > label.clientWidth + 1 || label.getClientRects().length > 1) {
      result.wrapped.push(label.textContent.trim());
    }
  }
  return result;
}"""


def seed():
    """A club with a year of work, a new case waiting for review with long answers, and one record
    of every kind for the URL map's ids; a supervisor of its city and an admin."""
    world = make_world()
    seed_year(local_today().year, club=world.club, n_cases=12)
    new_case = make_case(
        club=world.club, created_by=world.member, review_status="submitted",
        categories=("victim", "being_identified"), consent=("follow", "refer"),
        full_name="Nguyễn Thị Phương Thảo", phone="0912345678", risk_level="high",
        address="Số 127, tổ 8, khu 7, đường Trần Quốc Nghiễn", neighbourhood="Khu phố Hồng Hải 7",
        met_how="Gặp trong buổi truyền thông tại nhà văn hoá khu phố, người thân giới thiệu")
    make_visit(new_case, date=local_today() - timedelta(days=2), notes="Gia đình khó khăn " * 20)
    make_appointment(new_case, world.member, local_today() - timedelta(days=4))
    users = {
        "chair": world.chair,
        "member": world.member,
        "supervisor": make_user(role="supervisor", area=world.club.city,
                                full_name="Phạm Văn Tỉnh"),
        "admin": make_user(role="admin", full_name="Quản Trị Viên"),
    }
    # A task of the monthly meeting, so that its per-member table has a row.
    first_of_next = (local_today().replace(day=1) + timedelta(days=32)).replace(day=1)
    make_appointment(new_case, world.member, first_of_next + timedelta(days=2),
                     source="monthly_review", note="Hỏi thăm việc làm")
    entries = {"case": new_case, "visit": Visit.get_by_id(world.visit.id),
               "referral": world.referral, "attendance": world.attendance,
               "activity": world.activity, "screening": world.screening}
    # A conflict kept for the chair, and the supervisor's own provider of the area's directory.
    world.sync_conflict = SyncConflict.create(
        entry_type="case", uuid=new_case.uuid, revision=2, base_revision=1, user=world.member,
        club=world.club, data=dict(cases.data_of(new_case), address="Số 9, tổ 3, khu 2"))
    world.area_provider = Provider.create(area=world.club.city, name="Trung tâm Trợ giúp pháp lý",
                                          service_kinds=["legal_aid"],
                                          created_by=users["supervisor"])
    return world, users, entries


def desk_pages(app, world, entries, user):
    """The URLs of every desk page `user` may open, with real ids; a review page per entry type."""
    pages = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        declared = rule_for(rule.endpoint)
        if "GET" not in rule.methods or rule.rule.startswith(NOT_DESK):
            continue
        if PUBLIC in declared or not allowed(user, declared):
            continue
        if "entry_type" in rule.arguments:
            for entry_type, record in entries.items():
                pages.append(rule.build({"entry_type": entry_type, "entry_id": record.id},
                                        append_unknown=False)[1])
        else:
            # Each role opens the records it keeps: a supervisor the area's provider.
            own = SimpleNamespace(**dict(vars(world), provider=world.area_provider)) \
                if user.role == "supervisor" else world
            pages.append(url_for_rule(rule, own))
    return pages


def shot(page, role, language, url):
    if SHOTS:
        name = url.strip("/").replace("/", "_") or "home"
        page.screenshot(path=os.path.join(SHOTS, f"{role}-{language}-{name}.png"), full_page=True)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_every_desk_page_fits_a_360_px_phone(live_server, playwright_instance, language):
    world, users, entries = seed()
    User.update(locale=language).where(User.id.in_([u.id for u in users.values()])).execute()
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                  args=CHROMIUM_ARGS)
    problems, visited, cards_seen = [], 0, set()
    try:
        for role, user in users.items():
            context = browser.new_context(
                viewport={"width": WIDTH, "height": 740}, device_scale_factor=1, is_mobile=True,
                has_touch=True, locale="vi-VN" if language == "vi" else "en-GB",
                timezone_id="Asia/Ho_Chi_Minh", service_workers="block")
            context.set_default_timeout(15000)
            page = context.new_page()
            log_in(page, live_server.url, user.login, PASSWORD)
            page.wait_for_load_state()
            bars = {}
            for url in desk_pages(live_server.app, world, entries, user):
                response = page.goto(live_server.url + url)
                if page.url.startswith(live_server.url + "/app/"):
                    continue  # a member's home is the field app, measured by its own tests
                where = f"{role} {language} {url}"
                if response is None or response.status >= 400:
                    problems.append(f"{where}: answered {response and response.status}")
                    continue
                visited += 1
                found = page.evaluate(MEASURE, WIDTH)
                shot(page, role, language, url)
                if found["width"] > WIDTH:
                    problems.append(f"{where}: {found['width']} px wide")
                problems += [f"{where}: squeezed {cell}" for cell in found["squeezed"]]
                problems += [f"{where}: small target {target}" for target in found["small"]]
                problems += [f"{where}: bar label on two lines or cut: {label}"
                             for label in found["wrapped"]]
                bars.setdefault(tuple(found["bar"]), []).append(url)
                for table in found["cards"]:
                    if not table["stacked"] or table["scrolls"]:
                        problems.append(f"{where}: the table of {table['heading']} is not cards")
                    cards_seen.add((url.split("/")[2], table["heading"]))
            if len(bars) > 1:
                problems.append(f"{role} {language}: the bottom bar changes between pages: {bars}")
            if not any(bars):
                problems.append(f"{role} {language}: no bottom bar")
            context.close()
    finally:
        browser.close()
    assert visited > 30, visited  # guards against measuring nothing
    # The per-member tables were measured where the chair reads them.
    assert {("dashboard", "members-title"), ("monthly", "members-title"),
            ("monthly", "tasks-title")} <= cards_seen, cards_seen
    assert not problems, "\n".join(problems)


def whole_page(page, name):
    """Save the page whole, 360 px wide, its bottom bar where it sits (not over the page)."""
    if SHOTS:
        height = page.evaluate("document.scrollingElement.scrollHeight")
        page.set_viewport_size({"width": WIDTH, "height": height})
        page.screenshot(path=os.path.join(SHOTS, name))
        page.set_viewport_size({"width": WIDTH, "height": 740})


def test_the_review_queue_says_what_each_entry_waits_for_on_a_360_px_phone(live_server,
                                                                           playwright_instance):
    """The queue in Vietnamese on a 360 px phone: a referral whose person has not agreed to be
    referred waits for their consent, with what the chair can do; a visit of a new case waits
    for the case. Both badges fit the screen, and the referral's page leads to the consent."""
    world = make_world()  # its referral is submitted; its case's consent is to be followed only
    new_case = make_case(club=world.club, created_by=world.member, review_status="submitted",
                         full_name="Nguyễn Thị Phương Thảo")
    make_visit(new_case, notes="Gia đình khó khăn")
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                  args=CHROMIUM_ARGS)
    try:
        context = browser.new_context(
            viewport={"width": WIDTH, "height": 740}, device_scale_factor=1, is_mobile=True,
            has_touch=True, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh",
            service_workers="block")
        context.set_default_timeout(15000)
        page = context.new_page()
        log_in(page, live_server.url, world.chair.login, PASSWORD)
        page.wait_for_load_state()
        page.goto(f"{live_server.url}/desk/review/")
        consent = page.locator(".review-item .badge[data-waits=consent]")
        case = page.locator(".review-item .badge[data-waits=case]")
        assert consent.inner_text() == "Chờ người này đồng ý được chuyển gửi"
        assert case.inner_text() == "Chờ duyệt hồ sơ đối tượng"
        todo = consent.locator("xpath=following-sibling::*[contains(@class, 'review-item__todo')]")
        assert todo.inner_text() == "Ghi sự đồng ý vào hồ sơ, hoặc trả lại chuyển gửi."
        found = page.evaluate(MEASURE, WIDTH)
        assert found["width"] <= WIDTH and not found["small"], found
        for badge in (consent, case):
            box = badge.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, box
        whole_page(page, "desk-queue-waits-vi.png")

        page.goto(f"{live_server.url}/desk/review/referral/{world.referral.id}")
        alert = page.locator(".alert[data-waits=consent]")
        assert "Người này chưa đồng ý được chuyển gửi" in alert.inner_text()
        assert page.evaluate(MEASURE, WIDTH)["width"] <= WIDTH
        whole_page(page, "desk-referral-waits-consent-vi.png")
        alert.locator("a").click()
        page.wait_for_url(f"**/desk/cases/{world.case.id}#consent")
        whole_page(page, "desk-case-consent-vi.png")
        context.close()
    finally:
        browser.close()
