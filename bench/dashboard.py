"""Benchmark: the chair's dashboard for a club with five years of data must answer under a second.

Builds a fresh database (SQLite in a temporary folder, or DATABASE_URL if set to PostgreSQL)
holding a club with realistic volumes — ~150 visits a year, 40 members, some 600 cases,
referrals, activities with attendance, appointments — plus four neighbouring clubs, then times
the dashboard, the monthly review and the supervisor's area page through the app, and prints the
figures. No assertion: read the numbers.

    .venv/bin/python -m bench.dashboard [--years 5] [--runs 7] [--postgres] [--keep DIR]
"""
import argparse
import contextlib
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    fresh_postgres_database, header, latency_figures, report, throwaway_postgres,
)
from webapp import accounts, create_app  # noqa: E402
from webapp.clock import local_today  # noqa: E402
from webapp.db import database  # noqa: E402
from webapp.models import (  # noqa: E402
    Activity, Appointment, Attendance, Case, CaseCategory, Club, Referral, Visit, VisitMember,
)

PASSWORD = "bench-password-1"
CATEGORIES = ["victim", "returnee", "at_risk", "labour_migrant", "relative", "being_identified"]
KINDS = ["home_visit", "consultation", "phone_call", "group_session"]
SERVICES = ["medical", "legal_aid", "vocational", "psychological", "essential_needs"]
REVIEW = ["approved"] * 9 + ["submitted"]


def build_club(rng, name, prefix, years, first_year, n_members, supervisor_area):
    club = accounts.create_club(name=name, code_prefix=prefix, ward=name, city=supervisor_area,
                                province="Quảng Ninh")
    chair = accounts.create_user(login=f"{prefix.lower()}.chair", password=PASSWORD, role="chair",
                                 club=club, full_name=f"Chủ nhiệm {name}",
                                 must_change_password=False)
    members = [chair] + [accounts.create_user(login=f"{prefix.lower()}.tv{n}", password=PASSWORD,
                                              role="member", club=club,
                                              full_name=f"Thành viên {n}",
                                              must_change_password=False)
                         for n in range(n_members - 1)]
    cases = []
    for year in range(first_year, first_year + years):
        for n in range(120):
            author = rng.choice(members)
            cases.append(dict(club=club.id, code=f"{prefix}-{year}-{n + 1:03d}",
                              full_name=f"Đối tượng {year}-{n}", sex=rng.choice(["female", "male"]),
                              birth_year=rng.randint(1960, 2008), created_by=author.id,
                              assigned_to=author.id, review_status=rng.choice(REVIEW),
                              status=rng.choice(["active", "follow_up", "closed"]),
                              created_at=datetime(year, rng.randint(1, 12), rng.randint(1, 28)),
                              uuid=f"{prefix}-case-{year}-{n}"))
    Case.insert_many(cases).execute()
    case_rows = list(Case.select(Case.id, Case.created_at).where(Case.club == club).tuples())
    CaseCategory.insert_many([dict(case=cid, category=cat) for cid, _at in case_rows
                              for cat in rng.sample(CATEGORIES, rng.randint(1, 2))]).execute()
    visits, referrals, activities = [], [], []
    for year in range(first_year, first_year + years):
        for n in range(150):
            day = date(year, 1, 1) + timedelta(days=rng.randrange(365))
            visits.append(dict(club=club.id, case=rng.choice(case_rows)[0], date=day,
                               kind=rng.choice(KINDS), created_by=rng.choice(members).id,
                               review_status=rng.choice(REVIEW), notes="Ghi chú",
                               uuid=f"{prefix}-visit-{year}-{n}", topics=[], needs=[]))
        for n in range(45):
            day = date(year, 1, 1) + timedelta(days=rng.randrange(365))
            referrals.append(dict(club=club.id, case=rng.choice(case_rows)[0], referred_on=day,
                                  service_kind=rng.choice(SERVICES), provider="Trung tâm",
                                  status=rng.choice(["referred", "accepted", "completed",
                                                     "declined"]),
                                  created_by=rng.choice(members).id,
                                  review_status=rng.choice(REVIEW),
                                  uuid=f"{prefix}-ref-{year}-{n}"))
        for n in range(12):
            activities.append(dict(club=club.id, kind="awareness", title=f"Truyền thông {n}",
                                   date=date(year, n + 1, 15), created_by=chair.id,
                                   review_status="approved", uuid=f"{prefix}-act-{year}-{n}"))
    with database.atomic():
        for rows, model in ((visits, Visit), (referrals, Referral), (activities, Activity)):
            for start in range(0, len(rows), 200):
                model.insert_many(rows[start:start + 200]).execute()
    visit_ids = [v for (v,) in Visit.select(Visit.id).where(Visit.club == club).tuples()]
    VisitMember.insert_many([dict(visit=v, user=rng.choice(members[1:]).id)
                             for v in visit_ids if rng.random() < 0.4]).execute()
    attendance = []
    for (activity_id,) in Activity.select(Activity.id).where(Activity.club == club).tuples():
        for cid, _at in rng.sample(case_rows, 25):
            brought = rng.choice(members + [None, None])
            attendance.append(dict(club=club.id, activity=activity_id, case=cid,
                                   brought_by=brought.id if brought else None,
                                   created_by=chair.id, review_status=rng.choice(REVIEW),
                                   uuid=f"{prefix}-att-{activity_id}-{cid}"))
    with database.atomic():
        for start in range(0, len(attendance), 200):
            Attendance.insert_many(attendance[start:start + 200]).execute()
    today = local_today()
    Appointment.insert_many([dict(club=club.id, case=rng.choice(case_rows)[0],
                                  member=rng.choice(members).id, created_by=chair.id,
                                  due_date=today + timedelta(days=rng.randint(-200, 60)),
                                  status=rng.choice(["open", "done", "done"]))
                             for _ in range(300)]).execute()
    return chair


