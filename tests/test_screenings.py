"""The ward survey's screenings: the risk rule, the sync path, and a case registered from one."""
import uuid as uuid_module
from datetime import timedelta

import pytest

from webapp.book import review, screenings, vocab
from webapp.book.reports import survey as survey_figures
from webapp.book.reports.area import HIDDEN, SMALL, area_report
from webapp.db import utcnow
from webapp.models import Case, EntryRevision, Screening, SurveyRound

from .factories import login_as, make_club, make_user, session_for, today

pytestmark = pytest.mark.usefixtures("in_english")


def new_uuid():
    return str(uuid_module.uuid4())


def make_round(club, by=None, areas=("Tổ 1", "Tổ 2", "Khu 3"), **overrides):
    values = dict(club=club, name="Khảo sát quý 4", starts_on=today(-10),
                  ends_on=today(20), areas=list(areas),
                  created_by=by or make_user(club=club, role="chair"))
    values.update(overrides)
    return SurveyRound.create(**values)


def screening_entry(round_uuid, uuid=None, **data):
    body = {"round_uuid": round_uuid, "area": "Tổ 1", "screened_on": today().isoformat(),
            "category": "labour_migrant", "indicators": ["plans_abroad", "broker_contact"],
            "risk_level": "high", "counselled": True, "topics": ["safe_migration"],
            "notes": "Định đi Hàn Quốc"}
    body.update(data)
    return {"uuid": uuid or new_uuid(), "type": "screening", "revision": 1, "data": body}


def case_entry(screening_uuid=None, uuid=None):
    data = {"full_name": "Trần Văn Nam", "sex": "male", "categories": ["labour_migrant"],
            "risk_level": "high", "consent": {"follow": True, "refer": None, "share": False}}
    if screening_uuid:
        data["screening_uuid"] = screening_uuid
    return {"uuid": uuid or new_uuid(), "type": "case", "revision": 1, "data": data}


def sync(client, entries):
    response = client.post("/api/v1/sync", json={"entries": entries})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"]


@pytest.fixture
def member(member, client):
    login_as(client, member)
    return member


@pytest.fixture
def round_(club, chair):
    return make_round(club, chair)


# --- the rule -------------------------------------------------------------------------------

@pytest.mark.parametrize("indicators, points, level", [
    ([], 0, "low"),
    (["plans_abroad"], 1, "medium"),
    (["debts", "relative_abroad"], 2, "medium"),
    (["papers_held"], 2, "medium"),
    (["plans_abroad", "debts", "relative_abroad"], 3, "high"),
    (["broker_contact", "plans_abroad"], 3, "high"),
    (["earlier_trafficking", "papers_held"], 4, "high"),
    (["plans_abroad", "plans_abroad"], 1, "medium"),  # each answer counts once
    (["no_such_question"], 0, "low"),
])
def test_risk_rule(app, indicators, points, level):
    assert screenings.risk_points(indicators) == points
    assert screenings.suggested_level(indicators) == level


def test_the_phone_receives_the_same_rule_and_its_words(client, member):
    schema = client.get("/api/v1/schema").get_json()["$defs"]["screening"]
    rule = schema["properties"]["indicators"]["x-risk-rule"]
    assert rule["weights"] == screenings.RISK_WEIGHTS
    assert rule["levels"] == [list(x) for x in screenings.RISK_LEVELS_FROM_POINTS]
    assert "3 points" in rule["explained"]
    # A screening names no one.
    assert not {"full_name", "phone", "address"} & set(schema["properties"])


# --- the sync path ----------------------------------------------------------------------------

def test_created_then_duplicate_and_the_server_suggests_the_level(client, member, round_):
    entry = screening_entry(round_.uuid, risk_level="medium", indicators=["plans_abroad"])
    [first] = sync(client, [entry])
    [again] = sync(client, [entry])
    assert (first["status"], again["status"]) == ("created", "duplicate")
    assert Screening.select().where(Screening.uuid == entry["uuid"]).count() == 1
    row = Screening.get(Screening.uuid == entry["uuid"])
    assert (row.suggested_level, row.risk_level, row.review_status) == ("medium", "medium",
                                                                       "submitted")
    assert row.club_id == member.club_id and row.round_id == round_.id
    assert EntryRevision.select().where(EntryRevision.uuid == entry["uuid"]).count() == 1
    # It waits for the chair's review like every entry.
    assert [item.row.uuid for item in review.queue(member.club_id)] == [entry["uuid"]]


