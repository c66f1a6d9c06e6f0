"""Backup and restore of a city-sized SQLite database while the app keeps writing.

Builds a database the size of a city's book after some years (default: 20 clubs, 10,000 cases,
100,000 visits and their revisions), then times `flask backup` (the online backup API) while a
writer commits a row every few milliseconds, and `flask restore` of that copy. Prints the times,
the file size, how many writes went through during the backup, and checks the restored row counts.

    .venv/bin/python -m bench.backup
    .venv/bin/python -m bench.backup --cases 2000 --visits-per-case 5
"""
import argparse
import json
import os
import random
import sys
import tempfile
import threading
import time
import uuid as uuid_module
from datetime import timedelta
from pathlib import Path

from bench.common import header, report
from webapp.clock import local_today


def build(app, clubs, cases, visits_per_case):
    from webapp.db import database
    from webapp.models import AuditLog, Case, Club, EntryRevision, User, Visit

    rng = random.Random(8)
    today = local_today()
    with database.atomic():
        club_ids = [Club.insert(name=f"CLB {n}", code_prefix="BK", ward=f"Phường {n}",
                                city="Hạ Long", province="Quảng Ninh").execute()
                    for n in range(clubs)]
        users = [User.insert(login=f"bk{n}", password_hash="x", role="member",
                             club=club_ids[n % clubs], full_name=f"Thành viên {n}").execute()
                 for n in range(clubs * 10)]
    rows = []
    for n in range(cases):
        club = club_ids[n % clubs]
        rows.append({"uuid": str(uuid_module.uuid4()), "club": club, "code": f"BK-{n:06d}",
                     "created_by": users[n % len(users)], "full_name": f"Đối tượng {n}",
                     "sex": "female", "birth_year": 1980 + n % 30, "address": "Tổ 4, khu 2",
                     "review_status": "approved"})
    with database.atomic():
        for start in range(0, len(rows), 500):
            Case.insert_many(rows[start:start + 500]).execute()
    case_ids = [(c.id, c.club_id, c.created_by_id) for c in Case.select(Case.id, Case.club,
                                                                          Case.created_by)]
    batch, revisions = [], []
    for case_id, club, user in case_ids:
        for k in range(visits_per_case):
            uuid = str(uuid_module.uuid4())
            notes = "Tư vấn về di cư an toàn, hỗ trợ tìm việc làm tại địa phương. " * 3
            batch.append({"uuid": uuid, "club": club, "case": case_id, "created_by": user,
                          "date": today - timedelta(days=rng.randrange(1500)), "kind": "home_visit",
                          "topics": json.dumps(["safe_migration"]), "notes": notes,
                          "review_status": "approved"})
            revisions.append({"entry_type": "visit", "uuid": uuid, "revision": 1,
                              "data": json.dumps({"notes": notes}), "submitted_by": user})
        if len(batch) >= 5000:
            with database.atomic():
                Visit.insert_many(batch).execute()
                EntryRevision.insert_many(revisions).execute()
            batch, revisions = [], []
    if batch:
        with database.atomic():
            Visit.insert_many(batch).execute()
            EntryRevision.insert_many(revisions).execute()
    with database.atomic():
        AuditLog.insert_many([{"action": "case_viewed", "object_type": "case", "object_id": i}
                              for i in range(min(cases, 50_000))]).execute()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clubs", type=int, default=20)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--visits-per-case", type=int, default=10)
    args = parser.parse_args()
    header(f"Backup and restore under writes: {args.clubs} clubs, {args.cases} cases, "
           f"{args.cases * args.visits_per_case} visits, SQLite")
    with tempfile.TemporaryDirectory(prefix="sotd-backup.") as folder:
        folder = Path(folder)
        os.environ["SOTHEODOI_INSTANCE"] = str(folder / "instance")
        os.environ.pop("DATABASE_URL", None)
        from webapp import create_app
        from webapp.backup import inspect
        from webapp.db import database
        from webapp.models import AuditLog

        app = create_app({"DATABASE_URL": f"sqlite:///{folder / 'live.sqlite3'}"})
        with app.app_context():
            began = time.perf_counter()
            with database.connection_context():
                build(app, args.clubs, args.cases, args.visits_per_case)
            built = time.perf_counter() - began

            written, stop = [0], threading.Event()

            def writer():
                with database.connection_context():
                    while not stop.is_set():
                        with database.atomic():
                            AuditLog.create(action="bench_write", object_type="club", object_id=1)
                        written[0] += 1
                        time.sleep(0.002)

            thread = threading.Thread(target=writer)
            thread.start()
            time.sleep(0.2)
            runner = app.test_cli_runner()
            at_start = written[0]
            began = time.perf_counter()
            result = runner.invoke(args=["backup", str(folder / "copy.sqlite3")])
            backup_seconds = time.perf_counter() - began
            during = written[0] - at_start
            stop.set()
            thread.join()
            if result.exit_code:
                print(result.output)
                return 1
            counts, _ = inspect(folder / "copy.sqlite3")
            began = time.perf_counter()
            result = runner.invoke(args=["restore", "--yes", str(folder / "copy.sqlite3")])
            restore_seconds = time.perf_counter() - began
            if result.exit_code:
                print(result.output)
                return 1
            restored, _ = inspect(folder / "live.sqlite3")
            figures = {
                "rows": sum(counts.values()),
                "database_mib": round((folder / "copy.sqlite3").stat().st_size / 2**20, 1),
                "build_seconds": round(built, 1),
                "backup_seconds": round(backup_seconds, 2),
                "writes_committed_during_backup": during,
                "restore_seconds": round(restore_seconds, 2),
                "restored_rows_match_backup": restored == counts,
            }
    report("backup", figures)
    return 0 if figures["restored_rows_match_backup"] else 1


if __name__ == "__main__":
    sys.exit(main())
