"""A test-only WSGI entry point: the app with one fault point, chosen by SOTD_TEST_FAULT.

Production serves `wsgi:app`; only the fault tests start a server on `tests.fault_wsgi:app`, so
nothing here can be active in production. The fault points hold the request still (they sleep) so
that the test can SIGKILL the server exactly there, as a power cut or an OOM kill would:

- `pause_after_commits:N` — in POST /api/v1/sync, after the N-th committed transaction (each entry
  is its own): the middle of a batch.
- `pause_before_answer` — after the sync view returned (everything committed), before the answer
  leaves the server.
"""
import os
import time

from flask import has_request_context, request

from webapp import create_app
from webapp.db import database

SYNC_PATH = "/api/v1/sync"
HOLD_SECONDS = 120  # the test kills the server long before this

app = create_app()
fault = os.environ.get("SOTD_TEST_FAULT", "")


def _in_sync_request():
    return has_request_context() and request.path == SYNC_PATH


if fault.startswith("pause_after_commits:"):
    after = int(fault.split(":", 1)[1])
    commits = 0
    real_commit = database.obj.commit

    def commit():
        global commits
        real_commit()
        if _in_sync_request():
            commits += 1
            if commits == after:
                time.sleep(HOLD_SECONDS)

    database.obj.commit = commit

elif fault == "pause_before_answer":
    @app.after_request
    def _hold(response):
        if _in_sync_request():
            time.sleep(HOLD_SECONDS)
        return response

elif fault:
    raise RuntimeError(f"unknown SOTD_TEST_FAULT {fault!r}")
