"""Backups of the embedded SQLite database, taken and restored while the app runs; pointers for PostgreSQL.

`backup` copies a live database with SQLite's online backup API: one consistent snapshot, while
writers go on (WAL lets them). `restore` checks a copy before it replaces anything — SQLite's
integrity check, and that it is a Sổ Theo Dõi database with its migration history — keeps a copy
of the database it replaces, copies the backup in through the same API (so connections that are
open see either the old or the new database, never a half-written file), then migrates it.
"""
import os
import sqlite3
import tempfile
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from peewee import SqliteDatabase
from playhouse.db_url import parse as parse_db_url
from playhouse.migrations import Runner

from .db import MIGRATIONS_DIR, create_private, database, is_postgres, migrate, utcnow

HISTORY_TABLE = "schema_migration"  # playhouse.migrations.Runner's history
FIRST_MIGRATION = "0001_initial"
REQUIRED_TABLES = {"club", "user", "case", "visit", "audit_log"}


class BackupError(Exception):
    """A backup or restore refused or failed, with a message for the operator."""


def known_migrations():
    return sorted(p.stem for p in Path(MIGRATIONS_DIR).glob("[0-9]*.py"))


def live_path():
    """The file of the SQLite database the app is bound to."""
    return Path(database.obj.database)


def row_counts(connection):
    """{table: rows} of every table in a SQLite connection."""
    tables = [name for (name,) in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")]
    # Table names come from the database's own catalogue, quoted: no outside input in the SQL.
    return {name: connection.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]
            for name in tables}


def _copy(source, target_path):
    """Copy an open SQLite connection's database into a new self-contained file, atomically."""
    target_path = Path(target_path)
    partial = target_path.with_name(target_path.name + ".partial")
    partial.unlink(missing_ok=True)
    create_private(partial)  # it holds the same personal data as the database: 0600 from the start
    target = sqlite3.connect(partial)
    try:
        # pages=-1: the whole database in one step, from one read snapshot. WAL readers do not
        # block writers, so the app keeps writing meanwhile; stepping page by page instead would
        # restart on every write and might never finish under load.
        source.backup(target, pages=-1)
        target.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
        check = target.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        target.close()
    if check != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(_("The copy failed its integrity check: %(check)s", check=check))
    os.chmod(partial, 0o600)
    partial.replace(target_path)
    return target_path


def backup(path, overwrite=False):
    """Write a consistent copy of the live SQLite database to `path`; returns its row counts."""
    refuse_postgres()
    path = Path(path)
    if path.exists() and not overwrite:
        raise BackupError(_("%(path)s exists already. Choose another name, or add --overwrite.",
                            path=path))
    if path.resolve() == live_path().resolve():
        raise BackupError(_("A backup cannot be written over the database itself."))
    source = sqlite3.connect(live_path())
    try:
        _copy(source, path)
    finally:
        source.close()
    return inspect(path)[0]


def inspect(path):
    """Check that `path` is a sound Sổ Theo Dõi SQLite database; returns (row counts, migrations)."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(_("There is no file %(path)s.", path=path))
    with path.open("rb") as file:
        if file.read(16) != b"SQLite format 3\x00":
            raise BackupError(_("%(path)s is not a SQLite database.", path=path))
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        try:
            check = connection.execute("PRAGMA integrity_check").fetchone()[0]
        except sqlite3.DatabaseError as error:
            raise BackupError(_("%(path)s is damaged: %(error)s", path=path, error=error))
        if check != "ok":
            raise BackupError(_("%(path)s is damaged: %(error)s", path=path, error=check))
        tables = {name for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if HISTORY_TABLE not in tables or not REQUIRED_TABLES <= tables:
            raise BackupError(_("%(path)s is not a Sổ Theo Dõi database: it has no migration "
                                "history or lacks the club's tables.", path=path))
        applied = [name for (name,) in connection.execute(
            f'SELECT name FROM "{HISTORY_TABLE}" ORDER BY name')]
        if FIRST_MIGRATION not in applied:
            raise BackupError(_("%(path)s is not a Sổ Theo Dõi database: it has no migration "
                                "history or lacks the club's tables.", path=path))
        unknown = sorted(set(applied) - set(known_migrations()))
        if unknown:
            raise BackupError(_("%(path)s was made by a newer version of the app (migration "
                                "%(name)s is unknown here). Upgrade the app first.",
                                path=path, name=unknown[0]))
        foreign = sorted(schema_objects(connection) - migrated_schema(max(applied)))
        if foreign:
            kind, name = foreign[0]
            kind = {"table": _("table"), "view": _("view"), "trigger": _("trigger")}[kind]
            raise BackupError(_("%(path)s holds a %(kind)s the app did not make (%(name)s): it may "
                                "have been tampered with, and is not restored.",
                                path=path, kind=kind, name=name))
        return row_counts(connection), applied
    finally:
        connection.close()


def schema_objects(connection):
    """{(type, name)} of the tables, views and triggers of a SQLite database."""
    return set(connection.execute(
        "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view', 'trigger') "
        "AND name NOT LIKE 'sqlite_%'"))


def migrated_schema(last):
    """The tables, views and triggers that the migrations up to `last` make, in an empty
    database: anything else in a backup (a trigger that makes someone a chair when a session
    starts, say) was planted, and a restore would run it."""
    with tempfile.TemporaryDirectory() as folder:
        reference = SqliteDatabase(str(Path(folder) / "reference.sqlite3"))
        try:
            with reference.connection_context():
                Runner(reference, MIGRATIONS_DIR).up(last)
                return schema_objects(reference.connection())
        finally:
            reference.close()


def erased_in(path):
    """The uuids of the cases erased at their person's request in the SQLite file at `path`."""
    source = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    try:
        return [row[0] for row in source.execute(
            'SELECT uuid FROM "case" WHERE erased_at IS NOT NULL')]
    except sqlite3.OperationalError:  # no book in it yet
        return []
    finally:
        source.close()