def test_an_area_not_of_the_round_is_invalid(client, member, round_):
    [result] = sync(client, [screening_entry(round_.uuid, area="Tổ 9")])
    assert result["status"] == "invalid"
    assert "not one of the round's" in result["errors"]["area"]
    assert Screening.select().count() == 0


def test_another_clubs_round_is_refused_as_unknown(client, member):
    other = make_round(make_club())
    [result] = sync(client, [screening_entry(other.uuid)])
    [unknown] = sync(client, [screening_entry(new_uuid())])
    assert result["status"] == unknown["status"] == "invalid"
    assert result["errors"] == unknown["errors"]
    assert "not one of your club's" in result["errors"]["round_uuid"]
    assert Screening.select().count() == 0


def test_a_closed_round_refuses_what_was_made_after_it_closed(client, member, round_):
    made_before = (utcnow() - timedelta(hours=2)).isoformat() + "Z"
    round_.closed_at = utcnow() - timedelta(hours=1)
    round_.save()
    early = dict(screening_entry(round_.uuid), client_created_at=made_before)
    late = screening_entry(round_.uuid)
    ended = make_round(member.club, ends_on=today(-1),
                       starts_on=today(-30))
    results = sync(client, [early, late, screening_entry(ended.uuid)])
    assert [r["status"] for r in results] == ["created", "invalid", "invalid"]
    assert "Ask your club's chair to extend the round" in results[1]["errors"]["round_uuid"]


def test_topics_without_counselling_is_a_reason_to_act_on(client, member, round_):
    [result] = sync(client, [screening_entry(round_.uuid, counselled=False)])
    assert result["status"] == "invalid" and "tick that you counselled" in result["errors"][
        "counselled"]


def test_a_name_is_not_a_field_of_a_screening(client, member, round_):
    [result] = sync(client, [screening_entry(round_.uuid, full_name="Nguyễn Văn A")])
    assert result["status"] == "invalid" and "full_name" in result["errors"]


# --- registered as a case ---------------------------------------------------------------------

def test_a_case_registered_from_a_screening_in_the_same_batch(client, member, round_):
    screening = screening_entry(round_.uuid)
    case = case_entry(screening["uuid"])
    # The case listed first: the screening still goes first.
    results = sync(client, [case, screening])
    assert [r["status"] for r in results] == ["created", "created"]
    row = Screening.get(Screening.uuid == screening["uuid"])
    assert row.registered_case.uuid == case["uuid"]
    assert Case.get(Case.uuid == case["uuid"]).screening_uuid == screening["uuid"]
    # Both again: duplicates, nothing doubled.
    again = sync(client, [case, screening])
    assert [r["status"] for r in again] == ["duplicate", "duplicate"]
    assert Case.select().count() == 1 and Screening.select().count() == 1


def test_a_case_whose_screening_was_refused_still_reaches_the_club(client, member, round_):
    refused = screening_entry(round_.uuid, area="Tổ 9")
    case = case_entry(refused["uuid"])
    results = sync(client, [refused, case])
    assert [r["status"] for r in results] == ["invalid", "created"]
    # The screening fixed and sent later is linked to the case then.
    fixed = dict(refused, data=dict(refused["data"], area="Tổ 2"))
    [result] = sync(client, [fixed])
    assert result["status"] == "created"
    assert Screening.get(Screening.uuid == refused["uuid"]).registered_case.uuid == case["uuid"]


def test_a_screening_returned_meanwhile_keeps_its_case(client, member, chair, round_):
    screening = screening_entry(round_.uuid)
    sync(client, [screening])
    row = Screening.get(Screening.uuid == screening["uuid"])
    review.return_entry(row, chair, "Thiếu ghi chú")
    [result] = sync(client, [case_entry(screening["uuid"])])
    assert result["status"] == "created"
    assert Screening.get_by_id(row.id).registered_case is not None


