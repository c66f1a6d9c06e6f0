"""A sync costs what changed (DESIGN.md §4): one fetch of the working set per sync, a delta of a
few hundred bytes, counted on the server's socket — and the phone's copy equals the server's."""
import pytest

from bench.meter import MeteredServer
from webapp.book import cases, working_set
from webapp.db import database
from webapp.models import Case, Visit

from ..conftest import make_test_app
from ..factories import make_case, make_club, make_user, make_visit
from .test_field_app import member_of, open_app

pytestmark = pytest.mark.browser

HELD = """async () => {
  const user = await self.sotd.currentUser();
  return self.sotd.working(user);
}"""


@pytest.fixture
def metered(app_config, tmp_path, monkeypatch):
    app_config["WTF_CSRF_ENABLED"] = True
    application = make_test_app(app_config, tmp_path, monkeypatch)
    server = MeteredServer(application).start()
    with application.app_context():
        yield server
    server.stop()
    if not database.is_closed():
        database.close()


def sync(page, server):
    """One sync from the page; the API requests it made and their bytes."""
    mark = server.meter.mark()
    page.evaluate("() => self.sotd.sync()")
    page.wait_for_timeout(300)  # the server thread counts a request once its answer is written
    return [(m, p, n) for m, p, n in server.meter.since(mark) if p.startswith("/api/")]


def paths(requests):
    return [p.split("?")[0] for _m, p, _n in requests]


def same_as_server(held, user):
    whole = working_set.whole(user)
    for name, key in working_set.LISTS.items():
        assert sorted(str(x[key]) for x in held[name]) == sorted(str(x[key]) for x in whole[name])
        assert sorted(held[name], key=lambda x: str(x[key])) == \
            sorted(whole[name], key=lambda x: str(x[key])), name
    for part in working_set.PARTS:
        assert held[part] == whole[part], part


def test_a_sync_fetches_only_what_changed_once(metered, phone):
    club = make_club()
    member = member_of(club)
    chair = make_user(club=club, role="chair")
    colleague = make_user(club=club)
    mine = [make_case(club=club, created_by=chair, assigned_to=member) for _ in range(12)]
    for case in mine:
        make_visit(case)
    page = open_app(phone.new_page(), metered, member)
    page.wait_for_function("() => self.sotd.currentUser().then((u) => u && self.sotd.working(u))")

    # Nothing changed: the token, the sync's one POST (what waits: nothing), an empty delta.
    quiet = sync(page, metered)
    assert paths(quiet) == ["/api/v1/csrf", "/api/v1/sync", "/api/v1/bootstrap"]
    assert "since=" in quiet[2][1]
    assert sum(n for *_x, n in quiet) < 2048, quiet

    # A change elsewhere: the chair changes a phone number and gives a case to someone else.
    Case.update(phone="0987654321").where(Case.id == mine[0].id).execute()
    cases.assign(mine[1], colleague, chair)
    changed = sync(page, metered)
    assert paths(changed) == ["/api/v1/csrf", "/api/v1/sync", "/api/v1/bootstrap"]
    assert sum(n for *_x, n in changed) < 4096, changed
    held = page.evaluate(HELD)
    assert mine[1].uuid not in {c["uuid"] for c in held["cases"]}
    assert next(c for c in held["cases"] if c["uuid"] == mine[0].uuid)["phone"] == "0987654321"
    same_as_server(held, member)

    # An entry sent: the outbox goes first, then the working set once, already holding it.
    page.evaluate("""(caseUuid) => self.sotd.currentUser().then((user) => self.sotd.save(user, {
        uuid: crypto.randomUUID(), type: "visit", revision: 1,
        data: {case_uuid: caseUuid, date: new Date().toISOString().slice(0, 10),
               kind: "home_visit", topics: ["safe_migration"], notes: "", needs: [],
               members_present: []}}))""", mine[2].uuid)
    sent = sync(page, metered)
    assert paths(sent) == ["/api/v1/csrf", "/api/v1/sync", "/api/v1/bootstrap"]
    assert Visit.select().where(Visit.case == mine[2].id).count() == 2
    same_as_server(page.evaluate(HELD), member)
