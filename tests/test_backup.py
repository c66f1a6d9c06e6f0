"""Backups: a copy of a live SQLite database taken under write load, checked and restored.

These run on SQLite in both CI runs (backup/restore is the SQLite path); on PostgreSQL the commands
explain pg_dump and pg_restore, which the last test checks.
"""
import sqlite3
import threading

import pytest

from webapp import create_app
from webapp.backup import inspect, row_counts
from webapp.db import database
from webapp.models import AuditLog, Club

from .factories import make_case, make_club, make_user


@pytest.fixture
def sqlite_app(tmp_path, monkeypatch):
    monkeypatch.setenv("SOTHEODOI_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.delenv("DATABASE_URL", raising=False)  # SQLite in the PostgreSQL run too
    application = create_app({
        "TESTING": True, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'live.sqlite3'}",
        "PASSWORD_HASH_TIME_COST": 1, "PASSWORD_HASH_MEMORY_KIB": 1024,
    })
    with application.app_context():
        yield application
    database.close()


def live_counts(app):
    connection = sqlite3.connect(app.config["DATABASE_URL"][len("sqlite:///"):])
    try:
        return row_counts(connection)
    finally:
        connection.close()


class Writer(threading.Thread):
    """Writes audit rows, one transaction each, until stopped: the app at work during a backup."""

    def __init__(self):
        super().__init__(daemon=True)
        self.written = 0
        self.stop = threading.Event()
        self.error = None

    def run(self):
        try:
            with database.connection_context():
                while not self.stop.is_set():
                    with database.atomic():
                        AuditLog.create(action="load_test", object_type="club", object_id=1)
                    self.written += 1
        except Exception as error:  # reported by the test, not swallowed
            self.error = error

    def wait_for(self, n):
        while self.written < n and self.error is None and self.is_alive():
            self.stop.wait(0.005)


def test_backup_under_write_load_then_restore(sqlite_app, tmp_path):
    club = make_club()
    make_case(club=club)
    runner = sqlite_app.test_cli_runner()
    writer = Writer()
    writer.start()
    writer.wait_for(50)
    result = runner.invoke(args=["backup", str(tmp_path / "copy.sqlite3")])
    during = writer.written
    writer.wait_for(during + 50)  # the writer went on after the backup, and so did the database
    writer.stop.set()
    writer.join()
    assert writer.error is None
    assert result.exit_code == 0, result.output
    backed_up, applied = inspect(tmp_path / "copy.sqlite3")
    assert "0001_initial" in applied
    # One snapshot: every row committed before it, none after (+1: committed, not yet counted).
    assert 50 <= backed_up["audit_log"] <= during + 1
    before_restore = live_counts(sqlite_app)
    assert before_restore["audit_log"] > backed_up["audit_log"]

    result = runner.invoke(args=["restore", "--yes", str(tmp_path / "copy.sqlite3")])
    assert result.exit_code == 0, result.output
    assert live_counts(sqlite_app) == backed_up
    # The database it replaced is kept, whole.
    kept = sorted(tmp_path.glob("live.before-restore-*.sqlite3"))
    assert len(kept) == 1
    assert inspect(kept[0])[0] == before_restore
    # The app reads the restored database.
    assert Club.get_by_id(club.id).name == club.name
    assert AuditLog.select().count() == backed_up["audit_log"]
    with sqlite3.connect(tmp_path / "live.sqlite3") as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_restored_backup_does_not_bring_back_a_person_erased_since(sqlite_app, tmp_path):
    """The chair erases a person on request; the operator then restores the last nightly backup,
    taken before: the person asked to be erased, so the restore erases them again."""
    from webapp.book import cases
    from webapp.models import Case

    from .test_erasure import every_row_as_text

    name = "Lò Thị Phượng"
    club = make_club()
    chair = make_user(club=club, role="chair")
    member = make_user(club=club)
    case = make_case(club=club, created_by=member, full_name=name, phone="0912345678")
    kept = make_case(club=club, created_by=member, full_name="Hà Văn Ở Lại")
    runner = sqlite_app.test_cli_runner()
    assert runner.invoke(args=["backup", str(tmp_path / "nightly.sqlite3")]).exit_code == 0
    cases.erase(Case.get_by_id(case.id), chair)
    result = runner.invoke(args=["restore", "--yes", str(tmp_path / "nightly.sqlite3")])
    assert result.exit_code == 0, result.output
    assert ("1 người đã được xóa thông tin theo yêu cầu sau thời điểm sao lưu này nay đã được xóa "
            "lại.") in result.output
    assert sorted({table for table, text in every_row_as_text() if name in text}) == []
    assert Case.get_by_id(case.id).erased_at is not None
    assert Case.get_by_id(kept.id).full_name == "Hà Văn Ở Lại"  # the rest is the backup's
    # The same backup restored again: the database it replaces knows of the erasure still.
    result = runner.invoke(args=["restore", "--yes", str(tmp_path / "nightly.sqlite3")])
    assert result.exit_code == 0 and "1 người đã được xóa" in result.output
    assert sorted({table for table, text in every_row_as_text() if name in text}) == []