def test_another_clubs_screening_is_never_linked(client, member, app):
    other_club = make_club()
    other = make_user(club=other_club)
    round_ = make_round(other_club)
    row = Screening.create(club=other_club, round=round_, area="Tổ 1", screened_on=today(),
                           category="at_risk", suggested_level="low", risk_level="low",
                           created_by=other)
    [result] = sync(client, [case_entry(row.uuid)])
    assert result["status"] == "created"
    assert Screening.get_by_id(row.id).registered_case is None


def test_the_board_approves_a_screening(client, member, chair, round_):
    screening = screening_entry(round_.uuid)
    sync(client, [screening])
    row = Screening.get(Screening.uuid == screening["uuid"])
    review.approve(row, chair)
    assert Screening.get_by_id(row.id).review_status == "approved"


def test_the_board_finds_a_screening_by_its_area_and_day_not_a_number(client, member, chair,
                                                                       round_):
    screening = screening_entry(round_.uuid, area="Khu 3")
    sync(client, [screening])
    row = Screening.get(Screening.uuid == screening["uuid"])
    assert review.entry_code(row) == f"Khu 3 · {today():%d/%m/%Y}"
    session_for(client, chair)
    page = client.get("/desk/review/").get_data(as_text=True)
    assert f"Khu 3 · {today():%d/%m/%Y}" in page and f"#{row.id}" not in page


# --- the working set --------------------------------------------------------------------------

def test_the_working_set_carries_the_open_rounds_with_my_areas(client, member, chair, round_):
    other = make_user(club=member.club)
    screenings.assign_areas(round_, {"Tổ 1": member.id, "Khu 3": member.id, "Tổ 2": other.id},
                            chair)
    make_round(make_club())  # another club's: never sent
    first = client.get("/api/v1/bootstrap").get_json()
    assert first["full"] is True
    [sent] = first["rounds"]
    assert sent["uuid"] == round_.uuid and sent["areas"] == ["Tổ 1", "Tổ 2", "Khu 3"]
    assert sent["my_areas"] == ["Tổ 1", "Khu 3"]

    unchanged = client.get(f"/api/v1/bootstrap?since={first['cursor']}").get_json()
    assert unchanged["rounds"] == [] and unchanged["removed"]["rounds"] == []

    screenings.assign_areas(round_, {"Tổ 1": member.id}, chair)
    later = make_round(member.club, chair, name="Đợt 2", areas=["Tổ 5"])
    delta = client.get(f"/api/v1/bootstrap?since={first['cursor']}").get_json()
    assert {r["uuid"]: r["my_areas"] for r in delta["rounds"]} == {round_.uuid: ["Tổ 1"],
                                                                   later.uuid: []}
    screenings.close_round(round_, chair)
    closed = client.get(f"/api/v1/bootstrap?since={delta['cursor']}").get_json()
    assert closed["rounds"] == [] and closed["removed"]["rounds"] == [round_.uuid]
    whole = client.get("/api/v1/bootstrap").get_json()
    assert [r["uuid"] for r in whole["rounds"]] == [later.uuid]


def test_a_closed_round_stays_on_the_phone_while_a_screening_of_mine_in_it_is_returned(
        client, member, chair, round_):
    sent = screening_entry(round_.uuid)
    assert client.post("/api/v1/sync", json={"entries": [sent]}).get_json()[
        "results"][0]["status"] == "created"
    review.return_entry(Screening.get(Screening.uuid == sent["uuid"]), chair, "Sửa nhóm")
    screenings.close_round(round_, chair)
    [kept] = client.get("/api/v1/bootstrap").get_json()["rounds"]
    assert (kept["uuid"], kept["closed"]) == (round_.uuid, True)  # to fix it in, not to add to
    Screening.update(review_status="approved").where(Screening.uuid == sent["uuid"]).execute()
    assert client.get("/api/v1/bootstrap").get_json()["rounds"] == []  # nothing left to fix


# --- the figures ------------------------------------------------------------------------------

