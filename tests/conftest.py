"""Fixtures: an app per test on a fresh database (SQLite by default, PostgreSQL with DATABASE_URL)."""
import os
import shutil
import time
import uuid
from datetime import datetime, timedelta

import psycopg2
import pytest
from flask import g, request_started
from playhouse.db_url import parse as parse_db_url

from webapp import clock, create_app
from webapp.db import database, make_database, migrate
from webapp.models import ALL_MODELS

from .factories import make_club, make_user


PG_URL = os.environ.get("DATABASE_URL", "")
USE_PG = PG_URL.startswith(("postgres://", "postgresql://"))
MIDNIGHT_MARGIN = 90  # seconds: longer than any one test, browser tests included


@pytest.fixture(autouse=True)
def _not_across_the_clubs_midnight():
    """No test runs across midnight in Hạ Long (17:00 UTC).

    A test reads today (`factories.today`) and the app reads it again under test. The two must be
    the same day. So a test that would start in the last seconds of a day waits for the next one.
    """
    now = clock.local_now()
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(),
                                tzinfo=clock.LOCAL_TZ)
    left = (midnight - now).total_seconds()
    if left < MIDNIGHT_MARGIN:
        time.sleep(left + 1)


def _pg_admin(url):
    params = parse_db_url(url)
    params["database"] = "postgres"
    params["dbname"] = params.pop("database")
    connection = psycopg2.connect(**params)
    connection.autocommit = True
    return connection


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A migrated database for the session: a template SQLite file, or a fresh PostgreSQL database."""
    if USE_PG:
        name = f"sotd_test_{uuid.uuid4().hex[:10]}"
        admin = _pg_admin(PG_URL)
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        url = PG_URL.rsplit("/", 1)[0] + "/" + name
        database.initialize(make_database(url, None))
        migrate()
        database.close()
        yield url
        database.close()
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
    else:
        path = tmp_path_factory.mktemp("db") / "template.sqlite3"
        database.initialize(make_database(None, str(path)))
        migrate()
        database.close()
        yield str(path)


def _empty_pg_tables():
    tables = ", ".join(f'"{m._meta.table_name}"' for m in ALL_MODELS)
    database.execute_sql(f"TRUNCATE TABLE {tables} RESTART IDENTITY CASCADE")


@pytest.fixture
def app_config(tmp_path, database_url):
    """Test settings; a test may update this dict before asking for `app`."""
    if USE_PG:
        url = database_url
    else:
        path = tmp_path / "test.sqlite3"
        shutil.copy(database_url, path)
        url = f"sqlite:///{path}"
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": url,
        "WTF_CSRF_ENABLED": False,
        "SESSION_COOKIE_SECURE": False,
        "PASSWORD_HASH_TIME_COST": 1,
        "PASSWORD_HASH_MEMORY_KIB": 1024,
    }


def _clear_g(sender, **extra):
    """Each request starts with an empty `g`, as in production.

    The fixtures keep an app context pushed for the test's own code, and Flask lets a request
    reuse it: without this, Flask-Login's user and Flask-Babel's locale, cached in `g`, would
    leak from one request (or one test client) to the next.
    """
    g.__dict__.clear()


def make_test_app(app_config, tmp_path, monkeypatch):
    monkeypatch.setenv("SOTHEODOI_INSTANCE", str(tmp_path / "instance"))
    application = create_app(app_config)
    request_started.connect(_clear_g, application)
    if USE_PG:
        _empty_pg_tables()
    return application


@pytest.fixture
def app(app_config, tmp_path, monkeypatch):
    application = make_test_app(app_config, tmp_path, monkeypatch)
    with application.app_context():
        yield application
    if not database.is_closed():
        database.close()


@pytest.fixture
def club(app):
    """A club of the test's own."""
    return make_club()


@pytest.fixture
def chair(club):
    """The board member (chair) of `club`; a test module may log them in by overriding this."""
    return make_user(club=club, role="chair")


@pytest.fixture
def member(club):
    """A member of `club`."""
    return make_user(club=club)


@pytest.fixture
def in_english(client):
    """The client reads the pages and messages in English."""
    client.set_cookie("sotd_lang", "en")


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def csrf_app(app_config, tmp_path, monkeypatch):
    """An app with CSRF protection on, as in production."""
    app_config["WTF_CSRF_ENABLED"] = True
    application = make_test_app(app_config, tmp_path, monkeypatch)
    with application.app_context():
        yield application
    if not database.is_closed():
        database.close()
