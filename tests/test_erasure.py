"""Erasure is complete and access whole (issue 15, finding 5): every free text that can name the
person is filled, the "everything held" page shows each one, and after the erasure no table holds
the name; open appointments are cancelled."""
import json
import uuid as uuid_module
from datetime import timedelta

from peewee import CharField, ForeignKeyField, TextField

from webapp.book import cases
from webapp.book.scheduling import local_today
from webapp.db import database
from webapp.models import (
    ALL_MODELS,
    Activity,
    Appointment,
    Attendance,
    Case,
    EntryRevision,
    Referral,
    Review,
    SurveyRound,
    SyncConflict,
)

from .factories import make_case, make_user, make_visit, session_for, today

NAME = "Hoàng Thị Nguyệt"
# Fields that hold codes of a vocabulary, a uuid, a hash or the case's code: never free text.
CODES = {"uuid", "code", "status", "review_status", "kind", "service_kind", "sex", "risk_level",
         "source", "entry_type", "decision", "purpose", "category", "amendment_status",
         "entry_uuid", "outcome", "screening_uuid"}


def free_text_fields(model):
    return [f for f in model._meta.sorted_fields
            if isinstance(f, (CharField, TextField)) and not isinstance(f, ForeignKeyField)
            and f.name not in CODES and type(f).__name__ not in ("ListField", "JSONTextField")]


def refers_to_a_case(model):
    return model is Case or any(isinstance(f, ForeignKeyField) and f.rel_model is Case
                                for f in model._meta.sorted_fields)


def fill_every_text(case):
    """Every free text column of every row that refers to the case names the person."""
    filled = []
    for model in ALL_MODELS:
        if not refers_to_a_case(model):
            continue
        rows = [case] if model is Case else list(model.select().where(
            getattr(model, next(f.name for f in model._meta.sorted_fields
                                if isinstance(f, ForeignKeyField) and f.rel_model is Case))
            == case))
        for row in rows:
            for field in free_text_fields(model):
                limit = getattr(field, "max_length", None) or 200
                setattr(row, field.name, f"{field.name}: {NAME}"[:limit])
                filled.append((model.__name__, field.name))
            row.save()
    return filled


def every_row_as_text():
    for model in ALL_MODELS:
        for row in model.select().dicts():
            yield model.__name__, json.dumps(row, ensure_ascii=False, default=str)


def test_erasure_leaves_the_name_in_no_table(app):
    member = make_user()
    chair = make_user(club=member.club, role="chair")
    case = make_case(club=member.club, created_by=member, full_name=NAME)
    visit = make_visit(case)
    referral = Referral.create(club=case.club, case=case, created_by=member,
                               service_kind="legal_aid", referred_on=local_today(),
                               status="completed")
    activity = Activity.create(club=case.club, created_by=chair, kind="awareness",
                               date=local_today(), title="Truyền thông")
    attendance = Attendance.create(club=case.club, activity=activity, case=case,
                                   created_by=member, brought_by=member)
    open_one = Appointment.create(club=case.club, case=case, member=member,
                                  due_date=local_today() + timedelta(days=3), created_by=chair)
    Appointment.create(club=case.club, case=case, member=member, due_date=local_today(),
                       created_by=chair, status="cancelled")
    filled = fill_every_text(case)
    assert ("Referral", "outcome_note") in filled and ("Appointment", "rescheduled_reason") in filled
    for entry_type, uuid in (("case", case.uuid), ("visit", visit.uuid),
                             ("referral", referral.uuid), ("attendance", attendance.uuid)):
        EntryRevision.create(entry_type=entry_type, uuid=uuid, revision=1,
                             data={"full_name": NAME, "notes": NAME}, submitted_by=member)
        SyncConflict.create(entry_type=entry_type, uuid=uuid, revision=2, data={"notes": NAME},
                            user=member)
        Review.create(club=case.club, entry_type=entry_type, entry_uuid=uuid, revision=1,
                      decision="returned", reason=f"Sửa tên {NAME}", decided_by=chair)
    # The "everything held" page shows every one of them before the erasure.
    page = session_for(app.test_client(), chair).get(f"/desk/requests/{case.id}").get_data(
        as_text=True)
    for model_name, field_name in filled:
        assert f"{field_name}: {NAME}"[:20] in page, (model_name, field_name)
    assert page.count(NAME) >= len(filled)
    with database.atomic():
        cases.erase(case, chair)
    leaks = [(table, text) for table, text in every_row_as_text() if NAME in text]
    assert leaks == []
    assert Appointment.get_by_id(open_one.id).status == "cancelled"
    assert Appointment.select().where(Appointment.status == "open").count() == 0


