"""A sync batch reads what its entries need once (entries.Lookup), not once an entry (issue 17),
and inserts its new visits in one statement at its end (sync.Later), and still refuses and closes
exactly what one entry at a time would: erased cases, appointments that are not the visit's to
close, an erasure racing the batch, a uuid another connection stored meanwhile."""
import logging
import threading
from datetime import timedelta

import pytest

from webapp.book import cases, scheduling, sync as book_sync
from webapp.db import database
from webapp.book.entries import Lookup
from webapp.models import (
    Appointment, AuditLog, Case, EntryRevision, Review, Visit, VisitMember,
)

from .factories import make_case, make_user
from .test_sync_edges import NAME, at, entry, visit_data, where_the_name_is


@pytest.fixture
def club(app):
    """A chair, member `a` following two cases and member `b`."""
    chair = make_user(role="chair")
    a = make_user(club=chair.club, role="member")
    b = make_user(club=chair.club, role="member")
    first, second = (make_case(club=chair.club, created_by=chair, assigned_to=a)
                     for _ in range(2))
    return type("Club", (), dict(chair=chair, a=a, b=b, first=first, second=second))


class Statements(logging.Handler):
    """The SQL statements peewee runs while it is attached."""

    def __init__(self):
        super().__init__()
        self.sql, self.params = [], []

    def emit(self, record):
        sql, params = record.msg if isinstance(record.msg, tuple) else (str(record.msg), ())
        self.sql.append(sql)
        self.params.append(params)

    def __enter__(self):
        self.logger = logging.getLogger("peewee")
        self.level = self.logger.level
        self.logger.setLevel(logging.DEBUG)
        self.logger.addHandler(self)
        return self

    def __exit__(self, *exc):
        self.logger.removeHandler(self)
        self.logger.setLevel(self.level)

    def reads(self):
        return [s for s in self.sql if s.lstrip().upper().startswith("SELECT")]


def reads_of_a_batch(user, entries):
    with Statements() as seen:
        results = book_sync.submit_batch(user, entries)
    assert {r["status"] for r in results} == {"created"}, results
    return seen.reads()


def test_a_batch_reads_the_same_whatever_its_number_of_visits(app, club):
    """Erasure, holders, open appointments and the members present are asked once a batch, not
    once an entry."""
    scheduling.assign_visit(club.chair, club.first, club.a, scheduling.local_today())
    present = [club.a.id, club.b.id]
    one = reads_of_a_batch(club.a, [entry("visit", visit_data(club.first.uuid,
                                                              members_present=present),
                                          made=at(timedelta(days=-30)))])
    many = reads_of_a_batch(club.a, [entry("visit", visit_data(c.uuid, members_present=present),
                                           made=at(timedelta(days=-30)))
                                     for c in (club.first, club.second) * 10])
    assert len(many) == len(one)


def test_a_batch_closes_the_makers_appointment_and_no_one_elses(app, club):
    mine = scheduling.assign_visit(club.chair, club.first, club.a, scheduling.local_today())
    # Another member's (made by hand: assign_visit refuses a case someone else follows).
    theirs = Appointment.create(club=club.chair.club, case=club.first, member=club.b,
                                due_date=scheduling.local_today(), created_by=club.chair)
    visits = [entry("visit", visit_data(club.first.uuid), made=at(timedelta(minutes=1)))
              for _ in range(2)]
    results = book_sync.submit_batch(club.a, visits)
    assert [r["status"] for r in results] == ["created", "created"]
    assert Appointment.get_by_id(mine.id).done_visit.uuid == visits[0]["uuid"]
    assert Appointment.get_by_id(theirs.id).status == "open"


def test_a_follow_up_the_batch_makes_is_closed_by_a_later_visit_of_the_same_batch(app, club):
    follow = (scheduling.local_today() + timedelta(days=3)).isoformat()
    first = entry("visit", visit_data(club.second.uuid, follow_up_date=follow),
                  made=at(timedelta(minutes=-1)))
    later = entry("visit", visit_data(club.second.uuid), made=at(timedelta(minutes=5)))
    results = book_sync.submit_batch(club.a, [first, later])
    assert [r["status"] for r in results] == ["created", "created"]
    [made] = Appointment.select().where(Appointment.case == club.second.id)
    assert made.source == "follow_up" and made.done_visit.uuid == later["uuid"]


