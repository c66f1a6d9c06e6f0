"""The field app on a phone, every byte counted on the server's socket (bench/meter.py): the page's
requests, the service worker's and the browser's own (manifest, install icons) alike.

For a member with 40 cases and a chair with the whole club, 300 cases: bytes of the first visit,
of a sync when nothing changed and of a sync after one change elsewhere, the chair's first load on
Chromium's emulated "Slow 4G" (150 ms, 1.6 Mbit/s down, 750 kbit/s up), opening offline with the
CPU throttled 4×; then the server's time to take a batch of 200 visits against inserting the same
rows directly, on SQLite and on PostgreSQL (when installed).

Budgets (issue #17): first visit ≤ 80 KB (member, 40 cases); a sync when nothing changed ≤ 2 KB,
after one change elsewhere ≤ 4 KB; the chair's first load ≤ 120 KB with the working set drawn
within 3 s on Slow 4G; JavaScript ≤ 30 KB compressed; offline open ≤ 200 ms (40 cases) and
≤ 300 ms (300 cases) at 4× CPU; a sync batch within 2× of the direct insert on SQLite and 2.5× on
PostgreSQL. Figures only: no test asserts a time.

Last, 50 members syncing at once against gunicorn with 4 workers (bench/load_sync.py), and every
figure of issue 17's table side by side.

    .venv/bin/python -m bench.field_app
    .venv/bin/python -m bench.field_app --no-postgres     SQLite only
    .venv/bin/python -m bench.field_app --no-load         without the 50 members
    .venv/bin/python -m bench.field_app --open-only       offline open at 4x CPU only
    .venv/bin/python -m bench.field_app --open-only --opens 16   more opens (the first is not counted)
"""
import gzip
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

os.environ.setdefault("PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS", "1")

from bench.common import header, report  # noqa: E402
from bench.meter import MeteredServer  # noqa: E402
from webapp import shell  # noqa: E402
from webapp.clock import local_today  # noqa: E402