def _seed(club, round_, member, rows, on=today()):
    """Screenings of `round_` made `on`, from (area, category, indicators, risk, counselled,
    registered, review status)."""
    made = []
    for area, category, indicators, risk, counselled, registered, status in rows:
        case = None
        if registered:
            from .factories import make_case
            case = make_case(club=club, created_by=member)
        made.append(Screening.create(
            club=club, round=round_, area=area, screened_on=on, category=category,
            indicators=indicators, suggested_level=screenings.suggested_level(indicators),
            risk_level=risk, counselled=counselled, registered_case=case, created_by=member,
            review_status=status))
    return made


SEEDED = [
    ("Tổ 1", "labour_migrant", ["plans_abroad", "broker_contact"], "high", True, True, "approved"),
    ("Tổ 1", "labour_migrant", ["plans_abroad"], "medium", True, False, "approved"),
    ("Tổ 2", "at_risk", ["debts"], "low", False, False, "approved"),
    ("Tổ 2", "returnee", ["earlier_trafficking", "papers_held"], "high", True, True, "approved"),
    ("Khu 3", "relative", [], "low", False, False, "approved"),
    ("Khu 3", "at_risk", ["debts", "plans_abroad"], "medium", True, False, "submitted"),
]


def test_the_figures_are_those_of_the_approved_screenings(app, club, chair, member, round_):
    _seed(club, round_, member, SEEDED)
    approved = [row for row in SEEDED if row[6] == "approved"]
    found = survey_figures.survey_figures([club.id], round_=round_)
    assert found["total"] == {
        "screened": len(approved),
        "at_risk": sum(row[3] in ("medium", "high") for row in approved),
        "registered": sum(row[5] for row in approved),
        "counselled": sum(row[4] for row in approved)}
    assert dict(found["areas"])["Tổ 1"]["screened"] == 2
    assert "Khu 3" in dict(found["areas"]) and dict(found["areas"])["Khu 3"]["at_risk"] == 0
    indicators = {code: n for code, _label, n in found["indicators"]}
    assert indicators == {code: sum(code in row[2] for row in approved)
                          for code in indicators}
    categories = {code: n for code, _label, n in found["categories"]}
    assert categories["labour_migrant"] == {"screened": 2, "at_risk": 2, "registered": 1,
                                            "counselled": 2}
    assert [n for _name, n in found["members"]] == [found["total"]]
    reach = survey_figures.reach([club, make_club()], today(), today())
    assert reach[club.id]["screened"] == 5 and reach[club.id]["registered"] == 2
    assert list(reach.values())[1] == dict.fromkeys(survey_figures.COUNTS, 0)
    assert survey_figures.reach([club], today(1), today(9))[
        club.id]["screened"] == 0


def test_the_supervisor_sees_counts_suppressed(app, club, chair, member, round_):
    many = [("Tổ 1", "labour_migrant", ["plans_abroad"], "medium", True, False, "approved")] * 7
    few = [("Tổ 2", "returnee", ["papers_held"], "high", False, True, "approved")] * 2
    _seed(club, round_, member, many + few)
    report = area_report([club], today().year)
    [row] = report["rows"]
    assert row["survey_screened"] == 9
    assert row["survey_registered"] == SMALL  # 2
    assert row["survey_counselled"] == 7 and row["survey_at_risk"] == 9
    shown = dict(row["survey_categories"])
    # 7 and "<5" of 9 would give the 2 away: the 7 is hidden too.
    assert shown[vocab.CASE_CATEGORIES.label("returnee")] == SMALL
    assert shown[vocab.CASE_CATEGORIES.label("labour_migrant")] == HIDDEN
    assert report["total"]["survey_registered"] == HIDDEN


def test_the_round_page_and_dashboard_show_the_figures(app, club, chair, member, round_, client):
    from .factories import session_for
    _seed(club, round_, member, SEEDED)
    session_for(client, chair)
    page = client.get(f"/survey/{round_.id}").get_data(as_text=True)
    assert "Khu 3" in page and "People screened" in page
    for url in ("/desk/dashboard", f"/desk/monthly/{today().year}/{today().month}"):
        shown = client.get(url).get_data(as_text=True)
        assert 'id="survey-title"' in shown and ">5<" in shown, url  # 5 approved screened
    other = make_round(make_club())
    assert client.get(f"/survey/{other.id}").status_code == 404
    assert client.post(f"/survey/{other.id}/close").status_code == 404
    session_for(client, member)
    assert client.get(f"/survey/{round_.id}").status_code in (403, 404)


