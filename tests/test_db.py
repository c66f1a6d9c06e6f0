"""The database: an old database, holding rows, upgrades to the current schema without losing any,
by `flask db upgrade` and at start-up; SQLite runs with its pragmas."""
import json
import uuid

import pytest
from peewee import Table, fn

from webapp import audit, create_app
from webapp.db import database, is_postgres, make_database, migrate
from webapp.models import ALL_MODELS, Case, Club, Provider, User

from .conftest import PG_URL, USE_PG, _pg_admin
from .factories import PASSWORD, login_as
from .test_sync_batch import Statements

FIRST = "0001_initial"
T = "2026-01-15 03:04:05"


@pytest.fixture
def empty_database(tmp_path):
    """The URL of a database without a single table (SQLite file or a new PostgreSQL database)."""
    if USE_PG:
        name = f"sotd_mig_{uuid.uuid4().hex[:10]}"
        admin = _pg_admin(PG_URL)
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield PG_URL.rsplit("/", 1)[0] + "/" + name
        if not database.is_closed():
            database.close()
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
    else:
        yield f"sqlite:///{tmp_path / 'old.sqlite3'}"
    if not database.is_closed():
        database.close()


def insert(table, **values):
    """Insert a row with the first migration's columns only (no app model), returning its id."""
    t = Table(table).bind(database)
    t.insert({getattr(t.c, column): value for column, value in values.items()}).execute()
    return t.select(fn.MAX(t.c.id)).scalar()


def fill_first_schema():
    """Rows in every table of the first schema, as an early installation would hold them."""
    rows = []

    def add(table, **values):
        rows.append((table, insert(table, **values), values))
        return rows[-1][1]

    club = add("club", name="CLB Tuần Châu", ward="Tuần Châu", city="Hạ Long",
               province="Quảng Ninh", code_prefix="TC", is_active=True, created_at=T)
    chair = add("user", login="tc.chunhiem", phone="0912345678", full_name="Trần Văn Chủ",
                password_hash="x", role="chair", club_id=club, area="", is_active=True,
                must_change_password=False, locale="vi", device_key=b"k" * 32, reminder_hour=7,
                created_at=T)
    member = add("user", login="tc.tv1", full_name="Lê Thị Thành", password_hash="x",
                 role="member", club_id=club, area="", is_active=True, must_change_password=False,
                 reminder_hour=7, created_at=T)
    entry = dict(revision=1, review_status="approved", created_by_id=member, created_at=T,
                 updated_at=T, club_id=club)
    case = add("case", uuid=str(uuid.uuid4()), code="TC-2026-001", full_name="Nguyễn Thị A",
               sex="female", birth_year=1990, address="Tổ 3", neighbourhood="Khu 2",
               phone="0900000001", risk_level="high", met_how="", status="active",
               closed_reason="", assigned_to_id=member, **entry)
    add("case_category", case_id=case, category="victim")
    add("consent", case_id=case, purpose="follow", given=True, recorded_at=T,
        recorded_by_id=member)
    visit = add("visit", uuid=str(uuid.uuid4()), case_id=case, date="2026-01-15",
                kind="home_visit", topics=json.dumps(["safe_migration"]), notes="Ghi chú",
                needs=json.dumps(["medical"]), follow_up_date="2026-02-01", **entry)
    add("visit_member", visit_id=visit, user_id=chair)
    add("referral", uuid=str(uuid.uuid4()), case_id=case, service_kind="medical",
        provider="Bệnh viện", referred_on="2026-01-16", reason="", status="referred",
        outcome="", **entry)
    activity = add("activity", uuid=str(uuid.uuid4()), kind="awareness", date="2026-01-20",
                   place="Nhà văn hóa", title="Truyền thông", attendee_count=30, **entry)
    add("attendance", uuid=str(uuid.uuid4()), activity_id=activity, case_id=case,
        brought_by_id=member, **entry)
    add("appointment", club_id=club, case_id=case, member_id=member, due_date="2026-02-01",
        note="", source="follow_up", source_visit_id=visit, status="open", cancelled_reason="",
        created_by_id=member, created_at=T, updated_at=T)
    add("entry_revision", entry_type="visit", uuid=str(uuid.uuid4()), revision=1,
        data=json.dumps({"kind": "home_visit"}), submitted_by_id=member, submitted_at=T)
    add("review", club_id=club, entry_type="case", entry_uuid=str(uuid.uuid4()), revision=1,
        decision="approved", reason="", decided_by_id=chair, decided_at=T)
    add("target", club_id=club, year=2026, consultations=120, mobilised_per_member=2,
        referred_percent=50)
    add("monthly_review", club_id=club, year=2026, month=1, evaluation="Tốt",
        updated_by_id=chair, updated_at=T)
    add("push_subscription", user_id=member, endpoint="https://push.example/1", p256dh="p",
        auth="a", device_label="", created_at=T)
    add("audit_log", at=T, user_id=chair, club_id=club, action="login", object_type="",
        details=None)
    add("login_attempt", key="login:abc", at=T)
    return rows


