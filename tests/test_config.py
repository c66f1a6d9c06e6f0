"""Settings: the instance folder made on first start, environment overrides, safe defaults."""
import stat

from webapp import config, create_app


def test_first_start_makes_the_instance_folder(tmp_path, monkeypatch):
    folder = tmp_path / "fresh-instance"
    monkeypatch.setenv("SOTHEODOI_INSTANCE", str(folder))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"TESTING": True, "MIGRATE_ON_START": False})
    assert app.instance_path == str(folder)
    key = (folder / "secret_key").read_text().strip()
    assert len(key) == 64 and app.config["SECRET_KEY"] == key
    assert stat.S_IMODE((folder / "secret_key").stat().st_mode) == 0o600
    assert (folder / "config.py").exists()
    # The same key on the next start: sessions survive a restart.
    assert create_app({"TESTING": True, "MIGRATE_ON_START": False}).config["SECRET_KEY"] == key


def test_environment_overrides_the_instance_config(tmp_path, monkeypatch):
    folder = tmp_path / "instance"
    folder.mkdir()
    (folder / "config.py").write_text("PASSWORD_MIN_LENGTH = 10\nHSTS = True\n")
    monkeypatch.setenv("SOTHEODOI_INSTANCE", str(folder))
    monkeypatch.setenv("SOTHEODOI_HSTS", "false")
    monkeypatch.setenv("SOTHEODOI_LOGIN_THROTTLE_MAX_DELAY_SECONDS", "120")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'env.sqlite3'}")
    app = create_app()
    assert app.config["PASSWORD_MIN_LENGTH"] == 10  # from the instance's config.py
    assert app.config["HSTS"] is False
    assert app.config["LOGIN_THROTTLE_MAX_DELAY_SECONDS"] == 120
    assert app.config["DATABASE_URL"].endswith("env.sqlite3")
    # A test's explicit settings win over the environment.
    app = create_app({"TESTING": True, "HSTS": True, "DATABASE_URL": f"sqlite:///{tmp_path}/t.db"})
    assert app.config["HSTS"] is True and app.config["DATABASE_URL"].endswith("t.db")


def test_production_defaults_are_safe():
    defaults = config.DEFAULTS
    assert defaults["SESSION_COOKIE_SECURE"] is True
    assert defaults["SESSION_COOKIE_HTTPONLY"] is True
    assert defaults["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert defaults["HSTS"] is True
    assert defaults["BABEL_DEFAULT_LOCALE"] == "vi"
    assert defaults["BABEL_DEFAULT_TIMEZONE"] == "Asia/Ho_Chi_Minh"
    assert (defaults["SESSION_IDLE_DAYS"], defaults["SESSION_MAX_DAYS"]) == (7, 30)
