"""The server killed mid-sync: in the middle of a batch, and after committing but before answering.

A real server (`flask run`, or gunicorn with its workers, on tests/fault_wsgi.py) is SIGKILLed at
the fault point, started again, and the phone sends the same outbox again: every entry is then on
the server exactly once.
"""
import threading
import time
import uuid as uuid_module
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import requests

from webapp.db import database
from webapp.models import Case, EntryRevision, Visit

from .factories import PASSWORD, make_user
from .servers import log_in, server_env, start_flask, start_gunicorn

BATCH = 12


def outbox():
    """A phone's outbox: a case registered offline, then visits to it, in one batch."""
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat()
    case_uuid = str(uuid_module.uuid4())
    entries = [{"uuid": case_uuid, "type": "case", "revision": 1,
                "data": {"full_name": "Trần Thị Mai", "sex": "female", "birth_year": 1999,
                         "categories": ["returnee"], "risk_level": "medium",
                         "consent": {"follow": True, "refer": False, "share": False}}}]
    for n in range(BATCH - 1):
        entries.append({"uuid": str(uuid_module.uuid4()), "type": "visit", "revision": 1,
                        "data": {"case_uuid": case_uuid, "date": today, "kind": "home_visit",
                                 "topics": ["safe_migration"], "notes": f"Lần {n}", "needs": [],
                                 "members_present": []}})
    return entries


def post_sync(session, base_url, entries):
    token = session.get(base_url + "/api/v1/csrf", timeout=30).json()["csrf_token"]
    return session.post(base_url + "/api/v1/sync", json={"entries": entries},
                        headers={"X-CSRFToken": token}, timeout=150)


def committed(uuids):
    """How many of `uuids` the server committed (a fresh read each time)."""
    with database.connection_context():
        return (Case.select().where(Case.uuid.in_(uuids)).count()
                + Visit.select().where(Visit.uuid.in_(uuids)).count())


def wait_until(predicate, server, timeout=60):
    deadline = time.monotonic() + timeout
    while not predicate():
        if server.process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"fault point not reached:\n{server.log()}")
        time.sleep(0.05)


def start(kind, env, log_path, app_module="wsgi"):
    if kind == "gunicorn":
        return start_gunicorn(env, log_path, workers=2, app_module=app_module)
    return start_flask(env, log_path, app_module=app_module)


@pytest.mark.parametrize("kind, fault, committed_before_kill", [
    ("flask", "pause_after_commits:5", 5),      # killed in the middle of the batch
    ("flask", "pause_before_answer", BATCH),    # killed after the commit, before the answer
    ("gunicorn", "pause_after_commits:1", 1),   # master and workers killed after the first entry
    ("gunicorn", "pause_before_answer", BATCH),
])
def test_killed_server_then_replayed_outbox_gives_each_entry_once(app, tmp_path, kind, fault,
                                                                  committed_before_kill):
    member = make_user(role="member")
    database.close()
    url = app.config["DATABASE_URL"]
    entries = outbox()
    uuids = [e["uuid"] for e in entries]

    env = server_env(url, tmp_path / "instance", PASSWORD_HASH_TIME_COST=1,
                     PASSWORD_HASH_MEMORY_KIB=1024)
    server = start(kind, env | {"SOTD_TEST_FAULT": fault}, tmp_path / "faulty.log",
                   app_module="tests.fault_wsgi")
    phone = log_in(server.url, member.login, PASSWORD)
    answer = {}

    def send():
        try:
            answer["response"] = post_sync(phone, server.url, entries)
        except requests.RequestException as error:
            answer["error"] = error

    sending = threading.Thread(target=send)
    sending.start()
    try:
        wait_until(lambda: committed(uuids) >= committed_before_kill, server)
    finally:
        server.kill()
    sending.join(timeout=60)
    assert "response" not in answer  # the phone never heard back: its outbox still holds all
    assert committed(uuids) == committed_before_kill

    server = start(kind, env, tmp_path / "restarted.log")
    try:
        # The same phone, the same session cookie, the same outbox, sent again.
        replay = post_sync(phone, server.url, entries)
    finally:
        server.stop()
    assert replay.status_code == 200
    statuses = [r["status"] for r in replay.json()["results"]]
    assert statuses == (["duplicate"] * committed_before_kill
                        + ["created"] * (BATCH - committed_before_kill))
    with database.connection_context():
        for uuid in uuids:
            model = Case if uuid == uuids[0] else Visit
            assert model.select().where(model.uuid == uuid).count() == 1
            assert EntryRevision.select().where(EntryRevision.uuid == uuid).count() == 1


def test_members_of_one_club_registering_cases_at_once_all_get_their_codes(app):
    """On PostgreSQL writers run side by side: each new case must still get the next free code."""
    from webapp.book import sync

    club = make_user(role="member").club
    members = [make_user(club=club) for _ in range(10)]
    database.close()
    start = threading.Barrier(len(members))
    answers = {}

    def register(member):
        with app.app_context(), database.connection_context():
            entries = [outbox()[0] for _ in range(4)]
            start.wait()
            answers[member.id] = sync.submit_batch(member, entries)

    threads = [threading.Thread(target=register, args=(m,)) for m in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = [r["status"] for results in answers.values() for r in results]
    assert statuses == ["created"] * 40
    with database.connection_context():
        codes = [c.code for c in Case.select().where(Case.club == club)]
    assert len(codes) == len(set(codes)) == 40