def test_a_batch_refuses_what_one_entry_at_a_time_refuses(app, club):
    """An erased case's entries are gone, another member's case refused, the rest taken."""
    erased = make_case(club=club.chair.club, created_by=club.chair, assigned_to=club.a)
    cases.erase(Case.get_by_id(erased.id), club.chair)
    not_mine = make_case(club=club.chair.club, created_by=club.chair, assigned_to=club.b)
    batch = [entry("visit", visit_data(club.first.uuid)),
             entry("visit", visit_data(erased.uuid, notes=NAME)),
             entry("visit", visit_data(not_mine.uuid)),
             entry("visit", visit_data(club.second.uuid))]
    alone = [book_sync.submit_entry(club.a, dict(e, uuid=e["uuid"][:-4] + "0000"))["status"]
             for e in batch]
    assert alone == ["created", "gone", "invalid", "created"]
    results = book_sync.submit_batch(club.a, batch)
    assert [r["status"] for r in results] == alone
    assert "case_uuid" in results[2]["errors"]
    assert [Visit.select().where(Visit.uuid == e["uuid"]).count() for e in batch] == [1, 0, 0, 1]
    assert where_the_name_is(NAME) == []


def test_an_erasure_while_a_batch_runs_leaves_nothing_of_the_batch(app, club, monkeypatch):
    """The batch keeps its cases from its start (SQLite's write lock, PostgreSQL's FOR SHARE):
    an erasure begun meanwhile waits for it and then erases what it took too."""
    batch = [entry("visit", visit_data(club.first.uuid, notes=f"Đã gặp {NAME}"))
             for _ in range(3)]
    paused, resume, results, errors = threading.Event(), threading.Event(), [], []
    real_submit = book_sync.submit_entry

    def submit_entry(*args, **kwargs):
        result = real_submit(*args, **kwargs)
        if threading.current_thread() is sender and not paused.is_set():
            paused.set()  # the batch's transaction is open, its first entry taken
            resume.wait(60)
        return result

    monkeypatch.setattr(book_sync, "submit_entry", submit_entry)

    def in_thread(work):
        def run():
            try:
                with app.app_context():
                    database.connect(reuse_if_open=True)
                    try:
                        work()
                    finally:
                        database.close()
            except Exception as error:  # noqa: BLE001 — reported below
                errors.append(error)
        return threading.Thread(target=run)

    sender = in_thread(lambda: results.extend(book_sync.submit_batch(club.a, batch)))
    eraser = in_thread(lambda: cases.erase(Case.get_by_id(club.first.id), club.chair))
    sender.start()
    assert paused.wait(60)
    eraser.start()
    eraser.join(0.5)  # it waits for the batch (it would be done by now otherwise)
    still_waiting = eraser.is_alive()
    resume.set()
    sender.join(60)
    eraser.join(60)
    assert not errors, errors
    assert still_waiting
    assert {r["status"] for r in results} <= {"created", "gone"}
    assert Case.get_by_id(club.first.id).erased_at is not None
    assert where_the_name_is(NAME) == []
    taken = [e["uuid"] for e, r in zip(batch, results) if r["status"] == "created"]
    assert all(r.data == {"erased": True}
               for r in EntryRevision.select().where(EntryRevision.uuid.in_(taken)))


def inserts_into(seen, table):
    return [s for s in seen.sql if s.lstrip().upper().startswith(f'INSERT INTO "{table.upper()}"')
            or s.lstrip().startswith(f'INSERT INTO "{table}"')]


