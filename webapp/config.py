"""Settings of one installation: safe defaults, the instance folder, and environment overrides."""
import os
import secrets
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULTS = dict(
    SECRET_KEY=None,  # read from instance/secret_key, made on first start
    DATABASE_URL=None,  # None: SQLite file instance/sotheodoi.sqlite3
    SESSION_COOKIE_NAME="sotd_session",
    SESSION_COOKIE_HTTPONLY=True,
    SESSION_COOKIE_SAMESITE="Lax",
    SESSION_COOKIE_SECURE=True,
    # A session survives closing the browser; it ends on logout, deactivation,
    # after SESSION_IDLE_DAYS without use and SESSION_MAX_DAYS at most.
    PERMANENT_SESSION_LIFETIME=timedelta(days=30),
    # The cookie lives SESSION_MAX_DAYS from login and the server ends the session on idleness
    # (accounts.py): a fresh cookie on every answer would only cost the phone its bytes.
    SESSION_REFRESH_EACH_REQUEST=False,
    SESSION_IDLE_DAYS=7,
    SESSION_MAX_DAYS=30,
    WTF_CSRF_TIME_LIMIT=None,  # tied to the session, which already expires
    WTF_CSRF_SSL_STRICT=True,
    BABEL_DEFAULT_LOCALE="vi",
    BABEL_DEFAULT_TIMEZONE="Asia/Ho_Chi_Minh",
    LANGUAGES=("vi", "en"),
    # Login throttling (webapp/accounts.py): a delay that grows with failures, never a permanent
    # lock. Free failures per login name (or per browser it last logged in from), and the number
    # of accounts one address may fail on, within the window.
    LOGIN_THROTTLE_WINDOW_MINUTES=15,
    LOGIN_THROTTLE_FREE_FAILURES_ACCOUNT=5,
    LOGIN_THROTTLE_FREE_ACCOUNTS_ADDRESS=20,
    LOGIN_DEVICE_COOKIE_DAYS=365,
    LOGIN_THROTTLE_MAX_DELAY_SECONDS=300,
    # argon2id at the OWASP minimum (m=19 MiB, t=2, p=1).
    PASSWORD_HASH_TIME_COST=2,
    PASSWORD_HASH_MEMORY_KIB=19456,
    PASSWORD_MIN_LENGTH=8,
    HSTS=True,
    MAX_CONTENT_LENGTH=2 * 1024 * 1024,
    # The address printed (and as a QR code) on a new member's sheet, e.g. "https://so.example.vn";
    # None: the address the admin's browser reached the server at.
    PUBLIC_BASE_URL=None,
    # Reverse proxies in front of the app (nginx: 1). Their X-Forwarded-For/-Proto/-Host are then
    # believed, so that login throttling sees the phone's address, not the proxy's.
    TRUSTED_PROXIES=0,
    # Web Push (webapp/push.py, webapp/reminders.py). VAPID_SUBJECT: a mailto: or https: contact
    # that push services may use to reach the installation's operator.
    VAPID_SUBJECT="mailto:admin@sotheodoi.invalid",
    PUSH_TIMEOUT_SECONDS=10,
    # The only hosts push messages go to (webapp/push.py): names, `*.suffix` patterns, or IP
    # addresses. By default Google's (Chrome, Android), Mozilla's (Firefox), Apple's (Safari) and
    # Microsoft's (Edge on Windows) push services. An IP address, or a name that resolves to a
    # private, loopback or link-local address, is refused unless that address is listed here.
    PUSH_SERVICE_HOSTS=("fcm.googleapis.com,android.googleapis.com,"
                        "updates.push.services.mozilla.com,*.push.services.mozilla.com,"
                        "web.push.apple.com,*.push.apple.com,*.notify.windows.com"),
    # The pilot's first month ("YYYY-MM"), where the supervisors' evaluation of the pilot starts
    # by default; None: the month of the area's first record (webapp/book/reports/evaluation.py).
    PILOT_START=None,
    REMINDERS_THREAD=True,  # send due reminders from a thread of the serving process (not in tests)
    REMINDERS_INTERVAL_SECONDS=300,
    REMINDER_EVENING_HOUR=19,  # local hour of the "tomorrow" reminder
)


def instance_path():
    """The instance folder: $SOTHEODOI_INSTANCE, or instance/ in the project root."""
    return os.environ.get("SOTHEODOI_INSTANCE") or str(PROJECT_ROOT / "instance")


def ensure_instance(path):
    """Create the instance folder with a random secret key and a config file on first start."""
    folder = Path(path)
    if not folder.exists():
        folder.mkdir(parents=True, mode=0o700)  # the database, keys and settings: the owner's only
    key_file = folder / "secret_key"
    if not key_file.exists():
        _write_private(key_file, secrets.token_hex(32))
    config_file = folder / "config.py"
    if not config_file.exists():
        _write_private(
            config_file,
            "# Settings of this installation (Python). Environment variables\n"
            "# DATABASE_URL and SOTHEODOI_<NAME> override what is set here.\n"
            "# DATABASE_URL = 'postgresql://user:password@localhost/sotheodoi'\n"
        )
    return key_file.read_text().strip()


def _write_private(path, text):
    """A new file that only its owner may read (0600 from the start, whatever the umask)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def from_environment(config, keep=()):
    """Apply DATABASE_URL and SOTHEODOI_<NAME> variables over the loaded config, but `keep`'s keys."""
    if os.environ.get("DATABASE_URL") and "DATABASE_URL" not in keep:
        config["DATABASE_URL"] = os.environ["DATABASE_URL"]
    for name, value in os.environ.items():
        if not name.startswith("SOTHEODOI_") or name == "SOTHEODOI_INSTANCE":
            continue
        key = name[len("SOTHEODOI_"):]
        if key in keep:
            continue
        current = config.get(key)
        if isinstance(current, bool):
            value = value.lower() in ("1", "true", "yes", "on")
        elif isinstance(current, int):
            value = int(value)
        config[key] = value