def restore(path):
    """Replace the live database by the backup at `path` after checking it.

    Returns (row counts after the restore, path of the copy of the replaced database, the uuids
    of the cases the replaced database had erased: a backup from before an erasure holds the
    person again, so the caller erases them again, cases.erase_again).
    """
    refuse_postgres()
    path = Path(path)
    if path.resolve() == live_path().resolve():
        raise BackupError(_("This file is the database itself."))
    inspect(path)
    live = live_path()
    saved = None
    erased = erased_in(live) if live.exists() else []
    if live.exists():
        stamp = utcnow().strftime("%Y%m%dT%H%M%S")
        saved = live.with_name(f"{live.stem}.before-restore-{stamp}{live.suffix}")
        current = sqlite3.connect(live)
        try:
            _copy(current, saved)
        finally:
            current.close()
    source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    target = sqlite3.connect(live, timeout=30)
    try:
        # Through the backup API into the live file: it takes the write lock, so a running
        # server's connections see the old database or the new one, never a mixture.
        target.execute("PRAGMA journal_mode=WAL")
        source.backup(target, pages=-1)
    finally:
        source.close()
        target.close()
    database.close()
    migrate()  # an older backup is brought to the current schema, keeping every row
    target = sqlite3.connect(live)
    try:
        return row_counts(target), saved, erased
    finally:
        target.close()


def refuse_postgres():
    if is_postgres():
        raise BackupError(postgres_help())


def postgres_help():
    """How to back up and restore this installation's PostgreSQL database (no password shown)."""
    params = parse_db_url(current_app.config.get("DATABASE_URL") or "postgresql:///sotheodoi")
    options = " ".join(f"--{name}={params[key]}" for key, name in
                       (("host", "host"), ("port", "port"), ("user", "username")) if params.get(key))
    name = params.get("database") or "sotheodoi"
    return _("This server keeps its data in PostgreSQL: back it up with PostgreSQL's own tools.\n"
             "  Backup:  pg_dump --format=custom --file=sotheodoi-$(date +%%F).dump %(options)s "
             "%(name)s\n"
             "  Restore: stop the app, then\n"
             "           flask --app wsgi erased list > erased.txt\n"
             "           pg_restore --clean --if-exists --no-owner %(options)s --dbname=%(name)s "
             "FILE.dump\n"
             "           flask --app wsgi erased again erased.txt\n"
             "           (the people erased since the dump are erased again) and start the app "
             "again.",
             options=options, name=name)


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--overwrite", is_flag=True, help="Replace PATH if it exists.")
@with_appcontext
def backup_command(path, overwrite):
    """Copy the live SQLite database to PATH (safe while the app runs)."""
    try:
        counts = backup(path, overwrite=overwrite)
    except BackupError as error:
        raise click.ClickException(str(error))
    click.echo(_("Backup written to %(path)s: %(rows)d rows in %(tables)d tables, integrity "
                 "check passed.", path=path, rows=sum(counts.values()), tables=len(counts)))