CHROMIUM = os.environ.get("SOTD_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
PASSWORD = "bench-password-1"
MEMBER_CASES, CLUB_CASES, MEMBERS = 40, 300, 8
SLOW_4G = {"offline": False, "latency": 150, "downloadThroughput": 200000,
           "uploadThroughput": 93750}
KB = 1024

WORKING_SET_STORED = """() => self.sotd && self.sotd.currentUser()
  .then((u) => u && self.sotd.working(u)).then((w) => !!w)"""


def make_app(folder, database_url=None):
    os.environ["SOTHEODOI_INSTANCE"] = str(folder / "instance")
    from webapp import create_app
    return create_app({
        "SECRET_KEY": "bench",
        "DATABASE_URL": database_url or f"sqlite:///{folder / 'bench.sqlite3'}",
        "SESSION_COOKIE_SECURE": False, "WTF_CSRF_ENABLED": True,
    })


def fill(app):
    """A club of CLUB_CASES people: MEMBER_CASES followed by tv1, the rest by the other members;
    each case with a few visits, tv1 with a few appointments. The chair (cn1) sees them all."""
    from webapp import accounts
    from webapp.book import cases
    from webapp.db import database
    from webapp.models import Appointment, Case, CaseCategory, Consent, User, Visit

    with app.app_context(), database.atomic():
        club = accounts.create_club(name="CLB Tuần Châu", code_prefix="TC", ward="Tuần Châu",
                                    city="Hạ Long", province="Quảng Ninh")
        member = accounts.create_user(login="tv1", password=PASSWORD, role="member", club=club,
                                      full_name="Nguyễn Thị Lan", must_change_password=False)
        chair = User.create(login="cn1", password_hash=accounts.hash_password(PASSWORD),
                            role="chair", club=club, full_name="Trần Văn Chủ",
                            device_key=os.urandom(32))
        others = [accounts.create_user(login=f"tv{n}", password=PASSWORD, role="member",
                                       club=club, full_name=f"Thành viên {n}",
                                       must_change_password=False)
                  for n in range(2, MEMBERS + 1)]
        for n in range(CLUB_CASES):
            follower = member if n < MEMBER_CASES else others[n % len(others)]
            case = Case.create(club=club, code=cases.next_code(club, local_today().year),
                               created_by=follower, assigned_to=follower,
                               full_name=f"Đối tượng {n}", sex="female",
                               birth_year=1990 + n % 20, review_status="approved",
                               address=f"Tổ {n % 9 + 1}, khu {n % 5 + 1}")
            CaseCategory.create(case=case, category="at_risk")
            Consent.create(case=case, purpose="follow", recorded_by=follower)
            for k in range(3):
                Visit.create(club=club, case=case, created_by=follower, kind="home_visit",
                             date=local_today() - timedelta(days=7 * k), topics=["safe_migration"],
                             review_status="approved")
            if follower == member and n % 4 == 0:
                Appointment.create(club=club, case=case, member=member, created_by=chair,
                                   due_date=local_today() + timedelta(days=n % 10))
        return member.id, chair.id, case_of(member)


def case_of(user):
    from webapp.models import Case
    return Case.select().where(Case.assigned_to == user).order_by(Case.id).first().uuid


def change_elsewhere(app, case_uuid, n):
    """Someone at the desk changes one case of the phone's working set."""
    from webapp.db import database
    from webapp.models import Case

    with app.app_context():
        with database.atomic():
            Case.update(phone=f"09123456{n:02d}").where(Case.uuid == case_uuid).execute()
        database.close()


def launch(p, profile):
    device = dict(p.devices["Pixel 5"])
    device.pop("default_browser_type", None)
    return p.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, headless=True, args=ARGS, locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh", service_workers="allow", **device)


def log_in(page, url, login):
    page.goto(f"{url}/login?next=/app/")  # a chair lands on the desk otherwise
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/app/**")


def settle(page, meter, quiet=0.5):
    """Wait until the server has answered nothing new for `quiet` seconds."""
    count, since = meter.mark(), time.monotonic()
    while time.monotonic() - since < quiet:
        time.sleep(0.1)
        if meter.mark() != count:
            count, since = meter.mark(), time.monotonic()


def sync_bytes(page, meter):
    """One sync from the page: the bytes of its API answers and the requests made."""
    mark = meter.mark()
    page.evaluate("() => self.sotd.sync()")
    settle(page, meter, 0.3)
    requests = [r for r in meter.since(mark) if r[1].startswith("/api/")]
    return sum(n for *_x, n in requests), [r[1].split("?")[0] for r in requests]


def option(name, default):
    """The value after `name` on the command line, or `default`."""
    args = sys.argv[1:]
    return type(default)(args[args.index(name) + 1]) if name in args else default


def phone_figures(app, server, login, profile, case_uuid, n, opens=6):
    """First visit, two syncs and `opens` offline opens (the first one not counted), for one
    user on a fresh phone."""
    from playwright.sync_api import sync_playwright

    meter = server.meter
    out = {}
    with sync_playwright() as p:
        context = launch(p, profile)
        page = context.new_page()
        mark = meter.mark()
        log_in(page, server.url, login)
        page.wait_for_selector("[data-testid=waiting-count]")
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
        page.wait_for_function(WORKING_SET_STORED)
        # What Chromium fetches to judge the app installable: the manifest and its icons.
        context.new_cdp_session(page).send("Page.getInstallabilityErrors")
        page.wait_for_load_state("networkidle")
        settle(page, meter)
        first = meter.since(mark)
        out["first"] = sum(n for *_x, n in first)
        out["first_by_path"] = first
        # The script files, and the field app's bundle the shell holds inline (compressed as
        # the shell is, on its own: within the page it compresses a little better).
        out["js"] = (sum(n for _m, path, n in first if path.startswith("/static/js/"))
                     + inline_script_bytes())

        out["quiet"], out["quiet_requests"] = sync_bytes(page, meter)
        change_elsewhere(app, case_uuid, n)
        out["changed"], out["changed_requests"] = sync_bytes(page, meter)

        # Offline, slow phone: from navigation to the day drawn from IndexedDB. The page that
        # logged in and synced is closed first: a phone opening the app from its home screen
        # has no other page of it running beside the one it opens.
        page.close()
        context.route("**/*", lambda route: route.abort("internetdisconnected"))
        context.set_offline(True)
        times, painted = zip(*(offline_open(context, server.url) for _ in range(opens)))
        out["opens"], out["painted"] = times[1:], painted[1:]
        # As a phone opens the app from its home screen a while after the last use: the browser
        # has stopped the service worker (after 30 s idle), and starts it again for the open.
        out["cold"] = [offline_open(context, server.url, cold=True)[0] for _ in range(opens - 1)]
        context.close()
    return out


def inline_script_bytes():
    """The compressed size of the script the shell holds inline (webapp/bundled/field-app.js),
    gzipped as the server gzips the shell."""
    return len(gzip.compress(shell.BUNDLE.read_bytes(), compresslevel=6, mtime=0))


def offline_open(context, url, cold=False):
    """One open of the app in a new page at 4x CPU: ms to Today drawn, and to Today painted.
    `cold`: the service worker stopped first."""
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    if cold:
        cdp.send("ServiceWorker.enable")
        cdp.send("ServiceWorker.stopAllWorkers")
        page.wait_for_timeout(300)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
    page.goto(f"{url}/app/", wait_until="load")
    # Nothing of Playwright's runs in the page until the app has drawn: its selector engine,
    # injected by a wait_for_selector, costs ~30 ms of the throttled CPU.
    page.wait_for_timeout(1500)
    # "sotd:day" is marked once Today is in the page, before the browser lays it out and paints
    # it; the last largest contentful paint is when it shows.
    day, shown = page.evaluate("""() => new Promise((resolve) => {
      let paint = null;
      new PerformanceObserver((list) => { for (const e of list.getEntries()) paint = e.startTime; })
        .observe({ type: 'largest-contentful-paint', buffered: true });
      const seen = () => performance.getEntriesByName('sotd:day')[0];
      const done = () => setTimeout(() => resolve([seen().startTime, paint]), 0);
      if (seen()) return done();
      new PerformanceObserver(() => seen() && done()).observe({ type: 'mark', buffered: true });
    })""")
    page.close()
    return day, shown if shown is not None else day


def slow_first_load(server, login, profile):
    """A first load on Slow 4G: bytes from the login form's submit until the working set is
    drawn, and the seconds it took."""
    from playwright.sync_api import sync_playwright

    meter = server.meter
    with sync_playwright() as p:
        context = launch(p, profile)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", SLOW_4G)
        page.goto(f"{server.url}/login?next=/app/")
        page.fill("input[name=login]", login)
        page.fill("input[name=password]", PASSWORD)
        mark = meter.mark()
        start = time.perf_counter()
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/app/**")
        page.wait_for_function("() => performance.getEntriesByName('sotd:day').length > 0",
                               polling=50, timeout=60000)
        seconds = time.perf_counter() - start
        page.wait_for_function("() => navigator.serviceWorker.controller !== null",
                               timeout=60000)
        page.wait_for_load_state("networkidle")
        settle(page, meter)
        loaded = meter.bytes(mark)
        context.close()
    return loaded, seconds


def batch_figures(app, member_id, case_uuid, rounds=5):
    """Seconds for the sync API to take 200 visits, and for 200 direct inserts, per round."""
    from webapp.db import database
    from webapp.models import Case, User, Visit, VisitMember

    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    client.post("/login", data={"login": "tv1", "password": PASSWORD})
    api, direct = [], []
    today = local_today().isoformat()
    for _ in range(rounds):
        entries = [{"uuid": str(uuid.uuid4()), "type": "visit", "revision": 1,
                    "client_created_at": "2026-01-01T00:00:00Z",
                    "data": {"case_uuid": case_uuid, "date": today, "kind": "home_visit",
                             "topics": ["safe_migration"], "notes": f"Lượt {n}",
                             "members_present": [member_id]}}
                   for n in range(200)]
        start = time.perf_counter()
        answer = client.post("/api/v1/sync", json={"entries": entries})
        api.append(time.perf_counter() - start)
        statuses = {r["status"] for r in answer.get_json()["results"]}
        assert statuses == {"created"}, statuses
        with app.app_context():
            member = User.get_by_id(member_id)
            case = Case.get(Case.uuid == case_uuid)
            start = time.perf_counter()
            with database.atomic():
                for n in range(200):
                    visit = Visit.create(club=case.club_id, case=case, created_by=member,
                                         date=today, kind="home_visit", topics=["safe_migration"],
                                         notes=f"Lượt {n}")
                    VisitMember.create(visit=visit, user=member)
            direct.append(time.perf_counter() - start)
            database.close()
    app.config["WTF_CSRF_ENABLED"] = True
    return statistics.median(api), statistics.median(direct)


def postgres_batch():
    """The sync batch against direct inserts on PostgreSQL, or None when it is not installed."""
    from bench.common import fresh_postgres_database, postgres_bin, throwaway_postgres

    if postgres_bin() is None and not os.environ.get("BENCH_POSTGRES_URL"):
        return None
    with throwaway_postgres() as server:
        url = fresh_postgres_database(server, "sotd_bench_field")
        app = make_app(Path(tempfile.mkdtemp(prefix="sotd-bench-field-")), url)
        member_id, _chair_id, case_uuid = fill(app)
        return batch_figures(app, member_id, case_uuid)


def kb(n):
    return round(n / KB, 1)


def main():
    header("Field app: every byte a phone downloads, syncs, Slow 4G, offline open at 4x CPU, "
           "sync batch of 200")
    folder = Path(tempfile.mkdtemp(prefix="sotd-bench-field-"))
    app = make_app(folder)
    member_id, chair_id, case_uuid = fill(app)
    server = MeteredServer(app).start()
    opens = option("--opens", 6)
    try:
        member = phone_figures(app, server, "tv1", folder / "member", case_uuid, 1, opens)
        chair = phone_figures(app, server, "cn1", folder / "chair", case_uuid, 2, opens)
        if "--open-only" in sys.argv[1:]:
            return open_figures(member, chair)
        slow_bytes, slow_seconds = slow_first_load(server, "cn1", folder / "chair-slow")
    finally:
        server.stop()
    sqlite_api, sqlite_direct = batch_figures(app, member_id, case_uuid)
    pg = postgres_batch() if "--no-postgres" not in sys.argv[1:] else None

    print(f"  what a member's phone downloads on a first visit ({MEMBER_CASES} cases):")
    for method, path, size in sorted(member["first_by_path"], key=lambda r: -r[2]):
        print(f"    {size / KB:7.1f} KB  {method} {path.split('?')[0]}")
    print(f"  a sync when nothing changed: {', '.join(member['quiet_requests'])}")
    print(f"  a sync after one change elsewhere: {', '.join(member['changed_requests'])}")
    figures = {
        "first visit, member (40 cases), KB, everything (budget 80)": kb(member["first"]),
        "first visit, chair (300 cases), KB, everything": kb(chair["first"]),
        "JavaScript, KB transferred (budget 30)": kb(member["js"]),
        "sync when nothing changed, member, KB (budget 2)": kb(member["quiet"]),
        "sync when nothing changed, chair, KB (budget 2)": kb(chair["quiet"]),
        "sync after one change elsewhere, member, KB (budget 4)": kb(member["changed"]),
        "sync after one change elsewhere, chair, KB (budget 4)": kb(chair["changed"]),
        "chair's first load on Slow 4G, KB (budget 120)": kb(slow_bytes),
        "chair's first load on Slow 4G, working set drawn, s (budget 3)": round(slow_seconds, 2),
        "offline open at 4x CPU, member, ms median (budget 200)": round(
            statistics.median(member["opens"])),
        "offline open at 4x CPU, member, ms max": round(max(member["opens"])),
        "offline open at 4x CPU, chair, ms median (budget 300)": round(
            statistics.median(chair["opens"])),
        "offline open at 4x CPU, chair, ms max": round(max(chair["opens"])),
        "offline open at 4x CPU, Today painted, member / chair, ms median": (
            f"{statistics.median(member['painted']):.0f} / {statistics.median(chair['painted']):.0f}"),
        "offline open at 4x CPU, service worker stopped first, member / chair, ms median": (
            f"{statistics.median(member['cold']):.0f} / {statistics.median(chair['cold']):.0f}"),
        "sync of 200 visits, SQLite, ms median": round(sqlite_api * 1000, 1),
        "direct insert of 200 visits, SQLite, ms median": round(sqlite_direct * 1000, 1),
        "sync / direct, SQLite (budget 2x)": round(sqlite_api / sqlite_direct, 2),
    }
    if pg:
        figures.update({
            "sync of 200 visits, PostgreSQL, ms median": round(pg[0] * 1000, 1),
            "direct insert of 200 visits, PostgreSQL, ms median": round(pg[1] * 1000, 1),
            "sync / direct, PostgreSQL (budget 2.5x)": round(pg[0] / pg[1], 2),
        })
    report("field_app", figures)
    within = {
        "first visit ≤ 80 KB": member["first"] <= 80 * KB,
        "sync when nothing changed ≤ 2 KB": max(member["quiet"], chair["quiet"]) <= 2 * KB,
        "sync after one change ≤ 4 KB": max(member["changed"], chair["changed"]) <= 4 * KB,
        "chair's first load ≤ 120 KB, ≤ 3 s": slow_bytes <= 120 * KB and slow_seconds <= 3,
        "JavaScript ≤ 30 KB": member["js"] <= 30 * KB,
        "offline open ≤ 200 ms / ≤ 300 ms": (statistics.median(member["opens"]) <= 200
                                             and statistics.median(chair["opens"]) <= 300),
        "sync batch ≤ 2x SQLite": sqlite_api / sqlite_direct <= 2,
    }
    if pg:
        within["sync batch ≤ 2.5x PostgreSQL"] = pg[0] / pg[1] <= 2.5
    load = None
    if "--no-load" not in sys.argv[1:]:
        from bench import load_sync

        load = load_sync.run_all(load_sync.options(
            ["--db", "sqlite" if "--no-postgres" in sys.argv[1:] else "both"]))
        within["50 members at once: no error, each exactly once"] = all(
            f["ok"] for f in load.values())
    issue_table(member, chair, slow_bytes, slow_seconds, (sqlite_api, sqlite_direct), pg, load)
    for budget, ok in within.items():
        print(f"  {'within' if ok else 'OVER'}: {budget}")


def open_figures(member, chair):
    """Only the offline opens at 4x CPU (--open-only): each open, the median and the budget."""
    for who, figures, budget in (("member, 40 cases", member, 200), ("chair, 300 cases", chair, 300)):
        opens = figures["opens"]
        print(f"  offline open at 4x CPU, {who}: median {statistics.median(opens):.0f} ms "
              f"(min {min(opens):.0f}, max {max(opens):.0f}; budget {budget}): "
              + ", ".join(f"{ms:.0f}" for ms in opens))
        print(f"    painted (largest contentful paint): median "
              f"{statistics.median(figures['painted']):.0f} ms")
        print(f"    the service worker stopped first (as from the home screen after a while): "
              f"median {statistics.median(figures['cold']):.0f} ms")


def issue_table(member, chair, slow_bytes, slow_seconds, sqlite, pg, load):
    """Issue 17's table: every figure of this run beside its budget."""
    ms = lambda opens: f"{statistics.median(opens):.0f} ms (max {max(opens):.0f})"  # noqa: E731
    rows = [
        ("first visit, member 40 cases, everything the phone downloads",
         f"{kb(member['first'])} KB (chair 300 cases: {kb(chair['first'])} KB)", "≤ 80 KB"),
        ("sync when nothing changed (API bytes), member / chair",
         f"{kb(member['quiet'])} / {kb(chair['quiet'])} KB", "≤ 2 KB"),
        ("sync after one change elsewhere (API bytes), member / chair",
         f"{kb(member['changed'])} / {kb(chair['changed'])} KB", "≤ 4 KB"),
        ("chair's first load, 300 cases, Slow 4G",
         f"{kb(slow_bytes)} KB, working set drawn in {slow_seconds:.2f} s", "≤ 120 KB, ≤ 3 s"),
        ("offline open at 4× CPU, 40 cases / 300 cases",
         f"{ms(member['opens'])} / {ms(chair['opens'])}", "≤ 200 ms / ≤ 300 ms"),
        ("the same, the service worker stopped first",
         f"{ms(member['cold'])} / {ms(chair['cold'])}", "(not a budget)"),
        ("JavaScript, compressed", f"{kb(member['js'])} KB", "≤ 30 KB"),
        ("sync batch of 200 vs direct insert, SQLite",
         f"{sqlite[0] / sqlite[1]:.2f}× ({sqlite[0] * 1000:.0f} / {sqlite[1] * 1000:.0f} ms)",
         "≤ 2×"),
    ]
    if pg:
        rows.append(("sync batch of 200 vs direct insert, PostgreSQL",
                     f"{pg[0] / pg[1]:.2f}× ({pg[0] * 1000:.0f} / {pg[1] * 1000:.0f} ms)",
                     "≤ 2.5×"))
    for database, f in (load or {}).items():
        rows.append((f"50 members at once, 4 gunicorn workers, {database}",
                     f"{f['entries_sent']} entries, {f['entries_per_second']:.0f}/s, "
                     f"p95 {f['p95_ms'] / 1000:.2f} s, {f['errors']} errors, "
                     f"{'each exactly once' if f['exactly_once'] else 'NOT exactly once'}",
                     "no error, each exactly once"))
    width = max(len(r[0]) for r in rows)
    print("-- issue 17's table")
    for figure, now, budget in rows:
        print(f"   {figure:<{width}}  {now:<48}  {budget}")


if __name__ == "__main__":
    main()
