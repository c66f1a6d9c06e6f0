"""The pilot's evaluation as the supervisor meets it: on a 360 px phone (tables scroll in their own
box, with a cue), and printed on A4 (landscape, no navigation, the summary then one club a page,
column headers on every page)."""
import os
import re

import pytest

from webapp.models import User

from ..factories import PASSWORD, make_club, make_user
from ..report_data import seed_year
from ..test_evaluation import small_club
from .conftest import CHROMIUM, CHROMIUM_ARGS, log_in

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("SOTD_SCREENSHOTS")


def shot(page, name, **kwargs):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, name), **kwargs)


def seed():
    seed_year(2025, seed=3, n_cases=30, club=make_club(name="CLB Hùng Thắng"))
    seed_year(2026, seed=4, n_cases=20, club=make_club(name="CLB Bạch Đằng"))
    small_club("CLB Cao Xanh")
    make_club(name="CLB Tuần Châu")
    return make_user(role="supervisor", area="Hạ Long", full_name="Phạm Văn Tỉnh")


def test_the_evaluation_on_a_phone_and_on_a4(live_server, playwright_instance):
    supervisor = seed()
    User.update(locale="vi").where(User.id == supervisor.id).execute()
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                  args=CHROMIUM_ARGS)
    try:
        context = browser.new_context(
            viewport={"width": 360, "height": 740}, device_scale_factor=1, is_mobile=True,
            has_touch=True, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh",
            service_workers="block")
        context.set_default_timeout(15000)
        page = context.new_page()
        log_in(page, live_server.url, supervisor.login, PASSWORD)
        page.goto(live_server.url + "/area/evaluation/?start=2025-01&end=2026-06")
        assert page.locator("h1").inner_text() == "Đánh giá thí điểm"
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
        # Each table wider than the phone scrolls inside its own box, and says so.
        wraps = page.evaluate("""() => [...document.querySelectorAll('.table-wrap')].map(w => ({
            scrolls: w.scrollWidth > w.clientWidth,
            overflow: getComputedStyle(w).overflowX,
            cue: getComputedStyle(w.previousElementSibling).display !== 'none'
                 && w.previousElementSibling.classList.contains('scroll-hint')}))""")
        assert len(wraps) == 5  # the clubs side by side, and four clubs
        assert all(w["overflow"] == "auto" and w["cue"] for w in wraps), wraps
        assert any(w["scrolls"] for w in wraps)
        shot(page, "supervisor-vi-evaluation-360-top.png")
        shot(page, "supervisor-vi-evaluation-360-full.png", full_page=True)
        page.locator("#summary-title").evaluate("h => window.scrollTo(0, h.offsetTop - 70)")
        shot(page, "supervisor-vi-evaluation-360-summary.png")
        page.locator(".evaluation-club h2").first.evaluate(
            "h => window.scrollTo(0, h.getBoundingClientRect().top + window.scrollY - 70)")
        shot(page, "supervisor-vi-evaluation-360-club.png")
        # The row names stay in view while the months' figures scroll sideways.
        first_wrap = page.locator(".evaluation-club .table-wrap").first
        first_wrap.evaluate("w => { w.scrollLeft = 200; }")
        shot(page, "supervisor-vi-evaluation-360-club-scrolled.png")
        sticky = first_wrap.locator("tbody th").first
        assert sticky.evaluate("th => getComputedStyle(th).position") == "sticky"

        # A bad period: the message beside the field, in Vietnamese.
        page.goto(live_server.url + "/area/evaluation/?start=2026-06&end=2026-01")
        assert "Tháng bắt đầu không được sau tháng kết thúc." in page.locator(
            "#period-start-error").inner_text()
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
        shot(page, "supervisor-vi-evaluation-360-error.png", full_page=True)

        # Printed: A4 landscape, no navigation, chooser or buttons; a page per club.
        page.goto(live_server.url + "/area/evaluation/?start=2025-01&end=2026-06")
        assert page.locator("[data-print]").is_visible()  # print.js shows the print button
        page.emulate_media(media="print")
        page.set_viewport_size({"width": 1123, "height": 794})  # A4 landscape at 96 dpi
        hidden = page.evaluate("""() => ['.topbar', '.bottomnav', '.period-form', '.actions',
                                         '.scroll-hint']
            .map(s => [...document.querySelectorAll(s)]
                 
                 .every(el => el.getClientRects().length === 0))""")
        assert all(hidden), hidden
        breaks = page.evaluate("""() => [...document.querySelectorAll('.evaluation-club')]
            .map(el => getComputedStyle(el).breakBefore)""")
        assert breaks == ["page"] * 4
        heads = page.evaluate("""() => [...document.querySelectorAll('.evaluation thead')]
            .map(el => getComputedStyle(el).display)""")
        assert set(heads) == {"table-header-group"}
        assert page.locator(".print-only").first.is_visible()
        shot(page, "supervisor-vi-evaluation-print-a4.png", full_page=True)
        pdf = page.pdf(prefer_css_page_size=True, print_background=True)
        if SHOTS:
            with open(os.path.join(SHOTS, "supervisor-vi-evaluation-a4.pdf"), "wb") as handle:
                handle.write(pdf)
        assert pdf.startswith(b"%PDF")
        pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
        assert pages >= 6  # the summary, four clubs, the notes
        # Landscape A4: 842 x 595 points.
        sizes = set(re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf))
        assert sizes and all(abs(float(w) - 842) < 2 and abs(float(h) - 595) < 2
                             for w, h in sizes), sizes
        context.close()
    finally:
        browser.close()
