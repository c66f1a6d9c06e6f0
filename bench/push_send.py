"""Reminders by Web Push: send 2,000 reminders to a local push endpoint, messages per second and
peak memory.

1,000 members, each with one subscribed phone, a visit planned for tomorrow and one overdue: at
19:00 local time `send_due` owes each of them the evening-before reminder and the daily overdue
note. The push endpoint runs in another process (so that its work is not counted) and answers 201
to each message. Each message is encrypted (aes128gcm) and signed (VAPID, fresh claims) for real.
The timed run goes first; a second run of the same work under tracemalloc gives the peak of
Python allocations (tracemalloc slows it down, so it is not timed).

Run: .venv/bin/python -m bench.push_send [--members 1000]
"""
import argparse
import base64
import multiprocessing
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench.common import header, report


def serve(port_queue, counter):
    """A push service that takes every message (201) and counts them."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with counter.get_lock():
                counter.value += 1
            self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port_queue.put(server.server_port)
    server.serve_forever()


def b64url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def fill(members, origin):
    """Members with one phone each, an appointment tomorrow and one overdue."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from webapp.db import database
    from webapp.models import Appointment, Case, Club, PushSubscription, User

    tomorrow = date(2026, 12, 10)
    # One browser key pair for all: making 1,000 is not what is measured.
    public = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    with database.atomic():
        club = Club.create(name="CLB Bench", code_prefix="BN")
        for n in range(members):
            user = User.create(login=f"member{n}", full_name=f"Thành viên {n}",
                               password_hash="-", role="member", club=club)
            case = Case.create(club=club, code=f"BN-2026-{n:04d}", created_by=user,
                               assigned_to=user, full_name=f"Đối tượng {n}",
                               review_status="approved")
            for due in (tomorrow, tomorrow - timedelta(days=5)):
                Appointment.create(club=club, case=case, member=user, due_date=due,
                                   created_by=user)
            PushSubscription.create(user=user, endpoint=f"{origin}/push/{n}", p256dh=b64url(public),
                                    auth=b64url(os.urandom(16)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000,
                        help="members (two reminders each; default 1000 = 2,000 reminders)")
    args = parser.parse_args()

    header("Web Push reminders: send_due to a local push endpoint (SQLite)")
    counter = multiprocessing.Value("i", 0)
    ports = multiprocessing.Queue()
    endpoint = multiprocessing.Process(target=serve, args=(ports, counter), daemon=True)
    endpoint.start()
    origin = f"http://127.0.0.1:{ports.get(timeout=10)}"

    with tempfile.TemporaryDirectory() as folder:
        os.environ["SOTHEODOI_INSTANCE"] = folder
        from webapp import create_app
        from webapp.book import reminders
        from webapp.models import PushDelivery

        app = create_app({"TESTING": True, "SECRET_KEY": "bench",
                          "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
                          "PUSH_SERVICE_HOSTS": "127.0.0.1"})  # the local push endpoint
        with app.app_context():
            fill(args.members, origin)
            now = reminders.parse_now("2026-12-09T19:00")

            started = time.perf_counter()
            counts = reminders.send_due(now)
            elapsed = time.perf_counter() - started
            received = counter.value
            rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

            PushDelivery.delete().execute()  # the same work again, under tracemalloc
            tracemalloc.start()
            again = reminders.send_due(now)
            peak_mib = tracemalloc.get_traced_memory()[1] / 1024 / 1024
            tracemalloc.stop()
    endpoint.terminate()

    if counts["sent"] != 2 * args.members or received != counts["sent"] or again != counts:
        print(f"!! expected {2 * args.members} sent: {counts}, endpoint received {received}",
              file=sys.stderr)
        sys.exit(1)
    report("push_send", {
        "reminders sent": counts["sent"],
        "seconds": round(elapsed, 2),
        "messages per second": round(counts["sent"] / elapsed, 1),
        "ms per message": round(1000 * elapsed / counts["sent"], 2),
        "peak Python allocations during send_due (MiB, tracemalloc)": round(peak_mib, 1),
        "peak resident memory of the process (MiB, getrusage)": round(rss_mib, 1),
    })


if __name__ == "__main__":
    main()
