"""The field app on a phone: bytes of a first visit, JavaScript weight, opening offline on a slow
CPU, and the server's time to take a batch of 200 visits against inserting them directly.

Budgets (issue #4): first visit < 100 KB transferred, JavaScript < 30 KB, offline open < 300 ms
with the CPU throttled 4×, a sync batch within 5× of the direct insert. Figures only: no test
asserts a time.

    .venv/bin/python -m bench.field_app
    .venv/bin/python -m bench.field_app --postgres    the sync batch only, on PostgreSQL
"""
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

os.environ.setdefault("PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS", "1")

from bench.common import header, report  # noqa: E402

CHROMIUM = os.environ.get("SOTD_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "bench-password-1"
CASES = 40


def make_app(folder, database_url=None):
    os.environ["SOTHEODOI_INSTANCE"] = str(folder / "instance")
    from webapp import create_app
    return create_app({
        "SECRET_KEY": "bench",
        "DATABASE_URL": database_url or f"sqlite:///{folder / 'bench.sqlite3'}",
        "SESSION_COOKIE_SECURE": False, "WTF_CSRF_ENABLED": True,
    })


def fill(app):
    """A club with a member who follows CASES people, each with a few visits."""
    from webapp import accounts
    from webapp.book import cases
    from webapp.db import database
    from webapp.models import Case, CaseCategory, Consent, Visit

    with app.app_context(), database.atomic():
        club = accounts.create_club(name="CLB Tuần Châu", code_prefix="TC", ward="Tuần Châu",
                                    city="Hạ Long", province="Quảng Ninh")
        member = accounts.create_user(login="tv1", password=PASSWORD, role="member", club=club,
                                      full_name="Nguyễn Thị Lan", must_change_password=False)
        for n in range(CASES):
            case = Case.create(club=club, code=cases.next_code(club, date.today().year),
                               created_by=member, assigned_to=member, full_name=f"Đối tượng {n}",
                               sex="female", birth_year=1990 + n % 20, review_status="approved",
                               address=f"Tổ {n % 9 + 1}, khu {n % 5 + 1}")
            CaseCategory.create(case=case, category="at_risk")
            Consent.create(case=case, purpose="follow", recorded_by=member)
            for k in range(3):
                Visit.create(club=club, case=case, created_by=member, kind="home_visit",
                             date=date.today() - timedelta(days=7 * k), topics=["safe_migration"],
                             review_status="approved")
        return member.id, case.uuid


class Server:
    def __init__(self, app):
        from werkzeug.serving import make_server
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()


def phone_figures(url, profile):
    """Bytes of a first visit (login, then today), JS bytes, and offline opens at 4× CPU."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        device = dict(p.devices["Pixel 5"])
        device.pop("default_browser_type", None)
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run"], locale="vi-VN",
            timezone_id="Asia/Ho_Chi_Minh", service_workers="allow", **device)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        responses, sizes = {}, {}
        cdp.on("Network.responseReceived",
               lambda e: responses.__setitem__(e["requestId"], (e["response"]["url"], e["type"])))
        cdp.on("Network.loadingFinished",
               lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))

        page.goto(f"{url}/login")
        page.wait_for_load_state("networkidle")
        login_bytes = sum(sizes.values())
        seen = set(sizes)
        page.fill("input[name=login]", "tv1")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{url}/app/**")
        page.wait_for_selector("[data-testid=waiting-count]")
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
        page.wait_for_load_state("networkidle")
        today_bytes = sum(v for k, v in sizes.items() if k not in seen)
        js_wire = sum(v for k, v in sizes.items() if responses.get(k, ("", ""))[1] == "Script")
        by_url = sorted(((responses.get(k, ("?", ""))[0].replace(url, ""), v)
                         for k, v in sizes.items()), key=lambda x: -x[1])

        # Offline, slow phone: from navigation to the day drawn from IndexedDB.
        context.route("**/*", lambda route: route.abort("internetdisconnected"))
        context.set_offline(True)
        opens, phases = [], []
        for _ in range(6):
            page = context.new_page()
            slow = context.new_cdp_session(page)
            slow.send("Emulation.setCPUThrottlingRate", {"rate": 4})
            page.goto(f"{url}/app/", wait_until="load")
            # Nothing of Playwright's runs in the page until the app has drawn: its selector
            # engine, injected by a wait_for_selector, costs ~30 ms of the throttled CPU.
            page.wait_for_timeout(1500)
            # The app marks the moment the member's day is drawn from IndexedDB.
            opens.append(page.evaluate("""() => new Promise((resolve) => {
              const seen = () => performance.getEntriesByName('sotd:day')[0];
              if (seen()) return resolve(seen().startTime);
              new PerformanceObserver(() => seen() && resolve(seen().startTime))
                .observe({ type: 'mark', buffered: true });
            })"""))
            page.wait_for_selector("[data-testid=waiting-count]")
            phases.append(page.evaluate("""() => {
              const nav = performance.getEntriesByType('navigation')[0];
              return {shell: nav.responseEnd, parsed: nav.domInteractive};
            }"""))
            page.close()
        context.close()
    for phase in phases[1:]:
        print(f"    offline open: shell from the worker at {phase['shell']:.0f} ms,"
              f" parsed at {phase['parsed']:.0f} ms")
    return login_bytes, today_bytes, js_wire, by_url, opens[1:]


def batch_figures(app, member_id, case_uuid, rounds=5):
    """Seconds for the sync API to take 200 visits, and for 200 direct inserts, per round."""
    from webapp.db import database
    from webapp.models import Case, User, Visit

    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    client.post("/login", data={"login": "tv1", "password": PASSWORD})
    api, direct = [], []
    today = date.today().isoformat()
    for _ in range(rounds):
        entries = [{"uuid": str(uuid.uuid4()), "type": "visit", "revision": 1,
                    "client_created_at": "2026-01-01T00:00:00Z",
                    "data": {"case_uuid": case_uuid, "date": today, "kind": "home_visit",
                             "topics": ["safe_migration"], "notes": f"Lượt {n}"}}
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
                    Visit.create(club=case.club_id, case=case, created_by=member, date=today,
                                 kind="home_visit", topics=["safe_migration"], notes=f"Lượt {n}")
            direct.append(time.perf_counter() - start)
            database.close()
    return api, direct


def postgres_main():
    """The sync batch against direct inserts on PostgreSQL (a city's or province's server)."""
    from bench.common import fresh_postgres_database, throwaway_postgres

    with throwaway_postgres() as server:
        url = fresh_postgres_database(server, "sotd_bench_field")
        header("Field app: sync batch of 200 against direct inserts, PostgreSQL", url)
        app = make_app(Path(tempfile.mkdtemp(prefix="sotd-bench-field-")), url)
        member_id, case_uuid = fill(app)
        api, direct = batch_figures(app, member_id, case_uuid)
        ratio = statistics.median(api) / statistics.median(direct)
        report("field_app_postgres", {
            "sync of 200 visits, ms median": round(statistics.median(api) * 1000, 1),
            "direct insert of 200 visits, ms median": round(statistics.median(direct) * 1000, 1),
            "sync / direct (budget < 5x)": round(ratio, 2),
        }, url)
        print(f"  {'within' if ratio <= 5 else 'OVER'}: sync batch within 5x")


def main():
    if "--postgres" in sys.argv[1:]:
        return postgres_main()
    header("Field app: first visit bytes, JavaScript, offline open at 4x CPU, sync batch of 200")
    folder = Path(tempfile.mkdtemp(prefix="sotd-bench-field-"))
    app = make_app(folder)
    member_id, case_uuid = fill(app)
    server = Server(app)
    try:
        login_bytes, today_bytes, js_wire, by_url, opens = phone_figures(server.url, folder / "profile")
    finally:
        server.stop()
    js_files = sorted(Path(app.static_folder, "js").glob("*.js"))
    shell_js = [f for f in js_files if f.name in ("app.js", "core.js", "views.js", "forms.js", "ui.js", "logout.js")]
    js_raw = sum(f.stat().st_size for f in shell_js)
    api, direct = batch_figures(app, member_id, case_uuid)
    first_visit = login_bytes + today_bytes
    ratio = statistics.median(api) / statistics.median(direct)
    print(f"  largest transfers of the first visit ({CASES} cases in the working set):")
    for path, size in by_url[:8]:
        print(f"    {size / 1024:7.1f} KB  {path}")
    figures = {
        "first visit: login page, KB transferred": round(login_bytes / 1024, 1),
        "first visit: today, KB transferred": round(today_bytes / 1024, 1),
        "first visit total, KB (budget < 100)": round(first_visit / 1024, 1),
        "JavaScript, KB transferred (budget < 30)": round(js_wire / 1024, 1),
        "JavaScript of the shell, KB uncompressed": round(js_raw / 1024, 1),
        "offline open at 4x CPU, ms median (budget < 300)": round(statistics.median(opens)),
        "offline open at 4x CPU, ms max": round(max(opens)),
        "sync of 200 visits, ms median": round(statistics.median(api) * 1000, 1),
        "direct insert of 200 visits, ms median": round(statistics.median(direct) * 1000, 1),
        "sync / direct (budget < 5x)": round(ratio, 2),
    }
    report("field_app", figures)
    within = {
        "first visit < 100 KB": first_visit < 100 * 1024,
        "JavaScript < 30 KB": js_wire < 30 * 1024,
        "offline open < 300 ms": statistics.median(opens) < 300,
        "sync batch within 5x": ratio <= 5,
    }
    for budget, ok in within.items():
        print(f"  {'within' if ok else 'OVER'}: {budget}")


if __name__ == "__main__":
    main()
