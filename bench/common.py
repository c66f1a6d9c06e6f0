"""What every benchmark shares: the machine it ran on, its figures, and a throw-away PostgreSQL.

A benchmark prints `header("what it measures")` first, then `report("name", {figure: value})`,
which also keeps the figures in bench/results/latest.json (not committed) for the README table.
Run them from the project folder: `.venv/bin/python -m bench.load_sync`, or all with
`bench/run_all.sh`.
"""
import contextlib
import json
import math
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
if str(ROOT) not in sys.path:  # `python bench/x.py` as well as `python -m bench.x`
    sys.path.insert(0, str(ROOT))


def _cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib():
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def postgres_bin():
    """The newest Debian PostgreSQL bin folder, or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                   key=lambda p: [int(x) for x in p.parent.name.split(".") if x.isdigit()])
    return found[-1] if found and (found[-1] / "initdb").exists() else None


def postgres_version(url=None):
    """The server's version if `url` answers, else the installed server's, else None."""
    if url:
        try:
            import psycopg2

            with contextlib.closing(psycopg2.connect(url)) as connection:
                with connection.cursor() as cursor:
                    cursor.execute("SHOW server_version")
                    return cursor.fetchone()[0].split()[0]
        except Exception:
            pass
    binary = postgres_bin()
    if binary:
        out = subprocess.run([str(binary / "postgres"), "--version"], capture_output=True,
                             text=True).stdout
        return out.split()[2] if out else None  # postgres (PostgreSQL) 15.18 (Debian …)
    return None


def machine(postgres_url=None):
    """The machine and software a benchmark ran on."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres_version(postgres_url),
    }


def header(title, postgres_url=None):
    """Print what the benchmark measures and the machine it runs on."""
    info = machine(postgres_url)
    print(f"== {title}")
    print(f"   machine: {info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB memory, "
          f"{info['os']}")
    print(f"   software: Python {info['python']}, SQLite {info['sqlite']}, "
          f"PostgreSQL {info['postgresql'] or 'not installed'}")
    print(f"   at: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC")
    sys.stdout.flush()
    return info


def percentile(values, p):
    """The p-th percentile (0–100) by the nearest-rank method; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(p / 100 * len(ordered))))
    return ordered[rank - 1]


def latency_figures(seconds):
    """p50, p95 and max of a list of durations, in milliseconds."""
    ms = [s * 1000 for s in seconds]
    return {"p50_ms": round(percentile(ms, 50), 1), "p95_ms": round(percentile(ms, 95), 1),
            "max_ms": round(max(ms), 1), "mean_ms": round(statistics.fmean(ms), 1)}


def report(name, figures, postgres_url=None):
    """Print the figures and keep them, with the machine, in bench/results/latest.json."""
    print(f"-- {name}")
    for key, value in figures.items():
        print(f"   {key}: {value}")
    sys.stdout.flush()
    RESULTS.mkdir(exist_ok=True)
    latest = RESULTS / "latest.json"
    try:
        kept = json.loads(latest.read_text())
    except (OSError, ValueError):
        kept = {}
    kept[name] = {"figures": figures, "machine": machine(postgres_url),
                  "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    latest.write_text(json.dumps(kept, indent=2, ensure_ascii=False))


@contextlib.contextmanager
def throwaway_postgres():
    """A PostgreSQL server from Debian's packages on 127.0.0.1, for the length of a benchmark.

    Yields its URL (database `postgres`, user `sotd`, no password: trust on loopback only). The
    same recipe as scripts/postgres.sh. Uses BENCH_POSTGRES_URL instead when it is set.
    """
    if os.environ.get("BENCH_POSTGRES_URL"):
        yield os.environ["BENCH_POSTGRES_URL"]
        return
    binary = postgres_bin()
    if binary is None:
        raise RuntimeError("PostgreSQL is not installed: apt-get install postgresql")
    from tests.servers import free_port

    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="sotd-bench-pg."))
    run = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        run = ["runuser", "-u", "postgres", "--"]
    data = folder / "data"
    subprocess.run(run + [str(binary / "initdb"), "-D", str(data), "-U", "sotd", "--auth=trust",
                          "-E", "UTF8", "--locale=C.UTF-8"], check=True, capture_output=True)
    subprocess.run(run + [str(binary / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w",
                          "-o", f"-p {port} -c listen_addresses=127.0.0.1 -k {folder} "
                                "-c max_connections=200", "start"],
                   check=True, capture_output=True)
    try:
        yield f"postgresql://sotd@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(run + [str(binary / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def fresh_postgres_database(server_url, name):
    """Create an empty database `name` on the server; returns its URL."""
    import psycopg2

    connection = psycopg2.connect(server_url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    return server_url.rsplit("/", 1)[0] + "/" + name


class Stopwatch:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