def test_a_returned_screening_fixed_on_the_phone_is_updated(client, member, chair, round_):
    entry = screening_entry(round_.uuid, indicators=[], risk_level="low")
    sync(client, [entry])
    row = Screening.get(Screening.uuid == entry["uuid"])
    review.return_entry(row, chair, "Hỏi thêm về nợ")
    [returned] = client.get("/api/v1/bootstrap").get_json()["returned"]
    assert returned["uuid"] == entry["uuid"] and returned["type"] == "screening"
    fixed = dict(entry, revision=2, base_revision=1,
                 data=dict(entry["data"], indicators=["debts"], risk_level="medium"))
    [result] = sync(client, [fixed])
    assert result["status"] == "updated"
    row = Screening.get_by_id(row.id)
    assert (row.suggested_level, row.risk_level, row.review_status) == ("medium", "medium",
                                                                       "submitted")
    # Another member of the club may not change it.
    other = make_user(club=member.club)
    from .factories import session_for
    other_client = session_for(client.application.test_client(), other)
    again = dict(fixed, revision=3, base_revision=2)
    [refused] = sync(other_client, [again])
    assert refused["status"] in ("invalid", "conflict") and Screening.get_by_id(row.id).revision == 2


def test_the_board_edits_a_screening_at_the_desk(app, chair, member, round_):
    from webapp.book import sync as sync_module
    result = sync_module.submit_batch(member, [screening_entry(round_.uuid)])[0]
    row = Screening.get_by_id(result["id"])
    data = dict(screenings.data_of(row), area="Khu 3")
    sync_module.desk_edit(chair, row, data)
    assert Screening.get_by_id(row.id).area == "Khu 3"


# --- the board's round ------------------------------------------------------------------------

def test_a_round_is_opened_changed_and_its_areas_given_to_members_of_the_club(app, club, chair,
                                                                              member):
    from webapp.invalid import Invalid
    values = {"name": "Đợt 1", "starts_on": today(), "ends_on": today(9),
              "areas": screenings.parse_areas("Tổ 1\n tổ  1 \nTổ 2; Khu 3\n\n")}
    assert values["areas"] == ["Tổ 1", "Tổ 2", "Khu 3"]
    round_ = screenings.save_round(club.id, chair, values)
    with pytest.raises(Invalid) as refused:
        screenings.save_round(club.id, chair, dict(values, ends_on=today(-1)))
    assert "ends_on" in refused.value.errors
    with pytest.raises(Invalid) as refused:
        screenings.assign_areas(round_, {"Tổ 1": make_user(club=make_club()).id}, chair)
    assert "Tổ 1" in refused.value.errors
    screenings.assign_areas(round_, {"Tổ 1": member.id, "Tổ 2": None}, chair)
    assert {a: m.id for a, m in screenings.assignments_of(round_).items()} == {"Tổ 1": member.id}
    with pytest.raises(Invalid) as refused:  # an area with a member stays
        screenings.save_round(club.id, chair, dict(values, areas=["Tổ 2"]), round_)
    assert "Tổ 1" in str(refused.value.errors["areas"])
    screenings.save_round(club.id, chair, dict(values, areas=["Tổ 1", "Tổ 4"]), round_)
    assert SurveyRound.get_by_id(round_.id).areas == ["Tổ 1", "Tổ 4"]