def timed(client, url, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - start)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", help="build the instance (and SQLite file) in this folder")
    parser.add_argument("--postgres", action="store_true",
                        help="run on a throw-away PostgreSQL server instead of SQLite")
    args = parser.parse_args()
    server = throwaway_postgres() if args.postgres else contextlib.nullcontext(None)
    with server as server_url:
        run(args, fresh_postgres_database(server_url, "sotd_bench_dashboard")
            if server_url else None)


def run(args, postgres_url):
    folder = Path(args.keep or tempfile.mkdtemp(prefix="sotd-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["SOTHEODOI_INSTANCE"] = str(folder / "instance")
    config = {"TESTING": True, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
              "SESSION_COOKIE_SECURE": False, "PASSWORD_HASH_TIME_COST": 1,
              "PASSWORD_HASH_MEMORY_KIB": 1024,
              "DATABASE_URL": postgres_url or f"sqlite:///{folder / 'bench.sqlite3'}"}
    backend = "PostgreSQL" if postgres_url else "SQLite"
    header(f"The chair's dashboard for a club with {args.years} years of data ({backend})",
           postgres_url)
    app = create_app(config)
    rng = random.Random(2026)
    this_year = local_today().year
    first_year = this_year - args.years + 1
    with app.app_context():
        database.connect(reuse_if_open=True)
        if Club.select().exists():
            raise SystemExit("The bench database is not empty; use a fresh --keep folder.")
        started = time.perf_counter()
        chair = build_club(rng, "CLB Bench", "BE", args.years, first_year, 40, "Hạ Long")
        for n, prefix in enumerate(["BA", "BB", "BC", "BD"]):
            build_club(rng, f"CLB Bench {n}", prefix, args.years, first_year, 12, "Hạ Long")
        accounts.create_user(login="bench.tinh", password=PASSWORD, role="supervisor",
                             area="Hạ Long", full_name="Cán bộ", must_change_password=False)
        counts = {m._meta.table_name + " rows": m.select().where(m.club == Club.get(Club.code_prefix == "BE"))
                  .count() for m in (Case, Visit, Referral, Activity, Attendance, Appointment)}
        print(f"Built in {time.perf_counter() - started:.1f} s. Club BE over {args.years} "
              f"years: " + ", ".join(f"{n} {name.lower()}" for name, n in counts.items())
              + f"; {len(list(chair.club.users))} members; 4 more clubs in the area.")
        database.close()
    client = app.test_client()
    client.post("/login", data={"login": chair.login, "password": PASSWORD})
    results = {
        f"/desk/dashboard?year={this_year}": None,
        f"/desk/dashboard?year={first_year}": None,
        f"/desk/monthly/{this_year}/{local_today().month}": None,
    }
    for url in results:
        results[url] = timed(client, url, args.runs)
    supervisor = app.test_client()
    supervisor.post("/login", data={"login": "bench.tinh", "password": PASSWORD})
    results[f"/area/?year={this_year} (5 clubs)"] = timed(supervisor, f"/area/?year={this_year}",
                                                         args.runs)
    print(f"Response times on {backend}, {args.runs} runs each (first run includes warm-up):")
    for url, times in results.items():
        print(f"  {url:<40} median {statistics.median(times) * 1000:7.1f} ms   "
              f"max {max(times) * 1000:7.1f} ms   first {times[0] * 1000:7.1f} ms")
    worst = max(statistics.median(t) for t in results.values())
    print(f"Slowest median: {worst * 1000:.1f} ms "
          f"({'under' if worst < 1 else 'OVER'} the one-second budget).")
    dashboard_times = results[f"/desk/dashboard?year={this_year}"]
    report(f"dashboard_{backend.lower()}",
           {"years": args.years, **counts, **latency_figures(dashboard_times),
            "slowest_page_median_ms": round(worst * 1000, 1)}, postgres_url)


if __name__ == "__main__":
    main()
