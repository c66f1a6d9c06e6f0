"""The database: one peewee proxy bound at start-up, per-request connections, migrations and `flask db`."""
import json
import os
import uuid as uuid_module
from datetime import datetime, timezone
from pathlib import Path

import click
from peewee import DatabaseProxy, Model, PostgresqlDatabase, SqliteDatabase, TextField
from playhouse.db_url import parse as parse_db_url
from playhouse.migrations import Runner

database = DatabaseProxy()
MIGRATIONS_DIR = str(Path(__file__).parent / "migrations")

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "synchronous": "normal",
}


def utcnow():
    """Naive UTC now: every timestamp is stored in UTC and shown in Asia/Ho_Chi_Minh."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def new_uuid():
    return str(uuid_module.uuid4())


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class ListField(TextField):
    """A short list of vocabulary codes, stored as JSON text on SQLite and PostgreSQL alike."""

    def db_value(self, value):
        return None if value is None else json.dumps(list(value), ensure_ascii=False)

    def python_value(self, value):
        return [] if value is None else json.loads(value)


class JSONTextField(TextField):
    """A JSON document stored as text (revisions, audit details): portable, compared as text."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)

    def python_value(self, value):
        return None if value is None else json.loads(value)


def make_database(url, sqlite_path):
    """A peewee database for DATABASE_URL, or the embedded SQLite file."""
    if url and url.startswith(("postgres://", "postgresql://")):
        params = parse_db_url(url)
        name = params.pop("database")
        return PostgresqlDatabase(name, **params)
    if url and url.startswith("sqlite:///"):
        sqlite_path = url[len("sqlite:///"):]
    elif url:
        raise click.UsageError("DATABASE_URL must be postgresql://… or sqlite:///path")
    if sqlite_path and sqlite_path != ":memory:":
        create_private(sqlite_path)
    # Every write transaction begins IMMEDIATE, so concurrent writers queue on the
    # busy timeout instead of failing with "database is locked" on upgrade.
    return SqliteDatabase(sqlite_path, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE")


def create_private(path):
    """Make sure the file at `path` exists and only its owner may read it (0600): the database and
    its copies hold the club's book. SQLite gives its -wal and -shm files the same mode."""
    path = Path(path)
    if path.exists():
        if path.stat().st_mode & 0o077:
            try:
                path.chmod(0o600)
            except PermissionError:  # another user's file: theirs to keep private
                pass
    else:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    return path


def is_postgres():
    return isinstance(database.obj, PostgresqlDatabase)


def locked(row):
    """`row` as it is now, locked until the transaction ends (two writers of it then take turns:
    SQLite's write transactions already do, PostgreSQL needs FOR UPDATE)."""
    model = type(row)
    query = model.select().where(model._meta.primary_key == row._pk)
    if is_postgres():
        query = query.for_update()
    return query.get()


MIGRATION_LOCK = 0x534F5444  # "SOTD": PostgreSQL's advisory lock of the schema upgrade


def migrate(target=None):
    """Apply pending migrations in order; returns their names.

    Under one lock, so that processes starting at once on a new or old database (the web server
    and a cron job, say) never both apply a migration: SQLite's write lock (the transaction
    begins IMMEDIATE) or PostgreSQL's advisory lock, taken before reading what is applied.
    """
    with database.connection_context(), database.atomic():
        if is_postgres():
            database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        return Runner(database.obj, MIGRATIONS_DIR).up(target)


def init_app(app):
    """Bind the database, run pending migrations, and open a connection per request."""
    sqlite_path = str(Path(app.instance_path) / "sotheodoi.sqlite3")
    database.initialize(make_database(app.config.get("DATABASE_URL"), sqlite_path))
    if app.config.get("MIGRATE_ON_START", True):
        migrate()

    @app.before_request
    def _connect():
        database.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        if not database.is_closed():
            database.close()

    app.cli.add_command(db_cli)


@click.group("db", help="Database schema.")
def db_cli():
    pass


@db_cli.command("upgrade")
def upgrade_command():
    """Bring the database to the latest schema, keeping every row."""
    applied = migrate()
    click.echo(f"Applied: {', '.join(applied)}" if applied else "Database is up to date.")


@db_cli.command("status")
def status_command():
    """List migrations and when each was applied."""
    with database.connection_context():
        for m in Runner(database.obj, MIGRATIONS_DIR).status():
            click.echo(f"{m.name}: {m.applied or 'pending'}")