def test_the_board_opens_and_assigns_a_round_at_the_desk(app, club, chair, member, client):
    from .factories import session_for
    session_for(client, chair)
    response = client.post("/survey/new", data={
        "name": "Khảo sát quý 1", "starts_on": today().isoformat(),
        "ends_on": today(30).isoformat(), "areas": "Tổ 1\nTổ 2"})
    assert response.status_code == 302
    round_ = SurveyRound.get(SurveyRound.club == club)
    response = client.post(f"/survey/{round_.id}/areas", data={"area-0": str(member.id)})
    assert response.status_code == 302
    assert screenings.areas_of(member, [round_.id]) == {round_.id: ["Tổ 1"]}
    bad = client.post("/survey/new", data={"name": "", "starts_on": "", "ends_on": "",
                                           "areas": ""})
    assert bad.status_code == 200 and "Give the round a name." in bad.get_data(as_text=True)


# --- the review queue, a former member, a conflict --------------------------------------------

def test_the_review_queue_shows_a_screening_with_its_area_and_date(client, member, chair, round_):
    from .factories import session_for
    sync(client, [screening_entry(round_.uuid, area="Khu 3")])
    page = session_for(client, chair).get("/desk/review/").get_data(as_text=True)
    assert f"Screening · Khu 3 · {today().strftime('%d/%m/%Y')}" in page


def test_a_former_member_with_no_club_is_told_about_the_survey_round(client, member, round_):
    from webapp.models import User
    entry = screening_entry(round_.uuid)
    User.update(role="supervisor", club=None, area="Hạ Long").where(User.id == member.id).execute()
    login_as(client, member)
    assert client.get("/api/v1/bootstrap").get_json()["user"]["hand_in_only"] is True
    [result] = sync(client, [entry])
    assert result["status"] == "invalid"
    assert "cannot be added to the club's survey round" in result["errors"]["entry"]
    assert "register a person" not in result["errors"]["entry"]
    assert Screening.select().where(Screening.uuid == entry["uuid"]).count() == 0


def test_a_conflict_on_a_screening_is_merged_by_the_chair_at_the_desk(app, client, member, chair,
                                                                       round_):
    from webapp.book import sync as sync_module
    from webapp.models import SyncConflict
    from .factories import session_for
    entry = screening_entry(round_.uuid, indicators=["plans_abroad"], risk_level="medium",
                            notes="Định đi Hàn Quốc")
    sync(client, [entry])
    row = Screening.get(Screening.uuid == entry["uuid"])
    # The chair corrects the area at the desk while the member's phone, on revision 1, raises
    # the risk and adds to the notes.
    sync_module.desk_edit(chair, row, dict(screenings.data_of(row), area="Khu 3"))
    phone = dict(entry, revision=2, base_revision=1,
                 data=dict(entry["data"], indicators=["plans_abroad", "debts", "broker_contact"],
                           risk_level="high", notes="Có người môi giới"))
    [result] = sync(client, [phone])
    assert result["status"] == "conflict" and result["server"]["revision"] == 2
    assert result["server"]["data"]["area"] == "Khu 3"
    kept = SyncConflict.get(SyncConflict.uuid == entry["uuid"])

    desk = session_for(app.test_client(), chair)
    listing = desk.get("/desk/review/conflicts/").get_data(as_text=True)
    assert f"/desk/review/conflicts/{kept.id}" in listing
    page = desk.get(f"/desk/review/conflicts/{kept.id}").get_data(as_text=True)
    merge = page.split('class="card conflict-merge"')[1].split("</form>")[0]
    assert merge.count('class="fieldset conflict-field"') == 4  # area, indicators, risk, notes
    assert "Có người môi giới" in merge and 'name="revision" value="2"' in merge
    response = desk.post(f"/desk/review/conflicts/{kept.id}/resolve",
                         data={"revision": 2, "take-indicators": "kept", "take-risk_level": "kept",
                               "take-notes": "kept", "take-area": "current"})
    assert response.status_code == 302, response.get_data(as_text=True)
    row = Screening.get_by_id(row.id)
    assert (row.area, row.risk_level, row.notes, row.revision) == (
        "Khu 3", "high", "Có người môi giới", 3)
    assert row.suggested_level == "high"  # the rule's, worked out again on the merged answers
    assert [r.revision for r in EntryRevision.select().where(EntryRevision.uuid == row.uuid)
            .order_by(EntryRevision.revision)] == [1, 2, 3]
    kept = SyncConflict.get_by_id(kept.id)
    assert (kept.resolution, kept.resolved_revision, kept.resolved_by_id) == ("merged", 3,
                                                                               chair.id)
    # The member's phone hears the outcome.
    [outcome] = client.get("/api/v1/bootstrap").get_json()["conflict_outcomes"]
    assert outcome["uuid"] == row.uuid and outcome["resolved_revision"] == 3


