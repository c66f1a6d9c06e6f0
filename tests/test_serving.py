"""Production serving: the gunicorn settings, and several workers writing to one database at once."""
import runpy
from concurrent.futures import ThreadPoolExecutor

from webapp.db import database
from webapp.models import AuditLog, LoginSession

from .factories import PASSWORD, make_club, make_user
from .servers import ROOT, log_in, server_env, start_gunicorn


def test_gunicorn_settings(monkeypatch):
    monkeypatch.setenv("SOTHEODOI_BIND", "127.0.0.1:9123")
    monkeypatch.setenv("SOTHEODOI_WORKERS", "3")
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["bind"] == "127.0.0.1:9123"
    assert settings["workers"] == 3
    # Each worker opens its own connections after the fork.
    assert settings["preload_app"] is False
    assert settings["timeout"] >= 30
    # No client address, user agent, referrer or query string in the access log.
    for personal in ("%(h)s", "%(a)s", "%(f)s", "%(q)s", "%(r)s", "%(U)s?"):
        assert personal not in settings["access_log_format"]


def test_trusted_proxy_gives_the_phones_address(app_config, tmp_path, monkeypatch):
    from flask import request

    from webapp import create_app

    monkeypatch.setenv("SOTHEODOI_INSTANCE", str(tmp_path / "instance"))
    app_config["TRUSTED_PROXIES"] = 1
    proxied = create_app(app_config)
    seen = {}

    @proxied.before_request
    def _remember():
        seen.update(addr=request.remote_addr, secure=request.is_secure)

    proxied.test_client().get("/login", headers={"X-Forwarded-For": "203.0.113.7",
                                                 "X-Forwarded-Proto": "https"})
    database.close()
    assert seen == {"addr": "203.0.113.7", "secure": True}


def test_four_workers_write_at_once_without_locking_errors(app, tmp_path):
    """Logins write sessions, audit rows and rehashed passwords: 4 workers, 24 clients, no 5xx."""
    club = make_club()
    users = [make_user(club=club) for _ in range(24)]
    database.close()
    env = server_env(app.config["DATABASE_URL"], tmp_path / "instance",
                     PASSWORD_HASH_TIME_COST=1, PASSWORD_HASH_MEMORY_KIB=1024)
    server = start_gunicorn(env, tmp_path / "gunicorn.log", workers=4)
    try:
        def visit(user):
            session = log_in(server.url, user.login, PASSWORD)
            return [session.get(server.url + "/", timeout=30).status_code for _ in range(3)]

        with ThreadPoolExecutor(max_workers=24) as pool:
            statuses = [s for answers in pool.map(visit, users) for s in answers]
    finally:
        server.stop()
    assert statuses == [200] * 72
    log = server.log()
    assert "database is locked" not in log and "Traceback" not in log
    database.connect(reuse_if_open=True)
    assert LoginSession.select().count() == 24
    assert AuditLog.select().where(AuditLog.action == "login").count() == 24