def normalise(value):
    return bytes(value) if isinstance(value, memoryview) else value


def assert_rows_kept(rows):
    models = {model._meta.table_name: model for model in ALL_MODELS}
    for table, row_id, values in rows:
        model = models[table]
        row = model.get_or_none(model._meta.primary_key == row_id)
        assert row is not None, f"{table} {row_id} lost"
        for column, value in values.items():
            field = model._meta.columns[column]
            expected = field.python_value(value) if not isinstance(value, bytes) else value
            assert normalise(row.__data__[field.name]) == expected, (table, column)


def test_a_database_of_the_first_migration_upgrades_without_losing_rows(
        app_config, empty_database, tmp_path, monkeypatch):
    database.initialize(make_database(empty_database, None))
    assert migrate(target=FIRST) == [FIRST]
    rows = fill_first_schema()
    counts = {t: Table(t).bind(database).select().count() for t, _, _ in rows}
    database.close()

    monkeypatch.setenv("SOTHEODOI_INSTANCE", str(tmp_path / "instance"))
    app_config.update(DATABASE_URL=empty_database, MIGRATE_ON_START=False)
    app = create_app(app_config)
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Applied: ") or result.output.startswith("Database is up")
    with app.app_context():
        with database.connection_context():
            assert_rows_kept(rows)
            for table, count in counts.items():
                assert Table(table).bind(database).select().count() == count, table
            # The old database works with today's code: the chair of then logs in now.
            from webapp import accounts
            User.update(password_hash=accounts.hash_password(PASSWORD)).execute()
        client = app.test_client()
        chair = User.get(User.login == "tc.chunhiem")
        assert login_as(client, chair).status_code == 302
        assert "CLB Tuần Châu" in client.get("/").get_data(as_text=True)
        assert Case.get(Case.code == "TC-2026-001").club.name == "CLB Tuần Châu"
        # The chair of then sits on the board since their account was made (0012).
        from webapp.models import BoardTerm
        [term] = BoardTerm.select()
        assert (term.user_id, term.club_id, term.until) == (chair.id, chair.club_id, None)
        assert term.since == chair.created_at
    again = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert again.output.strip() == "Database is up to date."


def test_start_up_upgrades_too(app_config, empty_database, tmp_path, monkeypatch):
    database.initialize(make_database(empty_database, None))
    migrate(target=FIRST)
    club = insert("club", name="CLB Cao Xanh", ward="Cao Xanh", city="Hạ Long", province="",
                  code_prefix="CX", is_active=True, created_at=T)
    database.close()
    monkeypatch.setenv("SOTHEODOI_INSTANCE", str(tmp_path / "instance"))
    app_config["DATABASE_URL"] = empty_database
    app = create_app(app_config)  # migrates on start
    with app.app_context(), database.connection_context():
        assert Club.get_by_id(club).name == "CLB Cao Xanh"
        status = app.test_cli_runner().invoke(args=["db", "status"]).output
    assert "pending" not in status
    assert FIRST in status


def test_sqlite_pragmas(app):
    if is_postgres():
        assert database.execute_sql("SHOW server_encoding").fetchone()[0] == "UTF8"
        return
    database.connect(reuse_if_open=True)
    assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert database.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert database.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 10000