# --- the supervisor's months and export -------------------------------------------------------

def _row(area, risk, registered=False):
    return (area, "labour_migrant", ["plans_abroad"], risk, False, registered, "approved")


# (month, screenings): 15 screened, 10 at risk, 1 registered in the year.
BY_MONTH = [
    (3, [_row("Tổ 1", "medium")] * 7),
    (6, [_row("Tổ 2", "high")] * 2 + [_row("Tổ 2", "high", registered=True)]
     + [_row("Tổ 2", "low")] * 3),
    (9, [_row("Khu 3", "low")] * 2),
]


def test_the_area_months_and_export_carry_the_survey_suppressed(app, client, club, chair, member,
                                                               round_):
    import csv
    import io
    from datetime import date
    from openpyxl import load_workbook
    from webapp.book.reports.area import suppress_parts
    from .factories import session_for
    year = today().year
    for month, rows in BY_MONTH:
        _seed(club, round_, member, rows, on=date(year, month, 10))
    _seed(club, round_, member, [("Tổ 1", "at_risk", [], "high", True, True, "submitted")],
          on=date(year, 3, 11))  # waiting for review: never counted
    months = [month for month, _rows in BY_MONTH]

    def straight(keep):
        per_month = dict.fromkeys(range(1, 13), 0)
        for month, rows in BY_MONTH:
            per_month[month] = sum(keep(row) for row in rows)
        return list(per_month.values())

    expected = {"screened": straight(lambda row: True),
                "at_risk": straight(lambda row: row[3] in ("medium", "high")),
                "registered": straight(lambda row: row[5])}
    [row] = area_report([club], year)["rows"]
    for name, counts in expected.items():
        assert row["series"][f"survey_{name}"] == suppress_parts(counts, sum(counts)), name
    # 7, 6, 2 of 15: the 2 is "<5", and the 6 is hidden too, or 15 − 7 − 6 would give it away.
    assert [row["series"]["survey_screened"][m - 1] for m in months] == [7, HIDDEN, SMALL]
    assert [row["series"]["survey_at_risk"][m - 1] for m in months] == [HIDDEN, SMALL, 0]
    assert [row["series"]["survey_registered"][m - 1] for m in months] == [0, SMALL, 0]

    supervisor = make_user(role="supervisor", club=None, area=club.city)
    desk = app.test_client()
    desk.set_cookie("sotd_lang", "en")
    session_for(desk, supervisor)
    page = desk.get(f"/area/months?year={year}").get_data(as_text=True)
    screened = page.split("People screened")[1].split("</table>")[0]
    assert [f"{m:02d}/{year}" in screened for m in months] == [True] * 3
    assert ">7<" in screened and ">*<" in screened and ">&lt;5<" in screened
    assert "Registered as cases" in page and "At risk (medium or high)" in page

    csv_rows = list(csv.reader(io.StringIO(desk.post(
        f"/area/export?year={year}", data={"file_format": "csv"}).get_data().decode("utf-8-sig"))))
    xlsx_rows = [[str(cell) for cell in cells] for cells in load_workbook(io.BytesIO(desk.post(
        f"/area/export?year={year}", data={"file_format": "xlsx"}).get_data())).active.values]
    assert xlsx_rows == csv_rows
    shown = {(period, figure): value for _club, period, figure, value in xlsx_rows[1:]}
    assert shown[(str(year), "People screened")] == "15"
    assert shown[(str(year), "Registered as cases")] == SMALL
    assert shown[(f"{year}-03", "People screened")] == "7"
    assert shown[(f"{year}-06", "People screened")] == HIDDEN
    assert shown[(f"{year}-09", "People screened")] == SMALL
    assert shown[(f"{year}-06", "At risk (medium or high)")] == SMALL
    assert not {"1", "2", "3", "4"} & set(shown.values())
