"""How long a failed login takes for a login or phone number that exists and for one that does not.

An unknown login must cost the same password check as a known one (a dummy argon2id verify), or the
answer's time tells which logins and phone numbers exist (issue 15: 11 ms against 48 ms before).
Logs in with a wrong password through the real login form, at the production hash cost (argon2id,
19 MiB, 2 passes), the four kinds interleaved, and prints the median of each and the ratio
unknown/known (1.0 is the aim; the tests assert the dummy verify, never a time).

    .venv/bin/python -m bench.login_timing
    .venv/bin/python -m bench.login_timing --tries 200
"""
import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import header, report


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=60, help="failed logins of each kind")
    args = parser.parse_args()
    header("Failed login time: known against unknown logins and phone numbers")

    folder = Path(tempfile.mkdtemp(prefix="sotd-bench-login."))
    os.environ["SOTHEODOI_INSTANCE"] = str(folder / "instance")
    from webapp import accounts, create_app
    from webapp.models import Club

    app = create_app({
        "TESTING": True, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
        "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
        "REMINDERS_THREAD": False,
        # No throttle in the way: every try reaches the password check.
        "LOGIN_THROTTLE_FREE_FAILURES_ACCOUNT": 10 ** 6,
        "LOGIN_THROTTLE_FREE_ACCOUNTS_ADDRESS": 10 ** 6,
    })
    with app.app_context():
        club = Club.create(name="CLB Bench", code_prefix="BE")
        accounts.create_user(login="bd.tv2", password="a-long-password-1", role="member",
                             club=club, phone="0912345678")
    kinds = {"known login": "bd.tv2", "unknown login": "bd.tv9",
             "known phone": "0912 345 678", "unknown phone": "0912 345 679"}
    times = {kind: [] for kind in kinds}
    client = app.test_client()
    for _ in range(args.tries):
        for kind, login in kinds.items():
            start = time.perf_counter()
            response = client.post("/login", data={"login": login, "password": "wrong-password"})
            times[kind].append(time.perf_counter() - start)
            assert response.status_code == 401, response.status_code
    medians = {kind: statistics.median(values) * 1000 for kind, values in times.items()}
    figures = {f"{kind} median_ms": round(ms, 1) for kind, ms in medians.items()}
    figures["unknown/known login ratio"] = round(medians["unknown login"] / medians["known login"], 2)
    figures["unknown/known phone ratio"] = round(medians["unknown phone"] / medians["known phone"], 2)
    figures["tries per kind"] = args.tries
    report("login_timing", figures)


if __name__ == "__main__":
    main()