def test_a_bad_database_url_is_a_clear_error():
    import click

    with pytest.raises(click.UsageError):
        make_database("mysql://x/y", None)


def test_two_processes_starting_at_once_apply_each_migration_once(empty_database):
    """A web server and a cron job start together on a new database: no one fails, nothing twice."""
    import threading

    from peewee import Table

    database.initialize(make_database(empty_database, None))
    barrier, results, errors = threading.Barrier(3), [], []

    def start():
        barrier.wait()
        try:
            results.append(migrate())
        except Exception as error:  # noqa: BLE001 — the test reports whatever went wrong
            errors.append(error)
        finally:
            database.close()

    threads = [threading.Thread(target=start) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    applied = sorted(name for names in results for name in names)
    with database.connection_context():
        history = [row["name"] for row in Table("schema_migration").bind(database)
                   .select().dicts()]
    assert sorted(history) == applied and len(set(applied)) == len(applied) > 1


def test_a_referral_followed_up_twice_keeps_one_follow_up(empty_database):
    """Before 0013 two reminder senders at once could follow one referral up twice: the upgrade
    keeps one appointment per referral (the done one, else an open one), cancels the other's visit
    and unlinks it, and from then on the database refuses a second."""
    from peewee import IntegrityError

    database.initialize(make_database(empty_database, None))
    migrate(target=FIRST)
    rows = {table: id_ for table, id_, _ in fill_first_schema()}  # "user": the member
    migrate(target="0012_board_terms")
    club, case, member = rows["club"], rows["case"], rows["user"]
    follow_up = dict(club_id=club, case_id=case, member_id=member, due_date="2026-02-16",
                     note="", source="referral", source_referral_id=rows["referral"],
                     cancelled_reason="", rescheduled_reason="", created_by_id=member,
                     created_at=T, updated_at=T)
    first = insert("appointment", status="open", **follow_up)
    done = insert("appointment", status="done", **follow_up)
    assert migrate(target="0013_visits_referral_follow_up_once") == [
        "0013_visits_referral_follow_up_once"]
    t = Table("appointment").bind(database)
    kept = {row["id"]: row for row in t.select().where(t.c.source == "referral").dicts()}
    assert (kept[done]["status"], kept[done]["source_referral_id"]) == ("done", rows["referral"])
    assert (kept[first]["status"], kept[first]["source_referral_id"]) == ("cancelled", None)
    with pytest.raises(IntegrityError), database.atomic():
        insert("appointment", status="open", **follow_up)
    database.close()


def test_a_screening_registered_twice_keeps_one_case(empty_database):
    """Before 0014 two phones registering one screening at the same moment could make two cases:
    the upgrade leaves the screening one case (the one it names, else the first), keeps the
    others whole but no longer naming it, each with an audit line naming both codes, and from
    then on the database refuses a second."""
    from peewee import IntegrityError

    database.initialize(make_database(empty_database, None))
    migrate(target=FIRST)
    rows = {table: id_ for table, id_, _ in fill_first_schema()}
    migrate(target="0013_visits_referral_follow_up_once")
    club, member = rows["club"], rows["user"]
    met = str(uuid.uuid4())
    entry = dict(revision=1, review_status="approved", created_by_id=member, created_at=T,
                 updated_at=T, club_id=club)

    def case(code, screening_uuid=met):
        return insert("case", uuid=str(uuid.uuid4()), code=code, full_name="Nguyễn Thị B",
                      sex="female", address="", neighbourhood="", phone="", risk_level="high",
                      met_how="", status="active", closed_reason="", assigned_to_id=member,
                      screening_uuid=screening_uuid, **entry)

    first, named, third = case("TC-2026-002"), case("TC-2026-003"), case("TC-2026-004")
    alone = case("TC-2026-005", screening_uuid=str(uuid.uuid4()))
    round_ = insert("survey_round", uuid=str(uuid.uuid4()), club_id=club, name="Khảo sát",
                    starts_on="2026-01-01", ends_on="2026-03-31", areas="[]",
                    created_by_id=member, created_at=T, updated_at=T)
    insert("screening", uuid=met, round_id=round_, area="Tổ 1", screened_on="2026-01-15",
           category="at_risk", indicators="[]", suggested_level="high", risk_level="high",
           counselled=False, topics="[]", notes="", registered_case_id=named, **entry)
    visit = insert("visit", uuid=str(uuid.uuid4()), case_id=third, date="2026-01-16",
                   kind="home_visit", topics="[]", notes="Đã gặp", needs="[]", **entry)

    assert migrate(target="0014_survey_one_case_per_screening") == [
        "0014_survey_one_case_per_screening"]
    t = Table("case").bind(database)
    linked = {row["id"]: row["screening_uuid"] for row in t.select().dicts()}
    assert linked[named] == met and linked[first] is None and linked[third] is None
    assert linked[alone] is not None and linked[rows["case"]] is None
    assert Table("visit").bind(database).select().where(
        Table("visit").c.id == visit).count() == 1  # the other record keeps what it held
    a = Table("audit_log").bind(database)
    lines = {row["object_id"]: json.loads(row["details"]) for row in
             a.select().where(a.c.action == "case_screening_unlinked").dicts()}
    assert lines == {
        first: {"code": "TC-2026-002", "kept_case_id": named, "kept_code": "TC-2026-003",
                "screening_uuid": met},
        third: {"code": "TC-2026-004", "kept_case_id": named, "kept_code": "TC-2026-003",
                "screening_uuid": met}}
    with pytest.raises(IntegrityError), database.atomic():
        case("TC-2026-006")
    database.close()


def test_an_account_deactivated_before_the_upgrade_keeps_when_it_left(empty_database):
    """0016 keeps when each account was deactivated: the time its deactivation was logged, else
    the upgrade's; an active account has none. Entries made before then keep naming them."""
    from datetime import datetime

    from webapp.db import utcnow

    database.initialize(make_database(empty_database, None))
    migrate(target=FIRST)
    rows = {table: id_ for table, id_, _ in fill_first_schema()}
    club = rows["club"]
    account = dict(password_hash="x", role="member", club_id=club, area="",
                   must_change_password=False, reminder_hour=7, created_at=T)
    logged = insert("user", login="tc.tv2", full_name="Lê Văn Rời", is_active=False, **account)
    unlogged = insert("user", login="tc.tv3", full_name="Trần Văn Cũ", is_active=False, **account)
    for at in ("2026-01-20 08:00:00", "2026-03-02 09:30:00"):  # the latest counts
        insert("audit_log", at=at, user_id=rows["user"], club_id=club,
               action="account_deactivated", object_type="user", object_id=logged, details=None)
    migrate(target="0015_activities_same_activity")
    before = utcnow().replace(microsecond=0)
    assert migrate(target="0016_members_deactivated_at") == ["0016_members_deactivated_at"]
    left = {u.id: u for u in User.select()}
    assert left[logged].deactivated_at == datetime(2026, 3, 2, 9, 30)
    assert left[unlogged].deactivated_at >= before
    assert left[rows["user"]].deactivated_at is None and left[rows["user"]].is_active
    assert left[logged].active_at(datetime(2026, 3, 1)) and not left[logged].active_at(None)
    database.close()


def test_a_board_member_deactivated_before_the_upgrade_left_the_board_then(empty_database):
    """0017 ends at its deactivation the term a deactivated board member's account had left open;
    an active board member's term and a term ended before stay as they were."""
    from datetime import datetime

    database.initialize(make_database(empty_database, None))
    migrate(target=FIRST)
    rows = {table: id_ for table, id_, _ in fill_first_schema()}
    account = dict(password_hash="x", role="chair", club_id=rows["club"], area="",
                   must_change_password=False, reminder_hour=7, created_at=T)
    gone = insert("user", login="tc.pcn", full_name="Lê Văn Rời", is_active=False, **account)
    migrate(target="0016_members_deactivated_at")
    users = Table("user").bind(database)
    users.update({users.c.deactivated_at: "2026-03-02 09:30:00"}).where(
        users.c.id == gone).execute()
    stepped_down = insert("user", login="tc.cu", full_name="Trần Văn Cũ", is_active=False,
                          deactivated_at="2026-04-01 00:00:00", **dict(account, role="member"))
    insert("board_term", user_id=stepped_down, club_id=rows["club"], since=T,
           until="2026-02-01 00:00:00")
    assert migrate(target="0017_board_terms_end_at_deactivation") == [
        "0017_board_terms_end_at_deactivation"]
    t = Table("board_term").bind(database)
    until = {row["user_id"]: row["until"] for row in t.select().dicts()}
    as_time = lambda v: v if v is None or isinstance(v, datetime) else datetime.fromisoformat(v)  # noqa: E731
    chair = next(id_ for id_ in until if id_ not in (gone, stepped_down))
    assert {k: as_time(v) for k, v in until.items()} == {
        chair: None, gone: datetime(2026, 3, 2, 9, 30), stepped_down: datetime(2026, 2, 1)}
    database.close()


def test_a_push_subscription_kept_before_the_upgrade_follows_its_users_last_session(
        empty_database):
    """0018 binds each subscription to the live session its user was seen in last (the phone it
    was most likely made on); one whose user has no live session is bound to none."""
    database.initialize(make_database(empty_database, None))
    migrate(target=FIRST)
    rows = {table: id_ for table, id_, _ in fill_first_schema()}
    account = dict(password_hash="x", role="member", club_id=rows["club"], area="",
                   must_change_password=False, reminder_hour=7, created_at=T, is_active=True)
    seen = insert("user", login="tc.tv2", full_name="Lê Văn Hai", **account)
    gone = insert("user", login="tc.tv3", full_name="Trần Văn Ba", **account)
    for n, (user, last_seen, ended) in enumerate((
            (seen, "2026-02-01 08:00:00", None), (seen, "2026-03-01 08:00:00", None),
            (seen, "2026-03-05 08:00:00", "2026-03-05 09:00:00"),
            (gone, "2026-03-01 08:00:00", "2026-03-02 08:00:00"))):
        insert("login_session", token_hash=f"h{n}", user_id=user, created_at=T,
               last_seen_at=last_seen, ended_at=ended)
    for user in (seen, gone):
        insert("push_subscription", user_id=user, endpoint=f"https://fcm.googleapis.com/{user}",
               p256dh="k", auth="a", device_label="", created_at=T)
    migrate(target="0017_board_terms_end_at_deactivation")
    assert migrate(target="0018_push_subscription_session") == ["0018_push_subscription_session"]
    sessions = {row["token_hash"]: row["id"] for row in Table("login_session").bind(database)
                .select().dicts()}
    bound = {row["user_id"]: row["login_session_id"] for row in
             Table("push_subscription").bind(database).select().dicts()}
    assert (bound[seen], bound[gone]) == (sessions["h1"], None)
    database.close()


def test_who_last_saved_a_record_is_found_by_an_index(empty_database):
    """The audit log is the largest table: the lines about one record (audit.last_by, who saved
    it, for the page that says someone else saved it first) are found by an index on the record
    (0019), not by reading the whole log; the upgrade keeps every line."""
    database.initialize(make_database(empty_database, None))
    migrate(target=FIRST)
    rows = fill_first_schema()
    migrate(target="0018_push_subscription_session")
    record = ["object_type", "object_id", "id"]
    assert record not in [i.columns for i in database.get_indexes("audit_log")]
    migrate()
    assert record in [i.columns for i in database.get_indexes("audit_log")]
    assert_rows_kept([r for r in rows if r[0] == "audit_log"])
    with Statements() as seen:
        assert audit.last_by(Provider(id=1), "provider_saved") is None
    [(sql, params)] = [(q, p) for q, p in zip(seen.sql, seen.params) if "audit_log" in q]
    with database.atomic():
        if is_postgres():  # it reads a table this small whole, unless told not to
            database.execute_sql("SET LOCAL enable_seqscan = off")
            explain = "EXPLAIN "
        else:
            explain = "EXPLAIN QUERY PLAN "
        plan = " ".join(str(r[-1]) for r in database.execute_sql(explain + sql, params))
    assert "audit_log_object_type_object_id_id" in plan, plan
    database.close()