def test_backup_refuses_to_overwrite(sqlite_app, tmp_path):
    (tmp_path / "copy.sqlite3").write_bytes(b"keep me")
    result = sqlite_app.test_cli_runner().invoke(args=["backup", str(tmp_path / "copy.sqlite3")])
    assert result.exit_code != 0
    assert (tmp_path / "copy.sqlite3").read_bytes() == b"keep me"


def _not_sqlite(path):
    path.write_bytes(b"PK\x03\x04 a zip file, not a database")


def _damaged(path):
    _backup_of_live(path)
    data = bytearray(path.read_bytes())
    for offset in range(4096 * 2, len(data), 4096):  # scribble over every page but the first
        data[offset + 8:offset + 200] = b"\xff" * 192
    path.write_bytes(bytes(data))


def _other_sqlite(path):
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")


def _newer(path):
    _backup_of_live(path)
    with sqlite3.connect(path) as connection:
        connection.execute("INSERT INTO schema_migration (name, applied) "
                           "VALUES ('9999_from_the_future', '2030-01-01')")


def _backup_of_live(path):
    source = sqlite3.connect(database.obj.database)
    target = sqlite3.connect(path)
    source.backup(target)
    source.close()
    target.close()


@pytest.mark.parametrize("make_file, message", [
    (_not_sqlite, "không phải là cơ sở dữ liệu SQLite"),
    (_damaged, "bị hỏng"),
    (_other_sqlite, "không phải là cơ sở dữ liệu của Sổ Theo Dõi"),
    (_newer, "phiên bản mới hơn"),
])
def test_restore_refuses_a_file_that_is_not_a_sound_backup(sqlite_app, tmp_path, make_file,
                                                           message):
    make_user(club=make_club(), role="chair")
    for _ in range(30):  # enough pages for the damage to land in a table
        make_case(club=Club.get())
    make_file(tmp_path / "bad.sqlite3")
    before = live_counts(sqlite_app)
    result = sqlite_app.test_cli_runner().invoke(args=["restore", "--yes",
                                                      str(tmp_path / "bad.sqlite3")])
    assert result.exit_code != 0
    assert message in result.output
    assert live_counts(sqlite_app) == before
    assert not list(tmp_path.glob("live.before-restore-*"))


def test_on_postgresql_the_commands_explain_pg_dump(tmp_path, monkeypatch):
    monkeypatch.setenv("SOTHEODOI_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.setenv("DATABASE_URL", "postgresql://sotd:secret-pw@db.example.vn:5433/province")
    application = create_app({"TESTING": True, "SECRET_KEY": "test-secret",
                              "MIGRATE_ON_START": False})
    runner = application.test_cli_runner()
    for args in (["backup", str(tmp_path / "x")], ["restore", "--yes", str(tmp_path / "x")]):
        result = runner.invoke(args=args)
        assert result.exit_code != 0
        assert "pg_dump --format=custom" in result.output
        assert "--host=db.example.vn --port=5433 --username=sotd province" in result.output
        assert "secret-pw" not in result.output
    assert not (tmp_path / "x").exists()
