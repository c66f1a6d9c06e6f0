"""Production serving with gunicorn: `gunicorn -c gunicorn.conf.py wsgi:app`, behind an HTTPS proxy.

Every value can be changed from the environment (SOTHEODOI_BIND, SOTHEODOI_WORKERS, …) so that the
systemd unit, not this file, holds what differs between installations. See README "Production".
"""
import multiprocessing
import os
import subprocess
import sys


def _env_int(name, default):
    value = os.environ.get(name)
    return int(value) if value else default


# Loopback by default: the reverse proxy (nginx) terminates HTTPS and forwards here.
bind = os.environ.get("SOTHEODOI_BIND", "127.0.0.1:8000")

# Sync workers: each handles one request at a time, and nginx buffers slow phones on 3G in front
# of them. Two per core plus one, at most 8: a city's clubs or a province fit comfortably.
workers = _env_int("SOTHEODOI_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 8))
worker_class = "sync"

# A sync batch is at most 200 entries (DESIGN.md §4) and takes well under a second; a request still
# running after this long is stuck, and the worker is replaced.
timeout = _env_int("SOTHEODOI_TIMEOUT", 60)
graceful_timeout = 30
keepalive = 5

# Recycle workers now and then so that slow leaks cannot grow without bound.
max_requests = _env_int("SOTHEODOI_MAX_REQUESTS", 2000)
max_requests_jitter = 200

# No preloading: each worker imports the app after the fork and opens its own database
# connections; a SQLite or PostgreSQL connection must never be shared across a fork.
preload_app = False

# Headers from the proxy on the same machine are trusted (X-Forwarded-Proto sets https).
forwarded_allow_ips = os.environ.get("SOTHEODOI_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Logs go to stderr (journald under systemd). The access log holds no personal data: no client
# address, no user agent, no referrer, and the path without its query string. URLs never carry
# names (DESIGN.md §5), and an id in a path is not personal data on its own.
accesslog = os.environ.get("SOTHEODOI_ACCESS_LOG", "-") or None
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("SOTHEODOI_LOG_LEVEL", "info")

# Workers' heartbeat files in memory when there is a /dev/shm (containers mount /tmp on overlay).
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"


def on_starting(server):
    """Apply pending migrations once, before any worker starts.

    Workers then find the schema up to date; without this, several workers starting on a fresh
    database would race to migrate it. It runs as a separate process so that the master holds no
    database connection or app state across the fork.
    """
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
                   cwd=os.path.dirname(os.path.abspath(__file__)), check=True)
