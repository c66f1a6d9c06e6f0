"""A test-only WSGI entry point: the app with one fault point, chosen by SOTD_TEST_FAULT.

Production serves `wsgi:app`; only the fault tests start a server on `tests.fault_wsgi:app`, so
nothing here can be active in production. The fault points hold the request still (they sleep) so
that the test can SIGKILL the server exactly there, as a power cut or an OOM kill would:

- `pause_after_entries:N` — in POST /api/v1/sync, after the N-th entry of the batch was taken
  (a batch is one transaction: nothing of it is committed yet), with the file named by
  SOTD_TEST_FAULT_MARK made to tell the test it is there: the middle of a batch.
- `pause_before_answer` — after the sync view returned (everything committed), before the answer
  leaves the server.
"""
import os
import time

from flask import has_request_context, request

from webapp import create_app

SYNC_PATH = "/api/v1/sync"
HOLD_SECONDS = 120  # the test kills the server long before this

app = create_app()
fault = os.environ.get("SOTD_TEST_FAULT", "")


def _in_sync_request():
    return has_request_context() and request.path == SYNC_PATH


if fault.startswith("pause_after_entries:"):
    from webapp.book import sync

    after = int(fault.split(":", 1)[1])
    taken = 0
    real_submit_entry = sync.submit_entry

    def submit_entry(*args, **kwargs):
        global taken
        result = real_submit_entry(*args, **kwargs)
        if _in_sync_request():
            taken += 1
            if taken == after:
                open(os.environ["SOTD_TEST_FAULT_MARK"], "w").close()
                time.sleep(HOLD_SECONDS)
        return result

    sync.submit_entry = submit_entry

elif fault == "pause_before_answer":
    @app.after_request
    def _hold(response):
        if _in_sync_request():
            time.sleep(HOLD_SECONDS)
        return response

elif fault:
    raise RuntimeError(f"unknown SOTD_TEST_FAULT {fault!r}")