NAME_MET = "Lò Thị Phượng"


def _sync(client, entries):
    response = client.post("/api/v1/sync", json={"entries": entries})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"]


def test_erasure_leaves_no_trace_in_the_screening_the_person_was_met_in(app, client, club,
                                                                          chair, member):
    """A member screens someone in the ward survey, notes what they said, and registers them as
    a case from that screening. The person asks to be erased: cases.erase empties the screening's
    own notes, but the screening's revisions (EntryRevision), kept copies (SyncConflict) and the
    board's reasons (Review) are not among the uuids it clears, so the note naming the person
    stays in the database."""
    round_ = SurveyRound.create(club=club, name="Khảo sát quý 4", starts_on=today(-5),
                                ends_on=today(5), areas=["Tổ 1"], created_by=chair)
    screening = {"uuid": str(uuid_module.uuid4()), "type": "screening", "revision": 1, "data": {
        "round_uuid": round_.uuid, "area": "Tổ 1", "screened_on": today().isoformat(),
        "category": "labour_migrant", "indicators": ["broker_contact"], "risk_level": "high",
        "counselled": False, "topics": [],
        "notes": f"{NAME_MET} nói có người môi giới đi Trung Quốc"}}
    case = {"uuid": str(uuid_module.uuid4()), "type": "case", "revision": 1, "data": {
        "full_name": NAME_MET, "sex": "female", "categories": ["labour_migrant"],
        "risk_level": "high", "consent": {"follow": True, "refer": None, "share": False},
        "screening_uuid": screening["uuid"]}}
    session_for(client, member)
    assert [r["status"] for r in _sync(client, [screening, case])] == ["created", "created"]
    # The chair had returned the screening once, with a reason that names the person.
    Review.create(club=club, entry_type="screening", entry_uuid=screening["uuid"], revision=1,
                  decision="returned", reason=f"Ghi rõ {NAME_MET} ở tổ nào", decided_by=chair)
    row = Case.get(Case.uuid == case["uuid"])
    with database.atomic():
        cases.erase(row, chair)
    leaks = sorted({table for table, text in every_row_as_text() if NAME_MET in text})
    assert leaks == []


def test_erased_people_listed_before_a_restore_are_erased_again_after_it(app, runner, tmp_path):
    """PostgreSQL's pg_restore of a dump made before an erasure brings the person back: the
    operator lists the erased before restoring (`flask erased list`, uuids, no name) and erases
    them again after (`flask erased again FILE`), as the README's restore steps say."""
    member = make_user()
    case = make_case(club=member.club, created_by=member)
    fill_every_text(case)
    cases.erase(Case.get_by_id(case.id), member)
    listed = runner.invoke(args=["erased", "list"])
    assert listed.exit_code == 0 and listed.output.split() == [case.uuid]
    assert NAME not in listed.output
    (tmp_path / "erased.txt").write_text(listed.output, encoding="utf-8")
    # The dump restored: the person as they were before the erasure.
    Case.update(full_name=NAME, erased_at=None, status="active").where(Case.id == case.id).execute()
    again = runner.invoke(args=["erased", "again", str(tmp_path / "erased.txt")])
    assert again.exit_code == 0, again.output
    assert "1 người đã được xóa thông tin theo yêu cầu" in again.output
    assert Case.get_by_id(case.id).erased_at is not None
    assert [table for table, text in every_row_as_text() if NAME in text] == []