def test_a_batchs_new_visits_go_in_one_insert_and_each_answer_names_its_own_row(app, club):
    batch = [entry("visit", visit_data(c.uuid, notes=f"Lượt {n}",
                                       members_present=[club.a.id, club.b.id]))
             for n, c in enumerate((club.first, club.second) * 3)]
    with Statements() as seen:
        results = book_sync.submit_batch(club.a, batch)
    assert [r["status"] for r in results] == ["created"] * 6
    assert len(inserts_into(seen, "visit")) == 1
    assert len(inserts_into(seen, VisitMember._meta.table_name)) == 1
    for sent, result in zip(batch, results):
        visit = Visit.get(Visit.uuid == sent["uuid"])
        assert result["id"] == visit.id and visit.notes == sent["data"]["notes"]
        assert visit.case.uuid == sent["data"]["case_uuid"] and visit.review_status == "submitted"
        assert sorted(m.user_id for m in visit.member_rows) == sorted([club.a.id, club.b.id])
        [line] = AuditLog.select().where((AuditLog.action == "visit_recorded")
                                         & (AuditLog.object_id == visit.id))
        assert line.user_id == club.a.id and line.details == {"case_id": visit.case_id}
        assert EntryRevision.get(EntryRevision.uuid == sent["uuid"]).revision == 1


def test_a_visit_and_its_edit_in_one_batch_are_one_row_at_the_edit(app, club):
    first = entry("visit", visit_data(club.first.uuid, notes="Bản đầu"))
    edit = entry("visit", visit_data(club.first.uuid, notes="Bản sửa"), uuid=first["uuid"],
                 revision=2, base_revision=1)
    other = entry("visit", visit_data(club.second.uuid))
    results = book_sync.submit_batch(club.a, [first, edit, other])
    assert [r["status"] for r in results] == ["created", "updated", "created"]
    [visit] = Visit.select().where(Visit.uuid == first["uuid"])
    assert visit.notes == "Bản sửa" and visit.revision == 2
    assert results[0]["id"] == results[1]["id"] == visit.id
    assert results[2]["id"] == Visit.get(Visit.uuid == other["uuid"]).id
    # The edit wrote what the batch held out first; the lines after it are kept all the same.
    lines = [(line.action, line.object_id) for line in AuditLog.select().order_by(AuditLog.id)
             if line.action.startswith("visit_")]
    assert lines == [("visit_recorded", visit.id), ("visit_updated", visit.id),
                     ("visit_recorded", results[2]["id"])]


def test_a_chairs_batch_is_approved_once_its_visits_are_in(app, club):
    batch = [entry("visit", visit_data(c.uuid)) for c in (club.first, club.second)]
    results = book_sync.submit_batch(club.chair, batch)
    assert [r["status"] for r in results] == ["created", "created"]
    for sent in batch:
        visit = Visit.get(Visit.uuid == sent["uuid"])
        assert visit.review_status == "approved"
        [review] = Review.select().where(Review.entry_uuid == sent["uuid"])
        assert review.decision == "self_approved" and review.revision == 1


def test_a_uuid_stored_meanwhile_by_another_phone_makes_the_batch_go_again_and_nothing_doubles(
        app, club, monkeypatch):
    """The batch read its uuids as absent; before its transaction began, the same visit came in
    another way (the lost answer's retry on a second connection). Its one insert at the end meets
    the unique index: the batch is taken again, row by row, and answers that visit a duplicate."""
    batch = [entry("visit", visit_data(c.uuid)) for c in (club.first, club.second, club.first)]
    real = Lookup.for_batch.__func__

    def for_batch(cls, entries):
        lookup = real(cls, entries)
        if not getattr(for_batch, "done", False):
            for_batch.done = True
            assert book_sync.submit_entry(club.a, batch[1])["status"] == "created"
        return lookup

    monkeypatch.setattr(Lookup, "for_batch", classmethod(for_batch))
    results = book_sync.submit_batch(club.a, batch)
    assert [r["status"] for r in results] == ["created", "duplicate", "created"]
    for sent, result in zip(batch, results):
        [visit] = Visit.select().where(Visit.uuid == sent["uuid"])
        assert result["id"] == visit.id
        assert EntryRevision.select().where(EntryRevision.uuid == sent["uuid"]).count() == 1
        assert AuditLog.select().where((AuditLog.action == "visit_recorded")
                                       & (AuditLog.object_id == visit.id)).count() == 1
