"""Load: 50 members syncing batches at once against gunicorn with 4 workers, on SQLite and PostgreSQL.

For each database: a fresh database, one club and its members made with the app's own functions,
gunicorn started on a free loopback port, every member logged in through the login form. Then all
members at once send their batches through POST /api/v1/sync (with the CSRF token, as the phone
does): the first batch registers a case and visits it, the next ones are more visits. Finally each
member sends its last batch again, as a phone whose answer was lost would. Prints throughput,
p50/p95 latency, errors, and checks on the server's rows that every entry arrived exactly once and
that no answer said "database is locked".

    .venv/bin/python -m bench.load_sync                    # both databases, the issue's figures
    .venv/bin/python -m bench.load_sync --db sqlite --members 10 --batches 2
"""
import argparse
import sys
import tempfile
import threading
import time
import uuid as uuid_module
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.common import (
    fresh_postgres_database, header, latency_figures, report, throwaway_postgres,
)
from tests.servers import log_in, server_env, start_gunicorn

PASSWORD = "load-test-pw-2026"
LOCKED = "database is locked"


def today():
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat()


def case_entry(n):
    return {"uuid": str(uuid_module.uuid4()), "type": "case", "revision": 1,
            "client_created_at": datetime.now().astimezone().isoformat(timespec="seconds"),
            "data": {"full_name": f"Người thử tải {n}", "sex": "female", "birth_year": 1990,
                     "address": "Tổ 1", "neighbourhood": "Khu 2", "phone": "",
                     "categories": ["at_risk"], "risk_level": "low", "met_how": "Thử tải",
                     "consent": {"follow": True, "refer": False, "share": False}}}


def visit_entry(case_uuid, n):
    return {"uuid": str(uuid_module.uuid4()), "type": "visit", "revision": 1,
            "client_created_at": datetime.now().astimezone().isoformat(timespec="seconds"),
            "data": {"case_uuid": case_uuid, "date": today(), "kind": "home_visit",
                     "topics": ["safe_migration"], "notes": f"Lượt thăm thử tải số {n}",
                     "needs": [], "members_present": []}}


def make_outbox(member_index, batches, batch_size):
    """The phone's outbox, cut in batches: a case and visits to it."""
    case = case_entry(member_index)
    out = [[case] + [visit_entry(case["uuid"], i) for i in range(batch_size - 1)]]
    for b in range(1, batches):
        out.append([visit_entry(case["uuid"], b * batch_size + i) for i in range(batch_size)])
    return out


def prepare(database_url, instance, members):
    """A club and its members, made with the app's domain functions."""
    import os

    os.environ["SOTHEODOI_INSTANCE"] = str(instance)
    from webapp import accounts, create_app
    from webapp.db import database

    app = create_app({"DATABASE_URL": database_url, "PASSWORD_HASH_TIME_COST": 1,
                      "PASSWORD_HASH_MEMORY_KIB": 1024})
    with app.app_context(), database.connection_context():
        club = accounts.create_club(name="CLB Thử Tải", code_prefix="TT", ward="Thử Tải",
                                    city="Hạ Long", province="Quảng Ninh")
        logins = []
        for i in range(members):
            user = accounts.create_user(login=f"tai{i:03d}", password=PASSWORD, role="member",
                                        club=club, full_name=f"Thành viên {i}",
                                        must_change_password=False)
            logins.append(user.login)
    database.close()
    return logins


def count_rows(database_url, uuids):
    """Rows per uuid on the server: visits and cases, and their stored revisions."""
    from webapp.db import database, make_database
    from webapp.models import Case, EntryRevision, Visit

    database.initialize(make_database(database_url, None))
    with database.connection_context():
        per_uuid = Counter()
        for model in (Case, Visit):
            for row in model.select(model.uuid):
                per_uuid[row.uuid] += 1
        revisions = Counter(r.uuid for r in EntryRevision.select(EntryRevision.uuid))
    database.close()
    return {
        "missing": sum(1 for u in uuids if per_uuid[u] == 0),
        "doubled": sum(1 for u in uuids if per_uuid[u] > 1),
        "revisions_not_once": sum(1 for u in uuids if revisions[u] != 1),
        "rows": sum(per_uuid[u] for u in uuids),
    }


