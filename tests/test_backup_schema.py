"""A restore refuses what the app did not make, and the database, its copies and the instance
files are the owner's only (issue 15, finding 9)."""
import os
import sqlite3
import stat

import pytest

from webapp import accounts
from webapp.backup import BackupError, inspect, restore
from webapp.models import User

from .factories import make_club, make_user
from .test_backup import _backup_of_live, sqlite_app  # noqa: F401 (fixture)

BACKDOOR = ("CREATE TRIGGER backdoor AFTER INSERT ON login_session BEGIN "
            "UPDATE user SET role = 'chair' WHERE role = 'supervisor'; END")


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def triggers(path):
    with sqlite3.connect(path) as connection:
        return [name for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'")]


@pytest.mark.parametrize("planted, kind", [
    (BACKDOOR, "trình kích hoạt (trigger) không phải do ứng dụng tạo ra (backdoor)"),
    ("CREATE VIEW everyone AS SELECT login, phone, full_name FROM user",
     "khung nhìn (view) không phải do ứng dụng tạo ra (everyone)"),
    ("CREATE TABLE stash (id INTEGER PRIMARY KEY, text TEXT)",
     "bảng không phải do ứng dụng tạo ra (stash)"),
    ("CREATE TEMP TRIGGER t AFTER INSERT ON club BEGIN SELECT 1; END", None),  # not kept in a file
])
def test_a_restore_refuses_what_the_migrations_did_not_make(sqlite_app, tmp_path, planted, kind):
    supervisor = make_user(role="supervisor")
    backup = tmp_path / "planted.sqlite3"
    _backup_of_live(backup)
    with sqlite3.connect(backup) as connection:
        connection.execute(planted)
    live = sqlite_app.config["DATABASE_URL"][len("sqlite:///"):]
    if kind is None:
        assert restore(backup)[0]["user"] == 1
        return
    with pytest.raises(BackupError) as refused:
        restore(backup)
    assert kind in str(refused.value)
    assert triggers(live) == []
    result = sqlite_app.test_cli_runner().invoke(args=["restore", "--yes", str(backup)])
    assert result.exit_code != 0 and kind in result.output
    # The backdoor never ran: a login does not make the supervisor a chair.
    accounts.start_session(supervisor)
    assert User.get_by_id(supervisor.id).role == "supervisor"


def test_an_older_backup_is_still_taken(sqlite_app, tmp_path):
    make_user(club=make_club(), role="chair")
    backup = tmp_path / "copy.sqlite3"
    _backup_of_live(backup)
    counts, applied = inspect(backup)
    assert counts["user"] == 1 and applied


def test_database_backups_and_instance_files_are_the_owners_only(tmp_path, monkeypatch):
    from webapp import create_app
    from webapp.db import database

    old_umask = os.umask(0o022)
    try:
        instance = tmp_path / "instance"
        monkeypatch.setenv("SOTHEODOI_INSTANCE", str(instance))
        monkeypatch.delenv("DATABASE_URL", raising=False)
        app = create_app({"TESTING": True, "SECRET_KEY": "test-secret",
                          "PASSWORD_HASH_TIME_COST": 1, "PASSWORD_HASH_MEMORY_KIB": 1024})
        with app.app_context():
            make_user(club=make_club())  # writes: the -wal and -shm files exist now
            result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "copy.sqlite3")])
            assert result.exit_code == 0, result.output
            restore(tmp_path / "copy.sqlite3")
            database.close()
        assert mode(instance) == 0o700
        files = [p for p in instance.iterdir() if not p.name.endswith(".mo")]
        names = {p.name for p in files}
        assert {"secret_key", "config.py", "vapid_private.pem", "sotheodoi.sqlite3"} <= names
        assert any(name.startswith("sotheodoi.before-restore-") for name in names)
        for path in files + [tmp_path / "copy.sqlite3"]:
            assert mode(path) == 0o600, (path.name, oct(mode(path)))
    finally:
        os.umask(old_umask)


def test_an_existing_database_readable_by_others_is_made_private(sqlite_app, tmp_path):
    from webapp.db import make_database

    path = tmp_path / "old.sqlite3"
    sqlite3.connect(path).close()
    os.chmod(path, 0o644)
    make_database(f"sqlite:///{path}", None)
    assert mode(path) == 0o600
