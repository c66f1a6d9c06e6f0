"""Real server processes for tests and benchmarks: gunicorn or `flask run` on a free loopback port.

Used where the point is the process itself — several workers on one database, a server killed
mid-request — and by the load benchmark in bench/. A logged-in `requests.Session` helper too.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(database_url, instance, **settings):
    """Environment for a server on plain HTTP loopback: no Secure cookies, no HSTS."""
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env.update({
        "DATABASE_URL": database_url,
        "SOTHEODOI_INSTANCE": str(instance),
        "SOTHEODOI_SESSION_COOKIE_SECURE": "false",
        "SOTHEODOI_HSTS": "false",
        "PYTHONUNBUFFERED": "1",
    })
    env.update({f"SOTHEODOI_{k}": str(v) for k, v in settings.items()})
    return env


class Server:
    """A server subprocess on 127.0.0.1:port, in its own process group."""

    def __init__(self, args, env, port, log_path):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = Path(log_path)
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(args, env=env, cwd=ROOT, stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited ({self.process.returncode}):\n{self.log()}")
            try:
                if requests.get(self.url + "/login", timeout=5).status_code == 200:
                    return self
            except (requests.ConnectionError, requests.Timeout):
                pass  # not listening yet, or a worker still starting up (migrations)
            time.sleep(0.1)
        raise RuntimeError(f"server not ready after {timeout}s:\n{self.log()}")

    def log(self):
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def kill(self):
        """SIGKILL the whole process group: as if the machine lost power mid-request."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self._log.close()

    def stop(self):
        """A graceful stop (SIGTERM), then SIGKILL if it hangs."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
        if not self._log.closed:
            self._log.close()


def start_gunicorn(env, log_path, workers=4, port=None, app_module="wsgi"):
    port = port or free_port()
    args = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
            "--bind", f"127.0.0.1:{port}", "--workers", str(workers), f"{app_module}:app"]
    return Server(args, env, port, log_path).wait_ready()


def start_flask(env, log_path, port=None, app_module="wsgi"):
    port = port or free_port()
    args = [sys.executable, "-m", "flask", "--app", app_module, "run", "--host", "127.0.0.1",
            "--port", str(port), "--no-reload"]
    return Server(args, env, port, log_path).wait_ready()


def log_in(base_url, login, password, timeout=30):
    """A requests.Session logged in through the real login form (with its CSRF token)."""
    session = requests.Session()
    page = session.get(base_url + "/login", timeout=timeout)
    token = CSRF_INPUT.search(page.text).group(1)
    answer = session.post(base_url + "/login", timeout=timeout, allow_redirects=False,
                          data={"csrf_token": token, "login": login, "password": password})
    if answer.status_code != 302:
        raise RuntimeError(f"login of {login} failed: {answer.status_code}")
    return session