def run(label, database_url, args, workdir):
    instance = workdir / f"instance-{label}"
    logins = prepare(database_url, instance, args.members)
    env = server_env(database_url, instance, PASSWORD_HASH_TIME_COST=1,
                     PASSWORD_HASH_MEMORY_KIB=1024, ACCESS_LOG="", WORKERS=args.workers,
                     TIMEOUT=120)
    server = start_gunicorn(env, workdir / f"gunicorn-{label}.log", workers=args.workers)
    try:
        with ThreadPoolExecutor(max_workers=args.members) as pool:
            sessions = list(pool.map(lambda login: log_in(server.url, login, PASSWORD), logins))
        outboxes = [make_outbox(i, args.batches, args.batch_size) for i in range(args.members)]
        latencies, statuses, entry_statuses, locked = [], Counter(), Counter(), [0]
        lock = threading.Lock()
        start = threading.Barrier(args.members)
        deadline = time.monotonic() + args.time_limit

        def send(session, batch):
            began = time.perf_counter()
            try:
                token = session.get(server.url + "/api/v1/csrf", timeout=120).json()["csrf_token"]
                began = time.perf_counter()
                answer = session.post(server.url + "/api/v1/sync", json={"entries": batch},
                                      headers={"X-CSRFToken": token}, timeout=120)
            except Exception as error:  # counted as an error, the run goes on
                with lock:
                    statuses[type(error).__name__] += 1
                return
            took = time.perf_counter() - began
            with lock:
                latencies.append(took)
                statuses[answer.status_code] += 1
                if LOCKED in answer.text:
                    locked[0] += 1
                if answer.status_code == 200:
                    entry_statuses.update(r["status"] for r in answer.json()["results"])

        def member(i):
            start.wait()
            for batch in outboxes[i]:
                if time.monotonic() > deadline:
                    return
                send(sessions[i], batch)

        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.members) as pool:
            list(pool.map(member, range(args.members)))
        wall = time.perf_counter() - began
        sent_entries = sum(entry_statuses.values())
        first = dict(entry_statuses)

        # Every phone sends its last batch again, as if the first answer had been lost.
        entry_statuses.clear()
        with ThreadPoolExecutor(max_workers=args.members) as pool:
            list(pool.map(lambda i: send(sessions[i], outboxes[i][-1]), range(args.members)))
        replay = dict(entry_statuses)
    finally:
        server.stop()
    log = server.log()
    uuids = [e["uuid"] for outbox in outboxes for batch in outbox for e in batch]
    counts = count_rows(database_url, uuids)
    requests_sent = args.members * args.batches
    figures = {
        "members": args.members, "gunicorn_workers": args.workers,
        "batches_per_member": args.batches, "entries_per_batch": args.batch_size,
        "entries_sent": len(uuids), "wall_seconds": round(wall, 2),
        "entries_per_second": round(sent_entries / wall, 1),
        "batches_per_second": round(requests_sent / wall, 2),
        **latency_figures(latencies or [0]),
        "http_statuses": {str(k): v for k, v in statuses.items()},
        "entry_statuses": first, "replayed_last_batch": replay,
        "errors": sum(v for k, v in statuses.items() if k != 200)
                  + sum(v for k, v in first.items() if k != "created")
                  + sum(v for k, v in replay.items() if k != "duplicate"),
        "database_is_locked_answers": locked[0],
        "database_is_locked_in_server_log": log.count(LOCKED),
        "rows_missing": counts["missing"], "rows_doubled": counts["doubled"],
        "revisions_not_exactly_once": counts["revisions_not_once"],
    }
    figures["exactly_once"] = (counts["missing"] == 0 and counts["doubled"] == 0
                               and counts["revisions_not_once"] == 0)
    figures["ok"] = figures["exactly_once"] and figures["errors"] == 0 and locked[0] == 0
    report(f"load_sync {label}", figures, postgres_url=database_url if label == "postgresql"
           else None)
    return figures


def options(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--batches", type=int, default=4, help="batches per member")
    parser.add_argument("--batch-size", type=int, default=25, help="entries per batch (≤ 200)")
    parser.add_argument("--time-limit", type=float, default=300,
                        help="seconds after which members stop sending new batches")
    return parser.parse_args(argv)


def run_all(args):
    """{database: figures} for the databases `args.db` names."""
    results = {}
    with tempfile.TemporaryDirectory(prefix="sotd-load.") as folder:
        workdir = Path(folder)
        if args.db in ("sqlite", "both"):
            results["sqlite"] = run("sqlite", f"sqlite:///{workdir / 'load.sqlite3'}", args,
                                    workdir)
        if args.db in ("postgresql", "both"):
            with throwaway_postgres() as server_url:
                url = fresh_postgres_database(server_url, "sotd_load")
                results["postgresql"] = run("postgresql", url, args, workdir)
    return results


def main():
    args = options()
    header(f"Sync under load: {args.members} members × {args.batches} batches × "
           f"{args.batch_size} entries, gunicorn with {args.workers} workers, loopback")
    ok = all(figures["ok"] for figures in run_all(args).values())
    print("RESULT:", "every entry arrived exactly once, no errors" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
